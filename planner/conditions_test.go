package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPlanResolvesMoreTimePhrases: the windows of a condition on the email history beyond "this week",
// each resolved to since and until at now (Wednesday 25 November 2026, 21:40 UTC).
func TestPlanResolvesMoreTimePhrases(t *testing.T) {
	tests := []struct {
		phrase, since, until string
	}{
		{"for a week", "2026-11-18T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"for 2 weeks", "2026-11-11T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"for 3 days", "2026-11-22T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"for a month", "2026-10-25T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"in a week", "2026-11-18T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"in 2 days", "2026-11-23T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"in the last 2 months", "2026-09-25T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"in the last month", "2026-10-25T21:40:00Z", "2026-11-25T21:40:00Z"},
		{"yesterday", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"since yesterday", "2026-11-24T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since Monday", "2026-11-23T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since Thursday", "2026-11-19T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since 1 November", "2026-11-01T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since November 20th", "2026-11-20T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since 1 December 2025", "2025-12-01T00:00:00Z", "2026-11-25T21:40:00Z"}, // "since 1 December" alone is refused: not come yet this year
		{"since 3 March 2026", "2026-03-03T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since the start of last week", "2026-11-16T00:00:00Z", "2026-11-25T21:40:00Z"},
		{"since the start of last month", "2026-10-01T00:00:00Z", "2026-11-25T21:40:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.phrase, func(t *testing.T) {
			program := "Send 'Hi' to each of my contacts who I haven't emailed " + tt.phrase
			p := mustPlan(t, &Rules{}, program, now)
			assertValid(t, p)
			history, ok := p.Step("history")
			if !ok {
				t.Fatalf("the plan has no history step: %s", planJSON(t, p))
			}
			if got := history.Args["since"]; got != tt.since {
				t.Errorf("since = %v, want %s", got, tt.since)
			}
			if got := history.Args["until"]; got != tt.until {
				t.Errorf("until = %v, want %s", got, tt.until)
			}
			if send, _ := p.Step("send"); send.If != "!(contact.email in steps.history.emailed)" {
				t.Errorf("send if = %q, want the contacts not emailed", send.If)
			}
		})
	}
}

// TestPlanLastMonthsClampsToTheMonthsEnd: "in the last month" on 31 March is since the last day of
// February, not 3 March (Go's AddDate would overflow into March).
func TestPlanLastMonthsClampsToTheMonthsEnd(t *testing.T) {
	at := time.Date(2026, time.March, 31, 12, 0, 0, 0, time.UTC)
	p := mustPlan(t, &Rules{}, "Send 'Hi' to each of my contacts who I haven't emailed in the last month", at)
	if h, _ := p.Step("history"); h.Args["since"] != "2026-02-28T12:00:00Z" {
		t.Errorf("since = %v, want 2026-02-28T12:00:00Z", h.Args["since"])
	}
}

// TestPlanConditionsOnOneRecipient: positive and negative conditions on one recipient, before or after
// the action, give the history of that one address and the send's condition on it.
func TestPlanConditionsOnOneRecipient(t *testing.T) {
	const notEmailed = `!("alice@example.com" in steps.history.emailed)`
	const emailed = `"alice@example.com" in steps.history.emailed`
	tests := []struct {
		program, cond, since string
	}{
		{"If I have emailed alice@example.com this month, send her 'Hi'", emailed, "2026-11-01T00:00:00Z"},
		{"If I emailed alice@example.com this week, send her 'Hi'", emailed, "2026-11-23T00:00:00Z"},
		{"Unless I emailed alice@example.com today, send her 'Hi'", notEmailed, "2026-11-25T00:00:00Z"},
		{"Send 'Hi' to alice@example.com if I haven't emailed her this month", notEmailed, "2026-11-01T00:00:00Z"},
		{"Send 'Hi' to alice@example.com only if I haven't emailed her this week", notEmailed, "2026-11-23T00:00:00Z"},
		{"Send 'Hi' to alice@example.com if I haven't emailed them this week", notEmailed, "2026-11-23T00:00:00Z"},
		{"Send 'Hi' to alice@example.com unless I emailed him yesterday", notEmailed, "2026-11-24T00:00:00Z"},
		{"Send 'Hi' to alice@example.com if I have emailed her this week", emailed, "2026-11-23T00:00:00Z"},
		{"Send 'Hi' to alice@example.com if I haven't emailed alice@example.com this week", notEmailed, "2026-11-23T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			assertValid(t, p)
			send, _ := p.Step("send")
			if send.If != tt.cond {
				t.Errorf("send if = %q, want %q", send.If, tt.cond)
			}
			h, ok := p.Step("history")
			if !ok || h.Args["since"] != tt.since {
				t.Fatalf("history = %+v, want since %s", h, tt.since)
			}
			if got := planJSON(t, p); !strings.Contains(got, `"email": "alice@example.com"`) {
				t.Errorf("the history is not of alice@example.com: %s", got)
			}
		})
	}
}

// TestPlanConditionOnMyContact: "if I haven't emailed her" after my contact Ann is a condition on the
// contact found, whose history waits for the find step.
func TestPlanConditionOnMyContact(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hi' to my contact Ann if I haven't emailed her this week", now)
	assertValid(t, p)
	h, _ := p.Step("history")
	if h.Args["contacts"] != "${[steps.find.contact]}" || len(h.DependsOn) != 1 || h.DependsOn[0] != "find" {
		t.Errorf("history = %+v, want the contact of step find", h)
	}
	if send, _ := p.Step("send"); send.If != "!(steps.find.contact.email in steps.history.emailed)" {
		t.Errorf("send if = %q", send.If)
	}
}

// TestPlanConditionOnTheRecipientBefore: "unless I emailed them today, send him ..." after an email to one
// address keeps the condition (it was once dropped), on that address.
func TestPlanConditionOnTheRecipientBefore(t *testing.T) {
	for _, program := range []string{
		"Send 'Hi' to bob@example.com. Unless I emailed them today, send him 'Bye'",
		"Send 'Hi' to bob@example.com. Send him 'Bye' if I haven't emailed him today",
		"Send 'Hi' to my contact Bob. Send him 'Bye' if I haven't emailed him today",
		// The condition first, on "him" or "her": the one recipient of the email before (the docs' example).
		"Send 'Hi' to bob@example.com. Unless I emailed him today, send him 'Bye'",
		"Send 'Hi' to my contact Ann. If I haven't emailed her today, send her 'Bye'",
	} {
		t.Run(program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, program, now)
			assertValid(t, p)
			send, _ := p.Step("send_2")
			if !strings.Contains(send.If, "in steps.history_2.emailed") || !strings.HasPrefix(send.If, "!(") {
				t.Errorf("send_2 if = %q, want not emailed in history_2", send.If)
			}
		})
	}
}

// TestPlanRefusesAPronounConditionWithoutItsRecipient: "him" or "her" in a condition that leads a
// statement is the one recipient of the email before; with none, or when the statement names another
// recipient after it, it is refused with why, never read as either.
func TestPlanRefusesAPronounConditionWithoutItsRecipient(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"If I haven't emailed her today, send her 'Bye'", "her", "it does not say who she or he is"},
		{"Send 'Hi' to my contacts. If I haven't emailed him today, send him 'Bye'", "him", "it does not say who she or he is"},
		{"Send 'Hi' to bob@example.com. If I haven't emailed him today, send 'Bye' to ann@example.com", "If I haven't emailed him today",
			`"him" could be bob@example.com, emailed before, or ann@example.com, named after it`},
		{"Unless I emailed her today, send 'Bye' to my contact Ann", "Unless I emailed her today",
			`"her" comes before whom it means; name the recipient in the condition: If I haven't emailed my contact Ann today`},
		{"Send 'Hi' to bob@example.com. If I haven't emailed him today, send 'Bye' to my contacts", "If I haven't emailed him today", "the condition names one recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestPlanThemIsTheOneRecipientBefore: "them" after an email to one address is that address, as "him" is;
// after a list and then one address it could be either, and is refused.
func TestPlanThemIsTheOneRecipientBefore(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hi' to bob@example.com. Send 'Bye' to them.", now)
	if send, _ := p.Step("send_2"); !strings.Contains(planJSON(t, p), `"email": "bob@example.com"`) || send.ForEach != nil {
		t.Errorf("send_2 = %+v, want bob@example.com", send)
	}
	p = mustPlan(t, &Rules{}, "Send 'Hi' to bob@example.com. If they don't reply within 3 days, send them 'Ping'", now)
	if send, _ := p.Step("send_2"); send.If != "!steps.wait_for_reply_2.replied" {
		t.Errorf("send_2 if = %q, want no reply", send.If)
	}
	_, err := (&Rules{}).Plan(context.Background(), "List my contacts at acme.com. Send 'Hi' to bob@example.com. Send 'Bye' to them.", now)
	assertRefused(t, err, "to them", "could be bob@example.com or your contacts at acme.com")
}

// TestPlanReplyAfterAConditionalEmail: a reply is awaited after an email to one recipient that has a
// condition (c9); the second send waits for the reply, which waits for the first send.
func TestPlanReplyAfterAConditionalEmail(t *testing.T) {
	p := mustPlan(t, &Rules{}, "If I haven't emailed bob@example.com today, send him 'Quick question' and if he doesn't reply within 2 hours, send it again", now)
	assertValid(t, p)
	w, ok := p.Step("wait_for_reply_2")
	if !ok || w.AwaitReply == nil || w.AwaitReply.From != "bob@example.com" || len(w.DependsOn) != 1 || w.DependsOn[0] != "send" {
		t.Fatalf("wait_for_reply_2 = %+v, want a wait for bob's reply after send", w)
	}
	if send, _ := p.Step("send_2"); send.If != "!steps.wait_for_reply_2.replied" {
		t.Errorf("send_2 if = %q", send.If)
	}
	p = mustPlan(t, &Rules{}, "Send 'Hi' to bob@example.com and if he doesn't reply within 2 hours, send it again and if he doesn't reply within a day, send it again", now)
	if w, ok := p.Step("wait_for_reply_3"); !ok || w.DependsOn[0] != "send_2" || w.AwaitReply.Within != "24h0m0s" {
		t.Errorf("wait_for_reply_3 = %+v, want a day's wait after send_2", w)
	}
}

// TestPlanMe: "me" and "myself" are Rules.Me; without it they are refused.
func TestPlanMe(t *testing.T) {
	for program, part := range map[string]string{"Send 'Lunch?' to me": "to me", "Send 'Lunch?' to myself": "to myself", "Send me 'Lunch?'": "me"} {
		p := mustPlan(t, &Rules{Me: "ann@example.com"}, program, now)
		assertValid(t, p)
		send, _ := p.Step("send")
		if to, _ := send.Args["to"].(map[string]any); to["email"] != "ann@example.com" || send.Description != "Send it to you (ann@example.com)." {
			t.Errorf("%s: send = %+v, want to you (ann@example.com)", program, send)
		}
		_, err := (&Rules{}).Plan(context.Background(), program, now)
		assertRefused(t, err, part, "set EAAPL_USER_EMAIL")
	}
}

// TestPlanRefusesConditionsWithTwoReadings: each a refusal quoting the part, with its reason.
func TestPlanRefusesConditionsWithTwoReadings(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Send 'Hi' to my contacts who I haven't emailed since last week", "since last week", "since the start of last week or since it ended"},
		{"Send 'Hi' to my contacts who I haven't emailed since last month", "since last month", "since the start of last month or since it ended"},
		{"Send 'Hi' to my contacts who I haven't emailed since Wednesday", "since Wednesday", "Wednesday is today"},
		{"Send 'Hi' to my contacts who I emailed for a week", "for a week", "how long you have not emailed"},
		{"Send 'Hi' to my contacts who I haven't emailed since 30 February", "30 February", "February has no day 30"},
		{"Send 'Hi' to my contacts who I haven't emailed since 1 December 2026", "since 1 December 2026", "has not come yet"},
		{"Send 'Hi' to my contacts who I haven't emailed since 1 December", "since 1 December", "1 December has not come yet this year; for last year's, write since 1 December 2025"},
		{"Send 'Hi' to my contacts at acme.com if I haven't emailed her this week", "if I haven't emailed her this week", "names one recipient"},
		{"Send 'Hi' to bob@example.com who I emailed today", "who I emailed today", "only with your contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

func assertRefused(t *testing.T, err error, part, why string) {
	t.Helper()
	var nu *NotUnderstoodError
	if !errors.As(err, &nu) {
		t.Fatalf("error %v, want a refusal quoting %q", err, part)
	}
	if nu.Part != part || !strings.Contains(nu.Error(), why) {
		t.Errorf("refusal %q, want the part %q and %q", nu.Error(), part, why)
	}
}

// TestPlanWindowsInHours: "in the last 48 hours" and "in 2 hours" right after "emailed" are windows;
// "in 30 minutes" there is refused, naming it, rather than taken as a wait.
func TestPlanWindowsInHours(t *testing.T) {
	for phrase, since := range map[string]string{"in the last 48 hours": "2026-11-23T21:40:00Z", "in 2 hours": "2026-11-25T19:40:00Z", "in the last hour": "2026-11-25T20:40:00Z"} {
		p := mustPlan(t, &Rules{}, "Send 'Hi' to my contacts who I haven't emailed "+phrase, now)
		if h, _ := p.Step("history"); h.Args["since"] != since {
			t.Errorf("%s: since = %v, want %s", phrase, h.Args["since"], since)
		}
		if _, ok := p.Step("wait"); ok {
			t.Errorf("%s: the plan waits", phrase)
		}
	}
	_, err := (&Rules{}).Plan(context.Background(), "Send 'Hi' to my contacts who I haven't emailed in 30 minutes", now)
	assertRefused(t, err, "who I haven't emailed in 30 minutes", `"in 30 minutes" would be the window`)
}

// TestReadBackConditionsOnOneRecipient: the read-back says a positive check, a window that ends at
// midnight (yesterday) and a check joined with "no reply" in words, never as CEL.
func TestReadBackConditionsOnOneRecipient(t *testing.T) {
	tests := []struct{ program, step, want string }{
		{"If I have emailed alice@example.com this month, send her 'Hi'", "send", "you have emailed alice@example.com since Sunday 1 November"},
		{"Unless I emailed alice@example.com yesterday, send her 'Hi'", "send", "you have not emailed alice@example.com on Tuesday 24 November"},
		{"Send 'Hi' to alice@example.com if I haven't emailed her in the last 2 days", "send", "you have not emailed alice@example.com since 21:40 on Monday 23 November"},
	}
	// After a wait for a reply, "today" is the day written or the day the wait ends (up to a day later):
	// refused, as after "wait 2 hours" (it was read as the day written, up to when the plan was made).
	if _, err := (&Rules{}).Plan(context.Background(), "Send 'Hi' to bob@example.com. If he doesn't reply within a day, send him 'Ping' unless I emailed him today", now); err == nil ||
		!strings.Contains(err.Error(), "after the wait for a reply (up to a day) the program cannot know which dates that is") {
		t.Errorf("a condition after a reply wait: %v, want it refused", err)
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			send, _ := p.Step(tt.step)
			got, ok := ReadBackCondition(p, send.If, time.UTC)
			if !ok || got != tt.want {
				t.Errorf("ReadBackCondition(%q) = %q, %v; want %q", send.If, got, ok, tt.want)
			}
		})
	}
}

// TestPlanStatementAfterAConditionalEmailComesAfterItForOrderOnly: a step whose condition is false is
// skipped, and so is every step that depends on it; the statement after a conditional email comes after
// the email in after (for order only), so that bob is emailed after alice's email has ended, whether it
// was sent or skipped. The wait for alice's reply still depends on her email, and the statement after it
// comes after the last step it may skip.
func TestPlanStatementAfterAConditionalEmailComesAfterItForOrderOnly(t *testing.T) {
	tests := []struct {
		program string
		after   map[string][]string // step -> want After
		deps    map[string][]string // step -> want DependsOn
	}{
		{
			program: "If I haven't emailed alice@example.com today, send her 'Hi'. Then send 'Yo' to bob@example.com",
			after:   map[string][]string{"compose_2": {"send"}, "send_2": nil, "send": nil},
			deps:    map[string][]string{"compose_2": nil, "send_2": {"compose_2"}, "send": {"history", "compose"}},
		},
		{
			program: "If I haven't emailed alice@example.com today, send her 'Hi' and if she doesn't reply within a day, send it again. Send 'Yo' to bob@example.com",
			after:   map[string][]string{"compose_3": {"send_2"}, "wait_for_reply_2": nil},
			deps:    map[string][]string{"compose_3": nil, "wait_for_reply_2": {"send"}},
		},
		{
			// Nothing to skip: the next statement depends on the send, as before.
			program: "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com",
			after:   map[string][]string{"compose_2": nil},
			deps:    map[string][]string{"compose_2": {"send"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			assertValid(t, p)
			for id, want := range tt.after {
				if s, ok := p.Step(id); !ok || !slices.Equal(s.After, want) {
					t.Errorf("%s comes after %v, want %v", id, s.After, want)
				}
			}
			for id, want := range tt.deps {
				if s, ok := p.Step(id); !ok || !slices.Equal(s.DependsOn, want) {
					t.Errorf("%s depends on %v, want %v", id, s.DependsOn, want)
				}
			}
		})
	}
}

// TestPlanRefusesThemBeforeTheAddress: "If I haven't emailed them this week, send 'Hi' to bob@example.com"
// does not say who "them" is when it is read; it is refused, naming the form that says it.
func TestPlanRefusesThemBeforeTheAddress(t *testing.T) {
	_, err := (&Rules{}).Plan(context.Background(), "If I haven't emailed them this week, send 'Hi' to bob@example.com", now)
	assertRefused(t, err, "If I haven't emailed them this week", "If I haven't emailed bob@example.com this week, send")
}

// TestPlanConditionOnMe: "if I haven't emailed myself today" after "to me" is a condition on your
// address, not "someone other than the recipient".
func TestPlanConditionOnMe(t *testing.T) {
	p := mustPlan(t, &Rules{Me: "ann@example.com"}, "Send 'Hi' to me if I haven't emailed myself today", now)
	if send, _ := p.Step("send"); send.If != `!("ann@example.com" in steps.history.emailed)` {
		t.Errorf("send if = %q, want not emailed ann@example.com", send.If)
	}
}

// TestPlanAHistoryAfterASendReadsUpToWhenItRuns: a condition in a statement after an email reads the
// history up to when its step runs (no until), so the program's own email is in it; a condition before any
// email keeps the window's end at the moment the plan was made.
func TestPlanAHistoryAfterASendReadsUpToWhenItRuns(t *testing.T) {
	for _, tt := range []struct {
		program   string
		id        string
		wantUntil bool
	}{
		{"Send 'Hi' to bob@example.com. Unless I emailed him today, send him 'Bye'", "history_2", false},
		{"Send 'Hi' to my contacts at acme.com. Send 'Bye' to them if I haven't emailed them today", "history_2", false},
		{"If I haven't emailed bob@example.com today, send him 'Hi'", "history", true},
		{"Send 'Hi' to bob@example.com. Send 'Bye' to my contacts who I emailed last week", "history_2", true}, // a closed window
	} {
		p, err := (&Rules{}).Plan(context.Background(), tt.program, now)
		if err != nil {
			t.Fatalf("%q: %v", tt.program, err)
		}
		s, ok := p.Step(tt.id)
		if !ok || s.Command != "CheckEmailHistory" {
			t.Fatalf("%q: no history step %s in %+v", tt.program, tt.id, p.Steps)
		}
		if _, has := s.Args["until"]; has != tt.wantUntil {
			t.Errorf("%q: step %s has until %v (%v), want %v", tt.program, tt.id, has, s.Args["until"], tt.wantUntil)
		}
	}
}
