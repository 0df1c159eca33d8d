package devstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for MailpitOptions.
const (
	DefaultMailpitBin          = "bin/mailpit"
	DefaultMailpitReadyTimeout = 20 * time.Second
)

// mailpitDBFile is the name of Mailpit's database inside MailpitOptions.DataDir.
const mailpitDBFile = "mailpit.db"

// MailpitOptions configures StartMailpit.
type MailpitOptions struct {
	Bin      string // the mailpit binary; DefaultMailpitBin when empty
	DataDir  string // holds the database, so messages survive a restart; empty keeps them in a temporary file
	SMTPPort int    // 0 picks a free loopback port
	HTTPPort int    // web UI and API; 0 picks a free loopback port
	Log      io.Writer
	// ReadyTimeout bounds the wait for SMTP and HTTP to answer; DefaultMailpitReadyTimeout when 0.
	ReadyTimeout time.Duration
	// ExtraArgs are added to Mailpit's command line, e.g. "--enable-chaos" for tests of SMTP errors.
	ExtraArgs []string
}

// Mailpit is a running Mailpit: an SMTP server that keeps every message and shows them in a web UI and API.
type Mailpit struct {
	*Process
	SMTPAddr string // 127.0.0.1:port
	APIURL   string // http://127.0.0.1:port, also the web UI
}

// StartMailpit starts Mailpit on loopback and returns once both SMTP and HTTP accept connections.
func StartMailpit(ctx context.Context, o MailpitOptions) (*Mailpit, error) {
	if o.Bin == "" {
		o.Bin = DefaultMailpitBin
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultMailpitReadyTimeout
	}
	smtpPort, err := portOrFree(o.SMTPPort)
	if err != nil {
		return nil, fmt.Errorf("start mailpit: %w", err)
	}
	httpPort, err := portOrFree(o.HTTPPort)
	if err != nil {
		return nil, fmt.Errorf("start mailpit: %w", err)
	}
	if err := checkPortFree("Mailpit SMTP", smtpPort); err != nil {
		return nil, err
	}
	if err := checkPortFree("Mailpit HTTP", httpPort); err != nil {
		return nil, err
	}

	m := &Mailpit{SMTPAddr: loopback(smtpPort), APIURL: "http://" + loopback(httpPort)}
	args := []string{
		"--smtp", m.SMTPAddr,
		"--listen", loopback(httpPort),
		"--disable-version-check", // no call to GitHub on every start
		"--smtp-disable-rdns",     // reverse DNS of 127.0.0.1 can stall where DNS is slow or absent
		// Accept whatever credentials the mailer is configured with, so one SMTP setting works here and
		// against a real server; without TLS Mailpit insists on the second flag for that.
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		// Keep every message: the mailbox is the email history that programs check, and the default
		// prunes it to the newest 500, which a 1,000-contact run would overflow.
		"--max", "0",
	}
	args = append(args, o.ExtraArgs...)
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("start mailpit: %w", err)
		}
		args = append(args, "--database", filepath.Join(o.DataDir, mailpitDBFile))
	}
	p, err := startProcess("mailpit", o.Bin, args, o.Log, "run `make tools` to build it")
	if err != nil {
		return nil, err
	}
	m.Process = p
	if err := waitReady(ctx, p, o.ReadyTimeout, m.ready); err != nil {
		stopAfterFailure(ctx, p)
		return nil, err
	}
	return m, nil
}

// ready checks that SMTP greets and the HTTP server says it is ready.
func (m *Mailpit) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", m.SMTPAddr)
	if err != nil {
		return fmt.Errorf("SMTP: %w", err)
	}
	c.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("HTTP: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP: GET /readyz: %s", resp.Status)
	}
	return nil
}

// Seed message, sent by SeedHistory.
const (
	SeedSubject = "Catching up"
	seedBody    = "Hi,\n\nGood to catch up this week. Let's talk again soon.\n\n(Sent by `eaapl dev` to seed the demo mailbox.)\n"
)

// errNoMailpit is returned by SeedHistory when given no Mailpit.
var errNoMailpit = errors.New("seed history: no Mailpit")

// seedListTimeout bounds the wait for Mailpit to list the message SeedHistory sent.
const seedListTimeout = 10 * time.Second

// SeedHistory makes sure the mailbox shows that from emailed to since the given time, so the Hello World
// demo skips that contact. If Mailpit holds no message from from to to received at or after since, it
// sends one over SMTP (subject SeedSubject, without TLS or auth) and waits until Mailpit lists it. It returns
// whether it sent. from and to are addresses, optionally with a display name ("Ann <ann@example.com>").
func SeedHistory(ctx context.Context, m *Mailpit, from, to string, since time.Time) (bool, error) {
	if m == nil {
		return false, errNoMailpit
	}
	if now := time.Now(); since.After(now) {
		// A message sent now could never count, and waiting for Mailpit to list it would time out.
		return false, fmt.Errorf("seed history: since %s is later than now (%s)", since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return false, fmt.Errorf("seed history: from %q: %w", from, err)
	}
	toAddr, err := mail.ParseAddress(to)
	if err != nil {
		return false, fmt.Errorf("seed history: to %q: %w", to, err)
	}
	found, err := hasMessage(ctx, m.APIURL, fromAddr.Address, toAddr.Address, since)
	if err != nil {
		return false, fmt.Errorf("seed history: %w", err)
	}
	if found {
		return false, nil
	}
	if err := sendSeed(ctx, m.SMTPAddr, fromAddr, toAddr); err != nil {
		return false, fmt.Errorf("seed history: send to %s: %w", to, err)
	}

	// Mailpit stores a message just after the SMTP transaction ends; wait until the API lists it, so
	// whatever reads the mailbox next sees it.
	ctx, cancel := context.WithTimeout(ctx, seedListTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		found, err := hasMessage(ctx, m.APIURL, fromAddr.Address, toAddr.Address, since)
		if found {
			return true, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return true, fmt.Errorf("seed history: sent to %s but Mailpit does not list it: %w", to, err)
		case <-tick.C:
		}
	}
}

// sendSeed sends the seed message over plain SMTP (net/smtp: the dev Mailpit offers no TLS and needs no auth).
func sendSeed(ctx context.Context, smtpAddr string, from, to *mail.Address) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", smtpAddr)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return err
	}
	host, _, _ := net.SplitHostPort(smtpAddr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(seedMessage(from, to, time.Now())); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// seedMessage is the seed email in RFC 5322 form.
func seedMessage(from, to *mail.Address, now time.Time) []byte {
	var id [12]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", SeedSubject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%x@eaapl.dev>\r\n", id)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(seedBody, "\n", "\r\n"))
	return []byte(b.String())
}

// hasMessage reports whether Mailpit holds a message from from to to (bare addresses) received at or after
// since. Mailpit's search narrows the candidates; its from:/to: terms match substrings and its after: term
// whole seconds, so each candidate is checked exactly here.
func hasMessage(ctx context.Context, apiURL, from, to string, since time.Time) (bool, error) {
	// after: is parsed by araddon/dateparse; RFC 3339 in UTC has no characters the search tokenizer drops.
	query := fmt.Sprintf("from:%s to:%s after:%s", from, to, since.UTC().Format(time.RFC3339))
	msgs, err := searchMailpit(ctx, apiURL, query)
	if err != nil {
		return false, err
	}
	for _, msg := range msgs {
		if msg.Created.Before(since) || msg.From == nil || !strings.EqualFold(msg.From.Address, from) {
			continue
		}
		for _, r := range msg.To {
			if strings.EqualFold(r.Address, to) {
				return true, nil
			}
		}
	}
	return false, nil
}

// mailpitMessage is the part of Mailpit's message summary that hasMessage reads.
type mailpitMessage struct {
	From    *mailpitAddress
	To      []mailpitAddress
	Created time.Time // when Mailpit received it
}

type mailpitAddress struct{ Name, Address string }

// searchMailpitLimit caps one search; the seed's query matches a handful of messages.
const searchMailpitLimit = 500

// searchMailpit runs a search (Mailpit's syntax: from:, to:, after:, ...) through GET /api/v1/search and
// returns the matches, newest first. It is the only Mailpit API call here; the mailbox client that
// programs use lives with the activities.
func searchMailpit(ctx context.Context, apiURL, query string) ([]mailpitMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q := url.Values{"query": {query}, "limit": {fmt.Sprint(searchMailpitLimit)}}
	u := apiURL + "/api/v1/search?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("search Mailpit: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("search Mailpit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("search Mailpit %q: %s: %s", query, resp.Status, strings.TrimSpace(string(body)))
	}
	var res struct {
		Messages []mailpitMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, fmt.Errorf("search Mailpit: decode response: %w", err)
	}
	return res.Messages, nil
}
