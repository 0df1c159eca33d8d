package mailtest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// The IMAP mailbox plugs in where Mailpit's does.
var _ email.Mailbox = (*imapbox.Mailbox)(nil)

// TestSubmissionToPostfix proves today's SMTP sender (activities/email/smtp, go-mail) against Postfix's
// submission port: STARTTLS with the certificate verified, SASL through Dovecot, delivery over LMTP
// into the recipient's INBOX, and a 5xx for one recipient failing that message only.
func TestSubmissionToPostfix(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	// EAAPL_SMTP_* has no CA setting: Go's TLS reads its roots from SSL_CERT_FILE, once per process, so
	// it is set before the first TLS handshake of this test binary.
	os.Setenv("SSL_CERT_FILE", sys.CAFile)
	ctx := context.Background()
	newSender := func(password string) *smtp.Sender {
		s, err := smtp.New(smtp.Config{Addr: sys.SubmissionAddr, Username: mailtest.Me.Address, Password: password, TLS: "mandatory"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	msg := func(to mailtest.User, id string) email.Message {
		return email.Message{From: mailtest.Me.Address, FromName: mailtest.Me.Name, To: to.Address, ToName: to.Name, Subject: "Hello", Body: "Hello World!", MessageID: "<" + id + ">"}
	}

	t.Run("DeliversIntoTheRecipientsInbox", func(t *testing.T) {
		if err := newSender(mailtest.Me.Password).Send(ctx, msg(mailtest.Bob, "submit-bob@eaapl.test")); err != nil {
			t.Fatal(err)
		}
		sys.WaitFor(t, mailtest.Bob, "INBOX", "submit-bob@eaapl.test", 1)
		for _, m := range sys.Folder(t, mailtest.Bob, "INBOX") {
			if m.MessageID == "submit-bob@eaapl.test" && (m.From != mailtest.Me.Address || m.Subject != "Hello") {
				t.Fatalf("delivered %+v; want From %s, Subject Hello", m, mailtest.Me.Address)
			}
		}
	})
	t.Run("RefusedRecipientFailsOnlyItsMessage", func(t *testing.T) {
		session := newSender(mailtest.Me.Password).Session()
		defer session.Close()
		err := session.Send(ctx, msg(mailtest.User{Address: "nobody@" + mailtest.Domain}, "submit-nobody@eaapl.test"))
		var rejected *email.RejectedError
		if !errors.As(err, &rejected) || rejected.Code != 550 || rejected.Auth {
			t.Fatalf("send to an unknown user: %v; want a *RejectedError with code 550", err)
		}
		if !strings.Contains(err.Error(), sys.SubmissionAddr) || !strings.Contains(err.Error(), "nobody@example.com") {
			t.Fatalf("error %q does not name the server and the recipient", err)
		}
		if err := session.Send(ctx, msg(mailtest.Alice, "submit-alice@eaapl.test")); err != nil {
			t.Fatalf("the next message after a refused one: %v", err)
		}
		sys.WaitFor(t, mailtest.Alice, "INBOX", "submit-alice@eaapl.test", 1)
	})
	t.Run("WrongPasswordIsARefusalOfTheCredentials", func(t *testing.T) {
		const planted = "planted-Smtp-Pw-4410"
		err := newSender(planted).Send(ctx, msg(mailtest.Bob, "submit-badpw@eaapl.test"))
		var rejected *email.RejectedError
		if !errors.As(err, &rejected) || !rejected.Auth || rejected.Code != 535 {
			t.Fatalf("send with a wrong password: %v; want a *RejectedError with Auth and code 535", err)
		}
		if !strings.Contains(err.Error(), sys.SubmissionAddr) {
			t.Fatalf("error %q does not name the server", err)
		}
		if strings.Contains(err.Error(), planted) || strings.Contains(sys.Log(t, "postfix"), planted) || strings.Contains(sys.Log(t, "dovecot"), planted) {
			t.Fatalf("the password is in the error or a server log")
		}
	})
	t.Run("SubmissionWithoutTLSIsRefused", func(t *testing.T) {
		// Postfix offers AUTH only after STARTTLS and go-mail never sends a password in clear text, so
		// credentials with TLS none are refused before anything is sent.
		_, err := smtp.New(smtp.Config{Addr: sys.SubmissionAddr, Username: mailtest.Me.Address, Password: mailtest.Me.Password, TLS: "none"})
		if err == nil || !strings.Contains(err.Error(), sys.SubmissionAddr) || !strings.Contains(err.Error(), "TLS is none") {
			t.Fatalf("a sender with credentials and TLS none: %v; want it refused, naming the server", err)
		}
	})
}
