package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

type historyArgs struct {
	Contacts contactList `json:"contacts" eaapl:"list<contact>,required,stored" desc:"the contacts to look for"`
	Since    string      `json:"since" eaapl:"time,required" desc:"start of the range, inclusive"`
	Until    string      `json:"until" eaapl:"time" desc:"end of the range, exclusive; now when empty"`
}

// historyOutput's lists are what checkHistory says: for contacts given as a stored list, not_emailed is a
// stored list too, and so is emailed past inlineEmailed addresses.
type historyOutput struct {
	Emailed    any    `json:"emailed" eaapl:"list<address>,required" desc:"addresses the user emailed in the range"`
	NotEmailed any    `json:"not_emailed" eaapl:"list<contact>,required" desc:"contacts the user did not email in the range"`
	Since      string `json:"since" eaapl:"time,required" desc:"start of the range searched"`
	Until      string `json:"until" eaapl:"time,required" desc:"end of the range searched"`
}

// contactList is the contacts argument: the contacts themselves, or a stored list of them (a long
// address book, which RetrieveContacts keeps in the content store), read a page at a time.
type contactList struct {
	Items  []catalog.ContactValue
	Stored *contentvalue.List
}

// UnmarshalJSON reads a JSON list of contacts or a stored list's value, {"stored_list": ...}.
func (c *contactList) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if _, ok := v.(map[string]any); ok {
		l, ok := contentvalue.ListOf(v)
		if !ok {
			return errors.New("an object that is not a stored list")
		}
		*c = contactList{Stored: &l}
		return nil
	}
	var items []catalog.ContactValue
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*c = contactList{Items: items}
	return nil
}

// MarshalJSON writes the list as it was read.
func (c contactList) MarshalJSON() ([]byte, error) {
	if c.Stored != nil {
		return json.Marshal(c.Stored.Value())
	}
	return json.Marshal(c.Items)
}

// inlineEmailed is the most addresses the emailed output of a stored contact list carries itself (about
// 30 KB); past it, emailed is a stored list too, so that the output stays small whatever the list's size.
const inlineEmailed = 1000

// historyPageContacts is how many contacts of a stored list one mailbox search checks: a search reads
// every message the user sent in the range, so fewer, larger searches are cheaper, and a page of
// addresses stays a few hundred KB in memory.
const historyPageContacts = 10000

var CheckEmailHistory = catalog.Define(catalog.Def[Deps, historyArgs, historyOutput]{
	Name:        "CheckEmailHistory",
	Description: "Find which of the given contacts the user emailed within a time range.",
	SideEffect:  catalog.Reads,
	// a stored list of 1,000,000 contacts is read, searched for and written again in one attempt
	Timeout: 15 * time.Minute,
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
		window, ok := catalog.SayWindow(r.Time, r.IsNow, s.Args["since"], s.Args["until"])
		if find == "" || !ok {
			return ""
		}
		return fmt.Sprintf("Find %s %s.", find, window)
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
			{Pattern: "If I haven't emailed someone in my contacts <time>, send them '<message>' (each contact; not anyone, which could mean none)", Program: "If I haven't emailed someone in my contacts so far this week, send them 'Quick hello'"},
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
// contacts, in the order given), and since and until as searched (RFC 3339, UTC). For contacts given as
// a stored list, the list is read and searched for a page at a time: not_emailed is a stored list, and
// emailed is in the contacts' order (each once, as RetrieveContacts keeps an address once) and stored
// past inlineEmailed addresses.
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
	if err := checkAddresses(args.Contacts.Items, 0); err != nil {
		return historyOutput{}, err
	}
	if d.Mailbox == nil {
		return historyOutput{}, fmt.Errorf("%w: Mailbox", catalog.ErrMissingDependency)
	}
	if args.Contacts.Stored != nil {
		return checkStoredHistory(ctx, d, *args.Contacts.Stored, since, until)
	}

	found, err := emailed(ctx, d, args.Contacts.Items, since, until)
	if err != nil {
		return historyOutput{}, err
	}
	emailedAddrs := []string{}
	notEmailed := []catalog.ContactValue{}
	for _, c := range args.Contacts.Items {
		if _, ok := found[c.Email]; ok {
			emailedAddrs = append(emailedAddrs, c.Email)
		} else {
			notEmailed = append(notEmailed, c)
		}
	}
	slices.Sort(emailedAddrs)
	emailedAddrs = slices.Compact(emailedAddrs)
	return historyOutput{Emailed: emailedAddrs, NotEmailed: notEmailed, Since: formatTime(since), Until: formatTime(until)}, nil
}

// checkAddresses refuses a contact without an address; first is the position of contacts[0] in the list.
func checkAddresses(contacts []catalog.ContactValue, first int) error {
	for i, c := range contacts {
		if strings.TrimSpace(c.Email) == "" {
			return catalog.Invalid("contact %d of the list (%s) has no email address", first+i+1, contactLabel(c)) // counted from 1
		}
	}
	return nil
}

// emailed searches the mailbox for the contacts' addresses.
func emailed(ctx context.Context, d Deps, contacts []catalog.ContactValue, since, until time.Time) (map[string]time.Time, error) {
	if len(contacts) == 0 {
		return nil, nil
	}
	addrs := make([]string, len(contacts))
	for i, c := range contacts {
		addrs[i] = c.Email
	}
	found, err := d.Mailbox.Emailed(ctx, d.From.Address, addrs, since, until)
	if err != nil {
		return nil, fmt.Errorf("check email history of %s: %w", d.From.Address, err)
	}
	return found, nil
}

// checkStoredHistory is checkHistory over a stored list: it holds one page of contacts at a time and
// writes not_emailed (and a long emailed) to the store as it goes. A retry starts again from the top.
func checkStoredHistory(ctx context.Context, d Deps, list contentvalue.List, since, until time.Time) (historyOutput, error) {
	if d.Store == nil {
		return historyOutput{}, catalog.Fail(catalog.ErrInvalidArgument, "read %s: %v", list, contentvalue.ErrNoStore)
	}
	notEmailed := contentvalue.NewListWriter(d.Store, 0)
	emailedAddrs := []string{}
	var emailedStored *contentvalue.ListWriter // past inlineEmailed addresses
	for from := 0; from < list.Count; from += historyPageContacts {
		page, err := readContacts(ctx, d.Store, list, from, min(historyPageContacts, list.Count-from))
		if err != nil {
			return historyOutput{}, err
		}
		found, err := emailed(ctx, d, page, since, until)
		if err != nil {
			return historyOutput{}, err
		}
		for _, c := range page {
			if _, ok := found[c.Email]; !ok {
				err = notEmailed.Add(ctx, c)
			} else if emailedStored != nil {
				err = emailedStored.Add(ctx, c.Email)
			} else if emailedAddrs = append(emailedAddrs, c.Email); len(emailedAddrs) > inlineEmailed {
				emailedStored = contentvalue.NewListWriter(d.Store, 0)
				for _, addr := range emailedAddrs {
					if err = emailedStored.Add(ctx, addr); err != nil {
						break
					}
				}
				emailedAddrs = nil
			}
			if err != nil {
				return historyOutput{}, fmt.Errorf("store the result of checking %s: %w", list, err)
			}
		}
		catalog.Heartbeat(ctx, from+len(page)) // progress only: a retry reads the list again
	}
	out := historyOutput{Emailed: emailedAddrs, Since: formatTime(since), Until: formatTime(until)}
	if emailedStored != nil {
		l, err := emailedStored.Finish(ctx)
		if err != nil {
			return historyOutput{}, fmt.Errorf("store the addresses emailed of %s: %w", list, err)
		}
		out.Emailed = l.Value()
	}
	l, err := notEmailed.Finish(ctx)
	if err != nil {
		return historyOutput{}, fmt.Errorf("store the contacts not emailed of %s: %w", list, err)
	}
	out.NotEmailed = l.Value()
	return out, nil
}

// readContacts reads contacts [from, from+n) of a stored list and checks that each has an address.
func readContacts(ctx context.Context, store catalog.ContentStore, list contentvalue.List, from, n int) ([]catalog.ContactValue, error) {
	contacts := make([]catalog.ContactValue, 0, n)
	for at := from; at < from+n; at += contentvalue.MaxPageItems {
		raw, err := contentvalue.ReadRange(ctx, store, list, at, min(contentvalue.MaxPageItems, from+n-at))
		switch {
		case errors.Is(err, content.ErrNotFound):
			// Most likely another worker wrote it into a store this one does not share.
			return nil, catalog.Fail(catalog.ErrNotFound, "read %s: %v: every worker must use one content store (EAAPL_DATA_DIR on a volume they all mount; docs/scale.md)", list, err)
		case err != nil:
			return nil, fmt.Errorf("read contacts %d to %d of %s: %w", at+1, min(at+contentvalue.MaxPageItems, from+n), list, err)
		}
		for i, b := range raw {
			var c catalog.ContactValue
			if err := json.Unmarshal(b, &c); err != nil {
				return nil, catalog.Invalid("item %d of %s is not a contact: %v", at+i+1, list, err)
			}
			contacts = append(contacts, c)
		}
	}
	return contacts, checkAddresses(contacts, from)
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
