package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
)

// maxInbox bounds how many messages `eaapl inbox` asks Mailpit for.
const maxInbox = 1000

// inboxMessage is one message as `eaapl inbox` shows it.
type inboxMessage struct {
	Received  time.Time `json:"received"`
	From      string    `json:"from"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject"`
	Snippet   string    `json:"snippet"`
	MessageID string    `json:"message_id"`
}

func newInboxCmd() *cobra.Command {
	var (
		asJSON  bool
		limit   int
		mailbox string
	)
	cmd := &cobra.Command{
		Use:               "inbox [--json] [--limit N] [--mailbox URL]",
		Short:             "list what arrived in the dev mailbox (Mailpit), newest first",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{msg: fmt.Sprintf("eaapl inbox takes no arguments, got %q", args)}
			}
			if limit < 1 || limit > maxInbox {
				return usageError{msg: fmt.Sprintf("--limit is %d; it must be 1 to %d", limit, maxInbox)}
			}
			if mailbox == "" {
				mailbox = mailboxURL(cfg)
			}
			msgs, total, err := readInbox(ctx, mailbox, limit)
			if err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(stdout, msgs)
			}
			fmt.Fprintf(stdout, "%d of %d messages in %s\n", len(msgs), total, mailbox)
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			for _, m := range msgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Received.Local().Format("2006-01-02 15:04:05"), strings.Join(m.To, ", "), m.Subject, m.From)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the messages as a JSON list")
	cmd.Flags().IntVar(&limit, "limit", 20, fmt.Sprintf("at most this many messages (1 to %d)", maxInbox))
	cmd.Flags().StringVar(&mailbox, "mailbox", "", "Mailpit's address (default: EAAPL_MAILBOX_URL, or the dev stack's http://127.0.0.1:EAAPL_DEV_MAILPIT_PORT)")
	return cmd
}

// mailboxURL is the mailbox the worker is told of (EAAPL_MAILBOX_URL) when set, else the dev stack's Mailpit.
func mailboxURL(cfg config.Config) string {
	if _, set := os.LookupEnv("EAAPL_MAILBOX_URL"); set {
		return cfg.MailboxURL
	}
	return fmt.Sprintf("http://127.0.0.1:%d", cfg.DevMailpitPort)
}

// readInbox asks Mailpit's API (GET /api/v1/messages, newest first) for the latest limit messages, and
// says how many the mailbox holds.
func readInbox(ctx context.Context, base string, limit int) ([]inboxMessage, int, error) {
	u := strings.TrimRight(base, "/") + "/api/v1/messages?" + url.Values{"limit": {strconv.Itoa(limit)}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("mailbox %s: %w", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("read the mailbox at %s: %w (is `eaapl dev` running? --mailbox or EAAPL_MAILBOX_URL sets it)", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return nil, 0, fmt.Errorf("read the mailbox at %s: %s: %s", base, resp.Status, strings.TrimSpace(string(b)))
	}
	type address struct{ Name, Address string }
	var body struct {
		Total    int `json:"total"`
		Messages []struct {
			MessageID string
			From      *address
			To        []address
			Subject   string
			Snippet   string
			Created   time.Time
		} `json:"messages"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&body); err != nil {
		return nil, 0, fmt.Errorf("read the mailbox at %s: its answer is not Mailpit's: %w", base, err)
	}
	out := []inboxMessage{}
	for _, m := range body.Messages {
		im := inboxMessage{Received: m.Created, Subject: m.Subject, Snippet: m.Snippet, MessageID: m.MessageID, To: []string{}}
		if m.From != nil {
			im.From = m.From.Address
		}
		for _, a := range m.To {
			im.To = append(im.To, a.Address)
		}
		out = append(out, im)
	}
	return out, body.Total, nil
}
