package imapbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// The tests run against Dovecot from Debian (mailtest starts it, with Postfix and Radicale).

func mailbox(tb testing.TB, sys *mailtest.System, cfg imapbox.Config) *imapbox.Mailbox {
	tb.Helper()
	if cfg.URL == "" {
		cfg.URL = "imap://me%40example.com@" + sys.IMAPAddr // STARTTLS
	}
	if cfg.Password == "" && cfg.Token == nil {
		cfg.Password = mailtest.Me.Password
	}
	if cfg.CAFile == "" {
		cfg.CAFile = sys.CAFile
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	m, err := imapbox.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// message is a raw message from me.
func message(id, to, subject string, date time.Time, extra ...string) []byte {
	h := []string{
		"From: Jane Doe <me@example.com>",
		"To: " + to,
		"Subject: " + subject,
		"Date: " + date.Format(time.RFC1123Z),
		"Message-ID: <" + id + ">",
	}
	h = append(h, extra...)
	return []byte(strings.Join(h, "\r\n") + "\r\n\r\nHello World!\r\n")
}

func TestMailboxOnDovecot(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	m := mailbox(t, sys, imapbox.Config{SaveSent: "always"})
	now := time.Now().Truncate(time.Second)
	weekAgo := now.AddDate(0, 0, -7)

	// Sent holds one message to Bob this week and one to Alice a month ago.
	for _, msg := range []struct {
		id, to string
		at     time.Time
	}{
		{"week-bob@eaapl.test", "Bob Smith <Bob@Example.com>", now.Add(-time.Hour)},
		{"old-alice@eaapl.test", "alice@example.com", now.AddDate(0, -1, 0)},
	} {
		saved, err := m.SaveSent(ctx, "<"+msg.id+">", message(msg.id, msg.to, "Hello", msg.at), msg.at)
		if err != nil {
			t.Fatal(err)
		}
		if saved != imapbox.SavedAppended {
			t.Fatalf("SaveSent %s = %s, want appended", msg.id, saved)
		}
	}

	t.Run("FindsThisWeeksMessageInSent", func(t *testing.T) {
		got, err := m.Emailed(ctx, "me@example.com", []string{"bob@example.com", "alice@example.com", "carol@example.com"}, weekAgo, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got["bob@example.com"].Equal(now.Add(-time.Hour)) {
			t.Fatalf("Emailed = %v, want only bob@example.com at %s", got, now.Add(-time.Hour))
		}
	})
	t.Run("SearchesALongListByDateOnly", func(t *testing.T) {
		to := []string{"Alice@example.com", "bob@example.com"}
		for i := range 40 {
			to = append(to, fmt.Sprintf("nobody%d@example.com", i))
		}
		got, err := m.Emailed(ctx, "me@example.com", to, now.AddDate(0, -2, 0), now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["Alice@example.com"].IsZero() || got["bob@example.com"].IsZero() {
			t.Fatalf("Emailed = %v, want Alice@example.com (as spelt) and bob@example.com", got)
		}
	})
	t.Run("RespectsTheExactRange", func(t *testing.T) {
		got, err := m.Emailed(ctx, "me@example.com", []string{"bob@example.com"}, now.Add(-30*time.Minute), now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("Emailed in the last 30 minutes = %v, want none: the message is an hour old", got)
		}
	})
	t.Run("OtherSenderIsNotMe", func(t *testing.T) {
		got, err := m.Emailed(ctx, "someone@example.com", []string{"bob@example.com"}, weekAgo, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("Emailed from someone else = %v, want none", got)
		}
	})
	t.Run("HasMessageID", func(t *testing.T) {
		for id, want := range map[string]bool{"<week-bob@eaapl.test>": true, "week-bob@eaapl.test": true, "week-bob@eaapl": false, "<missing@eaapl.test>": false} {
			got, err := m.HasMessageID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("HasMessageID(%q) = %v, want %v", id, got, want)
			}
		}
	})
	t.Run("SaveSentIsIdempotent", func(t *testing.T) {
		raw := message("twice@eaapl.test", "bob@example.com", "Twice", now)
		for i, want := range []imapbox.Saved{imapbox.SavedAppended, imapbox.SavedPresent} {
			got, err := m.SaveSent(ctx, "<twice@eaapl.test>", raw, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("SaveSent #%d = %s, want %s", i+1, got, want)
			}
		}
		sys.WaitFor(t, mailtest.Me, "Sent", "twice@eaapl.test", 1)
	})
	t.Run("AutoLearnsTheProviderDoesNotSave", func(t *testing.T) {
		auto := mailbox(t, sys, imapbox.Config{SaveSent: "auto", SentWait: time.Second})
		started := time.Now()
		got, err := auto.SaveSent(ctx, "auto-1@eaapl.test", message("auto-1@eaapl.test", "bob@example.com", "Auto", now), now)
		if err != nil || got != imapbox.SavedAppended {
			t.Fatalf("first SaveSent = %s, %v; want appended after waiting for the provider's copy", got, err)
		}
		if waited := time.Since(started); waited < time.Second {
			t.Fatalf("first SaveSent took %s; want at least the SentWait of 1s", waited)
		}
		started = time.Now()
		if got, err := auto.SaveSent(ctx, "auto-2@eaapl.test", message("auto-2@eaapl.test", "bob@example.com", "Auto", now), now); err != nil || got != imapbox.SavedAppended {
			t.Fatalf("second SaveSent = %s, %v; want appended", got, err)
		}
		if took := time.Since(started); took > 900*time.Millisecond {
			t.Fatalf("second SaveSent took %s; it should not wait again for a provider that does not save", took)
		}
		// A provider that saved its own copy: auto appends no second one.
		if _, err := m.SaveSent(ctx, "provider@eaapl.test", message("provider@eaapl.test", "bob@example.com", "P", now), now); err != nil {
			t.Fatal(err)
		}
		if got, err := auto.SaveSent(ctx, "provider@eaapl.test", message("provider@eaapl.test", "bob@example.com", "P", now), now); err != nil || got != imapbox.SavedPresent {
			t.Fatalf("SaveSent of a message the provider saved = %s, %v; want present", got, err)
		}
		never := mailbox(t, sys, imapbox.Config{SaveSent: "never"})
		if got, err := never.SaveSent(ctx, "never@eaapl.test", message("never@eaapl.test", "bob@example.com", "N", now), now); err != nil || got != imapbox.SavedSkipped {
			t.Fatalf("SaveSent with never = %s, %v; want skipped", got, err)
		}
		sys.WaitFor(t, mailtest.Me, "Sent", "provider@eaapl.test", 1)
		sys.WaitFor(t, mailtest.Me, "Sent", "never@eaapl.test", 0)
	})
	t.Run("ConcurrentCallsShareThePool", func(t *testing.T) {
		errs := make(chan error, 32)
		for i := range 32 {
			go func() {
				if i%2 == 0 {
					has, err := m.HasMessageID(ctx, "week-bob@eaapl.test")
					if err == nil && !has {
						err = errors.New("HasMessageID = false")
					}
					errs <- err
					return
				}
				got, err := m.Emailed(ctx, "me@example.com", []string{"bob@example.com"}, weekAgo, now.Add(time.Second))
				if err == nil && len(got) != 1 {
					err = fmt.Errorf("Emailed = %v", got)
				}
				errs <- err
			}()
		}
		for range 32 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("ImplicitTLS", func(t *testing.T) {
		tlsBox := mailbox(t, sys, imapbox.Config{URL: "imaps://me%40example.com@" + sys.IMAPSAddr})
		if has, err := tlsBox.HasMessageID(ctx, "week-bob@eaapl.test"); err != nil || !has {
			t.Fatalf("HasMessageID over imaps = %v, %v; want true", has, err)
		}
	})
	t.Run("UntrustedCertificateIsRefused", func(t *testing.T) {
		// Without the test CA, the system's roots do not trust the server: verification is on by default.
		cfg := imapbox.Config{URL: "imaps://me%40example.com@" + sys.IMAPSAddr, Password: mailtest.Me.Password, Timeout: 5 * time.Second}
		plain, err := imapbox.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = plain.HasMessageID(ctx, "x@y")
		var refused *imapbox.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "EAAPL_IMAP_CA_FILE") {
			t.Fatalf("error = %v; want a *RefusedError naming EAAPL_IMAP_CA_FILE", err)
		}
	})
	t.Run("WrongPasswordIsRefusedNamingTheServer", func(t *testing.T) {
		const planted = "planted-Wrong-Pw-7731"
		bad := mailbox(t, sys, imapbox.Config{Password: planted})
		_, err := bad.Emailed(ctx, "me@example.com", []string{"bob@example.com"}, weekAgo, now)
		var refused *imapbox.RefusedError
		if !errors.As(err, &refused) || !refused.Auth {
			t.Fatalf("error = %#v; want a *RefusedError with Auth", err)
		}
		for _, want := range []string{sys.IMAPAddr, "me@example.com", "EAAPL_IMAP_PASSWORD"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		if strings.Contains(err.Error(), planted) {
			t.Fatalf("error %q holds the password", err)
		}
		if strings.Contains(sys.Log(t, "dovecot"), planted) {
			t.Fatalf("Dovecot's log holds the password")
		}
	})
	t.Run("MissingSentFolderNamesTheSetting", func(t *testing.T) {
		other := mailbox(t, sys, imapbox.Config{SentFolder: "Outbox"})
		_, err := other.HasMessageID(ctx, "x@y")
		var refused *imapbox.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "EAAPL_IMAP_SENT_FOLDER") {
			t.Fatalf("error = %v; want a *RefusedError naming EAAPL_IMAP_SENT_FOLDER", err)
		}
	})
	t.Run("DovecotDownIsTemporaryThenWorks", func(t *testing.T) {
		if _, err := m.HasMessageID(ctx, "week-bob@eaapl.test"); err != nil { // a pooled connection
			t.Fatal(err)
		}
		sys.StopDovecot(t)
		_, err := m.HasMessageID(ctx, "week-bob@eaapl.test")
		var refused *imapbox.RefusedError
		if err == nil || errors.As(err, &refused) {
			t.Fatalf("error with Dovecot stopped = %v; want a temporary (not refused) error", err)
		}
		if !strings.Contains(err.Error(), sys.IMAPAddr) {
			t.Fatalf("error %q does not name the server", err)
		}
		sys.StartDovecot(t)
		has, err := m.HasMessageID(ctx, "week-bob@eaapl.test")
		if err != nil || !has {
			t.Fatalf("HasMessageID after Dovecot is back = %v, %v; want true", has, err)
		}
	})
}

func TestRepliesDeliveredByPostfix(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	m := mailbox(t, sys, imapbox.Config{})
	sent := time.Now().Add(-time.Minute).Truncate(time.Second)
	const asked = "are-you-coming@eaapl.test"

	// Bob answers with In-Reply-To; Alice's answer to another thread only references it; Carol writes anew.
	sys.SendMX(t, mailtest.Bob.Address, []string{mailtest.Me.Address}, "From: Bob <bob@example.com>\nTo: me@example.com\nSubject: Re: Are you coming?\nDate: "+
		time.Now().Format(time.RFC1123Z)+"\nMessage-ID: <bob-reply@example.com>\nIn-Reply-To: <"+asked+">\nReferences: <"+asked+">\n\nYes!\n")
	sys.SendMX(t, mailtest.Alice.Address, []string{mailtest.Me.Address}, "From: alice@example.com\nTo: me@example.com\nSubject: Re: Re: Are you coming?\nDate: "+
		time.Now().Format(time.RFC1123Z)+"\nMessage-ID: <alice-reply@example.com>\nIn-Reply-To: <other@example.com>\nReferences: <"+asked+"> <other@example.com>\n\nMe too\n")
	sys.SendMX(t, "carol@elsewhere.test", []string{mailtest.Me.Address}, "From: carol@elsewhere.test\nTo: me@example.com\nSubject: Hi\nDate: "+
		time.Now().Format(time.RFC1123Z)+"\nMessage-ID: <carol@elsewhere.test>\nIn-Reply-To: <"+asked+"-not>\n\nHi\n")
	sys.WaitFor(t, mailtest.Me, "INBOX", "carol@elsewhere.test", 1)
	sys.WaitFor(t, mailtest.Me, "INBOX", "alice-reply@example.com", 1)
	sys.WaitFor(t, mailtest.Me, "INBOX", "bob-reply@example.com", 1)

	replies, err := m.Replies(ctx, "<"+asked+">", sent)
	if err != nil {
		t.Fatal(err)
	}
	var from []string
	for _, r := range replies {
		from = append(from, r.From)
	}
	if len(from) != 2 || !contains(from, "bob@example.com") || !contains(from, "alice@example.com") {
		t.Fatalf("Replies = %+v; want Bob's (In-Reply-To) and Alice's (References), not Carol's", replies)
	}
	for _, r := range replies {
		if r.InReplyTo != (r.From == "bob@example.com") {
			t.Errorf("reply %+v: InReplyTo is %v; want true for Bob's only (Alice's names it in References)", r, r.InReplyTo)
		}
	}
	fromBob, err := m.ReceivedFrom(ctx, "bob@example.com", sent)
	if err != nil || len(fromBob) != 1 || fromBob[0].MessageID != "bob-reply@example.com" {
		t.Fatalf("ReceivedFrom(bob) = %+v, %v; want Bob's one message", fromBob, err)
	}
	if none, err := m.ReceivedFrom(ctx, "bob@example.com", time.Now().Add(time.Hour)); err != nil || len(none) != 0 {
		t.Fatalf("ReceivedFrom(bob) since an hour from now = %+v, %v; want none", none, err)
	}
	if none, err := m.ReceivedFrom(ctx, "dave@example.com", sent); err != nil || len(none) != 0 {
		t.Fatalf("ReceivedFrom(dave) = %+v, %v; want none", none, err)
	}
	none, err := m.Replies(ctx, "never-answered@eaapl.test", sent)
	if err != nil || len(none) != 0 {
		t.Fatalf("Replies to an unanswered message = %+v, %v; want none", none, err)
	}
	later, err := m.Replies(ctx, asked, time.Now().Add(time.Hour))
	if err != nil || len(later) != 0 {
		t.Fatalf("Replies since an hour from now = %+v, %v; want none", later, err)
	}
}

func TestOAuthTokensCheckedByDovecot(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	const tokenA, tokenB = "planted-token-A-93kd", "planted-token-B-55xq"
	sys.AddToken(tokenA, mailtest.Me.Address)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(tokenA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run("FileToken/"+mech, func(t *testing.T) {
			m := mailbox(t, sys, imapbox.Config{Auth: mech, Token: imapbox.FileToken{Path: tokenFile}})
			if has, err := m.HasMessageID(ctx, "x@eaapl.test"); err != nil || has {
				t.Fatalf("HasMessageID with a %s token = %v, %v; want false, nil", mech, has, err)
			}
		})
	}
	t.Run("CommandTokenRefreshedWhenRefused", func(t *testing.T) {
		cmdToken := &imapbox.CommandToken{Argv: []string{"cat", tokenFile}}
		first, err := cmdToken.Token(ctx, false)
		if err != nil || first != tokenA {
			t.Fatalf("token = %q, %v", first, err)
		}
		// Token A expires; the file (as a refresher would) now holds B, but the command's cached A is tried first.
		sys.RevokeToken(tokenA)
		sys.AddToken(tokenB, mailtest.Me.Address)
		if err := os.WriteFile(tokenFile, []byte(tokenB), 0o600); err != nil {
			t.Fatal(err)
		}
		m := mailbox(t, sys, imapbox.Config{Auth: "xoauth2", Token: cmdToken})
		if _, err := m.HasMessageID(ctx, "x@eaapl.test"); err != nil {
			t.Fatalf("HasMessageID after the cached token expired: %v; want a refreshed token to work", err)
		}
	})
	t.Run("RefusedTokenIsNonRetryableAndNotLeaked", func(t *testing.T) {
		sys.RevokeToken(tokenB)
		m := mailbox(t, sys, imapbox.Config{Auth: "oauthbearer", Token: imapbox.FileToken{Path: tokenFile}})
		_, err := m.HasMessageID(ctx, "x@eaapl.test")
		var refused *imapbox.RefusedError
		if !errors.As(err, &refused) || !refused.Auth || !strings.Contains(err.Error(), "EAAPL_IMAP_TOKEN") {
			t.Fatalf("error = %v; want a *RefusedError with Auth naming EAAPL_IMAP_TOKEN_*", err)
		}
		for _, secret := range []string{tokenA, tokenB} {
			if strings.Contains(err.Error(), secret) || strings.Contains(sys.Log(t, "dovecot"), secret) {
				t.Fatalf("a token is in the error %q or Dovecot's log", err)
			}
		}
	})
}

func TestConfigErrorsHoldNoPassword(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"imaps://me:planted-pw@mail.example.com", "EAAPL_IMAP_PASSWORD"},
		{"pop3://me@mail.example.com", "imaps"},
		{"imaps://mail.example.com", "names no user"},
		{"imaps://me@mail.example.com/Sent", "EAAPL_IMAP_SENT_FOLDER"},
		{"imaps://me@mail.example.com:99999", "port"},
	} {
		_, err := imapbox.New(imapbox.Config{URL: tc.url})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q) = %v; want an error saying %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "planted-pw") {
			t.Errorf("New(%q): error %q holds the password", tc.url, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
