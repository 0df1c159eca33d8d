// Package imapbox is the user's own mailbox over IMAP (github.com/emersion/go-imap v2): the email history
// and the "already sent?" check read the Sent folder, reply detection reads INBOX, and a copy of each
// message EaaPL submits is appended to Sent unless the provider saves one itself: before the submission,
// marked unconfirmed until the server accepted it (pending.go), so a crash in between leaves a trace. Everything is searched
// on the server (SEARCH by date, address and header) and only the envelopes of the matches are fetched,
// a page at a time, so a mailbox of 100,000 messages is never downloaded.
//
// A failure that retrying cannot fix (credentials refused, no permission, no such folder, a certificate
// that is not trusted) is a *RefusedError that says what to fix; any other error (the server down, slow
// or dropping the connection) is temporary. Passwords and tokens appear in no error.
package imapbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// Config says how to reach the mailbox.
type Config struct {
	// URL is imaps://user@host[:993] (TLS) or imap://user@host[:143] (STARTTLS, required). The user name
	// may be percent-encoded (me%40example.com); a password in the URL is refused.
	URL string
	// Password logs in with LOGIN. Token, when set, is used instead, with Auth's SASL mechanism.
	Password string
	Token    TokenSource
	Auth     string // "password" (the default), "xoauth2" or "oauthbearer"
	// SentFolder is the Sent folder's name; empty finds the folder marked SPECIAL-USE \Sent.
	SentFolder string
	// SaveSent says when SaveSent appends a copy: "auto" (the default: unless the provider saved one
	// itself, which it learns on the first message), "always" or "never".
	SaveSent string
	// SentWait is how long auto mode waits, on its first message, for the provider's own copy; 5s when zero.
	SentWait time.Duration
	// CAFile is a PEM file of the CAs to trust instead of the system's (a company or test CA).
	CAFile string
	// Timeout bounds connecting and each command; 30s when zero.
	Timeout time.Duration
	// MaxConns is how many connections are kept open at most; 4 when zero.
	MaxConns int
}

// RefusedError is a failure retrying cannot fix: the server refused the credentials (Auth) or the
// request, or the configuration cannot work. Fix says what to change.
type RefusedError struct {
	Server string // host:port
	Reason string // what the server said or what is wrong
	Fix    string // what to do about it
	Auth   bool   // the credentials were refused
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("IMAP server %s: %s", e.Server, e.Reason)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// Mailbox is an IMAP mailbox. It is safe for concurrent use: commands run over a few pooled connections.
type Mailbox struct {
	cfg      Config
	addr     string // host:port
	host     string
	user     string
	implicit bool // TLS from the start (imaps), else STARTTLS
	tls      *tls.Config
	timeout  time.Duration

	slots chan struct{} // one per open connection
	idle  chan *conn

	mu            sync.Mutex
	sentFolder    string // found or configured
	providerSet   bool   // auto mode has learned whether the provider saves sent mail
	providerSaves bool
	// sentWait is how long auto mode waits, the first time, for the provider's own copy to appear.
	sentWait time.Duration
}

// New checks cfg and returns the mailbox; it does not connect, so a server that is down now may be up
// when the first search is due.
func New(cfg Config) (*Mailbox, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("IMAP URL: %v; it must look like imaps://me%%40example.com@mail.example.com", redactErr(err))
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return nil, fmt.Errorf("IMAP URL %s holds a password: put it in EAAPL_IMAP_PASSWORD or EAAPL_IMAP_PASSWORD_FILE instead", u.Redacted())
		}
	}
	m := &Mailbox{cfg: cfg, timeout: cfg.Timeout, sentWait: 5 * time.Second}
	switch u.Scheme {
	case "imaps":
		m.implicit = true
	case "imap":
	default:
		return nil, fmt.Errorf("IMAP URL %s: scheme must be imaps (TLS) or imap (STARTTLS)", u.Redacted())
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, fmt.Errorf("IMAP URL %s names no user: it must look like %s://me%%40example.com@%s", u.Redacted(), u.Scheme, u.Host)
	}
	m.user = u.User.Username()
	m.host = u.Hostname()
	if m.host == "" {
		return nil, fmt.Errorf("IMAP URL %s names no host", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "993", false: "143"}[m.implicit]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("IMAP URL %s: port must be a number from 1 to 65535", u.Redacted())
	}
	m.addr = net.JoinHostPort(m.host, port)
	if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, fmt.Errorf("IMAP URL %s has a path: name the Sent folder with EAAPL_IMAP_SENT_FOLDER instead", u.Redacted())
	}
	switch cfg.Auth {
	case "", "password":
		if cfg.Token != nil {
			return nil, errors.New("IMAP: a token is set but EAAPL_IMAP_AUTH is password; set it to xoauth2 or oauthbearer")
		}
	case "xoauth2", "oauthbearer":
		if cfg.Token == nil {
			return nil, fmt.Errorf("IMAP: EAAPL_IMAP_AUTH is %s but no token is set: set EAAPL_IMAP_TOKEN_FILE or EAAPL_IMAP_TOKEN_COMMAND", cfg.Auth)
		}
	default:
		return nil, fmt.Errorf("IMAP: EAAPL_IMAP_AUTH is %q; it must be password, xoauth2 or oauthbearer", cfg.Auth)
	}
	switch cfg.SaveSent {
	case "", "auto", "always", "never":
	default:
		return nil, fmt.Errorf("IMAP: EAAPL_IMAP_SAVE_SENT is %q; it must be auto, always or never", cfg.SaveSent)
	}
	if m.timeout <= 0 {
		m.timeout = 30 * time.Second
	}
	m.tls = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("IMAP CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("IMAP CA file %s holds no PEM certificate", cfg.CAFile)
		}
		m.tls.RootCAs = pool
	}
	max := cfg.MaxConns
	if max <= 0 {
		max = 4
	}
	m.slots = make(chan struct{}, max)
	m.idle = make(chan *conn, max)
	m.sentFolder = cfg.SentFolder
	if cfg.SentWait > 0 {
		m.sentWait = cfg.SentWait
	}
	return m, nil
}

// Server is the host:port the mailbox is on.
func (m *Mailbox) Server() string { return m.addr }

// Close closes the idle connections; the mailbox stays usable and connects again when needed.
func (m *Mailbox) Close() error {
	for {
		select {
		case c := <-m.idle:
			c.close()
		default:
			return nil
		}
	}
}

// conn is one logged-in connection.
type conn struct {
	raw      net.Conn
	client   *imapclient.Client
	selected string // the folder EXAMINEd or SELECTed, "" for none
	writable bool   // selected read-write (SELECT), so flags can be stored
	keywords bool   // the selected folder keeps keywords such as PendingKeyword (PERMANENTFLAGS)
	timeout  time.Duration
}

// arm gives the next command the timeout.
func (c *conn) arm() { _ = c.raw.SetDeadline(time.Now().Add(c.timeout)) }

func (c *conn) close() {
	_ = c.client.Close()
	_ = c.raw.Close()
}

// with runs fn over a connection from the pool. A reused connection the server has meanwhile closed
// (an idle timeout) is replaced once, so that it does not fail the caller.
func (m *Mailbox) with(ctx context.Context, fn func(c *conn) error) error {
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("IMAP server %s: %w", m.addr, ctx.Err())
	}
	defer func() { <-m.slots }()
	for attempt := 0; ; attempt++ {
		var c *conn
		reused := false
		select {
		case c = <-m.idle:
			reused = true
		default:
			var err error
			if c, err = m.dial(ctx); err != nil {
				return err
			}
		}
		stop := context.AfterFunc(ctx, func() { c.raw.Close() })
		err := fn(c)
		interrupted := !stop() // the context ended and closed the connection
		if err == nil && !interrupted {
			_ = c.raw.SetDeadline(time.Time{})
			m.idle <- c
			return nil
		}
		var refused *RefusedError
		if errors.As(err, &refused) && !interrupted && c.client.State() != imap.ConnStateLogout {
			m.idle <- c // a refusal leaves the connection usable
			return err
		}
		c.close()
		if interrupted {
			return fmt.Errorf("IMAP server %s: %w", m.addr, ctx.Err())
		}
		if reused && attempt == 0 && isNetworkError(err) {
			// The server closed it (an idle timeout, a restart): the other idle ones are likely gone
			// too, so they are dropped and the call is tried once more on a new connection.
			m.Close()
			continue
		}
		return err
	}
}

// dial connects, secures the connection (TLS or STARTTLS) and logs in.
func (m *Mailbox) dial(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: m.timeout}
	raw, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return nil, fmt.Errorf("IMAP server %s unreachable: %w", m.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	_ = raw.SetDeadline(time.Now().Add(m.timeout))
	opts := &imapclient.Options{TLSConfig: m.tls.Clone()}
	var client *imapclient.Client
	if m.implicit {
		tc := tls.Client(raw, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, m.tlsError(err)
		}
		raw = tc
		client = imapclient.New(raw, opts)
	} else {
		// NewStartTLS refuses a server that does not offer STARTTLS: a password never goes in clear text.
		client, err = imapclient.NewStartTLS(raw, opts)
		if err != nil {
			raw.Close()
			if strings.Contains(err.Error(), "STARTTLS not supported") {
				return nil, &RefusedError{Server: m.addr, Reason: "the server does not offer STARTTLS", Fix: "use an imaps:// URL (TLS from the start, usually port 993)"}
			}
			return nil, m.tlsError(err)
		}
	}
	c := &conn{raw: raw, client: client, timeout: m.timeout}
	if err := m.login(ctx, c, false); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// login authenticates; with a token, a refusal fetches a fresh token (it may have expired) and tries once more.
func (m *Mailbox) login(ctx context.Context, c *conn, refreshed bool) error {
	c.arm()
	var err error
	switch m.cfg.Auth {
	case "xoauth2", "oauthbearer":
		token, terr := m.cfg.Token.Token(ctx, refreshed)
		if terr != nil {
			return fmt.Errorf("IMAP server %s: get an access token for %s: %w", m.addr, m.user, terr)
		}
		var sc sasl.Client
		if m.cfg.Auth == "xoauth2" {
			sc = &xoauth2Client{user: m.user, token: token}
		} else {
			port, _ := strconv.Atoi(m.addr[strings.LastIndexByte(m.addr, ':')+1:])
			sc = answerErrors{sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: m.user, Token: token, Host: m.host, Port: port})}
		}
		err = c.client.Authenticate(sc)
		if err != nil && !refreshed && isAuthRefusal(err) {
			return m.login(ctx, c, true)
		}
	default:
		err = c.client.Login(m.user, m.cfg.Password).Wait()
	}
	if err == nil {
		return nil
	}
	if isAuthRefusal(err) {
		fix := "check EAAPL_IMAP_PASSWORD (or EAAPL_IMAP_PASSWORD_FILE); Gmail, Outlook and Fastmail need an app password, see docs/mail-providers.md"
		if m.cfg.Auth == "xoauth2" || m.cfg.Auth == "oauthbearer" {
			fix = "the access token was refused even when fetched again: check EAAPL_IMAP_TOKEN_FILE or EAAPL_IMAP_TOKEN_COMMAND and the token's scope"
		}
		return &RefusedError{Server: m.addr, Auth: true, Reason: fmt.Sprintf("refused the credentials of %s: %s", m.user, serverText(err)), Fix: fix}
	}
	return m.classify("log in", err)
}

// isAuthRefusal reports whether a LOGIN or AUTHENTICATE failure refuses the credentials: a NO without a
// code or with AUTHENTICATIONFAILED, AUTHORIZATIONFAILED or EXPIRED, or a SASL mechanism's own error.
func isAuthRefusal(err error) bool {
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case "", imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed, imap.ResponseCodeExpired:
			return ie.Type == imap.StatusResponseTypeNo
		}
		return false
	}
	return false
}

// classify sorts a command's failure: a refusal retrying cannot change is a *RefusedError, anything else
// is temporary.
func (m *Mailbox) classify(op string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch {
		case ie.Type == imap.StatusResponseTypeBad:
			return &RefusedError{Server: m.addr, Reason: fmt.Sprintf("%s: the server did not understand the command: %s", op, serverText(err))}
		case ie.Code == imap.ResponseCodeNoPerm || ie.Code == imap.ResponseCodeAuthorizationFailed:
			return &RefusedError{Server: m.addr, Reason: fmt.Sprintf("%s: permission denied: %s", op, serverText(err)), Fix: "give " + m.user + " access to the folder, or name another with EAAPL_IMAP_SENT_FOLDER"}
		case ie.Code == imap.ResponseCodeNonExistent || ie.Code == imap.ResponseCodeTryCreate:
			return &RefusedError{Server: m.addr, Reason: fmt.Sprintf("%s: no such folder: %s", op, serverText(err)), Fix: "name an existing folder with EAAPL_IMAP_SENT_FOLDER"}
		case ie.Code == imap.ResponseCodeOverQuota:
			return &RefusedError{Server: m.addr, Reason: fmt.Sprintf("%s: the mailbox is over its quota: %s", op, serverText(err)), Fix: "free space in the mailbox, or set EAAPL_IMAP_SAVE_SENT=never"}
		}
		return fmt.Errorf("IMAP server %s: %s: %s", m.addr, op, serverText(err))
	}
	if isNetworkError(err) {
		return fmt.Errorf("IMAP server %s unreachable during %s: %w", m.addr, op, err)
	}
	return fmt.Errorf("IMAP server %s: %s: %w", m.addr, op, err)
}

// tlsError makes a certificate the client does not trust a *RefusedError; other TLS failures are temporary.
func (m *Mailbox) tlsError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
	)
	if errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) || errors.As(err, &verify) {
		return &RefusedError{Server: m.addr, Reason: "its TLS certificate is not trusted: " + err.Error(), Fix: "set EAAPL_IMAP_CA_FILE to the CA that signed it, or fix the server's certificate"}
	}
	return m.classify("TLS", err)
}

// temporaryCode reports whether a NO's response code says the failure may pass (RFC 5530).
func temporaryCode(code imap.ResponseCode) bool {
	switch code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeInUse, imap.ResponseCodeServerBug, imap.ResponseCodeLimit:
		return true
	}
	return false
}

// serverText is the text of the server's reply, without go-imap's "imap: NO" prefix.
func serverText(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) {
		if ie.Code != "" {
			return fmt.Sprintf("%s [%s] %s", ie.Type, ie.Code, ie.Text)
		}
		return fmt.Sprintf("%s %s", ie.Type, ie.Text)
	}
	return err.Error()
}

func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}

// redactErr drops a *url.Error's URL, which may hold a password.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// examine selects a folder read-only. When it is selected already, a NOOP makes the server take in
// the messages other sessions added since (Dovecot's SEARCH does not on its own).
func (m *Mailbox) examine(c *conn, folder string) error { return m.open(c, folder, false) }

// open selects a folder, read-write (SELECT) when write is set, else read-only (EXAMINE) unless it is
// selected read-write already; a folder selected already is refreshed with a NOOP.
func (m *Mailbox) open(c *conn, folder string, write bool) error {
	c.arm()
	if c.selected == folder && (c.writable || !write) {
		if err := c.client.Noop().Wait(); err != nil {
			return m.classify("noop", err)
		}
		return nil
	}
	data, err := c.client.Select(folder, &imap.SelectOptions{ReadOnly: !write}).Wait()
	if err != nil {
		c.selected = ""
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && !temporaryCode(ie.Code) {
			return &RefusedError{Server: m.addr, Reason: fmt.Sprintf("cannot open folder %q: %s", folder, serverText(err)), Fix: "name an existing folder with EAAPL_IMAP_SENT_FOLDER"}
		}
		return m.classify("open folder "+strconv.Quote(folder), err)
	}
	c.selected, c.writable = folder, write
	c.keywords = write && (slices.Contains(data.PermanentFlags, imap.FlagWildcard) || slices.Contains(data.PermanentFlags, PendingKeyword))
	return nil
}

// sent is the Sent folder's name: configured, or the folder LIST marks \Sent (RFC 6154), found once.
func (m *Mailbox) sent(c *conn) (string, error) {
	m.mu.Lock()
	name := m.sentFolder
	m.mu.Unlock()
	if name != "" {
		return name, nil
	}
	var opts *imap.ListOptions
	if c.client.Caps().Has(imap.CapListExtended) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	c.arm()
	list, err := c.client.List("", "*", opts).Collect()
	if err != nil {
		return "", m.classify("list folders", err)
	}
	for _, mb := range list {
		for _, a := range mb.Attrs {
			if a == imap.MailboxAttrSent {
				m.mu.Lock()
				m.sentFolder = mb.Mailbox
				m.mu.Unlock()
				return mb.Mailbox, nil
			}
		}
	}
	return "", &RefusedError{Server: m.addr, Reason: fmt.Sprintf("no folder of %s is marked as the Sent folder (SPECIAL-USE \\Sent)", m.user), Fix: "name it with EAAPL_IMAP_SENT_FOLDER (such as Sent)"}
}

// xoauth2Client is Google's and Microsoft's XOAUTH2 SASL mechanism, which go-sasl no longer carries.
type xoauth2Client struct{ user, token string }

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with the dummy response of RFC 7628, 3.2.3,
// after which the server ends the exchange with NO.
func (x *xoauth2Client) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }

// answerErrors answers an OAUTHBEARER error challenge with the dummy response: go-sasl's client returns
// the error instead, and go-imap then leaves the exchange unanswered, and the connection hangs.
type answerErrors struct{ sasl.Client }

func (answerErrors) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }
