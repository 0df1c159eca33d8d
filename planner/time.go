package planner

import (
	"errors"
	"fmt"
	"regexp"
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
	kind    int          // dayToday, dayTomorrow, dayWeekday, dayNext, dayThis or dayDate
	weekday time.Weekday // for dayWeekday, dayNext and dayThis: the day named; for dayDate: the day written with it
	named   bool         // for dayDate: a weekday was written with the date ("Friday 11 December")
	month   time.Month   // for dayDate
	date    int          // for dayDate: the day of the month
	year    int          // for dayDate: 0 when the year is not written
}

const (
	dayToday = iota
	dayTomorrow
	dayWeekday // "on Friday": the next Friday after today
	dayNext    // "next Friday": the Friday of next week (weeks start on Monday)
	dayThis    // "this Friday": the Friday of this week, still to come
	dayDate    // "on 24 December", "on December 24 2027"
)

// clock is a time of day. midnight is "at midnight": 0:00 at the end of the day it is said with, that is
// the start of the next one.
type clock struct {
	hour, minute int
	midnight     bool
}

// nextDay is 1 for midnight, which is at the end of the day it is said with, and 0 for other times.
func (c clock) nextDay() int {
	if c.midnight {
		return 1
	}
	return 0
}

func (c clock) String() string {
	if c.midnight {
		return "midnight" // not "0:00", which "today at 0:00" would read as the start of today
	}
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
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// duration parses "20 seconds", "10 minutes", "an hour", "two days", "half an hour", "an hour and a half",
// "2 and a half hours" and "1.5 hours"; it returns -1 when there is none at pos. A decimal must come to
// whole minutes ("1.33 hours" is refused), and "a couple of hours" is refused: say the number.
func (p *parser) duration(pos int) (duration, int, *failure) {
	if pos >= p.end || p.toks[pos].kind != word {
		return 0, -1, nil
	}
	unitAt := func(i int) (time.Duration, bool) {
		if i < p.end && p.toks[i].kind == word {
			u, ok := units[p.toks[i].text]
			return u, ok
		}
		return 0, false
	}
	w := p.toks[pos].text
	if (w == "a" || w == "an") && (p.isWord(pos+1, "couple") || p.isWord(pos+1, "few")) || w == "several" || w == "some" || w == "couple" || w == "few" {
		to := pos + 1
		for to < p.end && to < pos+4 && p.toks[to].kind == word {
			if _, ok := unitAt(to); ok {
				return 0, 0, &failure{from: pos, to: to + 1, why: "it is not a number; write how many, like in 2 hours or in 30 minutes"}
			}
			to++
		}
		return 0, -1, nil
	}
	if w == "half" && (p.isWord(pos+1, "a") || p.isWord(pos+1, "an")) {
		if u, ok := unitAt(pos + 2); ok {
			return duration(u / 2), pos + 3, nil // half an hour
		}
		return 0, -1, nil
	}
	var n float64
	if v, ok := number(w); ok {
		n = float64(v)
	} else if w == "a" || w == "an" {
		n = 1
	} else if decimal.MatchString(w) {
		n, _ = strconv.ParseFloat(w, 64)
	} else {
		return 0, -1, nil
	}
	next := pos + 1
	if _, ok := p.phrase(next, "and a half"); ok && !decimal.MatchString(w) {
		n, next = n+0.5, next+3 // 2 and a half hours
	}
	unit, ok := unitAt(next)
	if !ok {
		return 0, -1, nil
	}
	next++
	if _, ok := p.phrase(next, "and a half"); ok && n == float64(int(n)) && !decimal.MatchString(w) {
		n, next = n+0.5, next+3 // an hour and a half
	}
	d := time.Duration(n * float64(unit))
	if d < time.Second || d > maxDuration {
		return 0, 0, &failure{from: pos, to: next, why: "a wait must be from 1 second to 366 days"}
	}
	if decimal.MatchString(w) && d%time.Minute != 0 {
		return 0, 0, &failure{from: pos, to: next, why: fmt.Sprintf("%s %s is not a whole number of minutes; write it in minutes, like in %d minutes",
			w, p.toks[next-1].text, int(d.Round(time.Minute)/time.Minute))}
	}
	return duration(d), next, nil
}

// decimal is a number with a decimal point: "1.5".
var decimal = regexp.MustCompile(`^\d{1,3}\.\d{1,2}$`)

// whenClause parses a time phrase as a clause.
func (p *parser) whenClause(pos int) (*clause, *failure) {
	w, next, f := p.when(pos)
	if w == nil {
		return nil, f
	}
	return &clause{next: next, when: w, lead: true}, nil
}

// when parses "in 2 hours", "at 5pm", "today at 5pm", "tomorrow at 8am", "on Friday at 9", "next
// Monday at 9am", "on 24 December at 9am", and the clock first: "at 8am tomorrow", "at 9 on Friday".
func (p *parser) when(pos int) (*whenClause, int, *failure) {
	if p.isWord(pos, "in") {
		d, next, f := p.durations(pos + 1)
		if f != nil || next < 0 {
			return nil, 0, f
		}
		return &whenClause{span: span{pos, next}, after: d}, next, nil
	}
	if p.isWord(pos, "at") {
		return p.clockWhen(pos, pos+1)
	}
	var day dayRef
	next, part := -1, ""
	switch {
	case p.isWord(pos, "tonight"):
		day, next, part = dayRef{kind: dayToday}, pos+1, "night"
	case p.isWord(pos, "this") && p.partOfDay(pos+1) != "":
		day, next, part = dayRef{kind: dayToday}, pos+2, p.partOfDay(pos+1)
	default:
		var f *failure
		if day, next, f = p.dayPhrase(pos, true); f != nil || next < 0 {
			return nil, 0, f
		}
		if part = p.partOfDay(next); part != "" {
			next++ // "tomorrow morning at 10"
		}
	}
	if part != "" {
		if !p.isWord(next, "at") {
			return nil, 0, &failure{from: pos, to: next, why: "say at what time, like " + p.src[p.toks[pos].start:p.toks[next-1].end] + " at 9"}
		}
		c, after, f := p.partClock(pos, next+1, part)
		if f != nil {
			return nil, 0, f
		}
		return &whenClause{span: span{pos, after}, day: day, clock: c}, after, nil
	}
	if !p.isWord(next, "at") {
		if day.kind == dayToday {
			return nil, 0, nil // "today" alone is a period ("if I haven't emailed them today"), not a time to send
		}
		return nil, 0, &failure{from: pos, to: next, why: "say at what time, like " + p.src[p.toks[pos].start:p.toks[next-1].end] + " at 9am"}
	}
	c, after, ok, f := p.clockAt(next + 1)
	if f != nil {
		return nil, 0, &failure{from: pos, to: f.to, why: f.why}
	}
	if !ok {
		return nil, 0, &failure{from: pos, to: next + 1, why: "say the time like 9am, 5pm, 8:30 or 18:00"}
	}
	return &whenClause{span: span{pos, after}, day: day, clock: c}, after, nil
}

// clockWhen parses a clock at pos and the day that may follow it: "9am", "8am tomorrow", "9 on Friday";
// from is where the phrase starts ("at", or the clock itself after "wait until"). Without a day it is today.
func (p *parser) clockWhen(from, pos int) (*whenClause, int, *failure) {
	if _, n, ok := p.clock(pos); ok {
		// "at 9 tonight", "at 10am this morning": the part of the day reads the clock, as after it.
		part, end := "", n
		if p.isWord(n, "tonight") {
			part, end = "night", n+1
		} else if p.isWord(n, "this") && p.partOfDay(n+1) != "" {
			part, end = p.partOfDay(n+1), n+2
		}
		if part != "" {
			c, _, f := p.partClock(from, pos, part)
			if f != nil {
				return nil, 0, &failure{from: from, to: end, why: f.why}
			}
			return &whenClause{span: span{from, end}, day: dayRef{kind: dayToday}, clock: c}, end, nil
		}
	}
	c, after, ok, f := p.clockAt(pos)
	if f != nil {
		return nil, 0, &failure{from: from, to: f.to, why: f.why}
	}
	if !ok {
		return nil, 0, nil
	}
	day := dayRef{kind: dayToday}
	if d, next, f := p.dayPhrase(after, false); f != nil {
		return nil, 0, f
	} else if next >= 0 {
		day, after = d, next
	}
	return &whenClause{span: span{from, after}, day: day, clock: c}, after, nil
}

// dayPhrase parses a day: "today", "tomorrow", "on Friday", "next Friday", "this Friday", "on 24 December",
// "on December 24th 2027", "on the 24th of December", "on Friday 11 December". A weekday without "on" is
// a day only where first is true (the day before the clock) and "at" or a date follows it: "Friday at 9,
// send ...". next is -1 when there is none at pos.
func (p *parser) dayPhrase(pos int, first bool) (dayRef, int, *failure) {
	switch {
	case p.isWord(pos, "today"):
		return dayRef{kind: dayToday}, pos + 1, nil
	case p.isWord(pos, "tomorrow"):
		return dayRef{kind: dayTomorrow}, pos + 1, nil
	}
	at := pos
	on := p.isWord(at, "on")
	if on {
		at++
	}
	if p.isWord(at, "next") || p.isWord(at, "this") {
		if wd, ok := p.weekdayAt(at + 1); ok {
			kind := dayNext
			if p.isWord(at, "this") {
				kind = dayThis
			}
			return dayRef{kind: kind, weekday: wd}, at + 2, nil
		}
		return dayRef{}, -1, nil // "this week", "next week": periods, not days
	}
	if on || first {
		if f := p.holidayAt(pos, at); f != nil {
			return dayRef{}, 0, f // "on Christmas", "Christmas Day at 9am"
		}
	}
	if !on && !first {
		return dayRef{}, -1, nil
	}
	if wd, ok := p.weekdayAt(at); ok {
		if d, next, f := p.date(at + 1); f != nil || next >= 0 {
			d.weekday, d.named = wd, true
			return d, next, f
		}
		if !on && !p.isWord(at+1, "at") {
			return dayRef{}, -1, nil
		}
		return dayRef{kind: dayWeekday, weekday: wd}, at + 1, nil
	}
	if !on {
		return dayRef{}, -1, nil
	}
	if at < p.end && p.toks[at].kind == word && numericDate.MatchString(p.toks[at].text) {
		return dayRef{}, 0, &failure{from: pos, to: at + 1, why: "write the month's name, like on 24 December or on December 24: a date in numbers such as 3/4 is 3 April in some countries and March 4 in others"}
	}
	return p.date(at)
}

// numericDate is a date written in numbers: 24/12, 12/24/2026, 24.12., 2026-12-24.
var numericDate = regexp.MustCompile(`^\d{1,4}[/.-]\d{1,2}([/.-]\d{0,4})?$`)

// weekdayAt returns the weekday named at pos.
func (p *parser) weekdayAt(pos int) (time.Weekday, bool) {
	if pos >= p.end || p.toks[pos].kind != word {
		return 0, false
	}
	wd, ok := weekdayNames[p.toks[pos].text]
	return wd, ok
}

var monthNames = map[string]time.Month{
	"january": time.January, "february": time.February, "march": time.March, "april": time.April, "may": time.May,
	"june": time.June, "july": time.July, "august": time.August, "september": time.September, "october": time.October,
	"november": time.November, "december": time.December,
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April, "jun": time.June, "jul": time.July,
	"aug": time.August, "sep": time.September, "sept": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// date parses a day and a month's name, and a year after them: "24 December", "24th December", "December
// 24", "December 24th", "the 24th of December", each maybe with "2027" after it. next is -1 when there is
// none at pos.
func (p *parser) date(pos int) (dayRef, int, *failure) {
	word := func(i int) string {
		if i < p.end && p.toks[i].kind == word {
			return p.toks[i].text
		}
		return ""
	}
	d := dayRef{kind: dayDate}
	next := -1
	if m, ok := monthNames[word(pos)]; ok {
		if n, ok := dayOfMonth(word(pos + 1)); ok {
			d.month, d.date, next = m, n, pos+2 // December 24
		}
	} else if n, ok := dayOfMonth(word(pos)); ok {
		if m, ok := monthNames[word(pos+1)]; ok {
			d.month, d.date, next = m, n, pos+2 // 24 December
		} else if p.isWord(pos+1, "of") {
			if m, ok := monthNames[word(pos+2)]; ok {
				d.month, d.date, next = m, n, pos+3 // 24th of December
			}
		}
	} else if p.isWord(pos, "the") {
		if n, ok := dayOfMonth(word(pos + 1)); ok && p.isWord(pos+2, "of") {
			if m, ok := monthNames[word(pos+3)]; ok {
				d.month, d.date, next = m, n, pos+4 // the 24th of December
			}
		}
	}
	if next < 0 {
		return dayRef{}, -1, nil
	}
	if w := word(next); len(w) == 4 {
		if y, err := strconv.Atoi(w); err == nil {
			d.year, next = y, next+1
		}
	}
	if d.date < 1 || d.date > 31 {
		return dayRef{}, 0, &failure{from: pos, to: next, why: "a day of the month is from 1 to 31"}
	}
	return d, next, nil
}

// clock parses "5pm", "5 pm", "9", "8:30", "8:30am", "18:00", "noon".
func (p *parser) clock(pos int) (clock, int, bool) {
	if pos >= p.end || p.toks[pos].kind != word {
		return clock{}, 0, false
	}
	if p.isWord(pos, "noon") || p.isWord(pos, "midday") {
		return clock{hour: 12}, pos + 1, true
	}
	if p.isWord(pos, "midnight") {
		return clock{midnight: true}, pos + 1, true
	}
	w := p.toks[pos].text
	next := pos + 1
	suffix := ""
	for _, s := range []string{"am", "pm"} {
		if strings.HasSuffix(w, s) && len(w) > 2 {
			w, suffix = strings.TrimSuffix(w, s), s
		}
	}
	minute := 0
	if h, m, dot := strings.Cut(w, "."); dot {
		v, err := strconv.Atoi(m) // "7.30pm", "19.30": the minutes after a dot, as people write in Britain
		if err != nil || len(m) != 2 || v > 59 {
			return clock{}, 0, false
		}
		w, minute = h, v
	}
	hour, err := strconv.Atoi(w)
	if err != nil || len(w) > 2 || w == "" {
		return clock{}, 0, false
	}
	if suffix == "" && !strings.Contains(p.toks[pos].text, ".") && p.isPunct(next, ":") && next+1 < p.end && p.toks[next+1].kind == word {
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
	return clock{hour: hour, minute: minute}, next, true
}

// clockAt is clock, refusing a bare hour from 1 to 7: "at 5" is 05:00 on the 24-hour clock, but it is
// far more often meant as 5pm, so EaaPL asks rather than pick one. "05", "5:00" and "5am" are clear.
func (p *parser) clockAt(pos int) (clock, int, bool, *failure) {
	c, next, ok := p.clock(pos)
	if ok && p.bareHour(pos, next) && c.hour >= 1 && c.hour <= 7 {
		return clock{}, 0, false, &failure{from: pos, to: next, why: fmt.Sprintf("say %dam or %dpm (%d:00): without am or pm it could be either", c.hour, c.hour, c.hour+12)}
	}
	if f := p.zoneAfter(pos, next); ok && f != nil {
		return clock{}, 0, false, f
	}
	return c, next, ok, nil
}

// bareHour reports whether the clock from pos to next is an hour alone, without am, pm, minutes or a
// leading zero: "9".
func (p *parser) bareHour(pos, next int) bool {
	if next != pos+1 || p.toks[pos].kind != word {
		return false
	}
	w := p.toks[pos].text
	_, err := strconv.Atoi(w)
	return err == nil && len(w) <= 2 && w[0] != '0' // "05" is 05:00 on the 24-hour clock
}

// zoneNames are time zones people write after a clock. A program's times are in one zone, EAAPL_TIMEZONE:
// "at 9am EST" is refused rather than converted, as the schedule and the read-back are in that zone.
var zoneNames = map[string]bool{
	"utc": true, "gmt": true, "est": true, "edt": true, "cst": true, "cdt": true, "mst": true, "mdt": true, "pst": true,
	"pdt": true, "et": true, "pt": true, "ct": true, "bst": true, "cet": true, "cest": true, "eet": true, "eest": true,
	"wet": true, "west": true, "ist": true, "jst": true, "aest": true, "aedt": true, "hkt": true, "sgt": true, "z": true,
}

// zoneAfter refuses a time zone written right after the clock that ends at next.
func (p *parser) zoneAfter(pos, next int) *failure {
	if next >= p.end || p.toks[next].kind != word {
		return nil
	}
	w := p.toks[next].text
	if !zoneNames[w] && !strings.HasPrefix(w, "utc+") && !strings.HasPrefix(w, "utc-") && !strings.HasPrefix(w, "gmt+") && !strings.HasPrefix(w, "gmt-") {
		return nil
	}
	zone := p.zone
	if zone == "" || zone == "Local" {
		zone = "this machine's local zone (EAAPL_TIMEZONE is not set)"
	}
	return &failure{from: pos, to: next + 1, why: fmt.Sprintf("a time zone is not written in the program: its times are in %s; set EAAPL_TIMEZONE (for example to America/New_York) for another", zone)}
}

// partOfDay is "morning", "afternoon", "evening" or "night" at pos, or "".
func (p *parser) partOfDay(pos int) string {
	for _, w := range []string{"morning", "afternoon", "evening", "night"} {
		if p.isWord(pos, w) {
			return w
		}
	}
	return ""
}

// partClock parses the clock at pos of "this evening at 7", "tonight at 9", "tomorrow morning at 10": an
// hour alone is read in that part of the day (9 tonight is 21:00), and a clock outside it is refused
// (tonight at 9am). from is where the when starts, for the part quoted.
func (p *parser) partClock(from, pos int, part string) (clock, int, *failure) {
	c, next, ok := p.clock(pos)
	if !ok {
		return clock{}, 0, &failure{from: from, to: pos, why: "say the time like 9am, 5pm, 8:30 or 18:00"}
	}
	if f := p.zoneAfter(pos, next); f != nil {
		return clock{}, 0, f
	}
	written := p.src[p.toks[pos].start:p.toks[next-1].end] // "9am", as written
	lower := strings.ToLower(written)
	// A 12-hour time without am or pm ("9", "10.30", "10:30"; not "05" or "21:00") is read in the part of the day.
	if !strings.Contains(lower, "am") && !strings.Contains(lower, "pm") && written[0] != '0' && c.hour >= 1 && c.hour <= 12 && !c.midnight {
		switch {
		case c.hour == 12 && part != "morning" && part != "afternoon":
			return clock{}, 0, &failure{from: from, to: next, why: "12 at night could be noon or midnight; write at midnight or at 12pm"}
		case part == "night" && c.hour <= 5:
			// "tomorrow night at 2": 2 o'clock in the night is after midnight, or 2pm to a clock.
			return clock{}, 0, &failure{from: from, to: next, why: fmt.Sprintf("%s at night could be %d:%02d after midnight or %dpm; write the day after at %02d:%02d, or at %dpm", written, c.hour, c.minute, c.hour, c.hour, c.minute, c.hour)}
		case part != "morning" && c.hour <= 11:
			c.hour += 12 // "this afternoon at 3", "tonight at 9", "tonight at 10.30"
		}
	}
	switch {
	case c.midnight && part == "night" || c.midnight && part == "evening":
	case c.midnight:
		return clock{}, 0, &failure{from: from, to: next, why: "midnight is not in the " + part + "; write at midnight (the start of the next day)"}
	case part == "morning" && c.hour >= 12:
		return clock{}, 0, &failure{from: from, to: next, why: fmt.Sprintf("%s is not in the morning; write an am time, like this morning at 10am", written)}
	case part != "morning" && c.hour < 12:
		return clock{}, 0, &failure{from: from, to: next, why: fmt.Sprintf("%s is not in the %s; write a pm time, like %s at 7pm", written, strings.Replace(part, "night", "evening", 1), strings.Join(wordsOf(p.toks[from:pos-1]), " "))}
	}
	return c, next, nil
}

// whenOf reads a whole phrase as a time of the grammar's when, "tomorrow at 08:00", "friday at 9:00",
// "next Monday at 9am", "24 December at 18:00", "tonight at 9", "9am tomorrow", and resolves it against
// now, for the LLM planner's waits: a model's phrase means what the same words mean in a program. ok is
// false when the phrase is not such a time (or is a duration); err says why one cannot be kept.
func whenOf(phrase string, now time.Time) (t time.Time, ok bool, err error) {
	if t, ok, err := whenOf1(phrase, now); ok || !startsWithDate.MatchString(phrase) {
		return t, ok, err
	}
	return whenOf1("on "+phrase, now) // "24 December at 18:00": a program writes "on" before a date
}

// startsWithDate is a phrase that starts with a day of the month or a month.
var startsWithDate = regexp.MustCompile(`(?i)^\s*(\d|the |jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`)

// whenOf1 is whenOf, as written.
func whenOf1(phrase string, now time.Time) (t time.Time, ok bool, err error) {
	toks, lerr := lex(phrase)
	if lerr != nil || len(toks) == 0 {
		return time.Time{}, false, nil
	}
	p := newParser(currentLanguage(), phrase, toks)
	p.zone = now.Location().String()
	w, next, f := p.when(0)
	if w == nil && f == nil {
		w, next, f = p.clockWhen(0, 0) // "9am tomorrow", "22:00"
	}
	if f != nil {
		return time.Time{}, true, errors.New(f.why)
	}
	if w == nil || w.after > 0 || next != p.end {
		return time.Time{}, false, nil
	}
	at, why := w.resolve(now)
	if why != "" {
		return time.Time{}, true, errors.New(why)
	}
	return at, true, nil
}

// at resolves a day and clock time against now, in now's location; resolve says when it cannot.
func (w whenClause) at(now time.Time) time.Time {
	t, _ := w.resolve(now)
	return t
}

// resolve returns the time of a day and clock against now, in now's location, or why it cannot be kept
// or could be either of two days: the weekday that is today, "next Friday" said while this week's Friday is
// still to come, "this Monday" after this week's Monday, a date that has passed or is more than 366 days
// away.
func (w whenClause) resolve(now time.Time) (time.Time, string) {
	y, m, d := now.Date()
	on := func(days int) time.Time {
		return time.Date(y, m, d+days+w.clock.nextDay(), w.clock.hour, w.clock.minute, 0, 0, now.Location())
	}
	said := func(days int) time.Time { return time.Date(y, m, d+days, 0, 0, 0, 0, now.Location()) } // the day named, for messages
	wd := w.day.weekday
	ahead := (int(wd) - int(now.Weekday()) + 7) % 7 // 0: today
	left := 6 - (int(now.Weekday())+6)%7            // the days of this week after today (weeks start on Monday)
	switch w.day.kind {
	case dayTomorrow:
		return on(1), ""
	case dayWeekday:
		if ahead == 0 {
			// "on Wednesday" written on a Wednesday could be today or next week: ask, never pick.
			return on(7), fmt.Sprintf("%s is today, so it could mean today or %s; write today at %s for today (a weekday names one of the next six days)",
				wd, said(7).Format("Monday 2 January"), w.clock)
		}
		return on(ahead), ""
	case dayNext:
		if ahead == 0 {
			ahead = 7
		}
		if ahead > left {
			return on(ahead), "" // the coming one is in next week: both readings agree
		}
		return on(ahead + 7), fmt.Sprintf("next %s could mean %s or %s; say this %s (%s) or on %s",
			wd, said(ahead).Format("2 January"), said(ahead+7).Format("2 January"), wd, said(ahead).Format("2 January"), said(ahead+7).Format("Monday 2 January"))
	case dayThis:
		switch {
		case ahead == 0:
			return on(0), fmt.Sprintf("this %s is today; write today at %s, or next %s for %s", wd, w.clock, wd, said(7).Format("2 January"))
		case ahead > left:
			return on(ahead), fmt.Sprintf("%s of this week has passed (%s); for %s write next %s", wd, said(ahead-7).Format("2 January"), said(ahead).Format("Monday 2 January"), wd)
		}
		return on(ahead), ""
	case dayDate:
		return w.date(now)
	}
	return on(0), ""
}

// date resolves a dayDate. Without a year it is the nearer of this year's date and next year's, and
// refused when this year's has passed and is the nearer: "on 20 November" written on 25 November is more
// likely a slip than next year.
func (w whenClause) date(now time.Time) (time.Time, string) {
	dd := w.day
	in := func(year int) (time.Time, bool) {
		t := time.Date(year, dd.month, dd.date, w.clock.hour, w.clock.minute, 0, 0, now.Location())
		return t.AddDate(0, 0, w.clock.nextDay()), t.Day() == dd.date
	}
	name := fmt.Sprintf("%d %s", dd.date, dd.month)
	year := dd.year
	if year == 0 {
		year = now.Year()
		this, okThis := in(year)
		next, okNext := in(year + 1)
		switch {
		case !okThis && !okNext && time.Date(2028, dd.month, dd.date, 0, 0, 0, 0, time.UTC).Day() != dd.date:
			return this, fmt.Sprintf("%s has no day %d", dd.month, dd.date)
		case !okThis && !okNext:
			return this, fmt.Sprintf("%s is not in %d or %d", name, year, year+1) // 29 February
		case okThis && this.After(now):
		case !okThis || now.Sub(this) > next.Sub(now):
			year = year + 1
		default:
			return this, fmt.Sprintf("%s at %s has passed; for next year write %s %d", name, w.clock, name, year+1)
		}
	}
	t, ok := in(year)
	switch {
	case !ok:
		return t, fmt.Sprintf("%s %d does not exist", name, year)
	case !t.After(now):
		return t, fmt.Sprintf("%s %d at %s has passed", name, year, w.clock)
	case t.Sub(now) > maxDuration:
		return t, fmt.Sprintf("%s %d is more than 366 days away; a program waits at most 366 days", name, year)
	case dd.named && t.Weekday() != dd.weekday:
		return t, fmt.Sprintf("%s %d is a %s, not a %s", name, year, t.Weekday(), dd.weekday)
	}
	return t, ""
}

// describe names a when for people: "in 2 hours", "at 17:00 on Wednesday 25 November".
func (w whenClause) describe(now time.Time) string {
	if w.after > 0 {
		return "for " + catalog.DescribeDuration(time.Duration(w.after))
	}
	layout := "15:04 on Monday 2 January"
	t := w.at(now)
	if t.Year() != now.Year() {
		layout += " 2006"
	}
	if w.clock.midnight {
		// Midnight ends the day it is said with: say which, so that "Friday at midnight" is not read as
		// the night before Friday.
		return "until midnight at the end of " + t.AddDate(0, 0, -1).Format(strings.TrimPrefix(layout, "15:04 on ")) + " (" + t.Format(layout) + ")"
	}
	return "until " + t.Format(layout)
}

// scheduleClause is "every Monday at 9am", "every weekday at 8:30", "on the 1st of every month at 9".
type scheduleClause struct {
	span
	days       []string // plan.Weekdays names; every day when empty and dayOfMonth is 0
	dayOfMonth int
	clocks     []clock // "every day at 9am and 5pm": each a calendar entry of the schedule
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
			} else if w == "weekend" && len(sc.days) == 0 {
				sc.days = []string{"saturday", "sunday"} // "every weekend at 10am": both of its days
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
			if w := p.tokText(pos + 1); w == "morning" || w == "afternoon" || w == "evening" || w == "night" {
				// "Every morning at 8, ...": a part of the day is not a day of the schedule.
				return nil, 0, &failure{from: pos, to: pos + 2, why: "a schedule names its days and a time; write every day at 8am (or every weekday at 8am)"}
			}
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
	at := next + 1
	joinedByAnd, commaAt := true, 0 // how the clock parsed next was joined to the one before
	for {
		c, after, ok, f := p.clockAt(at)
		if f != nil {
			return nil, 0, &failure{from: pos, to: f.to, why: f.why}
		}
		if !ok && len(sc.clocks) == 0 {
			return nil, 0, &failure{from: pos, to: next + 1, why: "say the time like 9am, 5pm, 8:30 or 18:00"}
		}
		if !ok {
			break // "every day at 9am, send ...": the comma ends the schedule
		}
		if c.midnight && (len(sc.days) > 0 || sc.dayOfMonth > 0) {
			return nil, 0, &failure{from: pos, to: after, why: "midnight is the start of the next day; write the day after at 0:00, like every Tuesday at 0:00 for the midnight after each Monday"}
		}
		if slices.Contains(sc.clocks, c) {
			return nil, 0, &failure{from: pos, to: after, why: fmt.Sprintf("%s is written twice", c)}
		}
		if len(sc.clocks) > 0 && !joinedByAnd {
			// "Every Monday at 9am, at 5pm send ...": a second time of the schedule, or the statement's? A
			// list of times ends with "and": "at 9am, 1pm and 5pm".
			n := after
			_, _, clockNext := p.clock(n + 1)
			if !(p.isWord(n, "and") || p.isPunct(n, ",") && (p.isWord(n+1, "and") || clockNext)) {
				return nil, 0, &failure{from: commaAt, to: after, why: fmt.Sprintf("%s after a comma could be another time of the schedule or the time of what follows; for two times write at %s and %s", p.src[p.toks[commaAt+1].start:p.toks[after-1].end], sc.clocks[len(sc.clocks)-1], c)}
			}
		}
		sc.clocks, sc.span = append(sc.clocks, c), span{pos, after}
		// "at 9am and 5pm", "at 9am, 1pm and 5pm", "at 9am and at 5pm": more times on the same days
		n := after
		joinedByAnd, commaAt = false, n
		if p.isPunct(n, ",") || p.isWord(n, "and") {
			joinedByAnd = p.isWord(n, "and")
			n++
		}
		if p.isWord(n, "and") {
			joinedByAnd = true
			n++
		}
		if p.isWord(n, "at") {
			n++
		}
		if n == after {
			break
		}
		if _, _, ok := p.clock(n); !ok {
			break
		}
		at = n
	}
	after := sc.span.to
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

// describeSchedule names a schedule for people: "every Monday at 9:00", "every day at 9:00 and 17:00".
func (sc *scheduleClause) describe() string {
	var when string
	switch {
	case sc.dayOfMonth > 0:
		when = "on day " + strconv.Itoa(sc.dayOfMonth) + " of every month"
	case len(sc.days) == 5 && sc.days[0] == "monday" && sc.days[4] == "friday":
		when = "every weekday"
	case len(sc.days) == 0:
		when = "every day"
	case len(sc.days) == 2 && sc.days[0] == "sunday" && sc.days[1] == "saturday":
		when = "every Saturday and Sunday"
	default:
		names := make([]string, len(sc.days))
		for i, d := range sc.days {
			names[i] = strings.ToUpper(d[:1]) + d[1:]
		}
		when = "every " + andList(names)
	}
	times := make([]string, len(sc.clocks))
	for i, c := range sc.clocks {
		times[i] = c.String()
	}
	return when + " at " + andList(times)
}

// timeWords are the time words a misspelling is looked for against: long enough that one slip ("tomorow",
// "Firday", "mintues") is not another common word. "every" is there for "evry"; "very" and "ever" are
// words of their own.
var timeWords = strings.Fields(`tomorrow tonight today yesterday morning afternoon evening midnight every weekday weekend
	monday tuesday wednesday thursday friday saturday sunday minute minutes second seconds
	january february april august september october november december`)

// notSlips are words near a time word that are words of their own.
var notSlips = map[string]bool{"very": true, "ever": true, "even": true, "every": true, "night": true, "nights": true, "noon": true,
	"month": true, "months": true, "mourning": true, "evenings": true, "mornings": true, "afternoons": true}

// misspeltTime returns the time word that w is one slip from (two for long words), quoted, or "". The planner
// never plans the word it suggests: the suggestion only says why the program is refused.
func misspeltTime(w string) string {
	if len(w) < 4 || notSlips[w] {
		return ""
	}
	if _, ok := units[w]; ok {
		return ""
	}
	if _, ok := weekdayNames[strings.TrimSuffix(w, "s")]; ok {
		return ""
	}
	for _, t := range timeWords {
		if w == t || w == t+"s" {
			return ""
		}
	}
	var near []string // the nearest, all of them when two are as near ("wensday": Wednesday or weekday)
	best := 3
	for _, t := range timeWords {
		limit := 1
		if len(t) >= 7 {
			limit = 2
		}
		d := editDistance(w, t)
		if d > limit || d > best {
			continue
		}
		if d < best {
			near, best = nil, d
		}
		if _, ok := weekdayNames[t]; ok || monthNames[t] != 0 {
			t = strings.ToUpper(t[:1]) + t[1:]
		}
		near = append(near, strconv.Quote(t))
	}
	return strings.Join(near, " or ")
}

// editDistance is the optimal string alignment distance: letters put in, left out, changed, or two
// side by side swapped ("Firday"), each one slip.
func editDistance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// holidays are days people name that EaaPL does not know the date of (Easter moves, Thanksgiving
// differs by country): they are refused, with the date to write; "" where the date moves.
var holidays = map[string]string{
	"christmas": "on 25 December", "xmas": "on 25 December", "halloween": "on 31 October", "new": "on 1 January",
	"easter": "", "thanksgiving": "", "hanukkah": "", "diwali": "", "ramadan": "", "eid": "", "passover": "",
}

// holidayAt returns the refusal of a holiday named at pos ("Christmas", "Christmas Day", "New Year's Day").
func (p *parser) holidayAt(from, pos int) *failure {
	if pos >= p.end || p.toks[pos].kind != word {
		return nil
	}
	date, ok := holidays[p.toks[pos].text]
	to := pos + 1
	if p.toks[pos].text == "new" {
		n, isNewYear := p.phrase(pos, "new year's day", "new years day", "new year's eve", "new years eve", "new year's", "new years", "new year")
		if !isNewYear {
			return nil
		}
		if p.isWord(n-1, "eve") {
			date = "on 31 December"
		}
		to = n
	} else if ok && (p.isWord(to, "day") || p.isWord(to, "eve") || p.isWord(to, "sunday") || p.isWord(to, "monday")) {
		if p.isWord(to, "eve") && date == "on 25 December" {
			date = "on 24 December"
		}
		to++
	}
	if !ok {
		return nil
	}
	if date == "" {
		return &failure{from: from, to: to, why: "EaaPL does not know the dates of holidays, and this one moves; write this year's date, like on 12 April at 9am"}
	}
	return &failure{from: from, to: to, why: "EaaPL does not know the dates of holidays; write the date, like " + date + " at 9am"}
}
