package starter_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
)

var now = time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)

func TestReadBackSaysWhatEachStepDoes(t *testing.T) {
	for _, tc := range []struct {
		program string
		want    []string
	}{
		{"Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'", []string{
			"Get your contacts.",
			"Find which of them you have emailed since Monday 23 November.",
			`Write the message "Hello World!".`,
			"Send it to each contact you have not emailed since Monday 23 November.",
		}},
		{"Email all my contacts who I haven't emailed in the last 30 days with the message 'Long time!'", []string{
			"Get your contacts.",
			"Find which of them you have emailed since 21:40 on Monday 26 October.",
			`Write the message "Long time!".`,
			"Send it to each contact you have not emailed since 21:40 on Monday 26 October.",
		}},
		{"Send 'See you at 8' to ann@example.com with the subject 'Dinner'", []string{
			`Write the message "See you at 8" with the subject "Dinner".`,
			"Send it to ann@example.com.",
		}},
		{"Send 'Lunch?' to my contact Dave", []string{
			`Find your contact "Dave"; ask you which address if several contacts or none have the name.`,
			`Write the message "Lunch?".`,
			"Send it to the contact of step 1.",
		}},
		{"Send it to my contact John", []string{
			`Find your contact "John"; ask you which address if several contacts or none have the name.`,
			"Ask you what the message should say.",
			"Send it to the contact of step 1.",
		}},
		{"Send 'Hi ${name}' to ann@example.com and carl@example.org", []string{
			`Write the message "Hi ${name}".`,
			"Send it to ann@example.com and carl@example.org.",
		}},
		{"Send 'Hi' to Bob <bob@example.com>", []string{
			`Write the message "Hi".`,
			"Send it to Bob <bob@example.com>.",
		}},
		{"Send 'Hi' to Ann O'Neil <ann@example.com>, carl@example.org and Bob <bob@example.com>", []string{
			`Write the message "Hi".`,
			"Send it to Ann O'Neil <ann@example.com>, carl@example.org and Bob <bob@example.com>.",
		}},
		{"If I haven't emailed alice@example.com this month, send her 'Hi'. Then send 'Yo' to bob@example.com", []string{
			"Find whether you have emailed alice@example.com since Sunday 1 November.",
			`Write the message "Hi".`,
			"Send it to alice@example.com, only if you have not emailed alice@example.com since Sunday 1 November.",
			`After step 3, whether it ran or a condition skipped it: write the message "Yo".`,
			"Send it to bob@example.com.",
		}},
		{"Send 'Hi' to bob@example.com on 5 January 2027 at 9am", []string{
			"Wait until Tuesday 5 January 2027 at 09:00.", // another year than now's says it
			`Write the message "Hi".`,
			"Send it to bob@example.com.",
		}},
		{"Send 'Hi' to my contacts named O'Brien", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts named O'Brien.", // a capital after the apostrophe, as the name had
		}},
		{"Send 'Hi {email}' to bob@example.com and ann@example.com", []string{
			`Send "Hi {email}" (each recipient's address filled in) to bob@example.com and ann@example.com.`,
		}},
		{"Wait 2 hours, then send 'Good morning' to bob@example.com", []string{
			"Wait 2 hours.",
			`Write the message "Good morning".`,
			"Send it to bob@example.com.",
		}},
		{"If I haven't emailed alice@example.com this month, send her 'Long time no see'", []string{
			"Find whether you have emailed alice@example.com since Sunday 1 November.",
			`Write the message "Long time no see".`,
			"Send it to alice@example.com, only if you have not emailed alice@example.com since Sunday 1 November.",
		}},
		{"If I haven't emailed my contact Ann this week, send her 'Hi'", []string{
			`Find your contact "Ann"; ask you which address if several contacts or none have the name.`,
			"Find whether you have emailed the contact (step 1) since Monday 23 November.",
			`Write the message "Hi".`,
			"Send it to the contact of step 1, only if you have not emailed the contact (step 1) since Monday 23 November.",
		}},
		{"Read notes.md, classify it as urgent or normal and if the label is urgent, send 'Urgent' to bob@example.com", []string{
			"Read the document notes.md.",
			`Classify the document's text (step 1) as "urgent" or "normal", on the worker with no model: nothing is sent anywhere.`,
			`Write the message "Urgent".`,
			`Send it to bob@example.com, only if the label (step 2) is "urgent".`,
		}},
		{"Fetch https://example.com and if the page does not contain 'up', send 'Down' to bob@example.com", []string{
			"Fetch the page https://example.com.",
			`Write the message "Down".`,
			`Look for "up" in the page's text (step 1).`,
			`Send the message of step 2 to bob@example.com, only if the page's text (step 1) does not contain "up".`,
		}},
		{"List the files matching *.csv and if there are more than 5 files, send 'Many' to bob@example.com", []string{
			"List the files that match *.csv.",
			`Write the message "Many".`,
			"Send it to bob@example.com, only if there are more than 5 files (step 1).",
		}},
		{"Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again", []string{
			`Write the message "Are you coming?".`,
			"Send it to bob@example.com.",
			"Wait up to a day for a reply from bob@example.com to that email; a reply ends the wait.",
			"If bob@example.com has not replied by then, send the message of step 1 to bob@example.com again.",
		}},
		{"Send 'Can you review this?' to ann@example.com. If she doesn't reply within 2 hours, send 'Gentle reminder' to carl@example.com", []string{
			`Write the message "Can you review this?".`,
			"Send it to ann@example.com.",
			"Wait up to 2 hours for a reply from ann@example.com to that email; a reply ends the wait.",
			`Write the message "Gentle reminder".`,
			"If ann@example.com has not replied by then, send it to carl@example.com.",
		}},
		{"Send 'Thanks' to my contacts who I haven't emailed last month", []string{
			"Get your contacts.",
			"Find which of them you have emailed between Thursday 1 October and Saturday 31 October.",
			`Write the message "Thanks".`,
			"Send it to each contact you have not emailed between Thursday 1 October and Saturday 31 October.",
		}},
		{"How many of my contacts have I not emailed this month?", []string{
			"Get your contacts.",
			"Find which of them you have emailed since Sunday 1 November.",
			"Answer with the number of your contacts you have not emailed since Sunday 1 November.",
		}},
		{"Send 'Hi {first name}' to all my contacts", []string{
			"Get your contacts.",
			"Before sending, check that every contact it goes to has a name, to fill in their first name.",
			`Send "Hi {first name}" (each contact's first name filled in) to each contact.`,
		}},
		{"Send 'Office closed on Friday' to my contacts at acme.com except Dave", []string{
			"Get your contacts.",
			`Write the message "Office closed on Friday".`,
			"Send it to each of your contacts at acme.com except those named Dave.",
		}},
		{"Email each of my contacts whose name starts with A saying 'Hi {first name}'", []string{
			"Get your contacts.",
			"Before sending, check that every contact it goes to has a name, to fill in their first name.",
			`Send "Hi {first name}" (each contact's first name filled in) to each of your contacts whose name starts with A.`,
		}},
		{"For each row in orders.xlsx where status is late, email the address in the email column saying 'Your order {order} is late'", []string{
			`Read the rows of orders.xlsx; stop before any row is used unless it has the columns "status", "email" and "order".`,
			`Send "Your order {order} is late" (each row's order filled in) to the address in the email column of each row of step 1 whose status is "late".`,
		}},
		{"Send 'Hi' to the first 10 of my contacts", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to the first 10 of your contacts.",
		}},
		{"Send 'Hi' to the first 3 of my contacts at acme.com", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to the first 3 of your contacts at acme.com.",
		}},
		{"Send 'Hi' to my contacts named John", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts named John.",
		}},
		{"Send 'Hi' to my contacts who I emailed last month", []string{
			"Get your contacts.",
			"Find which of them you have emailed between Thursday 1 October and Saturday 31 October.",
			`Write the message "Hi".`,
			"Send it to each of your contacts you have emailed between Thursday 1 October and Saturday 31 October.",
		}},
		{"Send 'Hi' to my contacts except Bob and Carol", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts except those named Bob and Carol.",
		}},
		{"Send 'Hi' to my contacts at acme.com except bob@acme.com", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts at acme.com except bob@acme.com.",
		}},
		// A group left out is said as the program says it, never as a filter on the whole list.
		{"Send 'Hi' to all my contacts except those at acme.com", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts except those at acme.com.",
		}},
		{"Send 'Hi' to my contacts except Bob and those named Carol at acme.com", []string{
			"Get your contacts.",
			`Write the message "Hi".`,
			"Send it to each of your contacts except those named Bob and except those at acme.com named Carol.",
		}},
		// No comma before "with": "bob@example.com, with a copy to ..." read aloud has a stray pause.
		{"Send 'Slides' to carol@example.com with notes.md attached and a copy to ann@example.com", []string{
			`Write the message "Slides".`,
			"Send it to carol@example.com with notes.md attached and a copy to ann@example.com.",
		}},
		// A subject that is the message itself is said once.
		{"For each line in list.txt, send 'Hi' to it", []string{
			"Read the lines of list.txt that are not blank.",
			`Send "Hi" to each line.`,
		}},
		{"For each row in orders.csv where status is not late, email the address in the email column saying 'OK'", []string{
			`Read the rows of orders.csv; stop before any row is used unless it has the columns "status" and "email".`,
			`Send "OK" to the address in the email column of each row of step 1 whose status is not "late".`,
		}},
		// One contact a step found: its placeholders in words, not "{the first name of the contact (step 1)}".
		{"Send 'Hi {first name}' to my contact Ann", []string{
			`Find your contact "Ann"; ask you which address if several contacts or none have the name.`,
			"Before sending, check that the contact it goes to has a name, to fill in their first name.",
			`Send "Hi {first name}" (the contact's first name filled in) to the contact of step 1.`,
		}},
		{"If I haven't emailed alice@example.com last month, send her 'Long time no see'", []string{
			"Find whether you have emailed alice@example.com between Thursday 1 October and Saturday 31 October.",
			`Write the message "Long time no see".`,
			"Send it to alice@example.com, only if you have not emailed alice@example.com between Thursday 1 October and Saturday 31 October.",
		}},
	} {
		t.Run(tc.program, func(t *testing.T) {
			p, err := (&planner.Rules{}).Plan(context.Background(), tc.program, now)
			if err != nil {
				t.Fatal(err)
			}
			got := starter.ReadBack(p, now)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("read-back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestReadBackIgnoresDescriptions(t *testing.T) {
	// A plan whose descriptions say it sends nothing: the read-back says what it does.
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts", Description: "Do nothing."},
		{ID: "compose", Command: "ComposeEmail", Description: "Do nothing.", Args: map[string]any{"body": "You won!"}},
		{ID: "send", Command: "SendEmail", Description: "Send nothing to anyone.",
			Args:    map[string]any{"to": "${c}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"},
			ForEach: &plan.ForEach{Items: "${steps.contacts.contacts}", As: "c"}},
	}}
	if err := plan.Validate(p); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(starter.ReadBack(p, now), "\n")
	want := "Get your contacts.\nWrite the message \"You won!\".\nSend it to each contact."
	if got != want {
		t.Errorf("read-back:\n%s\nwant:\n%s", got, want)
	}
}

// TestReadBackSaysWhatAStepComesAfter: a step's after (order-only dependencies) is said before it, with
// the sentence's first word lower-cased unless it is a name.
func TestReadBackSaysWhatAStepComesAfter(t *testing.T) {
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "one", Command: "ComposeEmail", Args: map[string]any{"body": "One"}},
		{ID: "two", Command: "ComposeEmail", Args: map[string]any{"body": "Two"}},
		{ID: "three", Command: "ComposeEmail", Args: map[string]any{"body": "Three"}, After: []string{"one", "two"}},
		{ID: "four", Command: "ListFiles", Args: map[string]any{"pattern": "*.csv"}, After: []string{"three"}},
		{ID: "five", Command: "Frobnicate", After: []string{"four"}},
	}}
	got := starter.ReadBack(p, now)
	want := []string{
		`After steps 1 and 2, whether they ran or a condition skipped them: write the message "Three".`,
		"After step 3, whether it ran or a condition skipped it: list the files that match *.csv.",
		"After step 4, whether it ran or a condition skipped it: run Frobnicate.", // the command's name keeps its case
	}
	if !slices.Equal(got[2:], want) {
		t.Errorf("read-back:\n%s\nwant:\n%s", strings.Join(got[2:], "\n"), strings.Join(want, "\n"))
	}
}

func TestReadBackShowsShapesItHasNoWordsForAsWritten(t *testing.T) {
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts"},
		{ID: "compose", Command: "ComposeEmail", Args: map[string]any{"body": "Hi"}},
		{ID: "send", Command: "SendEmail", Priority: plan.PriorityHigh,
			Args:    map[string]any{"to": "${c}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"},
			ForEach: &plan.ForEach{Items: "${steps.contacts.contacts}", As: "c"},
			If:      "c.email.size() % 2 == 0"},
	}}
	if err := plan.Validate(p); err != nil {
		t.Fatal(err)
	}
	got := starter.ReadBack(p, now)[2]
	// The command's sentence has no words for the condition: the step is said with its arguments in
	// words, and the condition, which has none, as written.
	want := `Run SendEmail for each of your contacts (step 1) with body = the message (step 2), subject = the subject (step 2), to = the contact, only if "c.email.size() % 2 == 0" (as written), urgently.`
	if got != want {
		t.Errorf("read-back of a step with an unknown condition:\n%s\nwant:\n%s", got, want)
	}
}

// TestPrintReadBackSaysTheScheduleAndTheZone: a program that repeats is said to repeat before its steps, and times are
// in the program's zone, named, not the machine's.
func TestPrintReadBackSaysTheScheduleAndTheZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, tc := range []struct {
		program string
		want    string
	}{
		{"Every Monday at 9am, send 'Weekly report?' to bob@example.com",
			"Every Monday at 9:00 (Europe/Berlin), run: send 'Weekly report?' to bob@example.com\nEach run does this:\n1. Write the message \"Weekly report?\".\n2. Send it to bob@example.com.\n"},
		// A date in the steps holds for a run now only (each run plans again): the header says so. (A day or
		// a time of day inside the scheduled program is refused: "... tomorrow at 9am" would wait from each run.)
		{"Every weekday at 9am, send 'Hi' to each of my contacts if I haven't emailed them today",
			"Every weekday at 9:00 (Europe/Berlin), run: send 'Hi' to each of my contacts if I haven't emailed them today\nEach run plans the program again when it starts, and its dates are that run's. A run now (22:40 on Wednesday 25 November) would do this:\n"},
		{"Tomorrow at 8am send 'A' to bob@example.com",
			"Times are in Europe/Berlin.\n1. Wait until Thursday 26 November at 08:00.\n2. Write the message \"A\".\n3. Send it to bob@example.com.\n"},
	} {
		t.Run(tc.program, func(t *testing.T) {
			at := now.In(berlin)
			p, err := (&planner.Rules{Location: berlin}).Plan(context.Background(), tc.program, at)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			starter.PrintReadBack(&b, p, at)
			if got := b.String(); got != tc.want && !(strings.HasSuffix(tc.want, ":\n") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("read-back:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
}
