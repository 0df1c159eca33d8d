package e2e_test

import (
	"errors"
	"fmt"
	"strings"
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

// TestAReusedIDWithShards: a step over more items than shard_size runs them in child workflows, which
// decided the mailbox check from their own runs (each looks new), so --allow-reuse on a finished program's
// ID sent each contact a second email. The shards now follow the program: still one email per contact.
func TestAReusedIDWithShards(t *testing.T) {
	const n, id = 5, "reuse-sharded"
	s := newStack(t)
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := range n {
		fmt.Fprintf(&csv, "Contact %d,shard-reuse-%d@example.com\n", i+1, i+1)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.csv", csv.String()), nil)
	in := workflows.Input{Program: "Send 'Shards again' to all my contacts", ShardSize: 2} // 3 shards
	perRecipient := func() map[string]int {
		got := map[string]int{}
		for _, m := range testenv.Messages(t, s.mailpit, `subject:"Shards again"`) {
			for _, to := range m.To {
				got[to]++
			}
		}
		return got
	}
	check := func(when string) {
		t.Helper()
		got := perRecipient()
		for i := range n {
			if to := fmt.Sprintf("shard-reuse-%d@example.com", i+1); got[to] != 1 {
				t.Errorf("%s: %s has %d emails, want exactly 1 (all: %v)", when, to, got[to], got)
			}
		}
	}
	res, err := s.run(t, st, id, in)
	if err != nil || res.State != workflows.StateCompleted {
		t.Fatalf("first run: %v (%+v)", err, res)
	}
	if got := len(res.Steps[len(res.Steps)-1].Reports); got != 3 {
		t.Fatalf("the send step has %d shard reports, want 3: the step did not run in shards", got)
	}
	check("after the first run")

	again := &starter.Starter{Client: st.Client, TaskQueue: st.TaskQueue, Identity: st.Identity, AllowReuse: true}
	res, err = s.run(t, again, id, in)
	if err != nil || res.State != workflows.StateCompleted {
		t.Fatalf("run with --allow-reuse: %v (%+v)", err, res)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Errorf("second run's summary = %q, want %q (already sent counts as done)", got, want)
	}
	check("after the run with --allow-reuse")
}
