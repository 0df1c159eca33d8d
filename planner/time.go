package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// duration is "10 minutes", "2 hours", "a day".
type duration time.Duration

// whenClause is when a statement runs: after a duration ("in 2 hours", "wait 10 minutes") or at a time of
// a day ("at 5pm", "tomorrow at 8am", "on Friday at 9"), not yet resolved.
type whenClause struct {
	span
	after duration // > 0: a duration from when the statement before is done
	day   dayRef   // otherwise: a day and a clock time
	clock clock
}

// dayRef is a day relative to the program's start.
type dayRef struct {
	kind    int          // dayToday, dayTomorrow or dayWeekday
	weekday time.Weekday // for dayWeekday: the next one after today
}

const (
	dayToday = iota
	dayTomorrow
	dayWeekday
)

// clock is a time of day.
type clock struct{ hour, minute int }

func (c clock) String() string {
	if c.minute == 0 {
		return fmt.Sprintf("%d:00", c.hour)
	}
	return fmt.Sprintf("%d:%02d", c.hour, c.minute)
}

// maxDuration bounds a wait, as plan validation does.
const maxDuration = 366 * 24 * time.Hour

var units = map[string]time.Duration{
	"second": time.Second, "seconds": time.Second, "sec": time.Second, "secs": time.Second,
	"minute": time.Minute, "minutes": time.Minute, "min": time.Minute, "mins": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// duration parses "20 seconds", "10 minutes", "an hour", "two days"; it returns -1 when there is none at pos.
func (p *parser) duration(pos int) (duration, int, *failure) {
	if pos+1 >= p.end+1 || pos >= p.end || p.toks[pos].kind != word {
		return 0, -1, nil
	}
	w := p.toks[pos].text
	n, ok := number(w)
	if w == "a" || w == "an" {
		n, ok = 1, true
	}
	unit, isUnit := time.Duration(0), false
	if pos+1 < p.end && p.toks[pos+1].kind == word {
		unit, isUnit = units[p.toks[pos+1].text]
	}
	if !ok || !isUnit {
		return 0, -1, nil
	}
	d := time.Duration(n) * unit
	if n < 1 || d > maxDuration {
		return 0, 0, &failure{from: pos, to: pos + 2, why: "a wait must be from 1 second to 366 days"}
	}
	return duration(d), pos + 2, nil
}

// whenClause parses a time phrase as a clause.
func (p *parser) whenClause(pos int) (*clause, *failure) {
	w, next, f := p.when(pos)
	if w == nil {
		return nil, f
	}
	return &clause{next: next, when: w, lead: true}, nil
}

// when parses "in 2 hours", "at 5pm", "today at 5pm", "tomorrow at 8am", "on Friday at 9".
func (p *parser) when(pos int) (*whenClause, int, *failure) {
	if p.isWord(pos, "in") {
		d, next, f := p.duration(pos + 1)
		if f != nil || next < 0 {
			return nil, 0, f
		}
		return &whenClause{span: span{pos, next}, after: d}, next, nil
	}
	var day dayRef
	next := pos
	switch {
	case p.isWord(pos, "at"):
		c, after, ok := p.clock(pos + 1)
		if !ok {
			return nil, 0, nil
		}
		return &whenClause{span: span{pos, after}, day: dayRef{kind: dayToday}, clock: c}, after, nil
	case p.isWord(pos, "today"):
		day, next = dayRef{kind: dayToday}, pos+1
	case p.isWord(pos, "tomorrow"):
		day, next = dayRef{kind: dayTomorrow}, pos+1
	case p.isWord(pos, "on") && pos+1 < p.end && p.toks[pos+1].kind == word:
		wd, ok := weekdayNames[p.toks[pos+1].text]
		if !ok {
			return nil, 0, nil
		}
		day, next = dayRef{kind: dayWeekday, weekday: wd}, pos+2
	case pos < p.end && p.toks[pos].kind == word && p.isWord(pos+1, "at"):
		wd, ok := weekdayNames[p.toks[pos].text]
		if !ok {
			return nil, 0, nil
		}
		day, next = dayRef{kind: dayWeekday, weekday: wd}, pos+1
	default:
		return nil, 0, nil
	}
	if p.isWord(next, "morning") {
		return nil, 0, &failure{from: pos, to: next + 1, why: "say at what time, like tomorrow at 8am"}
	}
	if !p.isWord(next, "at") {
		if day.kind == dayToday {
			return nil, 0, nil // "today" alone is a period ("if I haven't emailed them today"), not a time to send
		}
		return nil, 0, &failure{from: pos, to: next, why: "say at what time, like " + p.src[p.toks[pos].start:p.toks[next-1].end] + " at 9am"}
	}
	c, after, ok := p.clock(next + 1)
	if !ok {
		return nil, 0, &failure{from: pos, to: next + 1, why: "say the time like 9am, 5pm, 8:30 or 18:00"}
	}
	return &whenClause{span: span{pos, after}, day: day, clock: c}, after, nil
}

// clock parses "5pm", "5 pm", "9", "8:30", "8:30am", "18:00", "noon".
func (p *parser) clock(pos int) (clock, int, bool) {
	if pos >= p.end || p.toks[pos].kind != word {
		return clock{}, 0, false
	}
	if p.isWord(pos, "noon") || p.isWord(pos, "midday") {
		return clock{12, 0}, pos + 1, true
	}
	w := p.toks[pos].text
	next := pos + 1
	suffix := ""
	for _, s := range []string{"am", "pm"} {
		if strings.HasSuffix(w, s) && len(w) > 2 {
			w, suffix = strings.TrimSuffix(w, s), s
		}
	}
	hour, err := strconv.Atoi(w)
	if err != nil || len(w) > 2 {
		return clock{}, 0, false
	}
	minute := 0
	if suffix == "" && p.isPunct(next, ":") && next+1 < p.end && p.toks[next+1].kind == word {
		m := p.toks[next+1].text
		for _, s := range []string{"am", "pm"} {
			if strings.HasSuffix(m, s) {
				m, suffix = strings.TrimSuffix(m, s), s
			}
		}
		v, err := strconv.Atoi(m)
		if err != nil || len(m) != 2 || v > 59 {
			return clock{}, 0, false
		}
		minute, next = v, next+2
	}
	if suffix == "" && (p.isWord(next, "am") || p.isWord(next, "pm")) {
		suffix = p.toks[next].text
		next++
	}
	switch suffix {
	case "am", "pm":
		if hour < 1 || hour > 12 {
			return clock{}, 0, false
		}
		hour %= 12
		if suffix == "pm" {
			hour += 12
		}
	default:
		if hour > 23 {
			return clock{}, 0, false
		}
	}
	return clock{hour, minute}, next, true
}

// at resolves a day and clock time against now, in now's location.
func (w whenClause) at(now time.Time) time.Time {
	y, m, d := now.Date()
	switch w.day.kind {
	case dayTomorrow:
		d++
	case dayWeekday:
		ahead := (int(w.day.weekday) - int(now.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		d += ahead
	}
	return time.Date(y, m, d, w.clock.hour, w.clock.minute, 0, 0, now.Location())
}

// describe names a when for people: "in 2 hours", "at 17:00 on Wednesday 25 November".
func (w whenClause) describe(now time.Time) string {
	if w.after > 0 {
		return "for " + catalog.DescribeDuration(time.Duration(w.after))
	}
	return "until " + w.at(now).Format("15:04 on Monday 2 January")
}

// scheduleClause is "every Monday at 9am", "every weekday at 8:30", "on the 1st of every month at 9".
type scheduleClause struct {
	span
	days       []string // plan.Weekdays names; every day when empty and dayOfMonth is 0
	dayOfMonth int
	clock      clock
}

// schedule parses a schedule at the start of the program; nil when there is none.
func (p *parser) schedule(pos int) (*scheduleClause, int, *failure) {
	sc := &scheduleClause{}
	next := pos
	switch {
	case p.isWord(pos, "every") || p.isWord(pos, "each"):
		next = pos + 1
		for {
			w := ""
			if next < p.end && p.toks[next].kind == word {
				w = strings.TrimSuffix(p.toks[next].text, "s")
			}
			if wd, ok := weekdayNames[w]; ok {
				sc.days = append(sc.days, plan.Weekdays[wd])
			} else if w == "weekday" && len(sc.days) == 0 {
				sc.days = []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
				next++
				break
			} else if w == "day" && len(sc.days) == 0 {
				next++
				break
			} else {
				break
			}
			next++
			if p.isWord(next, "and") || p.isPunct(next, ",") {
				if n := next + 1; n < p.end && p.toks[n].kind == word {
					if _, ok := weekdayNames[strings.TrimSuffix(p.toks[n].text, "s")]; ok {
						next = n
						continue
					}
				}
			}
			break
		}
		if next == pos+1 {
			return nil, 0, nil // "every contact" and the like
		}
	case p.isWord(pos, "daily"):
		next = pos + 1
	case p.isWord(pos, "on") && p.isWord(pos+1, "the"):
		n := pos + 2
		if n >= p.end || p.toks[n].kind != word {
			return nil, 0, nil
		}
		day, ok := dayOfMonth(p.toks[n].text)
		if !ok {
			return nil, 0, nil
		}
		after, ok := p.phrase(n+1, "of every month", "of each month", "of the month")
		if !ok {
			return nil, 0, nil
		}
		if day < 1 || day > 28 {
			return nil, 0, &failure{from: pos, to: after, why: "a monthly schedule runs on a day from the 1st to the 28th, which every month has"}
		}
		sc.dayOfMonth, next = day, after
	default:
		return nil, 0, nil
	}
	if !p.isWord(next, "at") {
		return nil, 0, &failure{from: pos, to: next, why: "say at what time, like " + p.src[p.toks[pos].start:p.toks[next-1].end] + " at 9am"}
	}
	c, after, ok := p.clock(next + 1)
	if !ok {
		return nil, 0, &failure{from: pos, to: next + 1, why: "say the time like 9am, 5pm, 8:30 or 18:00"}
	}
	sc.clock, sc.span = c, span{pos, after}
	slices.SortFunc(sc.days, func(a, b string) int { return slices.Index(plan.Weekdays, a) - slices.Index(plan.Weekdays, b) })
	return sc, after, nil
}

// dayOfMonth reads "1st", "2nd", "3rd", "15th", "1".
func dayOfMonth(w string) (int, bool) {
	for _, s := range []string{"st", "nd", "rd", "th"} {
		w = strings.TrimSuffix(w, s)
	}
	n, err := strconv.Atoi(w)
	return n, err == nil && len(w) <= 2
}

// describeSchedule names a schedule for people: "every Monday at 9:00".
func (sc *scheduleClause) describe() string {
	var when string
	switch {
	case sc.dayOfMonth > 0:
		when = "on day " + strconv.Itoa(sc.dayOfMonth) + " of every month"
	case len(sc.days) == 5 && sc.days[0] == "monday" && sc.days[4] == "friday":
		when = "every weekday"
	case len(sc.days) == 0:
		when = "every day"
	default:
		names := make([]string, len(sc.days))
		for i, d := range sc.days {
			names[i] = strings.ToUpper(d[:1]) + d[1:]
		}
		when = "every " + andList(names)
	}
	return when + " at " + sc.clock.String()
}
