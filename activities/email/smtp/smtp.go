// Package smtp is the email family's Sender over SMTP (github.com/wneessen/go-mail): the adapter the
// worker wires into email.Deps.
package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/internal/attach"
)

// Config says how to reach the outgoing mail server.
type Config struct {
	Addr     string        // host:port
	Username string        // no authentication when empty
	Password string        //
	TLS      string        // "none", "opportunistic" (STARTTLS when offered; the default) or "mandatory"
	CAFile   string        // PEM CAs trusted instead of the system's (a company or test CA); empty for the system's
	Timeout  time.Duration // for connecting and for each command; 30s when zero
	// Copies, when set, keeps the Sent folder's copy of each message, with the exact bytes submitted:
	// the worker's IMAP Sent folder.
	Copies SentCopies
}

// SentCopies keeps a copy of each message in the Sent folder, saved before its submission so that a
// worker killed once the server accepted it leaves a trace. Prepare saves it, marked unconfirmed; its
// error stops the send (nothing is sent). Confirm is called once the server accepted the message; its
// error becomes an *email.NotSavedError (the message went). Discard is called when the server surely did
// not accept it (it refused it, or the message was never handed over); its error is not the send's.
// When the send fails in a way that leaves it unknown whether the server accepted the message (the
// connection lost while waiting for the reply to the end of DATA), neither is called: the copy stays
// unconfirmed, and the retry asks the user (see activities/email's SendEmail).
type SentCopies interface {
	Prepare(ctx context.Context, messageID string, raw []byte, sentAt time.Time) error
	Confirm(ctx context.Context, messageID string, raw []byte, sentAt time.Time) error
	Discard(ctx context.Context, messageID string) error
}

// Sender is an email.Sender that delivers through an SMTP server, one connection per message so that concurrent
// tasks do not queue behind one another.
type Sender struct {
	addr   string
	client *mail.Client
	copies SentCopies
}

// New returns a Sender for the server cfg names. It does not connect: a server that is down when the
// worker starts may be up when the first email is due.
func New(cfg Config) (*Sender, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("SMTP address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("SMTP address %q: port must be a number from 1 to 65535", cfg.Addr)
	}
	var policy mail.TLSPolicy
	switch cfg.TLS {
	case "none":
		policy = mail.NoTLS
	case "opportunistic", "":
		policy = mail.TLSOpportunistic
	case "mandatory":
		policy = mail.TLSMandatory
	default:
		return nil, fmt.Errorf("SMTP TLS %q: must be none, opportunistic or mandatory", cfg.TLS)
	}
	if cfg.Username != "" && policy == mail.NoTLS {
		// go-mail would refuse to send the password in clear text with "server does not support SMTP
		// AUTH", a temporary-looking error that every retry repeats.
		return nil, fmt.Errorf("SMTP %s: a user name is set but TLS is none, and the password is never sent without TLS; set EAAPL_SMTP_TLS to mandatory (or opportunistic)", cfg.Addr)
	}
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("SMTP CA file: %w", err)
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SMTP CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTLSPolicy(policy), mail.WithTimeout(timeout), mail.WithDialContextFunc(dialUntilDone), mail.WithTLSConfig(tlsConfig)}
	if cfg.Username != "" {
		// The strongest mechanism the server offers. go-mail sends PLAIN and LOGIN only over TLS or to
		// localhost, so a password never crosses the network in clear text.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1, mail.SMTPAuthCramMD5, mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client for %s: %w", cfg.Addr, err)
	}
	return &Sender{addr: cfg.Addr, client: client, copies: cfg.Copies}, nil
}

// Send delivers m: From with its name, To, Cc, Subject, Date, the exact Message-ID, a plain-text body and
// the attachments (internal/attach). A
// 5xx reply is a *RejectedError; a 4xx reply or a failure to reach the server is a temporary error.
func (s *Sender) Send(ctx context.Context, m email.Message) error {
	msg, raw, err := s.message(m)
	if err != nil {
		return err
	}
	sentAt := time.Now()
	if err := s.prepare(ctx, m, raw, sentAt); err != nil {
		return err
	}
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.client.DialAndSendWithContext(context.WithValue(sendCtx, sendCtxKey{}, sendCtx), msg); err != nil && !msg.IsDelivered() {
		return s.failed(ctx, m, err)
	}
	// Delivered: the server accepted the message, whatever failed after it (RSET, QUIT, a connection
	// dropped then). Failing the task would send it again where no copy in Sent shows it went.
	return s.confirm(ctx, m, raw, sentAt)
}

// message makes the go-mail message and renders it once: go-mail writes the same Msg (its Date set
// here) when it submits it, so raw is what the server received, for the Sent copy.
func (s *Sender) message(m email.Message) (*mail.Msg, []byte, error) {
	msg, err := s.newMsg(m)
	if err != nil {
		return nil, nil, err
	}
	if s.copies == nil {
		return msg, nil, nil
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return nil, nil, &email.RejectedError{Server: s.addr, Reply: fmt.Sprintf("message %s: %v", m.MessageID, err)}
	}
	return msg, raw.Bytes(), nil
}

// prepare saves the copy in Sent, marked unconfirmed, before the submission.
func (s *Sender) prepare(ctx context.Context, m email.Message, raw []byte, sentAt time.Time) error {
	if s.copies == nil {
		return nil
	}
	if err := s.copies.Prepare(ctx, m.MessageID, raw, sentAt); err != nil {
		return fmt.Errorf("save the copy of %s in Sent before sending it (nothing was sent): %w", m.MessageID, err)
	}
	return nil
}

// confirm marks the copy of a message the server accepted confirmed.
func (s *Sender) confirm(ctx context.Context, m email.Message, raw []byte, sentAt time.Time) error {
	if s.copies == nil {
		return nil
	}
	if err := s.copies.Confirm(ctx, m.MessageID, raw, sentAt); err != nil {
		return &email.NotSavedError{MessageID: m.MessageID, Err: err}
	}
	return nil
}

// failed classifies a failed submission and, when the server surely did not accept the message, removes
// its unconfirmed copy. The copy's context is not the send's: a send cut off by its context must still
// tidy up where it can, and a retry will otherwise ask.
func (s *Sender) failed(ctx context.Context, m email.Message, err error) error {
	if s.copies != nil && !mayHaveBeenAccepted(err) {
		tidy, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.copies.Discard(tidy, m.MessageID) // on failure the copy stays unconfirmed, and the retry asks
	}
	return s.classify(err)
}

// mayHaveBeenAccepted reports whether a failed submission may still have been accepted: the message was
// handed over and the end of DATA sent, but no reply to it came (the connection lost, the context ended).
// A reply code (4xx, 5xx) refuses it; a failure before the end of DATA leaves the server nothing to deliver.
func mayHaveBeenAccepted(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.Reason != mail.ErrSMTPDataClose {
		return false
	}
	code, _ := smtpReply(err)
	return code == 0
}

func (s *Sender) newMsg(m email.Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.FromFormat(m.FromName, m.From); err != nil {
		return nil, &email.RejectedError{Server: s.addr, Reply: fmt.Sprintf("sender %q: %v", m.From, err)}
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, &email.RejectedError{Server: s.addr, Reply: fmt.Sprintf("recipient %q: %v", m.To, err)}
	}
	for _, cc := range m.Cc {
		if err := msg.AddCc(cc); err != nil {
			return nil, &email.RejectedError{Server: s.addr, Reply: fmt.Sprintf("copy to %q: %v", cc, err)}
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>")) // go-mail adds the angle brackets
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	files := make([]attach.File, len(m.Attachments))
	for i, a := range m.Attachments {
		files[i] = attach.File{Name: a.Name, Path: a.Path, Size: int64(len(a.Data)), ContentType: a.ContentType, Data: a.Data}
	}
	if err := attach.Attach(msg, files); err != nil {
		return nil, &email.RejectedError{Server: s.addr, Reply: err.Error()}
	}
	return msg, nil
}

// Session returns a Sender that keeps one connection to the server for the messages it sends, one after
// another, as a batch of tasks does: connecting, greeting and STARTTLS once instead of per message. It
// connects on its first message, and again after an error, which may have broken the connection.
func (s *Sender) Session() email.SenderSession { return &smtpSession{smtp: s} }

type smtpSession struct {
	smtp *Sender
	conn *gosmtp.Client
}

func (ss *smtpSession) Send(ctx context.Context, m email.Message) error {
	msg, raw, err := ss.smtp.message(m)
	if err != nil {
		return err
	}
	sentAt := time.Now()
	if err := ss.smtp.prepare(ctx, m, raw, sentAt); err != nil {
		return err
	}
	if ss.conn == nil {
		if ss.conn, err = ss.smtp.client.DialToSMTPClientWithContext(context.WithValue(ctx, sendCtxKey{}, ctx)); err != nil {
			ss.conn = nil
			return ss.smtp.failed(ctx, m, err)
		}
	}
	if err := ss.smtp.client.SendWithSMTPClient(ss.conn, msg); err != nil {
		ss.Close()
		if !msg.IsDelivered() { // accepted, then the RSET after it failed: it went (see Sender.Send)
			return ss.smtp.failed(ctx, m, err)
		}
	}
	return ss.smtp.confirm(ctx, m, raw, sentAt)
}

func (ss *smtpSession) Close() {
	if ss.conn != nil {
		_ = ss.smtp.client.CloseWithSMTPClient(ss.conn)
		ss.conn = nil
	}
}

// sendCtxKey carries a send's (or a session's) context to dialUntilDone.
type sendCtxKey struct{}

// dialUntilDone connects to the server and closes the connection when the send's context ends. go-mail
// uses the context only to connect; without this, a cancelled task (its worker shutting down) would sit
// in the SMTP conversation until the timeout instead of handing the task back at once.
func dialUntilDone(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if send, ok := ctx.Value(sendCtxKey{}).(context.Context); ok {
		context.AfterFunc(send, func() { conn.Close() })
	}
	return conn, nil
}

// classify sorts a go-mail error: a certificate that is not trusted is permanent; then by the server's reply code: 5xx is permanent (535 and its kin refuse the
// credentials), 4xx temporary, and no reply at all means the server could not be reached or dropped the
// connection, which is temporary too.
func (s *Sender) classify(err error) error {
	code, reply := smtpReply(err)
	var untrusted *tls.CertificateVerificationError
	switch {
	case errors.As(err, &untrusted):
		return &email.RejectedError{Server: s.addr, TLS: true, Reply: "its TLS certificate is not trusted: " + untrusted.Err.Error(),
			Fix: "if it is signed by a private CA, set EAAPL_SMTP_CA_FILE to that CA's PEM file; check that EAAPL_SMTP_ADDR names the server's own host"}
	case code >= 500:
		return &email.RejectedError{Server: s.addr, Code: code, Reply: reply, Auth: isAuthCode(code)}
	case code >= 400:
		return fmt.Errorf("SMTP server %s deferred the message: %s", s.addr, reply)
	case isNetworkError(err):
		return fmt.Errorf("SMTP server %s unreachable: %w", s.addr, err)
	default:
		return fmt.Errorf("SMTP server %s: %w", s.addr, err)
	}
}

// smtpReply finds the server's reply in err: a *textproto.Error from connecting, greeting, STARTTLS or
// AUTH, or a *mail.SendError (which does not unwrap) from MAIL, RCPT or DATA.
func smtpReply(err error) (int, string) {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code, tp.Error()
	}
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode(), se.Error()
	}
	return 0, ""
}

// isAuthCode reports whether a 5xx reply refuses authentication: 530 authentication required, 534
// mechanism too weak, 535 credentials invalid, 538 encryption required (RFC 4954).
func isAuthCode(code int) bool {
	return code == 530 || code == 534 || code == 535 || code == 538
}

func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}
