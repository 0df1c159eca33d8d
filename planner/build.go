package planner

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// periodKind is the kind of a time phrase.
type periodKind int

const (
	today          periodKind = iota // since 00:00 today
	thisWeek                         // since Monday 00:00
	thisMonth                        // since the 1st 00:00
	lastDays                         // since now minus days × 24 hours
	lastWeek                         // Monday to Monday of the week before this one
	lastMonth                        // the 1st to the 1st of the month before this one
	yesterday                        // 00:00 yesterday to 00:00 today
	sinceDay                         // since 00:00 of a day (yesterday, a weekday, a date) until now
	lastMonths                       // since now minus months calendar months (the same day, clamped to the month's end)
	sinceLastWeek                    // since Monday 00:00 of the week before this one, until now
	sinceLastMonth                   // since the 1st 00:00 of the month before this one, until now
)

// period is a time phrase, "this week", not yet resolved.
type period struct {
	kind   periodKind
	days   int // for lastDays
	hours  int // for lastDays, when it is in hours ("in the last 48 hours"): days is then 0
	months int // for lastMonths
	// For sinceDay: back days before today ("since yesterday": 1), or a weekday (weekday+1 in
	// weekday, so that 0 is none), or a date: month (1-12), dayOfMonth and year (0: the latest one
	// not after today).
	back, weekday, month, dayOfMonth, year int
	// negative is set when the phrase says how long something has not happened ("for a week"): it
	// fits only "haven't emailed".
	negative bool
}

// since resolves the start of the period against now, in now's location.
func (p period) since(now time.Time) time.Time {
	y, m, d := now.Date()
	monday := d - (int(now.Weekday())+6)%7
	switch p.kind {
	case today:
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	case thisWeek:
		return time.Date(y, m, monday, 0, 0, 0, 0, now.Location())
	case thisMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	case lastWeek, sinceLastWeek:
		return time.Date(y, m, monday-7, 0, 0, 0, 0, now.Location())
	case lastMonth, sinceLastMonth:
		return time.Date(y, m-1, 1, 0, 0, 0, 0, now.Location())
	case yesterday:
		return time.Date(y, m, d-1, 0, 0, 0, 0, now.Location())
	case sinceDay:
		switch {
		case p.weekday > 0:
			back := (int(now.Weekday()) - (p.weekday - 1) + 7) % 7
			return time.Date(y, m, d-back, 0, 0, 0, 0, now.Location())
		case p.month > 0:
			year := p.year
			if year == 0 {
				year = y
				if time.Date(y, time.Month(p.month), p.dayOfMonth, 0, 0, 0, 0, now.Location()).After(now) {
					year-- // "since 20 December" on 5 January: the one before
				}
			}
			return time.Date(year, time.Month(p.month), p.dayOfMonth, 0, 0, 0, 0, now.Location())
		}
		return time.Date(y, m, d-p.back, 0, 0, 0, 0, now.Location())
	case lastMonths:
		// The same day and time months before; a day the month does not have is its last day
		// ("in the last month" on 31 March is since 28 or 29 February).
		first := time.Date(y, m-time.Month(p.months), 1, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), now.Location())
		last := first.AddDate(0, 1, -1).Day()
		return first.AddDate(0, 0, min(d, last)-1)
	default:
		return now.Add(-time.Duration(p.days)*24*time.Hour - time.Duration(p.hours)*time.Hour)
	}
}

// until resolves the end of the period: now (rounded up to the second) but for yesterday, last week and
// last month.
func (p period) until(now time.Time) time.Time {
	y, m, d := now.Date()
	switch p.kind {
	case lastWeek:
		return time.Date(y, m, d-(int(now.Weekday())+6)%7, 0, 0, 0, 0, now.Location())
	case lastMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	case yesterday:
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	}
	return ceilSecond(now)
}

// calendar reports whether the period is a day, week or month counted from the day it is resolved on
// ("today", "this week", "yesterday", "since Monday"): a wait until another day changes which it is.
// A date ("since 3 December") names its day, and "in the last 7 days" is counted back from the send.
func (p period) calendar() bool {
	switch p.kind {
	case lastDays, lastMonths:
		return false
	case sinceDay:
		return p.month == 0
	}
	return true
}

// doubt says why the period cannot be resolved at now, "" when it can: "since Wednesday" on a Wednesday
// could be today or a week ago, and a date that is after now has not begun.
func (p period) doubt(now time.Time) string {
	switch {
	case p.kind != sinceDay:
	case p.weekday > 0 && time.Weekday(p.weekday-1) == now.Weekday():
		w := time.Weekday(p.weekday - 1)
		week := p.since(now).AddDate(0, 0, -7)
		return fmt.Sprintf("%s is today, so since %s could mean since today or since %s; write today, or since %s", w, w, day(week, now), week.Format("2 January"))
	case p.month > 0 && p.year > 0 && p.since(now).After(now):
		return fmt.Sprintf("%s has not come yet; the time must be in the past", day(p.since(now), now))
	case p.month > 0 && p.year == 0 && time.Date(now.Year(), time.Month(p.month), p.dayOfMonth, 0, 0, 0, 0, now.Location()).After(now):
		// "since 5 December" on 2 December: a slip, or last year's (a window of a whole year)? Not guessed.
		last := p.since(now)
		return fmt.Sprintf("%s has not come yet this year; for last year's, write since %s", last.Format("2 January"), last.Format("2 January 2006"))
	}
	return ""
}

// describe names the period for people: "since Monday 23 November", or a closed range of whole days by
// its first and last day, "between Monday 23 November and Sunday 29 November" (until is the midnight
// after the last day, which the range does not include).
func (p period) describe(now time.Time) string {
	switch p.kind {
	case lastWeek, lastMonth:
		return fmt.Sprintf("between %s and %s", day(p.since(now), now), day(p.until(now).AddDate(0, 0, -1), now))
	case yesterday:
		return fmt.Sprintf("on %s (yesterday)", day(p.since(now), now))
	}
	return "since " + day(p.since(now), now)
}

// example is a whole program, for error messages.
const example = `"Send an email to each of my contacts that says 'Hello World!'"`

// dedupe drops repeated addresses (ignoring case), keeping the first.
func dedupe(addrs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// The step ids, and the name of the item in a for_each send. A later statement's steps get _2, _3 ...
const (
	stepContacts = "contacts"
	stepHistory  = "history"
	stepCompose  = "compose"
	stepFind     = "find"
	stepSend     = "send"
	stepWait     = "wait"
	stepReply    = "wait_for_reply"
	stepCheck    = "check"
	stepAnswer   = "answer"
)

// sent is what a send statement did, for the statements after it: "again", "it", "her", a reply.
type sent struct {
	send    string         // its step id
	to      any            // its "to" argument when it has one recipient
	from    string         // that recipient's address, or an expression for it
	forEach *plan.ForEach  // or its list
	cond    string         // and the condition on each item
	args    map[string]any // subject, body and attachments
	cc      any            // who got a copy, for "send it again"
	deps    []string       // the steps the subject and body come from
	whom    string         // for descriptions
	you     bool           // the one recipient is you ("to me"): never "her", "him" or "them"
}

// list is a list of contacts an earlier statement selected, for "them" and "those contacts".
type list struct {
	items string // an expression, without ${ }
	desc  string
	// base and cond are items as a list and the condition on each of it, when items is base filtered
	// by cond: a condition after "them" joins cond, as the direct form's conditions are joined.
	base, cond string
}

// builder writes the plan of a program, statement after statement.
type builder struct {
	l   *language
	p   *plan.Plan
	now time.Time
	n   int // the statement being built, from 1
	// ref is the time the statement runs at, which its time phrases ("this week") are resolved against:
	// the start, or the end of an earlier wait until a time. After a wait of a duration it is not known
	// (unknown says which wait), and a time phrase is refused rather than resolved against a guess.
	ref     time.Time
	unknown string
	// before is ref before the statement's own wait ("tomorrow at 9am send ..."): a day phrase in a
	// statement that itself waits until another day has two readings.
	before time.Time
	// earliest is the soonest the statement can run: ref plus the waits of a duration since. A time of
	// day not after it cannot be kept ("Wait 20 hours. Send ... at 5pm"), so it is refused.
	earliest  time.Time
	prev      []string // the steps the statement waits for: the last ones of the statement before
	ids       []string // the steps of the statement being built
	last      *sent
	lastList  *list
	named     map[string]*list // the lists the program named
	words     []string         // the program's words, by token
	made      []*made          // the steps of command statements, for "it", "the summary" and conditions
	fresh     bool             // a command statement came after the last email: "it" is its result
	records   bool             // the items of the iteration being built are records with fields (rows), not text
	readChain bool             // the statement before ran a command that only reads
	// people are the single recipients named so far, by description: "him" after two of them could be
	// either, and EaaPL does not guess which from a name or an address.
	people []string
	// listAt and oneAt are the statements that last selected a list (lastList) and last emailed one
	// recipient, so that "them" after both is refused rather than read as either.
	listAt, oneAt int
	answerAt      int             // the statement that last answered a question
	me            string          // your address, for "me"; "" when it is not known
	skippable     map[string]bool // mayBeSkipped's answers
}

func (b *builder) id(base string) string {
	if b.n <= 1 {
		return base
	}
	return base + "_" + strconv.Itoa(b.n)
}

func (b *builder) add(s plan.Step) {
	b.p.Steps = append(b.p.Steps, s)
	b.ids = append(b.ids, s.ID)
}

// build writes the plan of a parsed program. now is in the zone that time phrases are in.
func build(l *language, prog *parsedProgram, words []string, text string, now time.Time, me string) (*plan.Plan, *failure, error) {
	b := &builder{l: l, words: words, p: &plan.Plan{Version: plan.Version, Program: text}, now: now, ref: now, earliest: now, me: me}
	if sc := prog.schedule; sc != nil {
		zone := now.Location().String() // "Local" is refused below, once the statements are understood
		var cals []plan.Calendar
		for _, c := range sc.clocks {
			cals = append(cals, plan.Calendar{DaysOfWeek: sc.days, DayOfMonth: sc.dayOfMonth, Hour: c.hour, Minute: c.minute})
		}
		b.p.Schedule = &plan.Schedule{Calendar: cals, TimeZone: zone, Program: prog.body}
	}
	for i, s := range prog.statements {
		b.n = i + 1
		b.ids = nil
		b.before = b.ref
		var f *failure
		var err error
		switch s.kind {
		case waitStatement:
			f = b.wait(s.wait, s.span)
		case answerStatement:
			f = b.answer(s)
		case nameStatement:
			if b.lastList == nil {
				f = &failure{from: s.span.from, to: s.span.to, why: "there is no list before it to name; name a list of contacts, like List my contacts at acme.com. Call them the acme people."}
				break
			}
			if _, taken := b.named[s.name]; taken {
				// A second "call them acme" is more likely a slip than a wish to forget the first list.
				f = &failure{from: s.span.from, to: s.span.to, why: fmt.Sprintf("%q already names a list before it; give this list another name", s.name)}
				break
			}
			if b.named == nil {
				b.named = map[string]*list{}
			}
			b.named[s.name] = b.lastList
		case commandStatement:
			f = b.command(s.command)
		default:
			f, err = b.send(s)
		}
		if f != nil || err != nil {
			return nil, f, err
		}
		// Reads after reads ("open it, analyze it for trends, and summarize it") wait only for the
		// data they read: nothing in the world changes between them.
		reads := s.kind == commandStatement && s.command.form.spec.SideEffect == catalog.Reads
		b.linkAfter(!(reads && b.readChain))
		b.readChain = reads
	}
	if f := b.quiet(); f != nil {
		return nil, f, nil
	}
	if b.p.Schedule != nil && b.p.Schedule.TimeZone == "Local" {
		// The machine's zone has no name a Temporal Schedule can keep (docs/llm-planner.md, "Schedules and
		// time zones"): refused as the LLM planner refuses it, after the grammar, so that a program with a
		// mistake is told about the mistake first.
		return nil, nil, errScheduleZone
	}
	return b.p, nil, nil
}

// link makes the first steps of the statement just built wait for the statement before, and remembers
// its last steps for the next.
func (b *builder) link() { b.linkAfter(true) }

// linkAfter is link, adding the wait for the statement before only when after is true. A step of the
// statement before that a condition may skip is waited for in after, for order only, so that the
// statement still runs when it is skipped: "If I haven't emailed alice@example.com today, send her 'Hi'.
// Then send 'Yo' to bob@example.com" emails bob after alice's send has ended, sent or skipped. The
// others are waited for in depends_on (it makes no difference: nothing but a failure skips them).
func (b *builder) linkAfter(after bool) {
	mine := map[string]bool{}
	for _, id := range b.ids {
		mine[id] = true
	}
	needed := map[string]bool{}
	for _, id := range b.ids {
		s, _ := b.p.Step(id)
		root := true
		for _, d := range s.DependsOn {
			if mine[d] {
				root, needed[d] = false, true
			}
		}
		if root && after {
			for _, d := range b.prev {
				switch {
				case b.waitsFor(s, d):
				case b.mayBeSkipped(d):
					s.After = append(s.After, d)
				default:
					s.DependsOn = append(s.DependsOn, d)
				}
			}
		}
	}
	var sinks []string
	for _, id := range b.ids {
		if !needed[id] {
			sinks = append(sinks, id)
		}
	}
	if len(sinks) > 0 {
		b.prev = sinks
	}
}

// waitsFor reports whether step s waits for step id, directly or through the steps it waits for.
func (b *builder) waitsFor(s *plan.Step, id string) bool {
	seen := map[string]bool{}
	todo := slices.Concat(s.DependsOn, s.After)
	for len(todo) > 0 {
		d := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if d == id {
			return true
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		if ds, ok := b.p.Step(d); ok {
			todo = append(todo, ds.DependsOn...)
			todo = append(todo, ds.After...)
		}
	}
	return false
}

// mayBeSkipped reports whether a condition may skip step id when the program runs: it is one step (not
// one per item) with a condition, or it depends on such a step (a step it only comes after does not skip
// it). It is asked when the statement after id is linked, once id's statement is built, so the answer is
// kept.
func (b *builder) mayBeSkipped(id string) bool {
	if v, ok := b.skippable[id]; ok {
		return v
	}
	s, ok := b.p.Step(id)
	if !ok {
		return false
	}
	v := s.If != "" && s.ForEach == nil
	for _, d := range s.DependsOn {
		v = v || b.mayBeSkipped(d)
	}
	if b.skippable == nil {
		b.skippable = map[string]bool{}
	}
	b.skippable[id] = v
	return v
}

// wait adds a wait step.
func (b *builder) wait(w *whenClause, sp span) *failure {
	step := plan.Step{ID: b.id(stepWait)}
	if w.after > 0 {
		step.Wait = &plan.Wait{For: time.Duration(w.after).String()}
		if b.unknown == "" {
			b.unknown = w.describe(b.now)
		}
		b.earliest = b.earliest.Add(time.Duration(w.after))
		if b.earliest.Sub(b.now) > maxDuration {
			return &failure{from: w.from, to: w.to, why: "the waits of the program add up to more than 366 days; a program waits at most 366 days in all"}
		}
		step.Description = "Wait " + w.describe(b.now) + "."
	} else {
		at, why := w.resolve(b.now)
		switch {
		case b.p.Schedule != nil:
			// "Every weekday at 9am, send 'x' to bob@example.com on Friday at 9am": each run would wait from
			// its own day (four emails on Friday), and "Every Monday at 9am and Friday at 5pm" is not two times.
			return &failure{from: w.from, to: w.to, why: "a scheduled program runs at the schedule's days and times, so a day or a time of day in it would be waited for from every run; put it in the schedule, like Every Friday at 5pm, ... (for days with their own times, make a schedule for each), or wait a while: wait 10 minutes, then ..."}
		case why != "":
			return &failure{from: w.from, to: w.to, why: why}
		case !at.After(b.now):
			return &failure{from: w.from, to: w.to, why: fmt.Sprintf("%s today has passed; say tomorrow at %s, or another day", w.clock, w.clock)}
		case !at.After(b.ref):
			return &failure{from: w.from, to: w.to, why: "it is before the time the statement before it runs; put the statements in the order they run"}
		case !at.After(b.earliest):
			return &failure{from: w.from, to: w.to, why: fmt.Sprintf("after the wait %s it may already be past %s, so that time cannot be kept; name a day after the wait ends, or wait until a time instead",
				b.unknown, at.Format("15:04 on Monday 2 January"))}
		}
		b.ref, b.earliest = at, at
		step.Wait = &plan.Wait{Until: at.Format(time.RFC3339)}
		step.Description = "Wait " + w.describe(b.now) + "."
	}
	b.add(step)
	b.link()
	b.ids = nil
	return nil
}

// contacts adds the step that gets the contacts, once per program.
func (b *builder) contacts() {
	if _, ok := b.p.Step(stepContacts); ok {
		return
	}
	b.add(plan.Step{ID: stepContacts, Command: b.l.listCommand, Description: "Get your contacts."})
}

// history adds the step that finds whom the user emailed in a period, over the contacts expression.
func (b *builder) history(contacts any, per period, what string, at, when span) (string, *failure) {
	if b.unknown != "" {
		return "", &failure{from: at.from, to: at.to, why: fmt.Sprintf("after the wait %s the program cannot know which dates that is; give a time of day instead, like tomorrow at 9am", b.unknown)}
	}
	if why := per.doubt(b.ref); why != "" {
		return "", &failure{from: when.from, to: when.to, why: why}
	}
	if per.calendar() && !b.ref.Equal(b.now) && !per.since(b.ref).Equal(per.since(b.now)) {
		// "If I haven't emailed bob today, tomorrow at 9am send him 'Hi'": the sentence sets today against
		// tomorrow, so today is the day it was said, while by the rule for waits it is the day the
		// statement runs; EaaPL does not guess which.
		phrase := strings.Join(b.words[when.from:when.to], " ")
		return "", &failure{from: when.from, to: when.to, why: fmt.Sprintf("it runs after a wait until %s, so %q could mean %s (from when you wrote it) or %s (from when it runs); say which with a date, like since %s or since %s",
			b.ref.Format("Monday 2 January at 15:04"), phrase, per.describe(b.now), per.describe(b.ref), per.since(b.now).Format("2 January"), per.since(b.ref).Format("2 January"))}
	}
	id := b.id(stepHistory)
	s := plan.Step{
		ID:          id,
		Command:     b.l.history,
		Description: fmt.Sprintf("Find which of %s you have emailed %s.", what, per.describe(b.ref)),
		Args: map[string]any{
			"contacts": contacts,
			"since":    per.since(b.ref).Format(time.RFC3339),
			"until":    per.until(b.ref).Format(time.RFC3339),
		},
	}
	if until := per.until(b.ref); until.Equal(ceilSecond(b.ref)) && b.sendsBefore() {
		// "Send 'Hi' to bob@example.com. Unless I emailed him today, send him 'Bye'": the window runs up to
		// when the step runs (CheckEmailHistory's until, empty, is then), so that the emails the program
		// sent before it are in it; a window ending when the plan was made would leave them out.
		delete(s.Args, "until")
	}
	if c, ok := contacts.(string); ok && strings.Contains(c, "steps."+stepContacts+".") {
		s.DependsOn = []string{stepContacts}
	}
	if c, ok := contacts.(string); ok {
		if m := findRef.FindStringSubmatch(c); m != nil {
			s.DependsOn = []string{m[1]} // the contact a step found, maybe a statement before
		}
	}
	if _, list := contacts.([]any); list || strings.HasPrefix(fmt.Sprint(contacts), "${[") {
		s.Description = fmt.Sprintf("Find whether you have emailed %s %s.", what, per.describe(b.ref))
	}
	b.add(s)
	return id, nil
}

// sendsBefore reports whether a step of the plan so far sends email.
func (b *builder) sendsBefore() bool {
	return slices.ContainsFunc(b.p.Steps, func(s plan.Step) bool { return s.Command == b.l.sendEmail })
}

// findRef is a reference to the contact a find step found.
var findRef = regexp.MustCompile(`steps\.(` + stepFind + `(?:_[0-9]+)?)\.`)

// selected is a selection written as plan parts: the for_each items, the condition on each item, and
// words for descriptions.
type selected struct {
	items     string // an expression, without ${ }
	cond      string // on the item "contact"; empty when every item is sent to
	desc      string // "your contacts at acme.com except Dave"
	skip      string // why an item is skipped
	condWords string // the condition on the email history, for people: "you have not emailed since ..."
	deps      []string
	condition bool // a condition on the email history (the golden descriptions)
}

// selectContacts writes a selection with its conditions on the email history.
func (b *builder) selectContacts(sel *selection, conds []conditionClause) (*selected, *failure) {
	b.contacts()
	out := &selected{items: "steps." + stepContacts + "." + b.l.list.Output, desc: "your contacts", deps: []string{stepContacts}}
	var preds []string
	var words []string   // the kept ones: "at acme.com", "named John"
	var except []string  // those left out: "Dave", "those at acme.com"
	var reasons []string // why an item is skipped, one per filter: each reads after "not sent: "
	if sel != nil && sel.ownFirst && (len(sel.domains) > 0 || sel.prefix != "" || sel.named != "" || len(sel.except) > 0 || sel.emailed != nil || len(conds) > 0) {
		// "my first 10 contacts at acme.com": the first 10 of those at acme.com, or those of the first 10
		// who are? "the first 10 of my contacts at acme.com" says it: the first 10 after the filters.
		return nil, &failure{from: sel.from, to: sel.to, why: "it is not clear whether the first N are counted before or after what follows; write the first 10 of my contacts at acme.com (the first 10 of those the filters keep)"}
	}
	if sel != nil {
		preds, words, reasons = b.filterPreds(sel)
		var names, groups []string // the names and addresses left out; the groups left out
		for _, e := range sel.except {
			switch {
			case e.group != nil:
				gp, gw, _ := b.filterPreds(e.group)
				preds = append(preds, "!"+parenthesize(strings.Join(gp, " && "), len(gp) > 1))
				except = append(except, "those "+strings.Join(gw, " "))
				groups = append(groups, "those "+strings.Join(gw, " "))
			case strings.Contains(e.who, "@"):
				preds = append(preds, fmt.Sprintf("%s.%s.lowerAscii() != %s", b.l.list.Item, b.l.list.Email, celString(lowerASCII(e.who))))
				except = append(except, e.who)
				names = append(names, e.who)
			default:
				preds = append(preds, "!"+b.nameIs(b.l.list.Item, e.who))
				except = append(except, e.who)
				names = append(names, e.who)
			}
		}
		switch len(names) {
		case 0:
		case 1:
			reasons = append(reasons, "it is "+names[0]+", who is left out")
		default:
			reasons = append(reasons, "it is "+orList(names)+", who are left out")
		}
		for _, g := range groups {
			reasons = append(reasons, "it is one of "+g+", who are left out")
		}
		if sel.emailed != nil {
			// "except those who I emailed this week": the contacts I have not emailed this week.
			if len(conds) > 0 {
				return nil, &failure{from: sel.emailed.from, to: sel.emailed.to, why: "the program already has a condition; give one"}
			}
			c := *sel.emailed
			c.emailed = !c.emailed
			conds = []conditionClause{c}
		}
	}
	if len(conds) > 1 {
		return nil, &failure{from: conds[1].from, to: conds[1].to, why: "the program already has a condition; give one"}
	}
	if len(conds) == 1 {
		c := conds[0]
		what := "them"
		if sel != nil && sel.filtered() {
			what = "your contacts"
		}
		id, f := b.history("${"+out.items+"}", c.period, what, c.span, c.when)
		if f != nil {
			return nil, f
		}
		out.deps = []string{id}
		out.condition = true
		if c.emailed {
			preds = append(preds, fmt.Sprintf("%s.email in steps.%s.emailed", b.l.list.Item, id))
			out.condWords = "you have emailed " + c.period.describe(b.ref)
			reasons = append(reasons, "you have not emailed them "+c.period.describe(b.ref))
		} else {
			preds = append(preds, fmt.Sprintf("!(%s.email in steps.%s.emailed)", b.l.list.Item, id))
			out.condWords = "you have not emailed " + c.period.describe(b.ref)
			reasons = append(reasons, "you emailed them "+c.period.describe(b.ref))
		}
		words = append(words, out.condWords)
	}
	cond := strings.Join(preds, " && ")
	if len(words) > 0 || len(except) > 0 {
		out.desc = strings.Join(append([]string{out.desc}, words...), " ")
		if len(except) > 0 {
			// A comma closes the clause "you have not emailed since ...", so that the exception is not
			// read as part of it; after "at acme.com" or "named John" it would be a stray one.
			if out.condWords != "" {
				out.desc += ","
			}
			out.desc += " except " + andList(except)
		}
		out.skip = orReasons(reasons)
	}
	if sel != nil && sel.first > 0 {
		list := out.items
		if cond != "" {
			list = fmt.Sprintf("%s.filter(%s, %s)", out.items, b.l.list.Item, cond)
		}
		out.items = fmt.Sprintf("(size(%s) > %d ? %s.slice(0, %d) : %s)", list, sel.first, list, sel.first, list)
		out.desc = fmt.Sprintf("the first %d of %s", sel.first, out.desc)
		cond, out.skip = "", ""
	}
	out.cond = cond
	return out, nil
}

// orReasons joins the reasons an item may be skipped for, one per filter it may fail: "it is not at
// acme.com, or it is Dave, who is left out".
func orReasons(reasons []string) string {
	out := ""
	for _, r := range reasons {
		out = joinReasons(out, r)
	}
	return out
}

// filterPreds writes the filters of a selection, but not its exceptions, as CEL conditions on the item,
// as words ("at acme.com", "named Bob") and as the reasons an item that fails one is skipped ("it is not
// at acme.com").
func (b *builder) filterPreds(sel *selection) (preds, words, reasons []string) {
	if len(sel.domains) > 0 {
		var or []string
		for _, d := range sel.domains {
			or = append(or, fmt.Sprintf("%s.%s.lowerAscii().endsWith(%s)", b.l.list.Item, b.l.list.Email, celString("@"+d)))
		}
		preds = append(preds, parenthesize(strings.Join(or, " || "), len(or) > 1))
		words = append(words, "at "+orList(sel.domains))
		reasons = append(reasons, "it is not at "+orList(sel.domains))
	}
	if sel.named != "" {
		preds = append(preds, b.nameIs(b.l.list.Item, sel.named))
		words = append(words, "named "+sel.named)
		reasons = append(reasons, "it is not named "+sel.named)
	}
	if sel.prefix != "" {
		preds = append(preds, fmt.Sprintf("%s.%s.trim().lowerAscii().startsWith(%s)", b.l.list.Item, b.l.list.Name, celString(lowerASCII(sel.prefix))))
		words = append(words, fmt.Sprintf("whose name starts with %q", sel.prefix))
		reasons = append(reasons, fmt.Sprintf("its name does not start with %q", sel.prefix))
	}
	return preds, words, reasons
}

// nameIs is a CEL condition: the item's full name or first name is name, ignoring case.
func (b *builder) nameIs(item, name string) string {
	n, f := celString(lowerASCII(name)), b.l.list.Name
	return fmt.Sprintf("(%s.%s.trim().lowerAscii() == %s || %s.%s.trim().lowerAscii().split(' ')[0] == %s)", item, f, n, item, f, n)
}

// lowerASCII lowers the letters A to Z only, as CEL's lowerAscii() lowers the contact's field it is
// compared with: strings.ToLower would lower "Émile" to "émile", which no contact's lowered name equals.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// celString writes text as a CEL string literal. The text comes from the program, never from data.
func celString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// celName is a display name as a CEL string literal in single quotes, as the addresses are (empty for
// none, as before names were given). A name is letters, spaces, dots, hyphens and apostrophes (nameAt),
// so only the apostrophe needs escaping.
func celName(name string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), "'", `\'`) + "'"
}

func parenthesize(s string, yes bool) string {
	if yes {
		return "(" + s + ")"
	}
	return s
}

// answer adds the steps of a question and its answer.
func (b *builder) answer(s *sentence) *failure {
	sel, f := b.selectContacts(s.forEach, s.conditions)
	if f != nil {
		return f
	}
	items := sel.items
	if sel.cond != "" {
		items = fmt.Sprintf("%s.filter(%s, %s)", sel.items, b.l.list.Item, sel.cond)
	}
	a := &plan.Answer{Value: "${" + items + "}", Kind: plan.AnswerList, Label: sel.desc}
	desc := "Answer: " + sel.desc + "."
	if s.count {
		a.Value, a.Kind = "${size("+items+")}", plan.AnswerNumber
		desc = "Answer: how many of " + sel.desc + "."
		a.Label = "how many of " + sel.desc
	}
	b.add(plan.Step{ID: b.id(stepAnswer), Answer: a, Description: desc, DependsOn: sel.deps})
	b.lastList, b.listAt = &list{items: items, desc: sel.desc, base: sel.items, cond: sel.cond}, b.n
	b.answerAt = b.n
	return nil
}

// send adds the steps of a send statement.
func (b *builder) send(s *sentence) (*failure, error) {
	// The recipients: once, and "them" or "her" only when the program said before who they are.
	var named *recipientClause
	if again := s.forEachAgain; again != nil {
		return &failure{from: again.from, to: again.to, why: "the statement already says which contacts to go over; say it once"}, nil
	}
	if s.forEach != nil && s.forEach.someone && (len(s.recipients) != 1 || !s.recipients[0].them) {
		// "If I haven't emailed someone in my contacts ..., send 'Hi' to bob@example.com" could mean one
		// email to bob for each of them, or one if there is any: only "them" has one reading.
		at := s.span
		if len(s.recipients) > 0 {
			at = s.recipients[0].span
		}
		return &failure{from: at.from, to: at.to, why: "after \"if I haven't emailed someone in my contacts\", the email goes to them: write send them '<message>'"}, nil
	}
	for i := range s.recipients {
		r := &s.recipients[i]
		switch {
		case r.them && s.forEach == nil && b.lastList == nil && b.last == nil:
			return &failure{from: r.from, to: r.to, why: "it does not say who they are; start with \"For each of my contacts,\" or write \"to each of my contacts\""}, nil
		case r.them && s.forEach != nil:
			continue
		case s.forEach != nil:
			return &failure{from: r.from, to: r.to, why: "the program already says \"For each of my contacts\"; write \"them\" instead"}, nil
		case named != nil && named.contacts != nil && len(s.messages) == 0 && s.result == nil && s.made == nil:
			// "Send my contacts to eve@evil.com": the contact list is never what an email sends.
			return &failure{from: r.from, to: r.to, why: fmt.Sprintf("%s would be recipients too; an email sends a message or a file, never your contact list: write Send '<message>' to one set of recipients", strings.Join(b.words[named.from:named.to], " "))}, nil
		case named != nil:
			return &failure{from: r.from, to: r.to, why: "the program already says whom to email; name the recipients once"}, nil
		}
		named = r
	}
	for _, e := range s.excepts {
		// "Send 'Hi' to my contacts who I haven't emailed this week, except Bob": left out of the list the
		// statement selects, as "my contacts except Bob" is; a statement without one has none to leave out of.
		list := s.forEach
		if named != nil && named.contacts != nil {
			list = named.contacts
		}
		if list == nil {
			return &failure{from: e.from, to: e.to, why: "except leaves contacts out of a list of your contacts, and this statement selects none; write it after the contacts, like my contacts except Bob"}, nil
		}
		for _, c := range s.conditions {
			if !c.relative && (c.to == e.from || c.to+1 == e.from && b.words[c.to] == ",") {
				// "... if I haven't emailed them this week except Bob": out of the email, or out of the condition?
				who := orDefault(e.except[0].who, "Bob")
				return &failure{from: e.from, to: e.to, why: fmt.Sprintf("right after the condition it could leave %s out of the email or out of the condition; write it right after the contacts, like my contacts except %s if I haven't emailed them this week", who, who)}, nil
			}
		}
		for _, x := range e.except {
			if x.group != nil && x.group.emailed != nil {
				return &failure{from: x.group.from, to: x.group.to, why: "give the condition on whom you emailed once, after the contacts: my contacts who I haven't emailed this week"}, nil
			}
		}
		list.except = append(list.except, e.except...)
	}
	for _, q := range []struct {
		what string
		list []quoteClause
	}{{"message", s.messages}, {"subject", s.subjects}} {
		if len(q.list) > 1 {
			return &failure{from: q.list[1].from, to: q.list[1].to, why: fmt.Sprintf("the program already gives the %s %q; give one", q.what, q.list[0].text)}, nil
		}
	}
	if len(s.whens) > 1 {
		return &failure{from: s.whens[1].from, to: s.whens[1].to, why: "the program already says when; say it once"}, nil
	}
	if len(s.replies) > 1 {
		return &failure{from: s.replies[1].from, to: s.replies[1].to, why: "the statement already waits for a reply"}, nil
	}
	var cond *conditionClause
	if len(s.conditions) > 1 {
		return &failure{from: s.conditions[1].from, to: s.conditions[1].to, why: "the program already has a condition; give one"}, nil
	}
	if len(s.conditions) == 1 {
		cond = &s.conditions[0]
	}
	used := false // whether the plan has the condition: one is never dropped
	again := s.again != nil || len(s.replies) == 1 && named == nil && len(s.messages) == 0
	if again && b.last == nil {
		why := "there is no email before it to send again"
		at := span{s.span.from, s.span.to}
		if s.again != nil {
			at = *s.again
		}
		return &failure{from: at.from, to: at.to, why: why}, nil
	}
	if len(s.subjects) == 1 {
		q := s.subjects[0]
		if strings.TrimSpace(q.text) == "" {
			return &failure{from: q.from, to: q.to, why: "the subject is empty; write it between the quotes"}, nil
		}
		if strings.ContainsAny(q.text, "\r\n") {
			return &failure{from: q.from, to: q.to, why: "a subject must be one line"}, nil
		}
	}
	if len(s.messages) == 1 && strings.TrimSpace(s.messages[0].text) == "" {
		q := s.messages[0]
		return &failure{from: q.from, to: q.to, why: "the message is empty; write it between the quotes"}, nil
	}

	for _, r := range append([]recipientClause{}, s.recipients...) {
		if r.quoted && len(s.messages) == 0 && s.result == nil && s.made == nil && !s.it && s.again == nil {
			// "Email my contact 'Ann Lee'": the quotation could be the name or the message.
			return &failure{from: r.from, to: r.to, why: fmt.Sprintf("'%s' could be the contact's name or the message; give the message too, like Send 'Hi' to my contact '%s'", r.name, r.name)}, nil
		}
	}
	// "to me", "to myself", "if I haven't emailed myself": your own address, as one recipient.
	for _, r := range []**recipientClause{&named, whoOf(cond)} {
		if r == nil || *r == nil || !(*r).me {
			continue
		}
		if b.me == "" {
			return &failure{from: (*r).from, to: (*r).to, why: "EaaPL does not know your address: set EAAPL_USER_EMAIL, or write it, like to me@example.com"}, nil
		}
		you := **r
		you.me, you.addresses, you.you = false, []string{b.me}, true
		*r = &you
	}
	// "them" after an email to one recipient is that recipient ("Send 'Bye' to them", "If they don't
	// reply ..., send them ..."), as "him" or "her" is; after a list too it could be either, and is refused.
	if named != nil && (named.them || named.one) && s.forEach == nil && b.last != nil && b.last.you && b.oneAt > b.listAt && (cond == nil || cond.who == nil || cond.who.one) {
		// "Send 'Hi' to me. Send 'Bye' to her.": her is someone, and the program has not said who.
		return &failure{from: named.from, to: named.to, why: fmt.Sprintf("the email before went to you, and %q is someone else; name the recipient", b.words[named.to-1])}, nil
	}
	if named != nil && named.them && s.forEach == nil && b.last != nil && b.last.forEach == nil && b.last.from != "" && b.oneAt > b.listAt {
		if b.lastList != nil {
			return &failure{from: named.from, to: named.to, why: fmt.Sprintf("%q could be %s or %s; name the recipients again", b.words[named.to-1], b.last.whom, b.lastList.desc)}, nil
		}
		one := *named
		one.them, one.one = false, true
		named = &one
	}

	// The wait before the statement, and the wait for a reply.
	if len(s.whens) == 1 && len(s.replies) == 1 {
		// "... and if he doesn't reply within a day, send it again tomorrow at 9am": the time could begin the
		// wait for the reply or be when the email goes again, before the wait can have ended.
		w := s.whens[0]
		return &failure{from: w.from, to: w.to, why: "a time with a wait for a reply could be when the wait begins or when the email goes again; give the wait alone (if he doesn't reply within a day, send it again), or wait first (Tomorrow at 9am, ... ) in a statement of its own"}, nil
	}
	if len(s.whens) == 1 {
		if f := b.wait(&s.whens[0], s.whens[0].span); f != nil {
			return f, nil
		}
	}
	replyIf := ""
	if len(s.replies) == 1 {
		r := s.replies[0]
		if b.last == nil || b.last.from == "" {
			return &failure{from: r.from, to: r.to, why: "a reply can be awaited after an email to one recipient; say whom before, like Send 'Are you coming?' to bob@example.com"}, nil
		}
		if b.last.you {
			return &failure{from: r.from, to: r.to, why: "the email before went to you; a reply is awaited from someone else: say whom before, like Send 'Are you coming?' to bob@example.com"}, nil
		}
		if len(b.people) > 1 {
			return &failure{from: r.from, to: r.to, why: fmt.Sprintf("it could mean a reply from %s; a reply is awaited only when one person was emailed before", orList(b.people))}, nil
		}
		id := b.id(stepReply)
		within := time.Duration(r.within)
		b.add(plan.Step{
			ID:          id,
			AwaitReply:  &plan.AwaitReply{To: "${steps." + b.last.send + ".message_id}", From: b.last.from, Within: within.String()},
			Description: fmt.Sprintf("Wait up to %s for %s to reply.", catalog.DescribeDuration(within), b.last.whom),
			DependsOn:   []string{b.last.send},
		})
		replyIf = "!steps." + id + ".replied"
		// What follows runs when the reply came or the wait ended: a time phrase after it ("If I haven't
		// emailed him today, ...") or a time of day before its end cannot be said, as after "wait 2 hours".
		if b.unknown == "" {
			b.unknown = "for a reply (up to " + catalog.DescribeDuration(within) + ")"
		}
		b.earliest = b.earliest.Add(within)
	}

	// Whom.
	send := plan.Step{ID: b.id(stepSend), Command: b.l.sendEmail, Args: map[string]any{}}
	var whom string        // for descriptions
	var item string        // the expression of one recipient, for placeholders
	var literalTo []string // the addresses, when they are known now
	var sel *selected
	var one *sent    // a single recipient, for a reply later
	var each string  // the item of an iteration over rows or lines
	var table string // the step that reads the rows or lines
	if named != nil && named.itObject && s.iter == nil {
		// "Read todo.txt and email it 'Hi'": the document, or whom? Outside a list it is what a step made.
		return &failure{from: named.from, to: named.to + 1, why: "say either what a step made or a message, not both"}, nil
	}
	if named != nil && (named.it || named.column != "") && s.iter == nil {
		return &failure{from: named.from, to: named.to, why: "it names an item, and the statement goes over no list; start with For each row in <table> or For each line in <file>"}, nil
	}
	switch {
	case s.iter != nil:
		if cond != nil {
			return &failure{from: cond.from, to: cond.to, why: "a condition on whom you emailed works only with your contacts"}, nil
		}
		id, items, as, where, f := b.iterate(s.iter)
		if f != nil {
			return f, nil
		}
		table = id
		send.ForEach = &plan.ForEach{Items: "${" + items + "}", As: as}
		send.If = where
		for _, w := range s.iter.where {
			// "its status is not "late"": the one test a skipped row may fail.
			if w.not {
				send.SkipReason = joinReasons(send.SkipReason, fmt.Sprintf("its %s is %q", w.field, w.value))
			} else {
				send.SkipReason = joinReasons(send.SkipReason, fmt.Sprintf("its %s is not %q", w.field, w.value))
			}
		}
		send.DependsOn = append(send.DependsOn, id)
		each = as
		switch {
		case named == nil && s.result != nil && !b.records:
			// "For each line in emails.txt, email it": the line as the message, to whom? Or to the line, saying what?
			return &failure{from: s.span.from, to: s.span.to, why: fmt.Sprintf("say the message and whom: for each %s, email it saying '<message>' sends it to the %s, an address", as, as)}, nil
		case named == nil:
			return &failure{from: s.span.from, to: s.span.to, why: fmt.Sprintf("say whom to email for each %s: the address in the <column> column, or it (each line an address)", as)}, nil
		case named.column != "":
			send.Args["to"] = "${" + as + "." + named.column + "}"
			b.addColumns(table, named.column)
			whom = fmt.Sprintf("the address in the %s column of each %s", named.column, as)
		case named.it && b.records:
			// A row is a record of cells, not an address: which cell is meant is never guessed.
			return &failure{from: named.from, to: named.to, why: fmt.Sprintf("a %s is not an address; say the address in the <column> column, like the address in the email column", as)}, nil
		case named.it:
			send.Args["to"] = "${" + as + "}"
			whom = "each " + as
		default:
			return &failure{from: named.from, to: named.to, why: fmt.Sprintf("for each %s, the email goes to the address in one column (the address in the email column) or to it (each line an address)", as)}, nil
		}
	case named == nil && s.forEach == nil && again:
		// The recipients of the email before. For one recipient after a reply wait the condition of the
		// email before is not repeated: the wait depends on that email, and is skipped with it.
		send.Args["to"], send.If = b.last.to, b.last.cond
		if replyIf != "" && b.last.forEach == nil {
			send.If = ""
		}
		if b.last.forEach != nil {
			fe := *b.last.forEach
			send.ForEach = &fe
			item = b.l.list.Item
		}
		whom = b.last.whom
		one = b.last
		if cond != nil {
			// "Send it again if I haven't emailed them today": the condition on the same recipients.
			if cond.who != nil && !cond.who.one {
				return &failure{from: cond.from, to: cond.to, why: "an email sent again goes to the recipients before; in its condition write him, her or them"}, nil
			}
			if f := b.condOnSent(&send, cond, &whom); f != nil {
				return f, nil
			}
			used = true
		}
	case named == nil && s.forEach == nil:
		if len(s.messages) == 0 {
			return nil, fmt.Errorf("the program says neither whom to email nor what to say: write, for example, %s", example)
		}
		return nil, fmt.Errorf("the program says what to say but not whom to email: add to each of my contacts, or an address such as to bob@example.com")
	case s.forEach != nil || named.contacts != nil || named.them && b.lastList == nil && b.last != nil && b.last.forEach != nil:
		var csel *selection
		if s.forEach != nil {
			csel = s.forEach
		} else if named.contacts != nil {
			csel = named.contacts
		}
		if cond != nil && cond.who != nil {
			return &failure{from: cond.from, to: cond.to, why: "the condition names one recipient, and the email goes to a list; write if I haven't emailed them"}, nil
		}
		var conds []conditionClause
		if cond != nil {
			conds = []conditionClause{*cond}
		}
		if csel == nil && b.last != nil && b.last.forEach != nil && b.last.forEach.As != b.l.list.Item {
			// "For each row in orders.csv, email ... Send 'y' to them": the rows or lines are not contacts.
			return &failure{from: named.from, to: named.to, why: fmt.Sprintf("the email before went to each %s, and %q reads as contacts; say the recipients again, like For each %s in ..., send ...", b.last.forEach.As, b.words[named.to-1], b.last.forEach.As)}, nil
		}
		if csel == nil && b.last != nil && b.last.forEach != nil {
			// "them" after an email to a list: the same list, and a condition on it as on any list.
			fe := *b.last.forEach
			send.ForEach, send.If = &fe, b.last.cond
			send.Args["to"] = "${" + b.l.list.Item + "}"
			item, whom = b.l.list.Item, b.last.whom
			if cond != nil {
				if f := b.listCondition(&send, cond, &whom); f != nil {
					return f, nil
				}
				used = true
			}
			break
		}
		var f *failure
		if sel, f = b.selectContacts(csel, conds); f != nil {
			return f, nil
		}
		used = true
		send.ForEach = &plan.ForEach{Items: "${" + sel.items + "}", As: b.l.list.Item}
		send.If, send.SkipReason = sel.cond, sel.skip
		send.Args["to"] = "${" + b.l.list.Item + "}"
		send.DependsOn = append(send.DependsOn, sel.deps...)
		item, whom = b.l.list.Item, "each of "+sel.desc
		if csel == nil || !csel.filtered() {
			whom = strings.TrimSpace("each contact " + sel.condWords)
		}
	case named.list != "":
		l := b.named[named.list]
		send.ForEach = &plan.ForEach{Items: "${" + l.items + "}", As: b.l.list.Item}
		send.Args["to"] = "${" + b.l.list.Item + "}"
		item, whom = b.l.list.Item, "each of "+l.desc
		b.lastList, b.listAt = l, b.n
		if cond != nil {
			if l.base != "" {
				// The list's own condition and this one on each contact, as the direct form has them.
				send.ForEach.Items, send.If = "${"+l.base+"}", l.cond
			}
			if f := b.listCondition(&send, cond, &whom); f != nil {
				return f, nil
			}
			used = true
		}
	case named.them:
		if b.lastList == nil {
			return &failure{from: named.from, to: named.to, why: "it does not say who they are; start with \"For each of my contacts,\" or write \"to each of my contacts\""}, nil
		}
		send.ForEach = &plan.ForEach{Items: "${" + b.lastList.items + "}", As: b.l.list.Item}
		send.Args["to"] = "${" + b.l.list.Item + "}"
		send.DependsOn = append(send.DependsOn, b.answerOf())
		item, whom = b.l.list.Item, "each of "+b.lastList.desc
		if cond != nil {
			if b.lastList.base != "" {
				// The list's own condition and this one on each contact, as the direct form has them.
				send.ForEach.Items, send.If = "${"+b.lastList.base+"}", b.lastList.cond
			}
			if f := b.listCondition(&send, cond, &whom); f != nil {
				return f, nil
			}
			used = true
		}
	case named.one:
		// "her" is the one recipient of the condition, or of the email before.
		switch {
		case cond != nil && cond.who != nil && !cond.who.one:
			if f := b.pronounOfTwo(named, cond.who); f != nil {
				return f, nil // "Send 'Hi' to bob@example.com. If I haven't emailed ann@example.com today, send him 'Bye'"
			}
			named = cond.who
		case b.last != nil && b.last.from != "" && len(b.people) > 1:
			return &failure{from: named.from, to: named.to, why: fmt.Sprintf("%q could be %s; name the recipient again", b.words[named.to-1], orList(b.people))}, nil
		case b.last != nil && b.last.from != "":
			send.Args["to"] = b.last.to
			whom, one = b.last.whom, b.last
			if cond != nil {
				// "Send him 'Bye' unless I emailed him today": a condition on that one recipient.
				if cond.relative {
					return &failure{from: cond.from, to: cond.to, why: "it chooses among contacts, and the email goes to one person; write if I haven't emailed him " + strings.Join(b.words[cond.when.from:cond.when.to], " ")}, nil
				}
				contacts, email, ok := oneRecipient(b.last.to)
				if !ok {
					return &failure{from: cond.from, to: cond.to, why: "a condition on whom you have emailed works with your contacts or one recipient"}, nil
				}
				if f := b.oneCondition(&send, cond, contacts, email, whom); f != nil {
					return f, nil
				}
				used = true
			}
		default:
			return &failure{from: named.from, to: named.to, why: "it does not say who she or he is; name the recipient, like if I haven't emailed bob@example.com this week, send him ..."}, nil
		}
		if one != nil {
			break
		}
		fallthrough
	default:
		if cond != nil && cond.from > named.from && !cond.relative && (cond.who == nil || cond.who.one) &&
			(named.name != "" || len(dedupe(named.addresses)) == 1) {
			// After the recipient, "if I haven't emailed her this month" (or them) is about that recipient.
			if cond.who != nil {
				if f := b.pronounOfTwo(cond.who, named); f != nil {
					return f, nil // "Send 'Hi' to bob@example.com. Send 'Bye' to ann@example.com if I haven't emailed him today"
				}
			}
			c := *cond
			c.who, cond = named, &c
		}
		if cond != nil && cond.who == nil && named.name != "" {
			// "my contact Ann who I haven't emailed this week" could pick the Ann you have not emailed
			// among several, or send only if you have not: the condition on one contact goes first.
			message := "<message>"
			if len(s.messages) == 1 {
				message = s.messages[0].text
			}
			when := strings.Join(b.words[cond.when.from:cond.when.to], " ")
			return &failure{from: cond.from, to: cond.to, why: fmt.Sprintf("after one contact it could choose among contacts named %s or be a condition on the email; a condition on one contact goes first: If I haven't emailed my contact %s %s, send her '%s'", named.name, named.name, when, message), form: "If I haven't emailed my contact <name> <time>, send her '<message>'"}, nil
		}
		if cond != nil && cond.who == nil && len(dedupe(named.addresses)) > 1 && !cond.relative {
			return &failure{from: cond.from, to: cond.to, why: "a condition on whom you have emailed works with your contacts or one recipient; write a statement for each address"}, nil
		}
		if cond != nil && cond.who == nil && !cond.relative && cond.from < named.from && len(dedupe(named.addresses)) == 1 {
			// "If I haven't emailed them this week, send 'Hi' to bob@example.com": "them" before whom it means.
			return &failure{from: cond.from, to: cond.to, why: fmt.Sprintf("\"them\" comes before whom it means; name the recipient in the condition: If I haven't emailed %s %s, send ...", named.addresses[0], strings.Join(b.words[cond.when.from:cond.when.to], " "))}, nil
		}
		if cond != nil && cond.who == nil {
			return &failure{from: cond.from, to: cond.to, why: "a condition on whom you have emailed works only with your contacts, not with addresses"}, nil
		}
		if cond != nil && cond.who.one && cond.from < named.from {
			// "If I haven't emailed him today, send 'Bye' to ann@example.com": him could be the one
			// emailed before or ann, named after it.
			pronoun, when := b.words[cond.who.to-1], strings.Join(b.words[cond.when.from:cond.when.to], " ")
			whom := "my contact " + named.name
			if named.name == "" {
				whom = andList(dedupe(named.addresses))
			}
			why := fmt.Sprintf("%q comes before whom it means; name the recipient in the condition: If I haven't emailed %s %s, send %s ...", pronoun, whom, when, pronoun)
			if b.last != nil && b.last.from != "" {
				before := b.last.from
				if strings.HasPrefix(before, "${") {
					before = "my contact " + b.last.whom
				}
				why = fmt.Sprintf("%q could be %s, emailed before, or %s, named after it; name whom the condition is about: If I haven't emailed %s %s, send ...", pronoun, b.last.whom, whom, before, when)
			}
			return &failure{from: cond.from, to: cond.to, why: why}, nil
		}
		if cond != nil && cond.who.one {
			return &failure{from: cond.from, to: cond.to, why: "a condition on her or him is about the one recipient; the email goes to several addresses"}, nil
		}
		if cond != nil && !sameRecipient(cond.who, named) {
			return &failure{from: cond.from, to: cond.to, why: "the condition names someone other than the recipient"}, nil
		}
		if named.name != "" {
			find := b.id(stepFind)
			b.add(plan.Step{
				ID:          find,
				Command:     b.l.find,
				Description: fmt.Sprintf("Find your contact %s; if several contacts or none have the name, ask which address.", named.name),
				Args:        map[string]any{"name": literal(named.name)},
			})
			send.Args["to"] = "${steps." + find + ".contact}"
			send.DependsOn = append(send.DependsOn, find)
			item, whom = "steps."+find+".contact", named.name
			one = &sent{to: send.Args["to"], from: "${steps." + find + ".contact.email}", whom: named.name}
		} else {
			addrs := dedupe(named.addresses)
			shown := make([]string, len(addrs)) // "Bob <bob@example.com>" where a name was given
			for i, a := range addrs {
				shown[i] = a
				if n := named.display[strings.ToLower(a)]; n != "" {
					shown[i] = n + " <" + a + ">"
				}
			}
			literalTo, whom = addrs, andList(shown)
			if named.you {
				whom = "you (" + addrs[0] + ")"
			}
			if len(addrs) == 1 {
				send.Args["to"] = map[string]any{"name": literal(named.display[strings.ToLower(addrs[0])]), "email": addrs[0]}
				one = &sent{to: send.Args["to"], from: addrs[0], whom: whom, you: named.you}
			} else {
				// The addresses match addressPattern, so they need no escaping inside CEL's single quotes;
				// a name is a CEL string literal.
				items := make([]string, len(addrs))
				for i, a := range addrs {
					items[i] = fmt.Sprintf("{'name': %s, 'email': '%s'}", celName(named.display[strings.ToLower(a)]), a)
				}
				send.ForEach = &plan.ForEach{Items: "${[" + strings.Join(items, ", ") + "]}", As: b.l.list.Item}
				send.Args["to"] = "${" + b.l.list.Item + "}"
				item = b.l.list.Item
			}
		}
		if cond != nil {
			contacts, email, _ := oneRecipient(send.Args["to"])
			if f := b.oneCondition(&send, cond, contacts, email, whom); f != nil {
				return f, nil
			}
			used = true
		}
	}
	if cond != nil && !used {
		// Every path above plans the condition or refuses it: one left over would be dropped silently.
		return &failure{from: cond.from, to: cond.to, why: "EaaPL cannot apply this condition to these recipients; name them with the condition, like my contacts at acme.com who I haven't emailed this week"}, nil
	}
	if replyIf != "" {
		send.If = joinConditions(send.If, replyIf)
		send.SkipReason = joinReasons(send.SkipReason, b.last.whom+" replied")
		send.DependsOn = append(send.DependsOn, b.id(stepReply))
	}

	if s.it && len(s.messages) == 0 && s.made == nil && b.answerAt > 0 && b.answerAt == b.n-1 {
		// "How many contacts do I have? Email it to ...": "it" reads as the answer, which is shown to
		// you, not made into a message; asking for a message instead would send something else.
		at := span{s.span.from, s.span.to}
		if s.result != nil {
			at = *s.result
		} else if i := slices.Index(b.words[s.span.from:s.span.to], "it"); i >= 0 {
			at = span{s.span.from + i, s.span.from + i + 1}
		}
		return &failure{from: at.from, to: at.to, why: "after a question or a list, \"it\" is its answer, and EaaPL does not email an answer: it is shown to you when the program runs; to email someone, give the message, like Send 'Hi' to bob@example.com"}, nil
	}

	// A condition on a file's text ("If todo.txt contains 'urgent', email it ..."): the file is read
	// first, so that "it" in the email is its text, as after "Read todo.txt".
	for i, v := range s.values {
		if v.file != "" && !v.count {
			s.values[i].read = b.readFile(slotValue{span: span{v.from + 1, v.from + 2}, text: v.file})
			b.fresh = true
		}
	}

	// What.
	var message *quoteClause
	if len(s.messages) == 1 {
		message = &s.messages[0]
	}
	for _, t := range s.tells {
		if t.one && send.ForEach != nil {
			return &failure{from: t.from, to: t.to, why: fmt.Sprintf("%q is one person, and the email goes to %s; write them", b.words[t.to-1], whom)}, nil
		}
	}
	switch {
	case s.made != nil && len(s.messages) > 0:
		return &failure{from: s.made.from, to: s.messages[0].to, why: "say either what a step makes or a message, not both"}, nil
	case s.made != nil:
		// "Email alice@example.com a summary of notes.md": the command runs in this statement, after its
		// wait if it has one, and the email carries its output.
		if f := b.command(s.made); f != nil {
			return f, nil
		}
		m := b.made[len(b.made)-1]
		m.used = true
		send.Args["body"] = "${steps." + m.id + "." + s.made.output + "}"
		send.Args["subject"] = b.subjectOf(m, s.made.output)
		if len(s.subjects) == 1 {
			subj, _, f := b.fill(s.subjects[0].text, "", nil, &s.subjects[0])
			if f != nil {
				return f, nil
			}
			send.Args["subject"] = subj
		}
		send.DependsOn = append(send.DependsOn, m.id)
	case s.result != nil && len(s.messages) > 0:
		return &failure{from: s.result.from, to: s.messages[0].to, why: "say either what a step made or a message, not both"}, nil
	case s.result != nil && (!s.it || b.fresh):
		words := strings.Join(wordsOfSpan(b, s), " ")
		body, _ := catalog.Lookup(b.l.sendEmail)
		bodyField, _ := body.Arg("body")
		m, out, f := b.resolve(words, *s.result, bodyField.Type)
		if f == nil && words == "it" {
			f = b.sentIt(m, out, *s.result)
		}
		if f != nil {
			return f, nil
		}
		send.Args["body"] = "${steps." + m.id + "." + out + "}"
		send.Args["subject"] = b.subjectOf(m, out)
		if len(s.subjects) == 1 {
			subj, _, f := b.fill(s.subjects[0].text, "", nil, &s.subjects[0])
			if f != nil {
				return f, nil
			}
			send.Args["subject"] = subj
		}
		send.DependsOn = append(send.DependsOn, m.id)
	case each != "":
		if message == nil {
			return &failure{from: s.span.from, to: s.span.to, why: "say what to send to each, like saying 'Your order {order} has shipped'"}, nil
		}
		if strings.TrimSpace(message.text) == "" {
			return &failure{from: message.from, to: message.to, why: "the message is empty; write it between the quotes"}, nil
		}
		body, cols, f := fillRow(message.text, each, b.records, message)
		if f != nil {
			return f, nil
		}
		b.addColumns(table, cols...)
		subject := firstLine(body)
		if len(s.subjects) == 1 {
			if subject, cols, f = fillRow(s.subjects[0].text, each, b.records, &s.subjects[0]); f != nil {
				return f, nil
			}
			b.addColumns(table, cols...)
		}
		send.Args["subject"], send.Args["body"] = subject, body
	case message == nil && (again || s.it && b.last != nil):
		if fe := b.last.forEach; fe != nil && (send.ForEach == nil || send.ForEach.As != fe.As || send.ForEach.Items != fe.Items) {
			for _, v := range b.last.args {
				if t, ok := v.(string); ok && strings.Contains(t, "${"+fe.As+".") {
					// "Send 'Dear {first name}' to my contacts. Send it to ann@example.com": the message was
					// written for each of them, and is nobody's here.
					at := span{s.span.from, s.span.to}
					if i := slices.Index(b.words[s.span.from:s.span.to], "it"); i >= 0 {
						at = span{s.span.from + i, s.span.from + i + 1}
					}
					return &failure{from: at.from, to: at.to, why: "the email before is filled in for each of its recipients (its placeholders), so it is no one message to send here; write the message again"}, nil
				}
			}
		}
		for k, v := range b.last.args {
			send.Args[k] = v // its subject, body and files: "it" is the whole email
		}
		if again && b.last.cc != nil {
			send.Args["cc"] = b.last.cc // "send it again": to the same people, copies too
		}
		send.DependsOn = append(send.DependsOn, b.last.deps...)
		if len(s.subjects) == 1 {
			return &failure{from: s.subjects[0].from, to: s.subjects[0].to, why: "the email is the one before, with its subject"}, nil
		}
	default:
		text, subject := "", ""
		if message != nil {
			text = message.text
		}
		if len(s.subjects) == 1 {
			subject = s.subjects[0].text
		}
		body, bodyFilled, f := b.fill(text, item, literalTo, message)
		if f != nil {
			return f, nil
		}
		var subj string
		var subjFilled []string
		if len(s.subjects) == 1 {
			if subj, subjFilled, f = b.fill(subject, item, literalTo, &s.subjects[0]); f != nil {
				return f, nil
			}
		}
		if len(bodyFilled)+len(subjFilled) == 0 {
			compose := plan.Step{
				ID:          b.id(stepCompose),
				Command:     b.l.compose,
				Description: fmt.Sprintf("Write the message %q.", abbreviate(text)),
				Args:        map[string]any{"body": body},
			}
			if text == "" {
				compose.Description = "Ask you what the message says, and write it."
			}
			if subject != "" {
				compose.Description = fmt.Sprintf("Write the message %q with the subject %q.", abbreviate(text), abbreviate(subject))
				compose.Args["subject"] = subj
			}
			b.add(compose)
			send.Args["subject"] = "${steps." + compose.ID + ".subject}"
			send.Args["body"] = "${steps." + compose.ID + ".body}"
			send.DependsOn = append(send.DependsOn, compose.ID)
		} else {
			if text == "" {
				return &failure{from: s.span.from, to: s.span.to, why: "a personal message needs its text in the program"}, nil
			}
			if len(s.subjects) == 0 {
				// ComposeEmail's rule, applied to the filled text: the first line.
				subj = firstLine(body)
				subjFilled = bodyFilled
			}
			send.Args["subject"], send.Args["body"] = subj, body
			if names := namePlaceholders(append(bodyFilled, subjFilled...)); len(names) > 0 {
				b.add(b.checkNames(send, item, names[0]))
				send.DependsOn = append(send.DependsOn, b.id(stepCheck))
			}
		}
	}
	for _, v := range s.values {
		cond, id, skip, f := b.valueCond(v)
		if f != nil {
			return f, nil
		}
		send.If = joinConditions(send.If, cond)
		send.SkipReason = joinReasons(send.SkipReason, skip)
		send.DependsOn = append(send.DependsOn, id)
	}
	send.Description = describeSend(whom)
	if len(s.attach) > 0 {
		files := make([]any, len(s.attach))
		for i, f := range s.attach {
			files[i] = literal(f)
		}
		if before, ok := send.Args["attachments"].([]any); ok {
			files = append(slices.Clone(before), files...) // "send it to ann@example.com with notes.md attached": both
		}
		send.Args["attachments"] = files
		send.Description = strings.TrimSuffix(send.Description, ".") + " with " + andList(s.attach) + " attached."
	}
	if len(s.cc) > 0 {
		cc := make([]any, len(s.cc))
		for i, a := range dedupe(s.cc) {
			cc[i] = a
		}
		send.Args["cc"] = cc[:len(dedupe(s.cc))]
		send.Description = strings.TrimSuffix(send.Description, ".") + ", with a copy to " + andList(dedupe(s.cc)) + "."
	}
	send.DependsOn = uniq(send.DependsOn)
	b.add(send)
	b.fresh = false

	b.last = &sent{send: send.ID, to: send.Args["to"], forEach: send.ForEach, cond: send.If, whom: whom, you: one != nil && one.you,
		args: map[string]any{"subject": send.Args["subject"], "body": send.Args["body"]}, cc: send.Args["cc"]}
	if files, ok := send.Args["attachments"]; ok {
		b.last.args["attachments"] = files
	}
	for _, d := range send.DependsOn {
		if strings.HasPrefix(d, stepCompose) || strings.HasPrefix(d, stepCheck) {
			b.last.deps = append(b.last.deps, d)
		}
	}
	if one != nil && send.ForEach == nil && !slices.Contains(b.people, one.whom) {
		b.people = append(b.people, one.whom)
	}
	if one != nil && send.ForEach == nil {
		b.oneAt = b.n
	}
	if one != nil && send.ForEach == nil {
		// One recipient: a reply can be awaited. When the send has a condition and is skipped, the
		// wait for a reply and what depends on it are skipped too (a step runs only after the steps it
		// depends on are done), so "if he doesn't reply" is asked only of an email that was sent.
		b.last.from = one.from
	}
	if send.ForEach != nil {
		if send.ForEach.Items != "" && b.lastList == nil && sel != nil {
			b.lastList, b.listAt = &list{items: strings.TrimSuffix(strings.TrimPrefix(send.ForEach.Items, "${"), "}"), desc: sel.desc}, b.n
			if send.If != "" && sel.cond != "" {
				b.lastList.items = fmt.Sprintf("%s.filter(%s, %s)", sel.items, b.l.list.Item, sel.cond)
				b.lastList.base, b.lastList.cond = sel.items, sel.cond
			}
		}
	}
	return nil, nil
}

// whoOf is where the one recipient of a condition is kept, nil without a condition.
func whoOf(c *conditionClause) **recipientClause {
	if c == nil {
		return nil
	}
	return &c.who
}

// pronounOfTwo refuses a pronoun that could be the one recipient emailed before or r, named in the same
// statement: EaaPL knows no one's gender, and does not guess which of the two "him" or "her" is.
func (b *builder) pronounOfTwo(pronoun, r *recipientClause) *failure {
	if b.last == nil || b.last.from == "" || b.last.you {
		return nil
	}
	other := ""
	switch addrs := dedupe(r.addresses); {
	case len(addrs) == 1 && strings.EqualFold(addrs[0], b.last.from):
		return nil // the same person
	case len(addrs) == 1:
		other = addrs[0]
	case r.name != "":
		other = "your contact " + r.name
	default:
		return nil
	}
	word := b.words[pronoun.to-1]
	return &failure{from: pronoun.from, to: pronoun.to, why: fmt.Sprintf("%q could be %s, emailed before, or %s; name the recipient instead", word, b.last.whom, other)}
}

// oneRecipient returns the email history's contacts for one recipient's "to" (an address, or the contact a
// step found) and the CEL expression of its address; false for any other "to".
func oneRecipient(to any) (any, string, bool) {
	switch t := to.(type) {
	case map[string]any:
		if e, _ := t["email"].(string); e != "" {
			return []any{map[string]any{"name": "", "email": e}}, celString(e), true
		}
	case string:
		if strings.HasPrefix(t, "${") && strings.HasSuffix(t, "}") && !strings.ContainsAny(t[2:len(t)-1], "${}[]") {
			x := t[2 : len(t)-1]
			return "${[" + x + "]}", x + ".email", true
		}
	}
	return nil, "", false
}

// oneCondition adds the email history of one recipient and the send's condition on it: "if I haven't
// emailed alice@example.com this month" (sent when not in it), "if I have emailed her" (when in it).
func (b *builder) oneCondition(send *plan.Step, cond *conditionClause, contacts any, email, whom string) *failure {
	id, f := b.history(contacts, cond.period, whom, cond.span, cond.when)
	if f != nil {
		return f
	}
	if cond.emailed {
		send.If = joinConditions(send.If, fmt.Sprintf("%s in steps.%s.emailed", email, id))
		send.SkipReason = joinReasons(send.SkipReason, "you have not emailed "+whom+" "+cond.period.describe(b.ref))
	} else {
		send.If = joinConditions(send.If, fmt.Sprintf("!(%s in steps.%s.emailed)", email, id))
		send.SkipReason = joinReasons(send.SkipReason, "you emailed "+whom+" "+cond.period.describe(b.ref))
	}
	send.DependsOn = append(send.DependsOn, id)
	return nil
}

// listCondition is a condition on whom you have emailed after "them" or a list the program named
// ("Send 'Hi' to the acme people who I haven't emailed this week"): the email history of that list's
// contacts, and the same test on each of them as the direct form has.
func (b *builder) listCondition(send *plan.Step, cond *conditionClause, whom *string) *failure {
	if cond.who != nil {
		return &failure{from: cond.from, to: cond.to, why: "the condition names one recipient, and the email goes to a list; write if I haven't emailed them"}
	}
	if !strings.Contains(send.ForEach.Items, "steps."+stepContacts+".") {
		return &failure{from: cond.from, to: cond.to, why: "a condition on whom you have emailed works only with your contacts, not with addresses"}
	}
	// The history of every contact, as the direct form has it: the list is among them.
	id, f := b.history("${steps."+stepContacts+"."+b.l.list.Output+"}", cond.period, "your contacts", cond.span, cond.when)
	if f != nil {
		return f
	}
	item := send.ForEach.As
	if cond.emailed {
		send.If = joinConditions(send.If, fmt.Sprintf("%s.email in steps.%s.emailed", item, id))
		send.SkipReason = joinReasons(send.SkipReason, "you have not emailed them "+cond.period.describe(b.ref))
		*whom += ", you have emailed " + cond.period.describe(b.ref)
	} else {
		send.If = joinConditions(send.If, fmt.Sprintf("!(%s.email in steps.%s.emailed)", item, id))
		send.SkipReason = joinReasons(send.SkipReason, "you emailed them "+cond.period.describe(b.ref))
		*whom += ", you have not emailed " + cond.period.describe(b.ref)
	}
	send.DependsOn = append(send.DependsOn, id)
	return nil
}

// condOnSent is a condition on an email sent again: on its one recipient, or on each of its list.
func (b *builder) condOnSent(send *plan.Step, cond *conditionClause, whom *string) *failure {
	if send.ForEach != nil {
		return b.listCondition(send, cond, whom)
	}
	if cond.relative {
		return &failure{from: cond.from, to: cond.to, why: "it chooses among contacts, and the email goes to one person; write if I haven't emailed him " + strings.Join(b.words[cond.when.from:cond.when.to], " ")}
	}
	contacts, email, ok := oneRecipient(send.Args["to"])
	if !ok {
		return &failure{from: cond.from, to: cond.to, why: "a condition on whom you have emailed works with your contacts or one recipient"}
	}
	return b.oneCondition(send, cond, contacts, email, *whom)
}

// wordsOfSpan are the words of the statement's result phrase.
func wordsOfSpan(b *builder, s *sentence) []string { return b.words[s.result.from:s.result.to] }

// checkNames is the check before a personal message is sent that every recipient has the name a
// placeholder needs: over the send's list (the items its condition keeps), or its one recipient.
func (b *builder) checkNames(send plan.Step, item, placeholder string) plan.Step {
	that := item + ".name.trim() != ''"
	if send.ForEach != nil {
		items := strings.TrimSuffix(strings.TrimPrefix(send.ForEach.Items, "${"), "}")
		that = fmt.Sprintf("%s.all(%s, %s)", items, send.ForEach.As, implies(send.If, that))
	}
	return plan.Step{
		ID:          b.id(stepCheck),
		Description: "Check that every contact the email goes to has a name, before any email is sent.",
		Check: &plan.Check{
			That:  that,
			Error: fmt.Sprintf("the placeholder %s cannot be filled: a contact the email goes to has no name; no email was sent", placeholder),
		},
	}
}

// addColumns lists columns the program uses on the step id that reads them (addColumns).
func (b *builder) addColumns(id string, cols ...string) {
	for i := range b.p.Steps {
		if b.p.Steps[i].ID == id {
			addColumns(&b.p.Steps[i], cols)
		}
	}
}

// answerOf returns the id of the step that made the list "them" refers to.
func (b *builder) answerOf() string {
	for i := len(b.p.Steps) - 1; i >= 0; i-- {
		if b.p.Steps[i].Answer != nil {
			return b.p.Steps[i].ID
		}
	}
	return stepContacts
}

func describeSend(whom string) string { return "Send it to " + whom + "." }

func implies(cond, then string) string {
	if cond == "" {
		return then
	}
	return "!(" + cond + ") || " + then
}

func joinConditions(a, b string) string {
	if a == "" {
		return b
	}
	return "(" + a + ") && " + b
}

func joinReasons(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", or " + b
}

func uniq(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func sameRecipient(a, b *recipientClause) bool {
	if a == nil || b == nil {
		return false
	}
	if a.name != "" || b.name != "" {
		return strings.EqualFold(a.name, b.name)
	}
	return len(a.addresses) == 1 && len(b.addresses) == 1 && strings.EqualFold(a.addresses[0], b.addresses[0])
}

// The placeholders of a personal message.
var placeholders = map[string]string{
	"name":       "name",
	"first name": "first name",
	"firstname":  "first name",
	"email":      "email",
	"address":    "email",
}

// fill turns a message with {placeholders} into a plan template over item, an expression of the
// recipient ("contact", "steps.find.contact"). Text stays text: "${" is escaped, and a placeholder is
// written as one CEL field access, so a contact's name is inserted as it is and never read as a template.
// "{{" is a literal "{", and "${" is never a placeholder. It returns the template and the placeholders
// filled, or a failure naming one that cannot be filled.
func (bd *builder) fill(text, item string, addresses []string, q *quoteClause) (string, []string, *failure) {
	var b, lit strings.Builder
	var used []string
	for i := 0; i < len(text); {
		if strings.HasPrefix(text[i:], "{{") || strings.HasPrefix(text[i:], "}}") {
			lit.WriteByte(text[i])
			i += 2
			continue
		}
		end := strings.IndexByte(text[i:], '}')
		if text[i] != '{' || i > 0 && text[i-1] == '$' || end < 0 {
			lit.WriteByte(text[i])
			i++
			continue
		}
		raw := text[i : i+end+1]
		key := strings.Join(strings.Fields(strings.ToLower(raw[1:len(raw)-1])), " ")
		ph, known := placeholders[key]
		if !known {
			return "", nil, &failure{from: q.from, to: q.to, why: fmt.Sprintf("the placeholder %s cannot be filled: the placeholders are {name}, {first name} and {email} (write {{ for a brace)", raw)}
		}
		var expr string
		switch {
		case item == "" && len(addresses) == 1 && ph == "email":
			lit.WriteString(addresses[0])
		case item == "" || item == bd.l.list.Item && len(addresses) > 0 && ph != "email":
			who, has := "the recipient", "has"
			if len(addresses) > 0 {
				who = andList(addresses)
			}
			if len(addresses) > 1 {
				has = "have"
			}
			// A name written before an address ("Bob <bob@example.com>") is only shown with it: it fills nothing.
			return "", nil, &failure{from: q.from, to: q.to, why: fmt.Sprintf("the placeholder %s cannot be filled: %s %s no name, only an address (not one of your contacts); write the name in the message", raw, who, has)}
		case ph == "email":
			expr = item + ".email"
		case ph == "name":
			expr = item + ".name.trim()"
		default:
			expr = item + ".name.trim().split(' ')[0]"
		}
		if expr != "" {
			b.WriteString(literal(lit.String()))
			lit.Reset()
			b.WriteString("${" + expr + "}")
		}
		used = append(used, "{"+ph+"}")
		i += end + 1
	}
	b.WriteString(literal(lit.String()))
	return b.String(), used, nil
}

// namePlaceholders are the placeholders of used that need a contact's name.
func namePlaceholders(used []string) []string {
	var out []string
	for _, u := range used {
		if u != "{email}" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// firstLine is a template's first non-blank line, trimmed: the subject ComposeEmail would give it.
func firstLine(text string) string {
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return text
}

// literal escapes text for a plan argument, where "${" would start an expression: "$${" is a literal "${".
func literal(text string) string { return strings.ReplaceAll(text, "${", "$${") }

// day names the start of a range for people: "Monday 23 November", with the time when it is not
// midnight and the year when it is not now's.
func day(t, now time.Time) string {
	layout := "Monday 2 January"
	if t.Year() != now.Year() {
		layout += " 2006"
	}
	if t.Hour() != 0 || t.Minute() != 0 {
		layout = "15:04 on " + layout
	}
	return t.Format(layout)
}

// abbreviate shortens a long text for a description.
func abbreviate(text string) string { return catalog.Clip(text, 60) }

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// orList writes "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// ceilSecond rounds up to a whole second, so that a range "until now" written in seconds still covers now:
// an email sent a moment before the program started counts as sent.
func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}
