package smtp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// TestCertificatesAndCredentialsOnPostfix: Postfix's certificate is signed by the test's own CA, so
// without EAAPL_SMTP_CA_FILE the send is refused for good with the fix named, and with it the email is
// delivered and SaveSent is given the bytes submitted.
func TestCertificatesAndCredentialsOnPostfix(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	ctx := context.Background()
	msg := email.Message{From: mailtest.Me.Address, To: mailtest.Bob.Address, Subject: "Hello", Body: "Hello World!", MessageID: "<smtp-ca@eaapl.test>"}
	cfg := smtp.Config{Addr: sys.SubmissionAddr, Username: mailtest.Me.Address, Password: mailtest.Me.Password, TLS: "mandatory"}

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
	t.Run("CAFileIsTrustedAndSaveSentGetsTheSubmittedBytes", func(t *testing.T) {
		var saved []byte
		c := cfg
		c.CAFile = sys.CAFile
		c.SaveSent = func(_ context.Context, id string, raw []byte, _ time.Time) error {
			if id != msg.MessageID {
				t.Errorf("SaveSent got Message-ID %q, want %q", id, msg.MessageID)
			}
			saved = raw
			return nil
		}
		s, err := smtp.New(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
		sys.WaitFor(t, mailtest.Bob, "INBOX", msg.MessageID, 1)
		for _, want := range []string{"Message-ID: " + msg.MessageID, "Date: ", "Subject: Hello", "Hello World!"} {
			if !strings.Contains(string(saved), want) {
				t.Errorf("SaveSent's bytes lack %q:\n%s", want, saved)
			}
		}
	})
	t.Run("AFailedCopyIsNotSavedErrorNotAFailedSend", func(t *testing.T) {
		c := cfg
		c.CAFile = sys.CAFile
		c.SaveSent = func(context.Context, string, []byte, time.Time) error { return errors.New("Sent is full") }
		s, err := smtp.New(c)
		if err != nil {
			t.Fatal(err)
		}
		m := msg
		m.MessageID = "<smtp-notsaved@eaapl.test>"
		session := s.Session()
		defer session.Close()
		err = session.Send(ctx, m)
		var notSaved *email.NotSavedError
		if !errors.As(err, &notSaved) || notSaved.MessageID != m.MessageID {
			t.Fatalf("send whose copy failed: %v; want a *NotSavedError", err)
		}
		sys.WaitFor(t, mailtest.Bob, "INBOX", m.MessageID, 1)
	})
	t.Run("CredentialsWithoutTLSAreRefused", func(t *testing.T) {
		c := cfg
		c.TLS = "none"
		if _, err := smtp.New(c); err == nil || !strings.Contains(err.Error(), "TLS is none") {
			t.Fatalf("New with credentials and TLS none: %v; want it refused", err)
		}
	})
}
