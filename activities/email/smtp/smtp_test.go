package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// delivered returns the raw bytes of the first message in the user's INBOX.
func delivered(t *testing.T, sys *mailtest.System, u mailtest.User) []byte {
	t.Helper()
	c, err := imapclient.DialTLS(sys.IMAPSAddr, &imapclient.Options{TLSConfig: sys.TLSConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Address, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch %s's first message: %v", u.Address, err)
	}
	return msgs[0].FindBodySection(section)
}

// TestCertificatesAndCredentialsOnPostfix: Postfix's certificate is signed by the test's own CA, so
// without EAAPL_SMTP_CA_FILE the send is refused for good with the fix named, and with it the email is
// delivered and SaveSent is given the bytes submitted.
func TestCertificatesAndCredentialsOnPostfix(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	msg := email.Message{From: mailtest.Me.Address, To: mailtest.Bob.Address, Subject: "Hello", Body: "Hello World!", MessageID: "<smtp-ca@eaapl.test>"}
	cfg := smtp.Config{Addr: sys.SubmissionAddr, Username: mailtest.Me.Address, Password: mailtest.Me.Password, TLS: "mandatory"}
	// trusted is a sender that trusts the test's CA and hands its Sent copies to copies.
	trusted := func(t *testing.T, copies *recordedCopies) *smtp.Sender {
		t.Helper()
		c := cfg
		c.CAFile, c.Copies = sys.CAFile, copies
		s, err := smtp.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("UntrustedCertificateIsARefusalWithAFix", func(t *testing.T) {
		s, err := smtp.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(ctx, msg)
		var rejected *email.RejectedError
		if !errors.As(err, &rejected) || !rejected.TLS {
			t.Fatalf("send to a server with an untrusted certificate: %v; want a *RejectedError with TLS", err)
		}
		for _, want := range []string{sys.SubmissionAddr, "not trusted", "EAAPL_SMTP_CA_FILE"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("CAFileIsTrustedAndTheCopyGetsTheSubmittedBytes", func(t *testing.T) {
		copies := &recordedCopies{}
		s := trusted(t, copies)
		// An attachment makes the message multipart: its boundary must be the one submitted too.
		m := msg
		m.Attachments = []email.Attachment{{Name: "notes.txt", Path: "notes.txt", ContentType: "text/plain", Data: []byte("the notes")}}
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		if got, want := copies.String(), "prepare "+msg.MessageID+", confirm "+msg.MessageID; got != want {
			t.Errorf("Sent copy calls %q, want %q: saved before the submission, confirmed after", got, want)
		}
		saved := copies.raw
		sys.WaitFor(t, mailtest.Bob, "INBOX", msg.MessageID, 1)
		for _, want := range []string{"Message-ID: " + msg.MessageID, "Date: ", "Subject: Hello", "Hello World!", "boundary="} {
			if !strings.Contains(string(saved), want) {
				t.Errorf("the copy's bytes lack %q:\n%s", want, saved)
			}
		}
		// Postfix and Dovecot only prepend headers (Received, Return-Path ...): what Bob got ends with
		// exactly the bytes the copy was given.
		if got := delivered(t, sys, mailtest.Bob); !bytes.HasSuffix(got, saved) {
			t.Errorf("the copy for Sent is not the message submitted:\nsaved:\n%s\ndelivered:\n%s", saved, got)
		}
	})
	t.Run("AFailedConfirmationIsNotSavedErrorNotAFailedSend", func(t *testing.T) {
		s := trusted(t, &recordedCopies{fail: "confirm"})
		m := msg
		m.MessageID = "<smtp-notsaved@eaapl.test>"
		session := s.Session()
		defer session.Close()
		err := session.Send(ctx, m)
		var notSaved *email.NotSavedError
		if !errors.As(err, &notSaved) || notSaved.MessageID != m.MessageID {
			t.Fatalf("send whose copy failed: %v; want a *NotSavedError", err)
		}
		sys.WaitFor(t, mailtest.Bob, "INBOX", m.MessageID, 1)
	})
	t.Run("ACopyThatCannotBeSavedFirstSendsNothing", func(t *testing.T) {
		copies := &recordedCopies{fail: "prepare"}
		s := trusted(t, copies)
		m := msg
		m.To, m.MessageID = mailtest.Alice.Address, "<smtp-notprepared@eaapl.test>"
		err := s.Send(ctx, m)
		var rejected *email.RejectedError
		if err == nil || errors.As(err, &rejected) || !strings.Contains(err.Error(), "nothing was sent") {
			t.Fatalf("send whose copy could not be saved: %v; want a temporary error saying nothing was sent", err)
		}
		if got, want := copies.String(), "prepare "+m.MessageID; got != want {
			t.Errorf("Sent copy calls %q, want %q", got, want)
		}
		if n, err := sys.Count(t, mailtest.Alice, "INBOX"); err != nil || n != 0 {
			t.Errorf("Alice's INBOX holds %d messages (%v), want none", n, err)
		}
	})
	t.Run("ARefusedRecipientDiscardsTheCopy", func(t *testing.T) {
		copies := &recordedCopies{}
		s := trusted(t, copies)
		m := msg
		m.To, m.MessageID = "nobody@"+mailtest.Domain, "<smtp-refused@eaapl.test>"
		err := s.Send(ctx, m)
		var rejected *email.RejectedError
		if !errors.As(err, &rejected) {
			t.Fatalf("send to an unknown recipient: %v; want a *RejectedError", err)
		}
		if got, want := copies.String(), "prepare "+m.MessageID+", discard "+m.MessageID; got != want {
			t.Errorf("Sent copy calls %q, want %q", got, want)
		}
	})
	t.Run("CredentialsWithoutTLSAreRefused", func(t *testing.T) {
		c := cfg
		c.TLS = "none"
		if _, err := smtp.New(c); err == nil || !strings.Contains(err.Error(), "TLS is none") {
			t.Fatalf("New with credentials and TLS none: %v; want it refused", err)
		}
	})
}
