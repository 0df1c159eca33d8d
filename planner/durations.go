package planner

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// durations parses a wait of one or more parts, their sum: "10 minutes", "1 day 2 hours", "1 hour and 30
// minutes", "2 hours, 15 minutes". The units go from the largest down, each once, as people write them;
// any other order ("30 minutes 1 hour") is refused, since it reads as a slip. A number of digits too
// large to read is refused as out of range, not as a missing duration. It returns -1 when no duration
// is at pos.
func (p *parser) durations(pos int) (duration, int, *failure) {
	d, next, f := p.duration(pos)
	if f != nil {
		return 0, 0, f
	}
	if next < 0 {
		if pos+1 < p.end && p.toks[pos].kind == word && allDigits.MatchString(p.toks[pos].text) && p.toks[pos+1].kind == word {
			if _, unit := units[p.toks[pos+1].text]; unit {
				return 0, 0, &failure{from: pos, to: pos + 2, why: "a wait must be from 1 second to 366 days"}
			}
		}
		return 0, -1, nil
	}
	last := p.unitOf(pos, next)
	for {
		at := next
		if p.isPunct(at, ",") {
			at++
		}
		if p.isWord(at, "and") {
			at++
		}
		more, after, f := p.duration(at)
		if f != nil {
			return 0, 0, f
		}
		if after < 0 {
			break
		}
		unit := p.unitOf(at, after)
		if unit >= last {
			return 0, 0, &failure{from: pos, to: after, why: "write the parts of a duration from the largest unit down, each once, like 1 day 2 hours or 1 hour and 30 minutes"}
		}
		d, next, last = d+more, after, unit
	}
	if time.Duration(d) > maxDuration {
		return 0, 0, &failure{from: pos, to: next, why: "a wait must be from 1 second to 366 days"}
	}
	return d, next, nil
}

// unitOf is the unit of the duration in the tokens [from, to): "hours" in "2 hours and a half".
func (p *parser) unitOf(from, to int) time.Duration {
	var u time.Duration
	for _, t := range p.toks[from:to] {
		u = max(u, units[t.text])
	}
	return u
}

// allDigits is a number written in digits, of any length.
var allDigits = regexp.MustCompile(`^[0-9]+$`)

// numberTooLarge is the failure of a number of digits that number() does not read (more than six
// digits), or of a decimal ("1.5"), where a whole number from 1 to max is expected; nil for other words.
func numberTooLarge(w string, from, max int) *failure {
	switch {
	case allDigits.MatchString(w):
		return &failure{from: from, to: from + 1, why: "the number must be from 1 to " + strconv.Itoa(max)}
	case fraction.MatchString(w):
		return &failure{from: from, to: from + 1, why: "the number must be a whole number from 1 to " + strconv.Itoa(max)}
	}
	return nil
}

// fraction is a number with a fraction, of any length: "1.5", "2,5".
var fraction = regexp.MustCompile(`^[0-9]+[.,][0-9]+$`)

// tens are the words for the tens, from twenty.
var tens = map[string]int{"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

// tensWord reads "twenty" ... "ninety" and "twenty-five": a ten, and a unit after a hyphen.
func tensWord(w string) (int, bool) {
	ten, unit, hyphen := strings.Cut(w, "-")
	n, ok := tens[ten]
	if !ok || !hyphen {
		return n, ok
	}
	u, ok := numberWords[unit]
	if !ok || u > 9 {
		return 0, false
	}
	return n + u, true
}
