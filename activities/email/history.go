package email

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

type historyArgs struct {
	Contacts []catalog.ContactValue `json:"contacts" eaapl:"required" desc:"the contacts to look for"`
	Since    string                 `json:"since" eaapl:"time,required" desc:"start of the range, inclusive"`
	Until    string                 `json:"until" eaapl:"time" desc:"end of the range, exclusive; now when empty"`
}

type historyOutput struct {
	Emailed    []string               `json:"emailed" eaapl:"list<address>,required" desc:"addresses the user emailed in the range"`
	NotEmailed []catalog.ContactValue `json:"not_emailed" eaapl:"required" desc:"contacts the user did not email in the range"`
	Since      string                 `json:"since" eaapl:"time,required" desc:"start of the range searched"`
	Until      string                 `json:"until" eaapl:"time,required" desc:"end of the range searched"`
}

var CheckEmailHistory = catalog.Define(catalog.Def[Deps, historyArgs, historyOutput]{
	Name:        "CheckEmailHistory",
	Description: "Find which of the given contacts the user emailed within a time range.",
	SideEffect:  catalog.Reads,
	Timeout:     2 * time.Minute,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{None: true},
	Run:              checkHistory,
	Hint: func(string) string {
		return "check that the mailbox (EAAPL_MAILBOX_URL) is up, then answer retry"
	},
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		var find string
		if whom := listOf(r, s.Args["contacts"]); whom != "" {
			find = "which of " + whom + " you have emailed"
		} else if addrs, ok := literalList(s.Args["contacts"], r.Address); ok && len(addrs) > 0 {
			// The addresses a program names: "If I haven't emailed alice@example.com this month, ...".
			find = "whether you have emailed " + andList(addrs)
		} else if m := oneResult.FindStringSubmatch(fmt.Sprint(s.Args["contacts"])); m != nil {
			// The contact a step found: "If I haven't emailed my contact Ann this week, ...".
			if src, words, ok := r.Result("${steps." + m[1] + "." + m[2] + "}"); ok && words.Noun != "" {
				find = fmt.Sprintf("whether you have emailed %s (step %d)", words.Noun, src.Number)
			}
		}
		since, ok := r.Time(s.Args["since"])
		if find == "" || !ok {
			return ""
		}
		text := fmt.Sprintf("Find %s since %s", find, since)
		if until, ok := s.Args["until"]; ok && !r.IsNow(until) {
			u, ok := r.Time(until)
			if !ok {
				return ""
			}
			text += " until " + u
		}
		return text + "."
	},
	Forms: catalog.Forms{
		Phrases: []string{"if I haven't emailed them {since}", "unless I have emailed them {since}", "who I haven't emailed {since}"},
		Args: map[string][]string{
			"contacts": {"them"},
			"since":    {"today", "this week", "this month", "in the last {n} days", "in the past {n} days", "within the last day"},
		},
		Results: map[string]catalog.ResultWords{
			"emailed":     {Noun: "the addresses you emailed", Each: "address"},
			"not_emailed": {Noun: "the contacts you have not emailed", Each: "contact"},
			"since":       {Noun: "the start of the range"},
			"until":       {Noun: "the end of the range"},
		},
		Actions: []string{"emailed", "email", "sent an email to", "written to", "contacted"},
		Examples: []catalog.Example{
			{Pattern: "Send an email to <contacts> if I haven't emailed them <time> that says '<message>'", Program: "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"},
			{Pattern: "Email <contacts> who I haven't emailed <time> with the message '<message>'", Program: "Email all my contacts who I haven't emailed in the last 30 days with the message 'Long time!'"},
			{Pattern: "For each of my contacts, if I haven't emailed them <time>, send them an email saying '<message>'", Program: "For each of my contacts, if I haven't emailed them today, send them an email saying 'Hi'"},
			{Pattern: "If I haven't emailed <address> <time>, send her '<message>'", Program: "If I haven't emailed alice@example.com this month, send her 'Long time no see'"},
			{Pattern: "If I haven't emailed my contact <name> <time>, send her '<message>'", Program: "If I haven't emailed my contact Ann this week, send her 'Hi'"},
			{Pattern: "<contacts> who I emailed <time>", Program: "Send 'Thanks' to my contacts who I emailed last month"},
		},
	},
})

// listOf names a list another step made: "them" right after that step, else its words and the step's
// number, "your contacts (step 1)"; "" when v is not such a list.
func listOf(r catalog.Reading, v any) string {
	src, words, ok := r.Result(v)
	if !ok || words.Each == "" || words.Noun == "" {
		return ""
	}
	if src.Number == r.Step().Number-1 {
		return "them"
	}
	return fmt.Sprintf("%s (step %d)", words.Noun, src.Number)
}

// oneResult is a list of one step's result, as the planner writes the contact a step found: "${[steps.find.contact]}".
var oneResult = regexp.MustCompile(`^\$\{\s*\[\s*steps\.([a-z][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\s*\]\s*\}$`)

// checkHistory finds which of the given contacts the user emailed within [since, until); until empty
// means now. Output: emailed (the contacts' addresses, sorted, each once), not_emailed (the other
// contacts, in the order given), and since and until as searched (RFC 3339, UTC).
func checkHistory(ctx context.Context, d Deps, args historyArgs) (historyOutput, error) {
	since, err := parseTime(args.Since)
	if err != nil {
		return historyOutput{}, catalog.Invalid("parameter %q must be %s; got %q", "since", catalog.Words(catalog.Time), args.Since)
	}
	until := ceilSecond(time.Now())
	if strings.TrimSpace(args.Until) != "" {
		if until, err = parseTime(args.Until); err != nil {
			return historyOutput{}, catalog.Invalid("parameter %q must be %s; got %q", "until", catalog.Words(catalog.Time), args.Until)
		}
	}
	if !since.Before(until) {
		return historyOutput{}, catalog.Invalid("the time range is empty: since %s is not before until %s", formatTime(since), formatTime(until))
	}
	addrs := make([]string, 0, len(args.Contacts))
	for i, c := range args.Contacts {
		if strings.TrimSpace(c.Email) == "" {
			return historyOutput{}, catalog.Invalid("contacts[%d] (%s) has no email", i, contactLabel(c))
		}
		addrs = append(addrs, c.Email)
	}
	if d.Mailbox == nil {
		return historyOutput{}, fmt.Errorf("%w: Mailbox", catalog.ErrMissingDependency)
	}

	var found map[string]time.Time
	if len(addrs) > 0 {
		if found, err = d.Mailbox.Emailed(ctx, d.From.Address, addrs, since, until); err != nil {
			return historyOutput{}, fmt.Errorf("check email history of %s: %w", d.From.Address, err)
		}
	}
	emailed := []string{}
	notEmailed := []catalog.ContactValue{}
	for _, c := range args.Contacts {
		if _, ok := found[c.Email]; ok {
			emailed = append(emailed, c.Email)
		} else {
			notEmailed = append(notEmailed, c)
		}
	}
	slices.Sort(emailed)
	emailed = slices.Compact(emailed)
	return historyOutput{Emailed: emailed, NotEmailed: notEmailed, Since: formatTime(since), Until: formatTime(until)}, nil
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
func contactLabel(c catalog.ContactValue) string {
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
