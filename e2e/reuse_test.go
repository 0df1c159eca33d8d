package e2e_test

import (
	"errors"
	"testing"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestAFinishedProgramsID: the issue started "to each of my contacts" twice with the same --id and
// everyone was emailed twice (a batch's fresh items skipped the mailbox, and nothing refused the ID).
// Now the second start is refused; allowed explicitly, it runs and sends nothing the first sent.
func TestAFinishedProgramsID(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	const id = "reuse-each-contact"
	in := workflows.Input{Program: "Send 'Reunion on Saturday' to each of my contacts"}
	count := func() int { return len(testenv.Messages(t, s.mailpit, `subject:"Reunion on Saturday"`)) }

	if res, err := s.run(t, st, id, in); err != nil || res.State != workflows.StateCompleted {
		t.Fatalf("first run: %v (%+v)", err, res)
	}
	if got := count(); got != 3 {
		t.Fatalf("%d emails after the first run, want 3", got)
	}

	t.Run("IsRefused", func(t *testing.T) {
		_, err := st.Start(t.Context(), id, in)
		var reused *starter.ReusedIDError
		if !errors.As(err, &reused) || reused.ID != id {
			t.Fatalf("second start: %v, want a ReusedIDError", err)
		}
		if got := count(); got != 3 {
			t.Errorf("%d emails, want still 3", got)
		}
	})

	t.Run("AllowedSendsNothingTwice", func(t *testing.T) {
		again := &starter.Starter{Client: st.Client, TaskQueue: st.TaskQueue, Identity: st.Identity, AllowReuse: true}
		res, err := s.run(t, again, id, in)
		if err != nil || res.State != workflows.StateCompleted {
			t.Fatalf("run with --allow-reuse: %v (%+v)", err, res)
		}
		if got := count(); got != 3 {
			t.Errorf("%d emails after the second run, want still 3: each was sent already", got)
		}
	})
}
