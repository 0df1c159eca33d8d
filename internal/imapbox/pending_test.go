package imapbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// sentCopies are the flags of each copy of the message in the user's Sent folder.
func sentCopies(t *testing.T, sys *mailtest.System, id string) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range sys.Folder(t, mailtest.Me, "Sent") {
		if m.MessageID == id {
			var flags []string
			for _, f := range m.Flags {
				flags = append(flags, string(f))
			}
			slices.Sort(flags)
			out = append(out, flags)
		}
	}
	return out
}

// The copy saved before a submission is marked unconfirmed and unread, counts neither as history nor as
// "already sent", and becomes an ordinary read copy once confirmed; one for a refused email is removed.
func TestUnconfirmedCopiesOnDovecot(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	m := mailbox(t, sys, imapbox.Config{SaveSent: "always"})
	now := time.Now().Truncate(time.Second)
	raw := message("pending@eaapl.test", "bob@example.com", "Hi", now)

	if got, err := m.PrepareSent(ctx, "<pending@eaapl.test>", raw, now); err != nil || got != imapbox.SavedPending {
		t.Fatalf("PrepareSent = %s, %v; want pending", got, err)
	}
	if got, err := m.PrepareSent(ctx, "<pending@eaapl.test>", raw, now); err != nil || got != imapbox.SavedPresent {
		t.Fatalf("PrepareSent again (a retry) = %s, %v; want present, no second copy", got, err)
	}
	if got, want := sentCopies(t, sys, "pending@eaapl.test"), [][]string{{string(imapbox.PendingKeyword)}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Sent's copies have flags %v, want %v (one, unconfirmed and unread)", got, want)
	}
	t.Run("AnUnconfirmedCopyIsNotHistoryNorSent", func(t *testing.T) {
		if has, err := m.HasMessageID(ctx, "<pending@eaapl.test>"); err != nil || has {
			t.Fatalf("HasMessageID = %v, %v; want false", has, err)
		}
		if copy, err := m.Unconfirmed(ctx, "<pending@eaapl.test>"); err != nil || !strings.HasPrefix(copy, "uid-") {
			t.Fatalf("Unconfirmed = %q, %v; want the copy's name", copy, err)
		}
		got, err := m.Emailed(ctx, "me@example.com", []string{"bob@example.com"}, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil || len(got) != 0 {
			t.Fatalf("Emailed = %v, %v; want nobody: the email is not known to have gone", got, err)
		}
	})
	t.Run("ConfirmSentMakesItAnOrdinaryCopy", func(t *testing.T) {
		if got, err := m.ConfirmSent(ctx, "<pending@eaapl.test>", raw, now); err != nil || got != imapbox.SavedConfirmed {
			t.Fatalf("ConfirmSent = %s, %v; want confirmed", got, err)
		}
		if got, want := sentCopies(t, sys, "pending@eaapl.test"), [][]string{{`\Seen`}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("Sent's copies have flags %v, want %v", got, want)
		}
		if has, err := m.HasMessageID(ctx, "<pending@eaapl.test>"); err != nil || !has {
			t.Fatalf("HasMessageID = %v, %v; want true", has, err)
		}
		if copy, err := m.Unconfirmed(ctx, "<pending@eaapl.test>"); err != nil || copy != "" {
			t.Fatalf("Unconfirmed = %q, %v; want none", copy, err)
		}
		got, err := m.Emailed(ctx, "me@example.com", []string{"bob@example.com"}, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil || !got["bob@example.com"].Equal(now) {
			t.Fatalf("Emailed = %v, %v; want bob@example.com at %s", got, err, now)
		}
		if err := m.DiscardSent(ctx, "<pending@eaapl.test>"); err != nil {
			t.Fatal(err)
		}
		if n := len(sentCopies(t, sys, "pending@eaapl.test")); n != 1 {
			t.Fatalf("DiscardSent of a confirmed copy left %d copies, want it kept", n)
		}
	})
	t.Run("DiscardSentRemovesTheCopyOfARefusedEmail", func(t *testing.T) {
		raw := message("refused@eaapl.test", "nobody@example.com", "Hi", now)
		if got, err := m.PrepareSent(ctx, "<refused@eaapl.test>", raw, now); err != nil || got != imapbox.SavedPending {
			t.Fatalf("PrepareSent = %s, %v; want pending", got, err)
		}
		if err := m.DiscardSent(ctx, "<refused@eaapl.test>"); err != nil {
			t.Fatal(err)
		}
		if got := sentCopies(t, sys, "refused@eaapl.test"); len(got) != 0 {
			t.Fatalf("Sent holds %v after DiscardSent, want nothing", got)
		}
	})
	t.Run("ALaterCopyHasAnotherName", func(t *testing.T) {
		raw := message("again@eaapl.test", "bob@example.com", "Hi", now)
		if _, err := m.PrepareSent(ctx, "<again@eaapl.test>", raw, now); err != nil {
			t.Fatal(err)
		}
		first, err := m.Unconfirmed(ctx, "<again@eaapl.test>")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DiscardSent(ctx, "<again@eaapl.test>"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.PrepareSent(ctx, "<again@eaapl.test>", raw, now); err != nil {
			t.Fatal(err)
		}
		second, err := m.Unconfirmed(ctx, "<again@eaapl.test>")
		if err != nil || second == "" || second == first {
			t.Fatalf("the copy saved again is %q (%v), the first %q: want another name", second, err, first)
		}
	})
	t.Run("ConfirmCopyIsTheUsersAnswer", func(t *testing.T) {
		raw := message("answered@eaapl.test", "bob@example.com", "Hi", now)
		if _, err := m.PrepareSent(ctx, "<answered@eaapl.test>", raw, now); err != nil {
			t.Fatal(err)
		}
		if err := m.ConfirmCopy(ctx, "<answered@eaapl.test>"); err != nil {
			t.Fatal(err)
		}
		if has, err := m.HasMessageID(ctx, "<answered@eaapl.test>"); err != nil || !has {
			t.Fatalf("HasMessageID after ConfirmCopy = %v, %v; want true", has, err)
		}
	})
	t.Run("AutoRemovesItsCopyWhenTheProviderSavedOne", func(t *testing.T) {
		auto := mailbox(t, sys, imapbox.Config{SaveSent: "auto", SentWait: 2 * time.Second})
		raw := message("provider-saves@eaapl.test", "bob@example.com", "Hi", now)
		if got, err := auto.PrepareSent(ctx, "<provider-saves@eaapl.test>", raw, now); err != nil || got != imapbox.SavedPending {
			t.Fatalf("PrepareSent = %s, %v; want pending", got, err)
		}
		// The provider's own copy, as Gmail saves one on submission.
		if _, err := m.SaveSent(ctx, "<provider-saves@eaapl.test>", raw, now); err != nil {
			t.Fatal(err)
		}
		if got, err := auto.ConfirmSent(ctx, "<provider-saves@eaapl.test>", raw, now); err != nil || got != imapbox.SavedPresent {
			t.Fatalf("ConfirmSent = %s, %v; want present (the provider's)", got, err)
		}
		if got, want := sentCopies(t, sys, "provider-saves@eaapl.test"), [][]string{{`\Seen`}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("Sent's copies have flags %v, want only the provider's %v", got, want)
		}
		// It learned that the provider saves: the next message gets no copy of its own.
		if got, err := auto.PrepareSent(ctx, "<provider-next@eaapl.test>", raw, now); err != nil || got != imapbox.SavedSkipped {
			t.Fatalf("PrepareSent after learning = %s, %v; want skipped", got, err)
		}
	})
	t.Run("AutoConfirmsWhenTheProviderDoesNotSave", func(t *testing.T) {
		auto := mailbox(t, sys, imapbox.Config{SaveSent: "auto", SentWait: time.Second})
		raw := message("own@eaapl.test", "bob@example.com", "Hi", now)
		if _, err := auto.PrepareSent(ctx, "<own@eaapl.test>", raw, now); err != nil {
			t.Fatal(err)
		}
		if got, err := auto.ConfirmSent(ctx, "<own@eaapl.test>", raw, now); err != nil || got != imapbox.SavedConfirmed {
			t.Fatalf("ConfirmSent = %s, %v; want confirmed after waiting for a provider's copy that never came", got, err)
		}
		if got := sentCopies(t, sys, "own@eaapl.test"); len(got) != 1 {
			t.Fatalf("Sent holds %v, want one copy", got)
		}
	})
}
