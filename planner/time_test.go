package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// wednesday is Wednesday 2 December 2026, 07:00 UTC: the example day of the "next <weekday>" rule
// (docs/english.md). now (Wednesday 25 November, 21:40) is the other Wednesday of the tests.
var wednesday = time.Date(2026, time.December, 2, 7, 0, 0, 0, time.UTC)

func TestPlanSeparatesStatementsJoinedByAndAVerb(t *testing.T) {
	tests := []struct {
		name, program string
		// The steps as id:command:depends_on; the to of each send.
		steps []string
		to    map[string]any // the address of each send, by step id
	}{
		{"SendAndSend", "Send 'Hello' to alice@example.com and send 'Bye' to bob@example.com",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "compose_2:ComposeEmail:send", "send_2:SendEmail:compose_2"},
			map[string]any{"send": "alice@example.com", "send_2": "bob@example.com"}},
		{"CommaAnd", "Send 'Hello' to alice@example.com, and email bob@example.com saying 'Bye'",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "compose_2:ComposeEmail:send", "send_2:SendEmail:compose_2"},
			map[string]any{"send": "alice@example.com", "send_2": "bob@example.com"}},
		{"AddressesStayOneList", "Send 'Hello' to alice@example.com and bob@example.com and send 'Bye' to carol@example.com",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "compose_2:ComposeEmail:send", "send_2:SendEmail:compose_2"},
			map[string]any{"send_2": "carol@example.com"}},
		{"AndAlso", "Send 'Hello' to alice@example.com and also send 'Bye' to bob@example.com",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "compose_2:ComposeEmail:send", "send_2:SendEmail:compose_2"},
			map[string]any{"send": "alice@example.com", "send_2": "bob@example.com"}},
		{"WaitAndSend", "Wait 10 minutes and send 'Hi' to bob@example.com",
			[]string{"wait::", "compose_2:ComposeEmail:wait", "send_2:SendEmail:compose_2"},
			map[string]any{"send_2": "bob@example.com"}},
		{"WaitAndThenSend", "Wait 10 minutes and then send 'Hi' to bob@example.com",
			[]string{"wait::", "compose_2:ComposeEmail:wait", "send_2:SendEmail:compose_2"},
			map[string]any{"send_2": "bob@example.com"}},
		{"SendAndWaitAndSend", "Send 'A' to bob@example.com and wait 5 minutes and send 'B' to bob@example.com",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "wait_2::send", "compose_3:ComposeEmail:wait_2", "send_3:SendEmail:compose_3"},
			map[string]any{"send": "bob@example.com", "send_3": "bob@example.com"}},
		{"SameMessageByIt", "Send 'Hi' to ann@example.com and send it to bob@example.com",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose", "send_2:SendEmail:compose,send"},
			map[string]any{"send_2": "bob@example.com"}},
		{"AndTheMessageIsAPartNotAVerb", "Send an email to bob@example.com with the subject 'S' and message 'M'",
			[]string{"compose:ComposeEmail:", "send:SendEmail:compose"},
			map[string]any{"send": "bob@example.com"}},
		{"ATimeLeadRunsBeforeBoth", "Tomorrow at 9am send 'Hi' to bob@example.com and send 'Bye' to ann@example.com",
			[]string{"wait::", "compose:ComposeEmail:wait", "send:SendEmail:compose", "compose_2:ComposeEmail:send", "send_2:SendEmail:compose_2"},
			map[string]any{"send": "bob@example.com", "send_2": "ann@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			var got []string
			for _, s := range p.Steps {
				got = append(got, s.ID+":"+s.Command+":"+strings.Join(s.DependsOn, ","))
				if want, ok := tt.to[s.ID]; ok && toEmail(s.Args["to"]) != want {
					t.Errorf("%s to = %v, want %v", s.ID, s.Args["to"], want)
				}
			}
			if !slices.Equal(got, tt.steps) {
				t.Errorf("steps\n  %q\nwant\n  %q\n%s", got, tt.steps, planJSON(t, p))
			}
		})
	}
}

// toEmail is the address of a send step's literal "to": {"email": ..., "name": ...}.
func toEmail(to any) any {
	if m, ok := to.(map[string]any); ok {
		return m["email"]
	}
	return to
}

func TestPlanReadsReadAndEmailItAsBefore(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Read todo.txt and email it to bob@example.com", now)
	if len(p.Steps) != 2 || p.Steps[0].Command != "ReadDocument" || p.Steps[1].Command != "SendEmail" || toEmail(p.Steps[1].Args["to"]) != "bob@example.com" {
		t.Fatalf("plan of Read ... and email it to ...:\n%s", planJSON(t, p))
	}
}

func TestPlanResolvesDaysAndClocks(t *testing.T) {
	tokyo := mustZone(t, "Asia/Tokyo")
	tests := []struct {
		name    string
		zone    *time.Location
		now     time.Time
		program string
		until   string
	}{
		{"WaitUntilAClock", nil, now, "Wait until 10pm, then send 'Hi' to bob@example.com", "2026-11-25T22:00:00Z"},
		{"WaitUntilAClockThenNoComma", nil, wednesday, "Wait until 9am then send 'Hi' to bob@example.com", "2026-12-02T09:00:00Z"},
		{"WaitTillNoon", nil, wednesday, "Wait till noon, then send 'Hi' to bob@example.com", "2026-12-02T12:00:00Z"},
		{"WaitUntilClockTomorrow", nil, now, "Wait until 8am tomorrow, then send 'Hi' to bob@example.com", "2026-11-26T08:00:00Z"},
		{"WaitUntilTomorrowAt", nil, now, "Wait until tomorrow at 8am, then send 'Hi' to bob@example.com", "2026-11-26T08:00:00Z"},
		{"WaitUntilFridayAt9", nil, now, "wait until Friday at 9, then send 'Hi' to bob@example.com", "2026-11-27T09:00:00Z"},
		{"ClockThenTomorrow", nil, now, "Send 'Hi' to bob@example.com at 8am tomorrow", "2026-11-26T08:00:00Z"},
		{"BareEightThenTomorrow", nil, now, "Send 'Hi' to bob@example.com at 8 tomorrow", "2026-11-26T08:00:00Z"},
		{"ClockThenOnFriday", nil, now, "Send 'Hi' to bob@example.com at 9 on Friday", "2026-11-27T09:00:00Z"},
		{"ClockThenOnFridayLead", nil, now, "At 9:30am on Friday, send 'Hi' to bob@example.com", "2026-11-27T09:30:00Z"},
		{"ClockThenToday", nil, now, "Send 'Hi' to bob@example.com at 11pm today", "2026-11-25T23:00:00Z"},
		{"OnFridayAt9StaysNine", nil, now, "Send 'Hi' to bob@example.com on Friday at 9", "2026-11-27T09:00:00Z"},
		{"LeadingZeroIs24Hour", nil, now, "Send 'Hi' to bob@example.com tomorrow at 05", "2026-11-26T05:00:00Z"},
		{"MinutesAre24Hour", nil, now, "Send 'Hi' to bob@example.com tomorrow at 5:00", "2026-11-26T05:00:00Z"},
		{"Hour13", nil, now, "Send 'Hi' to bob@example.com tomorrow at 13", "2026-11-26T13:00:00Z"},
		// "next <weekday>": the coming one when it is in next week, as the weeks start on Monday.
		{"NextMondayOnWednesday", nil, wednesday, "Next Monday at 9am send 'Hi' to bob@example.com", "2026-12-07T09:00:00Z"},
		{"NextTuesdayOnWednesday", nil, wednesday, "Send 'Hi' to bob@example.com next Tuesday at 9am", "2026-12-08T09:00:00Z"},
		{"NextWednesdayOnWednesday", nil, wednesday, "Send 'Hi' to bob@example.com on next Wednesday at 9am", "2026-12-09T09:00:00Z"},
		{"ClockThenNextMonday", nil, wednesday, "Send 'Hi' to bob@example.com at 9am next Monday", "2026-12-07T09:00:00Z"},
		{"NextMondayOnSundayIsTomorrow", nil, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), "Send 'Hi' to bob@example.com next Monday at 9am", "2026-12-07T09:00:00Z"},
		{"NextSundayOnSunday", nil, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), "Send 'Hi' to bob@example.com next Sunday at 9am", "2026-12-13T09:00:00Z"},
		{"NextMondayInTokyo", tokyo, now, "Send 'Hi' to bob@example.com next Monday at 9am", "2026-11-30T09:00:00+09:00"},
		// "this <weekday>": the one still to come this week.
		{"ThisFriday", nil, wednesday, "This Friday at 9am send 'Hi' to bob@example.com", "2026-12-04T09:00:00Z"},
		{"ThisSunday", nil, wednesday, "Send 'Hi' to bob@example.com this Sunday at 10am", "2026-12-06T10:00:00Z"},
		// Dates with the month's name.
		{"DayMonth", nil, now, "Send 'Hi' to bob@example.com on 24 December at 9am", "2026-12-24T09:00:00Z"},
		{"MonthDay", nil, now, "Send 'Hi' to bob@example.com on December 24 at 9am", "2026-12-24T09:00:00Z"},
		{"MonthDayOrdinal", nil, now, "On December 24th at 9am, send 'Hi' to bob@example.com", "2026-12-24T09:00:00Z"},
		{"TheOrdinalOfMonth", nil, now, "On the 24th of December at 9am, send 'Hi' to bob@example.com", "2026-12-24T09:00:00Z"},
		{"WithYear", nil, now, "Send 'Hi' to bob@example.com on 24 December 2026 at 9am", "2026-12-24T09:00:00Z"},
		{"ShortMonth", nil, now, "Send 'Hi' to bob@example.com on 24 Dec at 9am", "2026-12-24T09:00:00Z"},
		{"ClockThenDate", nil, now, "Send 'Hi' to bob@example.com at 9am on 24 December", "2026-12-24T09:00:00Z"},
		{"WeekdayAndDate", nil, wednesday, "Send 'Hi' to bob@example.com on Friday 11 December at 9am", "2026-12-11T09:00:00Z"},
		{"NextYearsJanuary", nil, now, "Send 'Hi' to bob@example.com on 5 January at 9am", "2027-01-05T09:00:00Z"},
		{"NextYearWritten", nil, now, "Send 'Hi' to bob@example.com on 5 January 2027 at 9am", "2027-01-05T09:00:00Z"},
		{"DateToday", nil, now, "Send 'Hi' to bob@example.com on 25 November at 11pm", "2026-11-25T23:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, &Rules{Location: tt.zone}, tt.program, tt.now)
			assertValid(t, p)
			var until []string
			for _, s := range p.Steps {
				if s.Wait != nil {
					until = append(until, s.Wait.Until)
				}
			}
			if want := []string{tt.until}; !slices.Equal(until, want) {
				t.Fatalf("waits until %q, want %q:\n%s", until, want, planJSON(t, p))
			}
		})
	}
}

// timeRefusal is a program with a time phrase that must be refused.
type timeRefusal struct {
	name    string
	now     time.Time
	program string
	part    string // quoted in the error
	why     string // in the error
}

func TestPlanRefusesDaysAndClocksWithTwoReadings(t *testing.T) {
	tests := []timeRefusal{
		{"NextFridayThisWeekOrNext", wednesday, "Send 'Hi' to bob@example.com next Friday at 9am", "next Friday at 9am",
			"next Friday could mean 4 December or 11 December; say this Friday (4 December) or on Friday 11 December"},
		{"NextThursdayOnWednesdayEvening", now, "Next Thursday at 9am send 'Hi' to bob@example.com", "Next Thursday at 9am", "26 November or 3 December"},
		{"NextSundayOnWednesday", wednesday, "Send 'Hi' to bob@example.com on next Sunday at 9am", "on next Sunday at 9am", "6 December or 13 December"},
		{"ThisMondayHasPassed", wednesday, "Send 'Hi' to bob@example.com this Monday at 9am", "this Monday at 9am", "Monday of this week has passed (30 November); for Monday 7 December write next Monday"},
		{"ThisWednesdayIsToday", wednesday, "Send 'Hi' to bob@example.com this Wednesday at 9am", "this Wednesday at 9am", "this Wednesday is today; write today at 9:00"},
		{"NextMondayWithoutATime", wednesday, "Send 'Hi' to bob@example.com next Monday", "next Monday", "say at what time"},
		{"NextWeekStaysRefused", wednesday, "Send 'Hi' to bob@example.com next week", "next week", ""},
		{"WaitUntilWithoutAnything", wednesday, "Wait until, then send 'Hi' to bob@example.com", "Wait until", "say until when"},
		{"WaitUntilPassedClock", now, "Wait until 9am then send 'Hi' to bob@example.com", "Wait until 9am", "9:00 today has passed"},
		{"ClockThenDayWithoutDayTime", now, "Send 'Hi' to bob@example.com at 8am on Friday at 9am", "at 9am", "already says when"},
		{"NumericDate", now, "Send 'Hi' to bob@example.com on 24/12 at 9am", "on 24/12", "write the month's name"},
		{"NumericDateUS", now, "Send 'Hi' to bob@example.com on 12/24 at 9am", "on 12/24", "write the month's name"},
		{"ISODate", now, "Send 'Hi' to bob@example.com on 2026-12-24 at 9am", "on 2026-12-24", "write the month's name"},
		{"DateWithoutATime", now, "Send 'Hi' to bob@example.com on 24 December", "on 24 December", "say at what time, like on 24 December at 9am"},
		{"DatePassedRecently", now, "Send 'Hi' to bob@example.com on 20 November at 9am", "on 20 November at 9am", "20 November at 9:00 has passed; for next year write 20 November 2027"},
		{"DatePassedToday", now, "Send 'Hi' to bob@example.com on 25 November at 9am", "on 25 November at 9am", "has passed"},
		{"DateYearPassed", now, "Send 'Hi' to bob@example.com on 24 December 2025 at 9am", "on 24 December 2025 at 9am", "24 December 2025 at 9:00 has passed"},
		{"DateTooFar", now, "Send 'Hi' to bob@example.com on 24 December 2027 at 9am", "on 24 December 2027 at 9am", "more than 366 days away"},
		{"NoSuchDay", now, "Send 'Hi' to bob@example.com on 31 November at 9am", "on 31 November at 9am", "November has no day 31"},
		{"NoLeapDay", now, "Send 'Hi' to bob@example.com on 29 February at 9am", "on 29 February at 9am", "29 February is not in 2026 or 2027"},
		{"WrongWeekday", wednesday, "Send 'Hi' to bob@example.com on Thursday 11 December at 9am", "on Thursday 11 December at 9am", "11 December 2026 is a Friday, not a Thursday"},
	}
	// Hours 1 to 7 without am or pm: 05:00 on the 24-hour clock, but far more often meant as 5pm.
	for h := 1; h <= 7; h++ {
		tests = append(tests, timeRefusal{fmt.Sprintf("BareHour%d", h), now, fmt.Sprintf("Send 'Hi' to bob@example.com tomorrow at %d", h),
			fmt.Sprintf("tomorrow at %d", h), fmt.Sprintf("say %dam or %dpm (%d:00)", h, h, h+12)})
	}
	tests = append(tests, []timeRefusal{
		{"BareHourAt", now, "Send 'Hi' to bob@example.com at 5", "at 5", "say 5am or 5pm (17:00)"},
		{"BareHourBeforeDay", now, "Send 'Hi' to bob@example.com at 5 tomorrow", "at 5", "say 5am or 5pm (17:00)"},
		{"BareHourWait", now, "Wait until 5, then send 'Hi' to bob@example.com", "Wait until 5", "say 5am or 5pm (17:00)"},
		{"BareHourSchedule", now, "Every Monday at 7, send 'Hi' to bob@example.com", "Every Monday at 7", "say 7am or 7pm (19:00)"},
		{"BareHourOnFriday", now, "On Friday at 6 send 'Hi' to bob@example.com", "On Friday at 6", "say 6am or 6pm (18:00)"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tt.program, tt.now)
			if err == nil {
				t.Fatalf("planned %q, want an error quoting %q:\n%s", tt.program, tt.part, planJSON(t, p))
			}
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) {
				t.Fatalf("error %v is a %T, want a *NotUnderstoodError", err, err)
			}
			if nu.Part != tt.part || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q, want it to quote %q and say %q", err, tt.part, tt.why)
			}
		})
	}
}

func TestPlanRefusesAndBetweenStatementsThatAreNotWhole(t *testing.T) {
	tests := []struct {
		name, program, part, why string
	}{
		{"BeforeHasNoMessage", "Send an email to each of my contacts and send an email to bob@example.com saying 'Hi'", "and send an email", `the email before "and" has no message`},
		{"BeforeHasNoRecipients", "Send 'Hello' and send 'Bye' to bob@example.com", "and send", `the email before "and" has no recipients`},
		{"AfterHasNoMessage", "Send 'Hi' to ann@example.com and email bob@example.com", "and email bob@example.com", `the email after "and" has no message`},
		{"ForEachLead", "For each of my contacts, send them 'Hi' and send 'Done' to bob@example.com", "and send", `"and" could put this under the "for each" or "if"`},
		{"IfLead", "If I haven't emailed alice@example.com this month, send her 'Hi' and send 'Done' to bob@example.com", "and send", `"and" could put this under`},
		{"EachLineLead", "For each line in emails.txt, send 'Hi' to it and send 'Done' to bob@example.com", "and send", `"and" could put this under`},
		{"AndAlsoAfterNoMessage", "Send an email to ann@example.com and also send 'Hi' to bob@example.com", "and also send", `the email before "and" has no message`},
		{"AndAtTheEnd", "Send 'Hi' to bob@example.com and", "and", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			if err == nil {
				t.Fatalf("planned %q, want an error quoting %q:\n%s", tt.program, tt.part, planJSON(t, p))
			}
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) || nu.Part != tt.part || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q, want it to quote %q and say %q", err, tt.part, tt.why)
			}
		})
	}
}
