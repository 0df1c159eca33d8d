package starter

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// PrintReadBack writes a plan as numbered English sentences, for a person to check before it runs.
func PrintReadBack(w io.Writer, p *plan.Plan, now time.Time) {
	for i, s := range ReadBack(p, now) {
		fmt.Fprintf(w, "%d. %s\n", i+1, s)
	}
}

// ReadBack says in English what each step of a plan does, one sentence per step. The sentences are made
// from the plan's commands, arguments, lists and conditions, never from its descriptions: a description is
// free text (a model writes it), and the read-back must say what will run, not what the plan claims. A
// shape it has no words for is shown as the command with its arguments, as written. now is when the plan
// was made: a time range that ends then needs no end date.
func ReadBack(p *plan.Plan, now time.Time) []string {
	r := readBack{p: p, now: now, index: map[string]int{}}
	for i, s := range p.Steps {
		r.index[s.ID] = i
	}
	out := make([]string, len(p.Steps))
	for i := range p.Steps {
		out[i] = r.sentence(i)
	}
	return out
}

type readBack struct {
	p     *plan.Plan
	now   time.Time
	index map[string]int // step id -> position
}

var (
	refPattern      = regexp.MustCompile(`^\$\{\s*steps\.([a-z][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\s*\}$`)
	itemPattern     = regexp.MustCompile(`^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$`)
	notEmailedCond  = regexp.MustCompile(`^\s*!\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\.email\s+in\s+steps\.([a-z][a-z0-9_]*)\.emailed\s*\)\s*$`)
	literalListItem = regexp.MustCompile(`\{\s*'name'\s*:\s*'[^']*'\s*,\s*'email'\s*:\s*'([^']+)'\s*\}`)
	literalList     = regexp.MustCompile(`^\$\{\s*\[(\s*\{\s*'name'\s*:\s*'[^']*'\s*,\s*'email'\s*:\s*'[^']+'\s*\}\s*,?)+\]\s*\}$`)
)

// ref returns the step a "${steps.<id>.<field>}" argument reads, and the field.
func (r readBack) ref(v any) (*plan.Step, string, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, "", false
	}
	m := refPattern.FindStringSubmatch(s)
	if m == nil {
		return nil, "", false
	}
	i, ok := r.index[m[1]]
	if !ok {
		return nil, "", false
	}
	return &r.p.Steps[i], m[2], true
}

func (r readBack) sentence(i int) string {
	s := r.p.Steps[i]
	var text string
	switch s.Command {
	case "RetrieveContacts":
		if len(s.Args) == 0 {
			text = "Get your contacts."
		}
	case "CheckEmailHistory":
		text = r.history(i, s)
	case "ComposeEmail":
		text = r.compose(s)
	case "FindContact":
		text = r.findContact(s)
	case "SendEmail":
		text = r.send(i, s)
	}
	if text == "" {
		text = r.generic(s)
	}
	if s.Priority == plan.PriorityHigh {
		text = strings.TrimSuffix(text, ".") + ", urgently."
	}
	return text
}

// contactsOf names a list of contacts: "them" right after the step that got them, else the step's number.
func (r readBack) contactsOf(i int, v any) string {
	src, field, ok := r.ref(v)
	if !ok || src.Command != "RetrieveContacts" || field != "contacts" {
		return ""
	}
	if r.index[src.ID] == i-1 {
		return "them"
	}
	return fmt.Sprintf("your contacts (step %d)", r.index[src.ID]+1)
}

func (r readBack) history(i int, s plan.Step) string {
	whom := r.contactsOf(i, s.Args["contacts"])
	since, ok := r.time(s.Args["since"])
	if whom == "" || !ok {
		return ""
	}
	text := fmt.Sprintf("Find which of %s you have emailed since %s", whom, since)
	if until, ok := s.Args["until"]; ok && !r.isNow(until) {
		u, ok := r.time(until)
		if !ok {
			return ""
		}
		text += " until " + u
	}
	return text + "."
}

func (r readBack) compose(s plan.Step) string {
	body, ok := literalText(s.Args["body"])
	if !ok {
		return ""
	}
	text := fmt.Sprintf("Write the message %q", body)
	if strings.TrimSpace(body) == "" { // ComposeEmail asks the user for a blank body
		text = "Ask you what the message should say"
	}
	if v, has := s.Args["subject"]; has {
		subject, ok := literalText(v)
		if !ok {
			return ""
		}
		text += fmt.Sprintf(" with the subject %q", subject)
	}
	return text + "."
}

func (r readBack) send(i int, s plan.Step) string {
	subjSrc, subjField, ok1 := r.ref(s.Args["subject"])
	bodySrc, bodyField, ok2 := r.ref(s.Args["body"])
	if !ok1 || !ok2 || subjSrc != bodySrc || subjSrc.Command != "ComposeEmail" || subjField != "subject" || bodyField != "body" {
		return ""
	}
	what := "it"
	if r.index[subjSrc.ID] != i-1 {
		what = fmt.Sprintf("the message of step %d", r.index[subjSrc.ID]+1)
	}
	var whom string
	switch {
	case s.ForEach == nil:
		if s.If != "" {
			return ""
		}
		if src, field, ok := r.ref(s.Args["to"]); ok && src.Command == "FindContact" && field == "contact" {
			return fmt.Sprintf("Send %s to the contact of step %d.", what, r.index[src.ID]+1)
		}
		addr, ok := literalAddress(s.Args["to"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Send %s to %s.", what, addr)
	case !r.isItem(s.Args["to"], s.ForEach.As):
		return ""
	case literalList.MatchString(s.ForEach.Items):
		var addrs []string
		for _, m := range literalListItem.FindAllStringSubmatch(s.ForEach.Items, -1) {
			addrs = append(addrs, m[1])
		}
		whom = andList(addrs)
	default:
		src, field, ok := r.ref(s.ForEach.Items)
		if !ok || src.Command != "RetrieveContacts" || field != "contacts" {
			return ""
		}
		whom = "each contact"
		if r.index[src.ID] != 0 {
			whom = fmt.Sprintf("each of your contacts (step %d)", r.index[src.ID]+1)
		}
	}
	if s.If == "" {
		return fmt.Sprintf("Send %s to %s.", what, whom)
	}
	m := notEmailedCond.FindStringSubmatch(s.If)
	if m == nil || m[1] != s.ForEach.As {
		return ""
	}
	hi, ok := r.index[m[2]]
	if !ok || r.p.Steps[hi].Command != "CheckEmailHistory" {
		return ""
	}
	since, ok := r.time(r.p.Steps[hi].Args["since"])
	if !ok {
		return ""
	}
	return fmt.Sprintf("Send %s to %s you have not emailed since %s.", what, whom, since)
}

// findContact reads back a FindContact step as the rule-based planner writes it: a name, no address yet.
func (r readBack) findContact(s plan.Step) string {
	name, ok := literalText(s.Args["name"])
	if !ok || len(s.Args) != 1 {
		return ""
	}
	return fmt.Sprintf("Find your contact %q; ask you which address if several contacts or none have the name.", name)
}

// generic shows a step it has no words for as it is written.
func (r readBack) generic(s plan.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s", s.Command)
	if s.ForEach != nil {
		fmt.Fprintf(&b, " for each %s in %s", s.ForEach.As, s.ForEach.Items)
	}
	if len(s.Args) > 0 {
		b.WriteString(" with ")
		for i, k := range sortedKeys(s.Args) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = %s", k, describeValue(s.Args[k]))
		}
	}
	if s.If != "" {
		fmt.Fprintf(&b, ", when %s", s.If)
	}
	return b.String() + "."
}

func (r readBack) isItem(v any, as string) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	m := itemPattern.FindStringSubmatch(s)
	return m != nil && m[1] == as
}

// time says an RFC 3339 argument for people: "Monday 23 November", with the time when it is not midnight
// and the year when it is not this year's.
func (r readBack) time(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", false
	}
	layout := "Monday 2 January"
	if t.Year() != r.now.Year() {
		layout += " 2006"
	}
	if t.Hour() != 0 || t.Minute() != 0 {
		layout = "15:04 on " + layout
	}
	return t.Format(layout), true
}

// isNow says a time argument is the moment the plan was made, give or take the second it is rounded to.
func (r readBack) isNow(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return false
	}
	d := t.Sub(r.now)
	return d > -2*time.Second && d < 2*time.Second
}

// literalText is a text argument with no expression in it, with "$${" read as the "${" it stands for.
func literalText(v any) (string, bool) {
	s, ok := v.(string)
	if !ok || strings.Contains(strings.ReplaceAll(s, "$${", ""), "${") {
		return "", false
	}
	return strings.ReplaceAll(s, "$${", "${"), true
}

func literalAddress(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, !strings.Contains(x, "${")
	case map[string]any:
		email, ok := x["email"].(string)
		return email, ok
	}
	return "", false
}

func describeValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
