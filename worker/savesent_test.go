package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/imapbox"
)

// flakySent fails its first failures calls with err, then saves.
type flakySent struct {
	failures int
	err      error
	calls    int
}

func (f *flakySent) save() error {
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	return nil
}

// A Sent copy that cannot be confirmed while the IMAP server is down is saved once it is back; a refusal is
// not tried again, and an outage longer than the patience gives up with the last error.
func TestSentCopiesPatiently(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:143: connection refused")
	t.Run("SavedWhenTheServerIsBack", func(t *testing.T) {
		f := &flakySent{failures: 2, err: down}
		if err := patiently(context.Background(), 10*time.Second, f.save); err != nil {
			t.Fatalf("save: %v", err)
		}
		if f.calls != 3 {
			t.Errorf("%d calls, want 3 (two failures, then the save)", f.calls)
		}
	})
	t.Run("ARefusalIsNotTriedAgain", func(t *testing.T) {
		f := &flakySent{failures: 5, err: &imapbox.RefusedError{Server: "127.0.0.1:143", Auth: true}}
		err := patiently(context.Background(), 10*time.Second, f.save)
		var refused *imapbox.RefusedError
		if !errors.As(err, &refused) || f.calls != 1 {
			t.Fatalf("error %v after %d calls, want the refusal after 1", err, f.calls)
		}
	})
	t.Run("GivesUpAfterThePatience", func(t *testing.T) {
		f := &flakySent{failures: 1000, err: down}
		began := time.Now()
		err := patiently(context.Background(), 2*time.Second, f.save)
		if !errors.Is(err, down) {
			t.Fatalf("error %v, want the last one", err)
		}
		if d := time.Since(began); d > 3*time.Second || f.calls < 2 {
			t.Errorf("gave up after %s and %d calls, want within the 2s patience, after trying again", d, f.calls)
		}
	})
}
