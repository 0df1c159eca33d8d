package planner

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The model writes times as phrases ("start of this week", "7 days ago"), never as dates it computed: it is
// not told the date, models get calendars wrong, and a plan without dates can be cached. resolveTimes turns
// them into RFC 3339 times from the program's start, with the same meaning as the rule-based planner's
// "this week" and "in the last N days".
var (
	agoPattern  = regexp.MustCompile(`^(\d{1,4}) (day|hour|week)s? ago$`)
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// timePhrases lists the phrases, for error messages.
const timePhrases = `"now", "start of today", "start of this week", "start of this month", "N days ago", "N hours ago", "N weeks ago", a date YYYY-MM-DD or an RFC 3339 time`

// resolveTimes replaces the time phrases of the plan's time arguments and waits; now is in the user's zone.
func resolveTimes(p *plan.Plan, now time.Time) error {
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Wait != nil && s.Wait.Until != "" {
			t, err := untilOf(s.Wait.Until, now)
			if err != nil {
				return &plan.Error{Step: s.ID, Field: "wait.until", Err: err}
			}
			s.Wait.Until = t
		}
		cmd, ok := catalog.Lookup(s.Command)
		if !ok {
			continue // plan.Validate names the unknown command
		}
		for name, v := range s.Args {
			f, ok := cmd.Arg(name)
			text, isText := v.(string)
			if !ok || f.Type != catalog.Time || !isText || strings.Contains(text, "${") {
				continue
			}
			t, err := timeOf(text, now)
			if err != nil {
				return &plan.Error{Step: s.ID, Field: "args." + name, Err: err}
			}
			s.Args[name] = t
		}
	}
	return nil
}

// timeOf resolves one phrase to RFC 3339 text.
func timeOf(phrase string, now time.Time) (string, error) {
	text := strings.ToLower(strings.Join(strings.Fields(phrase), " "))
	if _, err := time.Parse(time.RFC3339, phrase); err == nil {
		return phrase, nil
	}
	var t time.Time
	switch text {
	case "now":
		t = ceilSecond(now)
	case "start of today":
		t = period{kind: today}.since(now)
	case "start of this week":
		t = period{kind: thisWeek}.since(now)
	case "start of this month":
		t = period{kind: thisMonth}.since(now)
	default:
		if m := agoPattern.FindStringSubmatch(text); m != nil {
			n, _ := strconv.Atoi(m[1]) // at most 4 digits
			unit := map[string]time.Duration{"day": 24 * time.Hour, "hour": time.Hour, "week": 7 * 24 * time.Hour}[m[2]]
			t = now.Add(-time.Duration(n) * unit)
			break
		}
		if datePattern.MatchString(text) {
			d, err := time.ParseInLocation("2006-01-02", text, now.Location())
			if err != nil {
				return "", fmt.Errorf("%q is not a date", phrase)
			}
			t = d
			break
		}
		return "", fmt.Errorf("%q is not a time; write one of %s", phrase, timePhrases)
	}
	return t.Format(time.RFC3339), nil
}

// dateTimeLayout is the date and clock a model may write for a wait's end.
const dateTimeLayout = "2006-01-02T15:04"

// untilPhrases lists the phrases of wait.until, for error messages.
const untilPhrases = `"today at HH:MM", "tomorrow at HH:MM", "<weekday> at HH:MM", "next <weekday> at HH:MM", "this <weekday> at HH:MM", "24 December at HH:MM", "tonight at HH:MM", "tomorrow at midnight" or "YYYY-MM-DDTHH:MM"`

// untilOf resolves the time a wait ends: a time phrase of the rule-based planner's grammar (whenOf: the
// same words and the same meaning, "friday at 09:00" on a Friday refused as it could be today or in a
// week), "YYYY-MM-DDTHH:MM", or an RFC 3339 time. A time already past is an error: a program that waits
// for it would do at once what it says to do later.
func untilOf(phrase string, now time.Time) (string, error) {
	if _, err := time.Parse(time.RFC3339, phrase); err == nil {
		return phrase, nil
	}
	t, ok, err := whenOf(phrase, now)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: %w", phrase, err)
	case ok:
	default:
		d, err := time.ParseInLocation(dateTimeLayout, strings.TrimSpace(phrase), now.Location())
		if err != nil {
			return "", fmt.Errorf("%q is not a time to wait until; write one of %s", phrase, untilPhrases)
		}
		t = d
	}
	if !t.After(now) {
		return "", fmt.Errorf("%q is %s, which has passed", phrase, t.Format("15:04 on Monday 2 January"))
	}
	return t.Format(time.RFC3339), nil
}
