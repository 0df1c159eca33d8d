package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// ReadBackConstruct writes a construct step in plain English for the read-back shown before a program
// runs, and false for a step that runs a command (the command's own read-back covers it). The times are
// written in loc.
func ReadBackConstruct(s plan.Step, loc *time.Location) (string, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case s.Wait != nil && s.Wait.Until != "":
		t, err := time.Parse(time.RFC3339, s.Wait.Until)
		if err != nil {
			return "Wait until " + s.Wait.Until + ".", true
		}
		return "Wait until " + t.In(loc).Format("Monday 2 January at 15:04") + ".", true
	case s.Wait != nil:
		d, err := time.ParseDuration(s.Wait.For)
		if err != nil {
			return "Wait " + s.Wait.For + ".", true
		}
		return "Wait " + catalog.DescribeDuration(d) + ".", true
	case s.AwaitReply != nil:
		within := s.AwaitReply.Within
		if d, err := time.ParseDuration(within); err == nil {
			within = catalog.DescribeDuration(d)
		}
		from := s.AwaitReply.From
		if strings.Contains(from, "${") {
			from = "the recipient"
		}
		return fmt.Sprintf("Wait up to %s for a reply from %s to that email; a reply ends the wait.", within, from), true
	case s.Check != nil:
		return "Before sending, check: " + checkWords(s.Check) + ".", true
	case s.Answer != nil:
		switch s.Answer.Kind {
		case plan.AnswerNumber:
			return "Answer with " + s.Answer.Label + ".", true
		case plan.AnswerList:
			return "Answer with the list of " + s.Answer.Label + ".", true
		}
		return "Answer with " + s.Answer.Label + ".", true
	}
	return "", false
}

// checkWords says what a check checks, from its error ("the placeholder {first name} cannot be filled:
// ...") when it is one of the planner's.
func checkWords(c *plan.Check) string {
	if ph, _, ok := strings.Cut(strings.TrimPrefix(c.Error, "the placeholder "), " cannot be filled"); ok && strings.HasPrefix(c.Error, "the placeholder ") {
		return "every contact it goes to has a name to fill " + ph
	}
	return c.Error
}

// ReadBackSchedule writes a schedule in plain English: "Every weekday at 9:00 (UTC), run: send ...".
func ReadBackSchedule(sc *plan.Schedule) string {
	var parts []string
	for _, cal := range sc.Calendar {
		c := scheduleClause{days: cal.DaysOfWeek, dayOfMonth: cal.DayOfMonth, clock: clock{cal.Hour, cal.Minute}}
		parts = append(parts, c.describe())
	}
	when := strings.Join(parts, ", and ")
	return fmt.Sprintf("%s%s (%s), run: %s", strings.ToUpper(when[:1]), when[1:], sc.TimeZone, sc.Program)
}
