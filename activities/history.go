package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Mailbox is the user's email history. It is an interface because Mailpit, the dev stack's mailbox, is the
// first of several backends (IMAP comes next).
type Mailbox interface {
	// Emailed returns, for each address in to that from emailed within [since, until), the latest time it
	// did. Addresses match case-insensitively; the map's keys are the strings of to.
	Emailed(ctx context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error)
	// HasMessageID reports whether a message with this Message-ID (with or without its angle brackets) is
	// already in the mailbox, i.e. was sent before.
	HasMessageID(ctx context.Context, messageID string) (bool, error)
}

type checkEmailHistoryArgs struct {
	Contacts []Contact `json:"contacts"`
	Since    string    `json:"since"`
	Until    string    `json:"until"`
}

// CheckEmailHistory finds which of the given contacts the user emailed within [since, until); until empty
// means now. Output: emailed (the contacts' addresses, sorted, each once), not_emailed (the other contacts,
// in the order given), and since and until as searched (RFC 3339, UTC).
func (a *Activities) CheckEmailHistory(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	started := time.Now()
	t.Command = "CheckEmailHistory"
	var args checkEmailHistoryArgs
	if err := decodeArgs(t, &args); err != nil {
		return catalog.TaskResult{}, err
	}
	since, err := parseTime(args.Since)
	if err != nil {
		return catalog.TaskResult{}, invalidArgument(t, "parameter %q must be %s; got %q", "since", describeType(catalog.Time), args.Since)
	}
	until := ceilSecond(time.Now())
	if strings.TrimSpace(args.Until) != "" {
		if until, err = parseTime(args.Until); err != nil {
			return catalog.TaskResult{}, invalidArgument(t, "parameter %q must be %s; got %q", "until", describeType(catalog.Time), args.Until)
		}
	}
	if !since.Before(until) {
		return catalog.TaskResult{}, invalidArgument(t, "the time range is empty: since %s is not before until %s", formatTime(since), formatTime(until))
	}
	addrs := make([]string, 0, len(args.Contacts))
	for i, c := range args.Contacts {
		if strings.TrimSpace(c.Email) == "" {
			return catalog.TaskResult{}, invalidArgument(t, "contacts[%d] (%s) has no email", i, contactLabel(c))
		}
		addrs = append(addrs, c.Email)
	}
	if a.Mailbox == nil {
		return catalog.TaskResult{}, fmt.Errorf("%w: Mailbox", errMissingDependency)
	}

	var found map[string]time.Time
	if len(addrs) > 0 {
		if found, err = a.Mailbox.Emailed(ctx, a.From.Address, addrs, since, until); err != nil {
			return catalog.TaskResult{}, fmt.Errorf("check email history of %s: %w", a.From.Address, err)
		}
	}
	emailed := []string{}
	notEmailed := []Contact{}
	for _, c := range args.Contacts {
		if _, ok := found[c.Email]; ok {
			emailed = append(emailed, c.Email)
		} else {
			notEmailed = append(notEmailed, c)
		}
	}
	slices.Sort(emailed)
	emailed = slices.Compact(emailed)
	return a.result(ctx, t, started, map[string]any{
		"emailed":     emailed,
		"not_emailed": notEmailed,
		"since":       formatTime(since),
		"until":       formatTime(until),
	}), nil
}

// parseTime reads an RFC 3339 time, with or without fractional seconds.
func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
}

// formatTime writes a time as RFC 3339 in UTC, with fractional seconds only when it has them.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// ceilSecond rounds t up to a whole second, so that "until now" reads cleanly and still covers now.
func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}

// contactLabel names a contact in an error message: its name or address and where it came from.
func contactLabel(c Contact) string {
	label := c.Email
	if label == "" {
		label = c.Name
	}
	if label == "" {
		label = "contact"
	}
	if c.Source != "" {
		label += " from " + c.Source
	}
	return label
}
