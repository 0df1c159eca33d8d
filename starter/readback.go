package starter

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
)

// ReadBackOption is a setting of the process that runs the plan which its read-back states.
type ReadBackOption func(*readBack)

// WithModel makes the read-back say that the text analysis steps send their text to this model
// (config.Config.TextModelView); without it they say the text stays on the worker.
func WithModel(m catalog.ModelView, ok bool) ReadBackOption {
	return func(r *readBack) { r.model, r.hasModel = m, ok }
}

// PrintReadBack writes a plan as numbered English sentences, for a person to check before it runs.
// A schedule is said first, so that nobody confirms a program that repeats as if it ran once; the
// times are in now's zone, named when its clock at those times is not the machine's own (so not
// "Times are in UTC." on a machine whose clock is UTC).
func PrintReadBack(w io.Writer, p *plan.Plan, now time.Time, opts ...ReadBackOption) {
	if p.Schedule != nil {
		fmt.Fprintf(w, "%s\n", planner.ReadBackSchedule(p.Schedule))
		if datesOfNow(p) {
			// The steps were planned now, for reading back; each run plans the program again at its
			// own start, so a date in them ("tomorrow", "since Monday") holds only for a run now.
			fmt.Fprintf(w, "Each run plans the program again when it starts, and its dates are that run's. A run now (%s) would do this:\n", now.Format("15:04 on Monday 2 January"))
		} else {
			fmt.Fprint(w, "Each run does this:\n")
		}
	} else if loc := now.Location(); !sameClock(p, loc, time.Local) {
		fmt.Fprintf(w, "Times are in %s.\n", loc)
	}
	for i, s := range ReadBack(p, now, opts...) {
		fmt.Fprintf(w, "%d. %s\n", i+1, s)
	}
}

// datesOfNow says a plan's steps have a time resolved when it was planned: a wait until a time, or an
// argument that is an RFC 3339 time (the email history's since and until).
func datesOfNow(p *plan.Plan) bool {
	var timed func(v any) bool
	timed = func(v any) bool {
		switch v := v.(type) {
		case string:
			_, err := time.Parse(time.RFC3339, v)
			return err == nil
		case map[string]any:
			for _, e := range v {
				if timed(e) {
					return true
				}
			}
		case []any:
			return slices.ContainsFunc(v, timed)
		}
		return false
	}
	for _, s := range p.Steps {
		if s.Wait != nil && s.Wait.Until != "" || timed(map[string]any(s.Args)) {
			return true
		}
	}
	return false
}

// sameClock says the times of a plan's waits until a time of day read the same in zone as in the
// machine's: then naming the zone ("Times are in UTC.") tells a person nothing, since the clock they
// see says those times. A plan with no such wait has no time of day to name a zone for.
func sameClock(p *plan.Plan, zone, machine *time.Location) bool {
	for _, s := range p.Steps {
		if s.Wait == nil || s.Wait.Until == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s.Wait.Until)
		if err != nil {
			return false
		}
		_, a := t.In(zone).Zone()
		_, b := t.In(machine).Zone()
		if a != b {
			return false
		}
	}
	return true
}

// ReadBack says in English what each step of a plan does, one sentence per step. The sentences are made
// from the plan's commands, arguments, lists and conditions, never from its descriptions: a description is
// free text (a model writes it), and the read-back must say what will run, not what the plan claims. A
// shape it has no words for is shown as the command with its arguments, as written. now is when the plan
// was made: a time range that ends then needs no end date.
func ReadBack(p *plan.Plan, now time.Time, opts ...ReadBackOption) []string {
	r := readBack{p: p, now: now, index: map[string]int{}}
	for _, o := range opts {
		o(&r)
	}
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

	model    catalog.ModelView // where the text analysis sends text, when hasModel
	hasModel bool
}

var (
	refPattern      = regexp.MustCompile(`^\$\{\s*steps\.([a-z][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\s*\}$`)
	itemPattern     = regexp.MustCompile(`^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$`)
	literalListItem = regexp.MustCompile(`\{\s*'name'\s*:\s*'((?:[^'\\]|\\.)*)'\s*,\s*'email'\s*:\s*'([^']+)'\s*\}`)
	literalList     = regexp.MustCompile(`^\$\{\s*\[(\s*\{\s*'name'\s*:\s*'(?:[^'\\]|\\.)*'\s*,\s*'email'\s*:\s*'[^']+'\s*\}\s*,?)+\]\s*\}$`)
)

// sentence is the command's own read-back of step i (catalog.Spec.ReadBack), or the step as written.
func (r readBack) sentence(i int) string {
	s := r.p.Steps[i]
	text, _ := planner.ReadBackConstructIn(r.p, s, r.now)
	if spec, ok := catalog.Get(s.Command); ok && text == "" {
		text = spec.ReadBack(reading{r: r, i: i})
		// A condition the command has no words for: the step read without it, then the condition.
		if cond, known := planner.ReadBackCondition(r.p, s.If, r.now.Location()); text == "" && s.If != "" && known {
			if without := spec.ReadBack(reading{r: r, i: i, noIf: true}); without != "" {
				text = strings.TrimSuffix(without, ".") + ", only if " + cond + "."
			}
		}
	}
	if text == "" {
		text = r.generic(s)
	}
	if s.Priority == plan.PriorityHigh {
		text = strings.TrimSuffix(text, ".") + ", urgently."
	}
	if len(s.After) > 0 {
		text = r.after(s.After) + ": " + lowerFirst(text)
	}
	return text
}

// after says which steps a step only comes after (plan.Step.After), and that it runs when a condition
// skipped them: "After step 3, whether it ran or a condition skipped it".
func (r readBack) after(ids []string) string {
	nums := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := r.index[id]; ok {
			nums[i] = fmt.Sprint(n + 1)
		} else {
			nums[i] = fmt.Sprintf("%q", id) // a plan that does not compile; said as written
		}
	}
	if len(nums) == 1 {
		return "After step " + nums[0] + ", whether it ran or a condition skipped it"
	}
	return "After steps " + strings.Join(nums[:len(nums)-1], ", ") + " and " + nums[len(nums)-1] + ", whether they ran or a condition skipped them"
}

// lowerFirst lower-cases a sentence's first word when it is an ordinary word ("Write" -> "write"), not
// a name such as a command's ("SendEmail") or an address.
func lowerFirst(text string) string {
	word, _, _ := strings.Cut(text, " ")
	if len(word) < 2 || word[0] < 'A' || word[0] > 'Z' || strings.ContainsFunc(word[1:], func(r rune) bool { return !unicode.IsLower(r) }) {
		return text
	}
	return strings.ToLower(text[:1]) + text[1:]
}

// reading is step i of the plan as a command's read-back sees it (catalog.Reading).
type reading struct {
	r    readBack
	i    int
	noIf bool // the step as if it had no condition (sentence says the condition)
}

func (rd reading) Step() catalog.StepView {
	v := rd.r.view(rd.i)
	if rd.noIf {
		v.If = ""
	}
	return v
}

func (rd reading) StepByID(id string) (catalog.StepView, bool) {
	i, ok := rd.r.index[id]
	if !ok {
		return catalog.StepView{}, false
	}
	return rd.r.view(i), true
}

// Ref returns the step a "${steps.<id>.<field>}" argument reads, and the field.
func (rd reading) Ref(v any) (catalog.StepView, string, bool) {
	s, ok := v.(string)
	if !ok {
		return catalog.StepView{}, "", false
	}
	m := refPattern.FindStringSubmatch(s)
	if m == nil {
		return catalog.StepView{}, "", false
	}
	i, ok := rd.r.index[m[1]]
	if !ok {
		return catalog.StepView{}, "", false
	}
	return rd.r.view(i), m[2], true
}

func (rd reading) Result(v any) (catalog.StepView, catalog.ResultWords, bool) {
	src, field, ok := rd.Ref(v)
	if !ok {
		return catalog.StepView{}, catalog.ResultWords{}, false
	}
	spec, ok := catalog.Get(src.Command)
	if !ok {
		return catalog.StepView{}, catalog.ResultWords{}, false
	}
	words, ok := spec.Forms.Results[field]
	return src, words, ok
}

func (rd reading) Text(v any) (string, bool) { return literalText(v) }
func (rd reading) Time(v any) (string, bool) { return rd.r.time(v) }
func (rd reading) IsNow(v any) bool          { return rd.r.isNow(v) }

func (rd reading) IsItem(v any) bool {
	s, ok := v.(string)
	fe := rd.r.p.Steps[rd.i].ForEach
	if !ok || fe == nil {
		return false
	}
	m := itemPattern.FindStringSubmatch(s)
	return m != nil && m[1] == fe.As
}

func (rd reading) Address(v any) (string, bool) { return literalAddress(v) }

func (rd reading) Model() (catalog.ModelView, bool) { return rd.r.model, rd.r.hasModel }

func (rd reading) Selection() (catalog.SelectionView, bool) {
	s := rd.r.p.Steps[rd.i]
	if s.ForEach == nil {
		return catalog.SelectionView{}, false
	}
	cond := s.If
	if rd.noIf {
		cond = ""
	}
	sel, ok := planner.ReadBackSelection(rd.r.p, s.ForEach.Items, s.ForEach.As, cond, rd)
	if !ok {
		return catalog.SelectionView{}, false
	}
	spec, ok := catalog.Get(sel.From.Command)
	if !ok {
		return catalog.SelectionView{}, false
	}
	words, ok := spec.Forms.Results[sel.Output]
	if !ok || words.Each == "" {
		return catalog.SelectionView{}, false
	}
	return catalog.SelectionView{From: rd.r.view(rd.r.index[sel.From.ID]), Words: words, First: sel.First, Filter: sel.Filter}, true
}

func (rd reading) Template(v any) (string, []string, bool) {
	text, ok := v.(string)
	s := rd.r.p.Steps[rd.i]
	if !ok {
		return "", nil, false
	}
	if s.ForEach != nil {
		return planner.ReadBackTemplate(text, s.ForEach.As)
	}
	// One recipient a step found ("my contact Ann"): its fields are the placeholders.
	to, _ := s.Args["to"].(string)
	m := refPattern.FindStringSubmatch(to)
	if m == nil {
		return "", nil, false
	}
	return planner.ReadBackTemplate(text, "steps."+m[1]+"."+m[2])
}

func (rd reading) Words(v any) (string, bool) {
	var items, as string
	if fe := rd.r.p.Steps[rd.i].ForEach; fe != nil {
		items, as = fe.Items, fe.As
	}
	return planner.ReadBackWords(rd.r.p, v, items, as, rd.r.now.Location())
}

func (rd reading) Addresses(items string) ([]string, bool) {
	if !literalList.MatchString(items) {
		return nil, false
	}
	var addrs []string
	for _, m := range literalListItem.FindAllStringSubmatch(items, -1) {
		name := strings.TrimSpace(strings.NewReplacer(`\'`, "'", `\\`, `\`).Replace(m[1]))
		if name != "" && !strings.Contains(name, "${") {
			addrs = append(addrs, name+" <"+m[2]+">") // "Bob <bob@example.com>": the name shown with it
			continue
		}
		addrs = append(addrs, m[2])
	}
	return addrs, true
}

// view is step i as a read-back sees it.
func (r readBack) view(i int) catalog.StepView {
	s := r.p.Steps[i]
	v := catalog.StepView{ID: s.ID, Number: i + 1, Command: s.Command, Args: s.Args, If: s.If}
	if s.ForEach != nil {
		v.ForEach = &catalog.ForEachView{Items: s.ForEach.Items, As: s.ForEach.As}
	}
	if s.AwaitReply != nil {
		// A reply wait is a construct with no arguments: its fields stand in for them, so that the send
		// after it can say whose reply it waits for, and to which email.
		v.Args = map[string]any{"to": s.AwaitReply.To, "from": s.AwaitReply.From}
	}
	return v
}

// generic says a step its command has no sentence for: the command with its arguments, each value in
// words where each of its parts has exact words ("the summary (step 2)", "the contact's first name"),
// else as written, quoted, with "(as written)".
func (r readBack) generic(s plan.Step) string {
	loc := r.now.Location()
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s", s.CommandName())
	var items, as string
	if s.ForEach != nil {
		items, as = s.ForEach.Items, s.ForEach.As
		list := planner.ReadBackValue(r.p, items, "", "", loc)
		if _, ok := planner.ReadBackExpr(r.p, as, items, as, loc); ok && !strings.HasSuffix(list, "(as written)") {
			if strings.Contains(list, " where ") { // "those of ... where ...": its clause ends before the arguments
				list = "(" + list + ")"
			}
			fmt.Fprintf(&b, " for each of %s", list) // the arguments name the item by its noun: "the contact"
		} else {
			fmt.Fprintf(&b, " for each %s in %q (as written)", as, items)
		}
	}
	if len(s.Args) > 0 {
		b.WriteString(" with ")
		for i, k := range sortedKeys(s.Args) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = %s", k, planner.ReadBackValue(r.p, s.Args[k], items, as, loc))
		}
	}
	if s.If != "" {
		if words, ok := planner.ReadBackExpr(r.p, s.If, items, as, loc); ok {
			fmt.Fprintf(&b, ", only if %s", words)
		} else {
			fmt.Fprintf(&b, ", only if %q (as written)", s.If)
		}
	}
	return b.String() + "."
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
