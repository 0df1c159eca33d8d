package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// mailpitPage is the part of GET /api/v1/messages that the check reads.
type mailpitPage struct {
	MessagesCount int `json:"messages_count"`
	Messages      []struct {
		ID        string
		MessageID string
		To        []struct{ Address string }
		Cc        []struct{ Address string }
		Bcc       []struct{ Address string }
	} `json:"messages"`
}

// mailboxSettle is how long the count must stay put before the mailbox is checked: Mailpit stores a
// message just after the SMTP transaction that the activity waited for.
const mailboxSettle = 500 * time.Millisecond

// checkMailbox checks that the run's fresh Mailpit holds exactly one email to each contact and nothing
// else, with distinct Message-IDs, and returns how many emails it holds. It fails with the first few
// contacts at fault.
func checkMailbox(ctx context.Context, apiURL string, contacts []string) (int, error) {
	// A minute, and more for a mailbox that takes more pages to read (a million emails).
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(len(contacts))*time.Millisecond/2)
	defer cancel()
	// Wait until the count reaches the contacts and stays there.
	for last, since := -1, time.Now(); ; {
		var page mailpitPage
		if err := getJSON(ctx, apiURL+"/api/v1/messages?limit=1", &page); err != nil {
			return 0, err
		}
		if page.MessagesCount != last {
			last, since = page.MessagesCount, time.Now()
		}
		if last >= len(contacts) && time.Since(since) >= mailboxSettle {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("mailbox: %d emails, want %d (waited for more: %w)", last, len(contacts), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}

	got := make(map[string]int, len(contacts))
	ids := map[string]bool{}
	var problems []string
	total := 0
	const pageSize = 1000
	for start := 0; ; start += pageSize {
		var page mailpitPage
		if err := getJSON(ctx, fmt.Sprintf("%s/api/v1/messages?start=%d&limit=%d", apiURL, start, pageSize), &page); err != nil {
			return 0, err
		}
		for _, m := range page.Messages {
			total++
			if ids[m.MessageID] {
				problems = append(problems, "Message-ID "+m.MessageID+" twice")
			}
			ids[m.MessageID] = true
			if n := len(m.To) + len(m.Cc) + len(m.Bcc); n != 1 || len(m.To) != 1 {
				problems = append(problems, fmt.Sprintf("message %s has %d recipients, want one To", m.ID, n))
				continue
			}
			got[strings.ToLower(m.To[0].Address)]++
		}
		if len(page.Messages) < pageSize || start+pageSize >= page.MessagesCount {
			break
		}
	}
	want := map[string]bool{}
	for _, c := range contacts {
		want[c] = true
		if n := got[c]; n != 1 {
			problems = append(problems, fmt.Sprintf("%s got %d emails", c, n))
		}
	}
	for addr, n := range got {
		if !want[addr] {
			problems = append(problems, fmt.Sprintf("%d emails to %s, who is not a contact", n, addr))
		}
	}
	if total != len(contacts) {
		problems = append([]string{fmt.Sprintf("%d emails for %d contacts", total, len(contacts))}, problems...)
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 10 {
			more = fmt.Sprintf(" and %d more", len(problems)-10)
			problems = problems[:10]
		}
		return total, fmt.Errorf("mailbox check FAILED: %s%s", strings.Join(problems, "; "), more)
	}
	return total, nil
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("mailbox: GET %s: %s: %s", u, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("mailbox: GET %s: %w", u, err)
	}
	return nil
}
