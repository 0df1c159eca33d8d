package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/catalog"
	"github.com/google/cel-go/cel"
)

// The constructs are steps that run no command: the interpreter does them itself (a durable timer, a wait
// for a reply, a check before anything is sent, the program's answer), and a plan-level schedule. A
// construct step has no command and exactly one construct field; it may have depends_on, after and an
// if, not a for_each or args. Its output is named like a command's (constructOutputs), so later steps
// read it with ${steps.<id>.<output>}.
//
// A plan says which constructs it uses (Constructs), so that an interpreter that does not do one yet can
// refuse the plan before it starts rather than skip the construct.

// Wait is a durable timer: the step is done at Until, or For after its dependencies are done.
type Wait struct {
	Until string `json:"until,omitempty"` // an RFC 3339 time, resolved when the program was planned
	For   string `json:"for,omitempty"`   // Go duration text, "10m0s"
}

// AwaitReply waits for a reply to an email that was sent, up to a deadline: the interpreter asks the
// ReplyFinder command between durable timers. Its outputs are replied (bool: false when the deadline
// passed without one) and matched (how the reply was recognised).
type AwaitReply struct {
	To     string `json:"to"`     // the Message-ID of the email, "${steps.send.message_id}"
	From   string `json:"from"`   // the address the reply comes from, or an expression
	Within string `json:"within"` // Go duration text, from when the wait starts: right after the email was sent
}

// ReplyFinder is the read-only command an await_reply step asks whether the reply came, with the
// arguments message_id, from and since (when the wait started), and the outputs replied and matched.
var ReplyFinder = email.FindReply.Name

// Check stops the program before its later steps run when That is false: a placeholder of a personal
// message that some item cannot fill, found before any email is sent.
type Check struct {
	That  string `json:"that"`  // a CEL condition, without ${ }
	Error string `json:"error"` // the English sentence the program fails with
}

// Answer is the program's result: what "how many ...", "list ..." and "show me ..." ask. Its output is value.
type Answer struct {
	Value string `json:"value"` // "${expr}": the answer
	Kind  string `json:"kind"`  // AnswerNumber, AnswerList or AnswerText
	Label string `json:"label"` // what the value is, in English: "contacts you have not emailed since Monday 23 November"
}

// The kinds of answer.
const (
	AnswerNumber = "number"
	AnswerList   = "list"
	AnswerText   = "text"
)

// Schedule runs a program again and again: a Temporal Schedule whose action starts the program Program at
// each time Calendar gives, in TimeZone. Each run plans Program at its own start, so that "this week" is
// that run's week; the plan's steps are one run's, as planned now, for reading back.
type Schedule struct {
	Calendar []Calendar `json:"calendar"`
	TimeZone string     `json:"time_zone"` // an IANA zone name, "UTC" or "Europe/Berlin"
	Program  string     `json:"program"`   // the English program each run plans
}

// Calendar is one set of times, as Temporal's ScheduleCalendarSpec: every listed weekday (every day when
// none is listed), or the day of the month, at Hour:Minute.
type Calendar struct {
	DaysOfWeek []string `json:"days_of_week,omitempty"` // "monday" ... "sunday"
	DayOfMonth int      `json:"day_of_month,omitempty"` // 1..31; 0 is any day
	Hour       int      `json:"hour"`
	Minute     int      `json:"minute"`
}

// Weekdays are the names Calendar.DaysOfWeek takes, Sunday first as in time.Weekday.
var Weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// The construct names, as Constructs returns them.
const (
	ConstructWait       = "wait"
	ConstructAwaitReply = "await_reply"
	ConstructCheck      = "check"
	ConstructAnswer     = "answer"
	ConstructSchedule   = "schedule"
)

// Bounds, so that no plan waits for years or schedules every minute of a day.
const (
	maxWait      = 366 * 24 * time.Hour
	maxCalendars = 31
)

// constructOutputs are the outputs of each construct step.
var constructOutputs = map[string][]catalog.Field{
	ConstructWait: {{Name: "until", Type: catalog.Time, Required: true, Description: "when the wait ended"}},
	ConstructAwaitReply: {
		{Name: "replied", Type: catalog.Bool, Required: true, Description: "whether a reply came before the deadline"},
		{Name: "matched", Type: catalog.String, Required: true, Description: "how the reply was recognised: in-reply-to, references or from; empty without one"},
	},
	ConstructCheck:  nil,
	ConstructAnswer: {{Name: "value", Type: catalog.Any, Required: true, Description: "the answer"}},
}

// Construct returns the name of the step's construct, or "" for a step that runs a command.
func (s *Step) Construct() string {
	names := s.constructs()
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func (s *Step) constructs() []string {
	var names []string
	if s.Wait != nil {
		names = append(names, ConstructWait)
	}
	if s.AwaitReply != nil {
		names = append(names, ConstructAwaitReply)
	}
	if s.Check != nil {
		names = append(names, ConstructCheck)
	}
	if s.Answer != nil {
		names = append(names, ConstructAnswer)
	}
	return names
}

// The names a construct step goes by where a command's name would be shown (the result table, the
// status, --json): a person reads "Wait" or "Check" rather than an empty column. They are no command's
// name (TestStepNamesAreNoCommands), so nothing looks them up in the registry.
const (
	NameWait      = "Wait"      // a wait for a duration: "Wait 10 minutes"
	NameWaitUntil = "WaitUntil" // a wait until a time: "at 5pm"
	NameCheck     = "Check"     // a check before the steps after it
	NameAnswer    = "Answer"    // the program's answer
)

// CommandName is what the step is called where its command is shown: its command, or for a construct
// its name (NameWait ...); a wait for a reply goes by the command its polls ask (ReplyFinder).
func (s *Step) CommandName() string {
	switch {
	case s.Command != "":
		return s.Command
	case s.Wait != nil && s.Wait.Until != "":
		return NameWaitUntil
	case s.Wait != nil:
		return NameWait
	case s.AwaitReply != nil:
		return ReplyFinder
	case s.Check != nil:
		return NameCheck
	case s.Answer != nil:
		return NameAnswer
	}
	return ""
}

// Constructs returns the constructs a plan uses, each once, in the order of ConstructWait ... ConstructSchedule.
func (p *Plan) Constructs() []string {
	used := map[string]bool{}
	for i := range p.Steps {
		for _, n := range p.Steps[i].constructs() {
			used[n] = true
		}
	}
	if p.Schedule != nil {
		used[ConstructSchedule] = true
	}
	var out []string
	for _, n := range []string{ConstructWait, ConstructAwaitReply, ConstructCheck, ConstructAnswer, ConstructSchedule} {
		if used[n] {
			out = append(out, n)
		}
	}
	return out
}

// commandOf returns the catalog entry of a step: its command's, or for a construct one that describes the
// construct's outputs. A construct's entry allows one attempt of a short timeout, so that an interpreter
// that mistook it for an activity fails it at once instead of retrying.
func commandOf(s *Step, cat Catalog) (catalog.Command, error) {
	names := s.constructs()
	switch {
	case len(names) > 1:
		return catalog.Command{}, &Error{Step: s.ID, Field: names[1], Err: fmt.Errorf("a step is one construct, and this one is also a %s", names[0])}
	case len(names) == 1 && s.Command != "":
		return catalog.Command{}, &Error{Step: s.ID, Field: names[0], Err: fmt.Errorf("a step runs a command or is a %s, not both (command %q)", names[0], s.Command)}
	case len(names) == 1:
		return catalog.Command{
			Name:        names[0],
			Description: "the " + names[0] + " construct",
			Output:      constructOutputs[names[0]],
			Timeout:     catalog.Duration(10 * time.Second),
			Retry:       catalog.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 1, MaximumInterval: time.Second, MaximumAttempts: 1},
		}, nil
	}
	cmd, ok := cat.Lookup(s.Command)
	if !ok {
		return catalog.Command{}, &Error{Step: s.ID, Field: "command", Err: fmt.Errorf("unknown command %q; the commands are %s, or a step is a construct: %s", s.Command, strings.Join(cat.Names(), ", "), strings.Join([]string{ConstructWait, ConstructAwaitReply, ConstructCheck, ConstructAnswer}, ", "))}
	}
	return cmd, nil
}

// compileConstruct checks a construct step's fields and adds the steps its expressions read to deps.
func (c *Compiled) compileConstruct(s *Step, deps map[string]bool) error {
	name := s.Construct()
	if name == "" {
		return nil
	}
	fail := func(field string, err error) error { return &Error{Step: s.ID, Field: name + "." + field, Err: err} }
	c.steps[s.ID].construct = map[string]value{}
	if s.ForEach != nil {
		return &Error{Step: s.ID, Field: "for_each", Err: fmt.Errorf("a %s step runs once; it cannot have a for_each", name)}
	}
	// expr compiles a value that may hold ${...} and returns its type.
	expr := func(field string, v string) (catalog.Type, error) {
		cv, err := compileValue(baseEnv, v)
		if err != nil {
			return "", fail(field, err)
		}
		typ, err := c.checkValue(s, deps, cv, "", nil)
		if err != nil {
			return "", fail(field, err)
		}
		c.steps[s.ID].construct[field] = cv
		return typ, nil
	}
	switch name {
	case ConstructWait:
		w := s.Wait
		switch {
		case (w.Until == "") == (w.For == ""):
			return fail("until", errors.New("a wait needs either until (a time) or for (a duration), not both"))
		case w.Until != "":
			if _, err := time.Parse(time.RFC3339, w.Until); err != nil {
				return fail("until", fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-27T09:00:00Z", w.Until))
			}
		default:
			if err := checkDuration(w.For); err != nil {
				return fail("for", err)
			}
		}
	case ConstructAwaitReply:
		a := s.AwaitReply
		if a.To == "" || a.From == "" {
			return fail("to", errors.New("a wait for a reply needs to (the email's Message-ID) and from (who replies)"))
		}
		if _, err := expr("to", a.To); err != nil {
			return err
		}
		typ, err := expr("from", a.From)
		if err != nil {
			return err
		}
		if !strings.Contains(a.From, "${") {
			if err := catalog.CheckAddress(a.From); err != nil {
				return fail("from", err)
			}
		} else if !assignable(typ, catalog.Address) {
			return fail("from", fmt.Errorf("must be an address, and %s is a %s", a.From, typ))
		}
		if err := checkDuration(a.Within); err != nil {
			return fail("within", err)
		}
		poll, ok := c.cat.Lookup(ReplyFinder)
		if !ok {
			return fail("to", fmt.Errorf("a wait for a reply asks the %s command, and this catalog has none", ReplyFinder))
		}
		c.steps[s.ID].poll = poll
	case ConstructCheck:
		if strings.TrimSpace(s.Check.Error) == "" {
			return fail("error", errors.New("a check needs the sentence it fails with"))
		}
		e, err := compileExpression(baseEnv, s.Check.That)
		if err != nil {
			return fail("that", err)
		}
		if t := e.ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return fail("that", fmt.Errorf("%q must be true or false, and it is a %s", s.Check.That, t))
		}
		if _, err := c.checkValue(s, deps, whole{e}, "", nil); err != nil {
			return fail("that", err)
		}
		c.steps[s.ID].construct["that"] = whole{e}
		c.compileCheckItems(s)
	case ConstructAnswer:
		a := s.Answer
		switch a.Kind {
		case AnswerNumber, AnswerList, AnswerText:
		default:
			return fail("kind", fmt.Errorf("%q is not a kind of answer; use %s, %s or %s", a.Kind, AnswerNumber, AnswerList, AnswerText))
		}
		if strings.TrimSpace(a.Value) == "" {
			return fail("value", errors.New("an answer needs a value"))
		}
		if _, err := expr("value", a.Value); err != nil {
			return err
		}
	}
	return nil
}

// ReplyCommand is the catalog entry of the command an await_reply step asks whether the reply came
// (ReplyFinder, as the plan was checked against it); false for any other step.
func (c *Compiled) ReplyCommand(id string) (catalog.Command, bool) {
	cs, ok := c.steps[id]
	if !ok || cs.step.AwaitReply == nil {
		return catalog.Command{}, false
	}
	return cs.poll, true
}

// checkDuration checks Go duration text of a wait: positive and at most maxWait.
func checkDuration(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a duration such as 10m0s or 24h0m0s", s)
	case d <= 0:
		return fmt.Errorf("%q must be more than nothing", s)
	case d > maxWait:
		return fmt.Errorf("%q is longer than the longest wait, %s", s, maxWait)
	}
	return nil
}

// errScheduled is why a plan with a schedule does not compile: it is not run itself. A client creates a
// Temporal Schedule from it, and each scheduled run plans Schedule.Program at its own start, which gives a
// plan without a schedule. Refusing it here keeps any interpreter from running the steps now.
var errScheduled = errors.New("a plan with a schedule is not run itself: create the schedule from it (`eaapl run` does), and each run plans schedule.program")

// validateScheduled checks a plan with a schedule: the schedule, and the steps as the plan of one run.
func validateScheduled(p *Plan) error {
	if err := validateSchedule(p.Schedule); err != nil {
		return err
	}
	run := *p
	run.Schedule = nil
	_, err := Compile(&run)
	return err
}

// validateSchedule checks a plan's schedule.
func validateSchedule(sc *Schedule) error {
	fail := func(field string, err error) error { return &Error{Field: "schedule." + field, Err: err} }
	if strings.TrimSpace(sc.Program) == "" {
		return fail("program", errors.New("a schedule needs the program each run plans"))
	}
	if _, err := time.LoadLocation(sc.TimeZone); err != nil || sc.TimeZone == "" || strings.EqualFold(sc.TimeZone, "local") {
		return fail("time_zone", fmt.Errorf("%q is not an IANA time zone such as UTC or Europe/Berlin", sc.TimeZone))
	}
	if len(sc.Calendar) == 0 || len(sc.Calendar) > maxCalendars {
		return fail("calendar", fmt.Errorf("a schedule needs from 1 to %d calendar entries, and it has %d", maxCalendars, len(sc.Calendar)))
	}
	for i, cal := range sc.Calendar {
		at := fmt.Sprintf("calendar[%d]", i)
		switch {
		case cal.Hour < 0 || cal.Hour > 23:
			return fail(at+".hour", fmt.Errorf("%d is not an hour from 0 to 23", cal.Hour))
		case cal.Minute < 0 || cal.Minute > 59:
			return fail(at+".minute", fmt.Errorf("%d is not a minute from 0 to 59", cal.Minute))
		case cal.DayOfMonth < 0 || cal.DayOfMonth > 31:
			return fail(at+".day_of_month", fmt.Errorf("%d is not a day of the month from 1 to 31", cal.DayOfMonth))
		case cal.DayOfMonth != 0 && len(cal.DaysOfWeek) > 0:
			return fail(at, errors.New("give days_of_week or day_of_month, not both"))
		}
		for _, d := range cal.DaysOfWeek {
			if !slices.Contains(Weekdays, d) {
				return fail(at+".days_of_week", fmt.Errorf("%q is not a day; use %s", d, strings.Join(Weekdays, ", ")))
			}
		}
	}
	return nil
}
