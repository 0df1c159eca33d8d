package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// The time phrases a newcomer writes: halves and decimals of hours, 7.30pm, midnight, tonight, short day
// names, schedules written at the end, and the refusals that say what to write instead.

func TestPlanReadsHalvesAndDecimalsOfADuration(t *testing.T) {
	for _, tc := range []struct{ program, wait string }{
		{"In half an hour send 'Hi' to bob@example.com", "30m0s"},
		{"Wait half an hour, then send 'Hi' to bob@example.com", "30m0s"},
		{"Send 'Hi' to bob@example.com in half a day", "12h0m0s"},
		{"In an hour and a half send 'Hi' to bob@example.com", "1h30m0s"},
		{"Wait 2 and a half hours, then send 'Hi' to bob@example.com", "2h30m0s"},
		{"Wait 2 hours and a half, then send 'Hi' to bob@example.com", "2h30m0s"},
		{"Send 'Hi' to bob@example.com in 1.5 hours", "1h30m0s"},
		{"Send 'Hi' to bob@example.com in 0.25 hours", "15m0s"},
		{"Wait 1.5 days, then send 'Hi' to bob@example.com", "36h0m0s"},
	} {
		t.Run(tc.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tc.program, now)
			assertValid(t, p)
			if p.Steps[0].Wait == nil || p.Steps[0].Wait.For != tc.wait {
				t.Fatalf("first step %+v, want a wait for %s:\n%s", p.Steps[0], tc.wait, planJSON(t, p))
			}
		})
	}
}

func TestPlanReadsNewcomersClocksAndDays(t *testing.T) {
	for _, tc := range []struct {
		name, program, until string
		now                  time.Time
	}{
		{"DotMinutes", "Tomorrow at 7.30pm send 'Hi' to bob@example.com", "2026-11-26T19:30:00Z", now},
		{"DotMinutesSpacePM", "Send 'Hi' to bob@example.com tomorrow at 7.30 pm", "2026-11-26T19:30:00Z", now},
		{"DotMinutes24Hour", "Send 'Hi' to bob@example.com tomorrow at 19.30", "2026-11-26T19:30:00Z", now},
		{"Noon", "Tomorrow at noon send 'Hi' to bob@example.com", "2026-11-26T12:00:00Z", now},
		{"MidnightIsTheEndOfToday", "At midnight send 'Hi' to bob@example.com", "2026-11-26T00:00:00Z", now},
		{"FridayAtMidnightIsSaturday", "On Friday at midnight send 'Hi' to bob@example.com", "2026-11-28T00:00:00Z", now},
		{"DateAtMidnight", "On 31 December at midnight send 'Happy new year' to bob@example.com", "2027-01-01T00:00:00Z", now},
		{"TonightBareHourIsPM", "Tonight at 11 send 'Hi' to bob@example.com", "2026-11-25T23:00:00Z", now},
		{"EveningBareFiveIsPM", "This evening at 5 send 'Hi' to bob@example.com", "2026-12-02T17:00:00Z", wednesday}, // tonight at 5 is refused: after midnight or pm?
		{"TonightDotMinutesIsPM", "Send 'Hi' to bob@example.com tonight at 10.30", "2026-11-25T22:30:00Z", now},
		{"TonightColonMinutesIsPM", "Tonight at 10:30 send 'Hi' to bob@example.com", "2026-11-25T22:30:00Z", now},
		{"TonightAtMidnight", "Tonight at midnight send 'Hi' to bob@example.com", "2026-11-26T00:00:00Z", now},
		{"ClockThenTonight", "Send 'Hi' to bob@example.com at 11 tonight", "2026-11-25T23:00:00Z", now},
		{"ClockThenThisMorning", "At 10 this morning send 'Hi' to bob@example.com", "2026-12-02T10:00:00Z", wednesday},
		{"WaitUntilClockTonight", "Wait until 9 tonight, then send 'Hi' to bob@example.com", "2026-12-02T21:00:00Z", wednesday},
		{"ThisEvening", "This evening at 10pm send 'Hi' to bob@example.com", "2026-11-25T22:00:00Z", now},
		{"ThisEveningBare", "Send 'Hi' to bob@example.com this evening at 7", "2026-12-02T19:00:00Z", wednesday},
		{"ThisMorning", "This morning at 10am send 'Hi' to bob@example.com", "2026-12-02T10:00:00Z", wednesday},
		{"ThisAfternoonBare", "This afternoon at 3 send 'Hi' to bob@example.com", "2026-12-02T15:00:00Z", wednesday},
		{"TomorrowMorning", "Tomorrow morning at 10 send 'Hi' to bob@example.com", "2026-11-26T10:00:00Z", now},
		{"FridayEvening", "On Friday evening at 8 send 'Hi' to bob@example.com", "2026-11-27T20:00:00Z", now},
		{"ShortFri", "On Fri at 9am send 'Hi' to bob@example.com", "2026-11-27T09:00:00Z", now},
		{"ShortThuUpperCase", "Send 'Hi' to bob@example.com on THU at 9am", "2026-11-26T09:00:00Z", now},
		{"ShortTue", "Send 'Hi' to bob@example.com on Tue at 9am", "2026-12-01T09:00:00Z", now},
		{"NextShortMon", "Next Mon at 9am send 'Hi' to bob@example.com", "2026-11-30T09:00:00Z", now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tc.program, tc.now)
			assertValid(t, p)
			if p.Steps[0].Wait == nil || p.Steps[0].Wait.Until != tc.until {
				t.Fatalf("first step %+v, want a wait until %s:\n%s", p.Steps[0].Wait, tc.until, planJSON(t, p))
			}
		})
	}
}

func TestPlanRefusesNewcomersTimesSayingWhy(t *testing.T) {
	for _, tt := range []timeRefusal{
		{"DecimalNotWholeMinutes", now, "Send 'Hi' to bob@example.com in 1.33 hours", "1.33 hours", "1.33 hours is not a whole number of minutes; write it in minutes, like in 80 minutes"},
		{"DecimalSeconds", now, "Wait 1.5 seconds, then send 'Hi' to bob@example.com", "1.5 seconds", "is not a whole number of minutes"},
		{"ACouple", now, "In a couple of hours send 'Hi' to bob@example.com", "a couple of hours", "it is not a number"},
		{"AFew", now, "Wait a few minutes, then send 'Hi' to bob@example.com", "a few minutes", "it is not a number"},
		{"TonightAM", now, "Tonight at 9am send 'Hi' to bob@example.com", "Tonight at 9am", "9am is not in the evening; write a pm time"},
		{"TonightTwelve", now, "Tonight at 12 send 'Hi' to bob@example.com", "Tonight at 12", "could be noon or midnight"},
		{"ThisMorningPM", wednesday, "This morning at 3pm send 'Hi' to bob@example.com", "This morning at 3pm", "3pm is not in the morning"},
		{"ThisMorningPassed", now, "This morning at 10am send 'Hi' to bob@example.com", "This morning at 10am", "10:00 today has passed"},
		{"ThisAfternoonPassed", now, "This afternoon at 3pm send 'Hi' to bob@example.com", "This afternoon at 3pm", "15:00 today has passed"},
		{"ClockAMThenTonight", now, "Send 'Hi' to bob@example.com at 9am tonight", "at 9am tonight", "9am is not in the evening"},
		{"TomorrowNightAM", now, "Send 'Hi' to bob@example.com tomorrow night at 1am", "tomorrow night at 1am", "1am is not in the evening; write a pm time, like tomorrow night at 7pm; the nearest"},
		{"WeekdayTodayAtMidnight", wednesday, "On Wednesday at midnight send 'Hi' to bob@example.com", "On Wednesday at midnight", "could mean today or Wednesday 9 December; write today at midnight"},
		{"NextFridayAtMidnight", wednesday, "Next Friday at midnight send 'Hi' to bob@example.com", "Next Friday at midnight", "could mean 4 December or 11 December"},
		{"TonightWithoutATime", now, "Send 'Hi' to bob@example.com tonight", "tonight", "say at what time"},
		{"ZoneEST", now, "At 9am EST send 'Hi' to bob@example.com", "At 9am EST", "a time zone is not written in the program: its times are in UTC; set EAAPL_TIMEZONE"},
		{"ZonePST", now, "Send 'Hi' to bob@example.com tomorrow at 9am PST", "tomorrow at 9am PST", "a time zone is not written"},
		{"ZoneCETBareHour", now, "Send 'Hi' to bob@example.com tomorrow at 9 CET", "tomorrow at 9 CET", "a time zone is not written"},
		{"ZoneInSchedule", now, "Every Monday at 9am GMT, send 'Hi' to bob@example.com", "Every Monday at 9am GMT", "a time zone is not written"},
		{"Christmas", now, "On Christmas send 'Hi' to bob@example.com", "On Christmas", "does not know the dates of holidays; write the date, like on 25 December at 9am"},
		{"ChristmasDayAt", now, "Send 'Hi' to bob@example.com on Christmas Day at 9am", "on Christmas Day", "like on 25 December at 9am"},
		{"Easter", now, "Send 'Hi' to bob@example.com on Easter", "on Easter", "this one moves"},
		{"NewYearsEve", now, "On New Year's Eve at 8pm send 'Hi' to bob@example.com", "On New Year's Eve", "on 31 December"},
		{"MisspeltTomorrow", now, "Tomorow at 9am send 'Hi' to bob@example.com", "Tomorow", `did you mean "tomorrow"?`},
		{"MisspeltFriday", now, "On Firday at 9am send 'Hi' to bob@example.com", "On Firday", `did you mean "Friday"?`},
		{"MisspeltEvery", now, "Send 'Hi' to bob@example.com evry Monday at 9am", "evry", `did you mean "every"?`},
		{"MisspeltMinutes", now, "In 10 mintues send 'Hi' to bob@example.com", "In 10 mintues", `did you mean "minutes"?`},
		{"MisspeltMinutesAfterWait", now, "Wait 10 mintues, then send 'Hi' to bob@example.com", "Wait 10", `did you mean "minutes"?`},
		{"ScheduleAfterSeveral", now, "Send 'A' to bob@example.com. Send 'B' to ann@example.com every Monday at 9am", "every Monday at 9am", "it could repeat the last one or all of them; put it first"},
		{"ScheduleTwice", now, "Every day at 9am, send 'A' to bob@example.com every Monday at 9am", "every Monday at 9am", "has a schedule at its start already"},
		{"WeekdayScheduleAtMidnight", now, "Every Monday at midnight, send 'Hi' to bob@example.com", "Every Monday at midnight", "midnight is the start of the next day"},
		{"SameTimeTwice", now, "Every day at 9am and 9am, send 'Hi' to bob@example.com", "Every day at 9am and 9am", "9:00 is written twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := (&Rules{Location: time.UTC}).Plan(context.Background(), tt.program, tt.now)
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

func TestZoneRefusalNamesTheProgramsZone(t *testing.T) {
	_, err := (&Rules{Location: mustZone(t, "Europe/Berlin")}).Plan(context.Background(), "At 9am EST send 'Hi' to bob@example.com", now)
	if err == nil || !strings.Contains(err.Error(), "its times are in Europe/Berlin; set EAAPL_TIMEZONE") {
		t.Fatalf("err = %v, want the refusal naming Europe/Berlin", err)
	}
}

// TestScheduleAtTheEndPlansAsAtTheStart: "Send ... every weekday at 9am" is the same schedule and run as
// "Every weekday at 9am, send ...".
func TestScheduleAtTheEndPlansAsAtTheStart(t *testing.T) {
	for _, tc := range []struct{ end, start string }{
		{"Send 'Daily digest' to my contacts every weekday at 9am", "Every weekday at 9am, send 'Daily digest' to my contacts"},
		{"Email bob@example.com 'Status?' every Monday at 9am", "Every Monday at 9am, email bob@example.com 'Status?'"},
		{"Send 'Hi' to bob@example.com, every day at 18:00.", "Every day at 18:00, send 'Hi' to bob@example.com."},
		{"Send 'Rent' to bob@example.com on the 1st of every month at 9am", "On the 1st of every month at 9am, send 'Rent' to bob@example.com"},
		{"Send 'Hi' to my contacts at acme.com except Dave every Fri at 4pm", "Every Friday at 4pm, send 'Hi' to my contacts at acme.com except Dave"},
	} {
		t.Run(tc.end, func(t *testing.T) {
			end := mustPlan(t, &Rules{Location: time.UTC}, tc.end, now)
			start := mustPlan(t, &Rules{Location: time.UTC}, tc.start, now)
			assertValid(t, end)
			if end.Schedule == nil || !strings.EqualFold(strings.TrimSuffix(end.Schedule.Program, "."), strings.TrimSuffix(start.Schedule.Program, ".")) {
				t.Fatalf("schedule %+v, want the program %q", end.Schedule, start.Schedule.Program)
			}
			end.Program, start.Program = "", ""
			end.Schedule.Program, start.Schedule.Program = "", ""
			if got, want := planJSON(t, end), planJSON(t, start); got != want {
				t.Errorf("plan\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestScheduleOfTheWeekendAndOfSeveralTimes(t *testing.T) {
	for _, tc := range []struct {
		program  string
		calendar []plan.Calendar
		readBack string
	}{
		{"Every weekend at 10am, send 'Hi' to bob@example.com",
			[]plan.Calendar{{DaysOfWeek: []string{"sunday", "saturday"}, Hour: 10}}, "Every Saturday and Sunday at 10:00 (UTC)"},
		{"Every day at 9am and 5pm, send 'Hi' to bob@example.com",
			[]plan.Calendar{{Hour: 9}, {Hour: 17}}, "Every day at 9:00 and 17:00 (UTC)"},
		{"Every weekday at 9am, 1pm and at 5.30pm send 'Hi' to bob@example.com",
			[]plan.Calendar{{DaysOfWeek: weekdays, Hour: 9}, {DaysOfWeek: weekdays, Hour: 13}, {DaysOfWeek: weekdays, Hour: 17, Minute: 30}},
			"Every weekday at 9:00, 13:00 and 17:30 (UTC)"},
		{"Every Tue and THU at 8:30, send 'Hi' to bob@example.com",
			[]plan.Calendar{{DaysOfWeek: []string{"tuesday", "thursday"}, Hour: 8, Minute: 30}}, "Every Tuesday and Thursday at 8:30 (UTC)"},
		{"Send 'Hi' to bob@example.com every day at 9am and 5pm",
			[]plan.Calendar{{Hour: 9}, {Hour: 17}}, "Every day at 9:00 and 17:00 (UTC), run: Send 'Hi' to bob@example.com"},
		{"Every day at 9am and send 'Hi' to bob@example.com",
			[]plan.Calendar{{Hour: 9}}, "Every day at 9:00 (UTC), run: send 'Hi' to bob@example.com"},
		{"Every day at midnight, send 'Hi' to bob@example.com",
			[]plan.Calendar{{Hour: 0}}, "Every day at 0:00 (UTC)"},
	} {
		t.Run(tc.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{Location: time.UTC}, tc.program, now)
			assertValid(t, p)
			if p.Schedule == nil || !slices.EqualFunc(p.Schedule.Calendar, tc.calendar, func(a, b plan.Calendar) bool {
				return slices.Equal(a.DaysOfWeek, b.DaysOfWeek) && a.DayOfMonth == b.DayOfMonth && a.Hour == b.Hour && a.Minute == b.Minute
			}) {
				t.Fatalf("schedule %+v, want the calendar %+v", p.Schedule, tc.calendar)
			}
			if got := ReadBackSchedule(p.Schedule); !strings.HasPrefix(got, tc.readBack) {
				t.Errorf("read-back %q, want it to start %q", got, tc.readBack)
			}
		})
	}
}

var weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday"}

// TestAWhenBeforeAQuestionIsAWaitFirst: "Tomorrow at 9am, tell me ..." plans as "Wait until tomorrow at
// 9am, then tell me ...": the question is answered then, about that week.
func TestAWhenBeforeAQuestionIsAWaitFirst(t *testing.T) {
	for _, tc := range []struct{ program, same string }{
		{"Tomorrow at 9am, tell me how many of my contacts I haven't emailed this week",
			"Wait until tomorrow at 9am, then tell me how many of my contacts I haven't emailed this week"},
		{"On Friday at 5pm, which of my contacts haven't I emailed this week?",
			"Wait until Friday at 5pm, then which of my contacts haven't I emailed this week?"},
		{"In 2 hours list my contacts at acme.com", "Wait 2 hours, then list my contacts at acme.com"},
		{"Tomorrow at 8am read notes.md and summarize it", "Wait until tomorrow at 8am, then read notes.md and summarize it"},
	} {
		t.Run(tc.program, func(t *testing.T) {
			got := mustPlan(t, &Rules{}, tc.program, now)
			want := mustPlan(t, &Rules{}, tc.same, now)
			assertValid(t, got)
			got.Program, want.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, want); g != w {
				t.Errorf("plan\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestMidnightIsReadBackAsTheEndOfItsDay(t *testing.T) {
	p := mustPlan(t, &Rules{}, "On Friday at midnight send 'Hi' to bob@example.com", now)
	want := "Wait until midnight at the end of Friday 27 November (Saturday 28 November at 00:00)."
	if got, _ := ReadBackConstruct(p.Steps[0], time.UTC); got != want {
		t.Errorf("read-back %q, want %q", got, want)
	}
	if got, want := p.Steps[0].Description, "Wait until midnight at the end of Friday 27 November (00:00 on Saturday 28 November)."; got != want {
		t.Errorf("description %q, want %q", got, want)
	}
}

func TestMisspeltTimeWords(t *testing.T) {
	for w, want := range map[string]string{
		"tomorow": `"tomorrow"`, "tommorrow": `"tomorrow"`, "firday": `"Friday"`, "evry": `"every"`, "mintues": `"minutes"`,
		"secnods": `"seconds"`, "tonigth": `"tonight"`, "decmber": `"December"`, "mondy": `"Monday"`,
		"wensday": `"weekday" or "Wednesday"`, // as near to both: both are named
		// Words of their own, and the time words themselves, are not slips.
		"very": "", "ever": "", "your": "", "night": "", "hours": "", "minutes": "", "fridays": "", "fri": "", "monica": "", "sunny": "", "day": "",
	} {
		if got := misspeltTime(w); got != want {
			t.Errorf("misspeltTime(%q) = %q, want %q", w, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"firday", "friday", 1}, {"tomorow", "tomorrow", 1}, {"abc", "abc", 0}, {"", "ab", 2}, {"kitten", "sitting", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

func TestShortDayNamesInAPeriodAreTheDays(t *testing.T) {
	short := mustPlan(t, &Rules{}, "Send 'Hi' to my contacts who I haven't emailed since Fri", wednesday)
	long := mustPlan(t, &Rules{}, "Send 'Hi' to my contacts who I haven't emailed since Friday", wednesday)
	short.Program, long.Program = "", ""
	if got, want := planJSON(t, short), planJSON(t, long); got != want || !strings.Contains(got, "2026-11-27T00:00:00Z") {
		t.Errorf("since Fri plans\n%s\nwant since Friday (27 November):\n%s", got, want)
	}
}
