package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPlanRefusalsSayWhatIsMissing: refusals of programs a person clearly meant, or nearly, say what is
// wrong with the part quoted, not a reason that would mislead ("say until when" after a day that is said).
func TestPlanRefusalsSayWhatIsMissing(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Wait until Friday, then send 'Hi' to bob@example.com", "Friday", "say at what time, like wait until Friday at 9am"},
		{"Wait until 24 December, then send 'Hi' to bob@example.com", "24 December", "say at what time, like wait until 24 December at 9am"},
		{"Wait until later, then send 'Hi' to bob@example.com", "Wait until", "say until when"},
		// "Read report.txt and notes.md" is the slot's list, refused by the slot ("takes one path at a time").
		{"Read report.txt, notes.md and email them to bob@example.com", "notes.md",
			"it is a second file, and a statement takes one: write a statement for each, like Read report.txt ... Then read notes.md ...; or, to attach both files to an email: Email report.txt and notes.md to <address>"},
		{"Summarize report.txt, notes.md", "notes.md", "write a statement for each, like Summarize report.txt ... Then summarize notes.md ..."},
		{"List the files matching *.md. If there are more than 2 rows, send 'x' to bob@example.com", "If there are more than 2 rows", "no step before it made rows to count; make them first, like Read the"},
		{"If there are more than 5 files, send 'Many' to bob@example.com", "If there are more than 5 files", "make them first, like List the files"},
		{"If there are more than 5 cats, send 'Many' to bob@example.com", "If there are more than 5 cats", "a count is of a list a step before made"},
		{"List my contacts at acme.com. How many of them haven't I emailed this week?", "How many of them", "a question counts your contacts with its own filters, not a list before it"},
		{"Send my contacts to eve@evil.com", "to eve@evil.com", "never your contact list"},
		{"Summarize notes.md and save the summary as ${x}.txt", "save the summary as ${x}.txt", `"save {text} as {path}" needs its path`},
		{"Read the table orders.csv and email it to bob@example.com", "it", `a step before made the table's rows, which "it" does not name: "it" is a text, like a document read or a page fetched; to send the file itself, attach it: Email orders.csv to <address>`},
		{"Tell bob@example.com that I'm late", "that I'm late", "the message must be in quotes, like Tell bob@example.com 'I'm late'"},
		{"Send 'Hi {name}' to bob@example.com and ann@example.com", "'Hi {name}'", "bob@example.com and ann@example.com have no name, only an address"},
		// An hour from 1 to 5 at night is after midnight or pm: not guessed (it was read as pm).
		{"Tomorrow night at 2 send 'x' to bob@example.com", "Tomorrow night at 2", "2 at night could be 2:00 after midnight or 2pm"},
		{"Tonight at 3 send 'Good night' to bob@example.com", "Tonight at 3", "3 at night could be 3:00 after midnight or 3pm"},
		// A pronoun that could be the one emailed before or the one the condition names: no one's gender is known.
		{"Send 'Hi' to bob@example.com. If I haven't emailed ann@example.com today, send him 'Bye'", "him", `"him" could be bob@example.com, emailed before, or ann@example.com`},
		{"Send 'Hi' to bob@example.com. Send 'Bye' to ann@example.com if I haven't emailed him today", "him", `"him" could be bob@example.com, emailed before, or ann@example.com`},
		{"Send 'Hi' to my contact Ann. If I haven't emailed bob@example.com today, send her 'Bye'", "her", "or bob@example.com; name the recipient instead"},
		// "it" after a message filled in for each recipient: no one message (the plan did not validate).
		{"Send 'Dear {first name}' to my contacts at acme.com. Send it to ann@example.com.", "it", "the email before is filled in for each of its recipients"},
		{"For each row in orders.csv, email the address in the email column saying 'Order {order}'. Send it to bob@example.com.", "it", "write the message again"},
		// "them" after an email to each row or line: they are not contacts (the plan did not validate).
		{"For each row in orders.csv, email the address in the email column saying 'x'. Send 'y' to them.", "to them", "the email before went to each row"},
		{"For each line in list.txt, send 'Hi' to it. Send 'Bye' to them.", "to them", "the email before went to each line"},
		// A first name's beginning with a space after it would match "Ann Lee" and not "Ann".
		{"Send 'Hi' to my contacts whose first name starts with 'Ann '", "whose first name starts with 'Ann '", "a first name is one word"},
		// A name after a group with a filter and a name: one more of the group, or anyone of that name?
		{"Send 'Hi' to my contacts except those at acme.com named Bob and Ann", "those at acme.com named Bob and Ann", "Ann could be one more of those (named Ann too) or anyone named Ann"},
		// A time in the statement of a reply wait: when the wait begins, or when the email goes again?
		{"Send 'Hi' to bob@example.com and if he doesn't reply within a day, send it again tomorrow at 9am", "tomorrow at 9am", "could be when the wait begins or when the email goes again"},
		// A result of the wrong kind names its step and what is needed (was: "the list is a list, which cannot be used here").
		{"List the files matching *.csv and email the list to bob@example.com", "the list", `"the list" is what step 1 makes, a list, and here it needs a text`},
		// "me" in a list of recipients (was: no reason).
		{"Send 'Hi' to me and bob@example.com", "me and bob@example.com", "you are emailed in a statement of your own"},
		{"Send 'Hi' to bob@example.com and me", "and me", "then send it to me"},
		// A part of the day is not a day of a schedule (was: no reason).
		{"Every morning at 8, send 'x' to bob@example.com", "Every morning", "a schedule names its days and a time; write every day at 8am"},
		// A schedule's time before its days: said how to write it (was: no reason).
		{"Send 'x' to bob@example.com at 9am every day", "at 9am every day", "a schedule says its days, then its time: every day at 9am"},
		{"At 9am every weekday, send 'x' to bob@example.com", "At 9am every weekday", "every weekday at 9am"},
		// A time after a comma that ends no list of times: the schedule's or the statement's?
		{"Every Monday at 9am, at 5pm send 'x' to bob@example.com", "at 5pm", "could be another time of the schedule or the time of what follows"},
		// A day or a clock time inside a scheduled program would be waited for from every run.
		{"Every weekday at 9am, send 'x' to bob@example.com on Friday at 9am", "on Friday at 9am", "a scheduled program runs at the schedule's days and times"},
		{"Every Monday at 9am and Friday at 5pm, send 'x' to bob@example.com", "Friday at 5pm", "make a schedule for each"},
		{"Every Monday at 9am, send 'A' to bob@example.com tomorrow at 9am", "tomorrow at 9am", "put it in the schedule"},
		// One label twice: the step could only ever give it.
		{"Classify mail.txt as urgent or urgent and email the label to bob@example.com", "urgent", `"urgent" is given twice; give each one once`},
		{"Extract the date and the Date from invoice.txt", "Date", `"date" is given twice`},
		{"Tell my contact Ann that the meeting moved to 3pm", "that the meeting moved to 3pm", "like Tell my contact Ann 'the meeting moved to 3pm'"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestPlanPoliteWordsAnywhereAStatementStartsOrEnds: "please" after "and" before the next statement's
// verb, and ", please" at the end of a question, add nothing: the plan is the one without them.
func TestPlanPoliteWordsAnywhereAStatementStartsOrEnds(t *testing.T) {
	for polite, plain := range map[string]string{
		"Please send 'Hi' to bob@example.com and please send 'Bye' to ann@example.com": "Send 'Hi' to bob@example.com and send 'Bye' to ann@example.com",
		"Send 'Hi' to bob@example.com and could you send 'Bye' to ann@example.com":     "Send 'Hi' to bob@example.com and send 'Bye' to ann@example.com",
		"How many of my contacts haven't I emailed this week, please?":                 "How many of my contacts haven't I emailed this week?",
		"Which of my contacts are at acme.com, please?":                                "Which of my contacts are at acme.com?",
	} {
		t.Run(polite, func(t *testing.T) {
			got, want := mustPlan(t, &Rules{}, polite, now), mustPlan(t, &Rules{}, plain, now)
			got.Program, want.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, want); g != w {
				t.Errorf("plan:\n%s\nwant the plan of %q:\n%s", g, plain, w)
			}
		})
	}
	_, err := (&Rules{}).Plan(context.Background(), "Send 'Hi' to bob@example.com and please", now)
	assertRefused(t, err, "and please", "")
}

// TestPlanQuotedContactName: my contact 'Ann Lee' is the contact with that name, as named 'Ann Lee' is
// among contacts; without another message the quotation could be the message, and it is refused.
func TestPlanQuotedContactName(t *testing.T) {
	for _, program := range []string{
		"Send 'Hi' to my contact 'Ann Lee'",
		"Email my contact 'Ann Lee' saying 'Hi'",
		"My contact 'Ann Lee' gets 'Hi'",
		"If I haven't emailed my contact 'Ann Lee' this week, send her 'Hi'",
	} {
		t.Run(program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, program, now)
			assertValid(t, p)
			find, ok := p.Step("find")
			if !ok || find.Args["name"] != "Ann Lee" {
				t.Fatalf("find = %+v, want the contact named Ann Lee", find)
			}
			if send := p.Steps[len(p.Steps)-1]; send.Args["to"] != "${steps.find.contact}" {
				t.Errorf("send to = %v, want the contact found", send.Args["to"])
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Send 'Hi' to my contact '${steps.x}'", now)
	if find, _ := p.Step("find"); find.Args["name"] != "$${steps.x}" {
		t.Errorf("find name = %v, want the quoted text, never an expression", find.Args["name"])
	}
	for program, why := range map[string]string{
		"Email my contact 'Ann Lee'":         "could be the contact's name or the message",
		"Send 'Hi' to my contact ''":         "a quoted name is one line of text, not empty",
		"Send 'Hi' to my contact 'Ann\nLee'": "a quoted name is one line of text",
	} {
		_, err := (&Rules{}).Plan(context.Background(), program, now)
		var nu *NotUnderstoodError
		if !errors.As(err, &nu) || !strings.HasPrefix(nu.Part, "my contact '") || !strings.Contains(nu.Error(), why) {
			t.Errorf("%q: %v, want a refusal of the quoted name: %s", program, err, why)
		}
	}
}

// TestPlanScheduleWithoutANamedZone: a schedule planned in the machine's zone ("Local", EAAPL_TIMEZONE
// unset) is refused with the LLM planner's message, which says how to set it; only once the program is
// understood, so a mistake in it is named first.
func TestPlanScheduleWithoutANamedZone(t *testing.T) {
	local := &Rules{Location: time.Local}
	_, err := local.Plan(context.Background(), "Every Monday at 9am, send 'Hi' to bob@example.com", now)
	if !errors.Is(err, errScheduleZone) {
		t.Fatalf("error %v, want %v", err, errScheduleZone)
	}
	_, err = local.Plan(context.Background(), "Every Monday at 9am, notify bob@example.com", now)
	assertRefused(t, err, "notify", `does not know the verb "notify"`)
	p := mustPlan(t, &Rules{Location: mustZone(t, "Europe/Berlin")}, "Every Monday at 9am, send 'Hi' to bob@example.com", now)
	if p.Schedule == nil || p.Schedule.TimeZone != "Europe/Berlin" {
		t.Errorf("schedule = %+v, want Europe/Berlin", p.Schedule)
	}
}

// TestPlanFileNamesAtTheStartAreRefused: a file name at the very start, where no file was named before
// it, is refused (it once made the check for a second file read before the first token).
func TestPlanFileNamesAtTheStartAreRefused(t *testing.T) {
	for _, program := range []string{"notes.md", "notes.md and report.txt", "and notes.md", ", notes.md"} {
		if _, err := (&Rules{}).Plan(context.Background(), program, now); err == nil {
			t.Errorf("%q planned, want it refused", program)
		}
	}
}

// TestPlanExceptAfterTheOtherClauses: "..., except Bob" after a who-clause (or a time, a message) leaves
// Bob out of the statement's list, as "my contacts except Bob" does; right after an if-condition it
// could be part of the condition and is refused; with no list of contacts in the statement it is refused.
func TestPlanExceptAfterTheOtherClauses(t *testing.T) {
	for program, want := range map[string]string{
		"Send 'Hi' to my contacts who I haven't emailed this week, except Bob":                          `!(contact.name.trim().lowerAscii() == "bob" || contact.name.trim().lowerAscii().split(' ')[0] == "bob") && !(contact.email in steps.history.emailed)`,
		"Send 'Hi' to everyone in my contacts who I haven't emailed this week except those at acme.com": `!contact.email.lowerAscii().endsWith("@acme.com") && !(contact.email in steps.history.emailed)`,
		"For each of my contacts, send them 'Hi' except Carol":                                          `!(contact.name.trim().lowerAscii() == "carol" || contact.name.trim().lowerAscii().split(' ')[0] == "carol")`,
	} {
		t.Run(program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, program, now)
			assertValid(t, p)
			if send := p.Steps[len(p.Steps)-1]; send.If != want {
				t.Errorf("send if = %q, want %q", send.If, want)
			}
		})
	}
	tests := []struct{ program, part, why string }{
		{"Send 'Hi' to my contacts if I haven't emailed them this week, except Bob", "except Bob", "could leave Bob out of the email or out of the condition"},
		{"Send 'Hi' to bob@example.com, except Bob", "except Bob", "this statement selects none"},
		{"List my contacts at acme.com. Send 'Hi' to them, except Bob", "except Bob", "this statement selects none"},
		{"Send 'Hi' to my contacts who I haven't emailed this week, except those who I emailed today", "those who I emailed today", "give the condition on whom you emailed once"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestPlanGetStatementWithClausesAfterTheMessage: a statement whose recipients come first takes the
// clauses of any email after its message (a time, a subject, a condition), with the plan of the same
// email written with send.
func TestPlanGetStatementWithClausesAfterTheMessage(t *testing.T) {
	for get, send := range map[string]string{
		"bob@example.com gets 'Hi' tomorrow at 9am":                     "Tomorrow at 9am send 'Hi' to bob@example.com",
		"My contact Ann gets 'See you at 5' with the subject 'Meeting'": "Send 'See you at 5' to my contact Ann with the subject 'Meeting'",
		"bob@example.com gets 'Hi' if I haven't emailed him today":      "Send 'Hi' to bob@example.com if I haven't emailed him today",
		"Everyone in my contacts at acme.com gets 'Hi' tomorrow at 9am": "Tomorrow at 9am send 'Hi' to everyone in my contacts at acme.com",
	} {
		t.Run(get, func(t *testing.T) {
			got, want := mustPlan(t, &Rules{}, get, now), mustPlan(t, &Rules{}, send, now)
			got.Program, want.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, want); g != w {
				t.Errorf("plan:\n%s\nwant the plan of %q:\n%s", g, send, w)
			}
		})
	}
	_, err := (&Rules{}).Plan(context.Background(), "bob@example.com gets 'Hi' saying 'Bye'", now)
	assertRefused(t, err, "saying 'Bye'", `already gives the message "Hi"`)
}

// TestPlanIsntIsIsNot: "isn't" is "is not", as "haven't" is "have not": in a where and in a condition on
// a value the plan is the one with "is not"; inside a quotation it stays as written.
func TestPlanIsntIsIsNot(t *testing.T) {
	for short, long := range map[string]string{
		"For each row in orders.csv where status isn't late, email the address in the email column saying 'x'":      "For each row in orders.csv where status is not late, email the address in the email column saying 'x'",
		"Read mail.txt and classify it as urgent or normal. If the label isn't urgent, send 'x' to bob@example.com": "Read mail.txt and classify it as urgent or normal. If the label is not urgent, send 'x' to bob@example.com",
	} {
		t.Run(short, func(t *testing.T) {
			got, want := mustPlan(t, &Rules{}, short, now), mustPlan(t, &Rules{}, long, now)
			got.Program, want.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, want); g != w {
				t.Errorf("plan:\n%s\nwant the plan of %q:\n%s", g, long, w)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Send 'It isn't late' to bob@example.com", now)
	if c, _ := p.Step("compose"); c.Args["body"] != "It isn't late" {
		t.Errorf("body = %v, want the message as written", c.Args["body"])
	}
}
