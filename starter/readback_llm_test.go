package starter_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
)

// llmPlan plans a program through the LLM planner, whose fake OpenAI-compatible server answers with
// answer: the plan as the model wrote it, its time phrases resolved and validated.
func llmPlan(t *testing.T, answer string) []string {
	t.Helper()
	f := testenv.NewFakeModel(t, testenv.ChatAnswer(answer))
	client := planner.NewClient(planner.LLMConfig{APIKey: "sk-test", BaseURL: f.URL, Model: "gpt-4o-mini", Timeout: 10 * time.Second})
	p, _, err := (&planner.LLM{Client: client, Model: "gpt-4o-mini", Location: time.UTC}).Plan(context.Background(), "a program", now, true)
	if err != nil {
		t.Fatal(err)
	}
	return starter.ReadBack(p, now)
}

// rawCEL is what a read-back must not show where it has words: an expression, or CEL's operators
// and functions.
var rawCEL = regexp.MustCompile(`\$\{|&&|\|\||==|!=|\.lowerAscii|\.endsWith|\.all\(|\bsteps\.|\(as written\)|Run [A-Z]`)

// TestReadBackSaysTheLLMPlannersShapesInWords: plans in the shapes the LLM planner writes (its prompt's
// examples and the fake server tests' answers, planner/llm*_test.go) read back in words, with no
// expression or CEL operator left, and nothing taken from the model's descriptions, labels or errors
// where the plan's expressions say what runs.
func TestReadBackSaysTheLLMPlannersShapesInWords(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		want         []string
	}{
		{"AFilterWithAnException",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "compose", "command": "ComposeEmail", "args": {"body": "Office closed on Friday"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${contact}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"}, "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}, "if": "contact.email.lowerAscii().endsWith(\"@acme.com\") && contact.name.trim().lowerAscii().split(' ')[0] != \"dave\"", "skip_reason": "not one of your contacts at acme.com except Dave"}]}`,
			[]string{
				"Get your contacts.",
				`Write the message "Office closed on Friday".`,
				`Send it to each of your contacts where the contact's email address ends with "@acme.com" (ignoring case) and the contact's first name is not "dave" (ignoring case).`,
			}},
		{"APlaceholderWithTheModelsCheck",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "check", "command": "", "check": {"that": "steps.contacts.contacts.all(contact, contact.name.trim() != '')", "error": "a contact has no name"}}, {"id": "send", "command": "SendEmail", "depends_on": ["check"], "args": {"to": "${contact}", "subject": "Dear ${contact.name.trim().split(' ')[0]}", "body": "Dear ${contact.name.trim().split(' ')[0]}"}, "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}, "if": "contact.email.endsWith('@acme.com')", "skip_reason": "not at acme.com"}]}`,
			[]string{
				"Get your contacts.",
				// The check says its condition, not the model's error as if it were the condition.
				`Check that for each of your contacts (step 1), the contact's name is not blank; if not, stop before the steps after it with the error "a contact has no name".`,
				`Send "Dear {first name}" (each contact's first name filled in) to each of your contacts where the contact's email address ends with "@acme.com".`,
			}},
		{"AnAnswerWithTheModelsLabel",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "start of this week", "until": "now"}}, {"id": "answer", "command": "", "answer": {"value": "${size(steps.contacts.contacts.filter(contact, !(contact.email in steps.history.emailed)))}", "kind": "number", "label": "how many"}}]}`,
			[]string{
				"Get your contacts.",
				"Find which of them you have emailed since Monday 23 November.",
				"Answer with the number of your contacts you have not emailed since Monday 23 November.",
			}},
		{"AnAwaitReply",
			`{"version": 1, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Are you coming?", "body": "Are you coming?"}}, {"id": "reply", "command": "", "depends_on": ["send"], "await_reply": {"to": "${steps.send.message_id}", "from": "bob@example.com", "within": "24h0m0s"}}, {"id": "again", "command": "SendEmail", "depends_on": ["reply"], "if": "!steps.reply.replied", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Are you coming?", "body": "Are you coming?"}}]}`,
			[]string{
				`Send "Are you coming?" to bob@example.com.`,
				"Wait up to a day for a reply from bob@example.com to that email; a reply ends the wait.",
				`If bob@example.com has not replied by then, send "Are you coming?" to bob@example.com again.`,
			}},
		{"ADocumentSummarizedAndEmailed",
			`{"version": 1, "steps": [{"id": "read", "command": "ReadDocument", "args": {"path": "meeting-notes.md"}}, {"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}, {"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "kim@example.org"}, "subject": "Summary of meeting-notes.md", "body": "${steps.summarize.summary}"}}]}`,
			[]string{
				"Read the document meeting-notes.md.",
				"Summarize the document's text (step 1), on the worker with no model: nothing is sent anywhere.",
				`Send the summary (step 2) with the subject "Summary of meeting-notes.md" to kim@example.org.`,
			}},
		{"AConditionOnAStepsOutput",
			`{"version": 1, "steps": [{"id": "read", "command": "ReadDocument", "args": {"path": "notes.md"}}, {"id": "classify", "command": "Classify", "args": {"text": "${steps.read.text}", "labels": ["urgent", "normal"]}}, {"id": "send", "command": "SendEmail", "if": "steps.classify.label == 'urgent' || steps.classify.label == 'high'", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Urgent", "body": "Urgent"}}]}`,
			[]string{
				"Read the document notes.md.",
				`Classify the document's text (step 1) as "urgent" or "normal", on the worker with no model: nothing is sent anywhere.`,
				`Send "Urgent" to bob@example.com, only if the label (step 2) is "urgent" or the label (step 2) is "high".`,
			}},
		{"ARowsColumnsAndAStepsOutputInAText",
			`{"version": 1, "steps": [{"id": "rows", "command": "ReadTable", "args": {"path": "orders.csv"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${row.email}", "subject": "Order ${row.order}", "body": "Your order ${row.order} is late"}, "for_each": {"items": "${steps.rows.rows.filter(row, row.status == 'late')}", "as": "row"}}]}`,
			[]string{
				`Read the rows of orders.csv.`,
				`Send "Your order {order} is late" (each row's order filled in) with the subject "Order {order}" (each row's order filled in) to the address in the email column of each row of step 1 where the row's status is "late".`,
			}},
		{"StepsOutputsInTexts",
			`{"version": 1, "steps": [{"id": "read", "command": "ReadDocument", "args": {"path": "notes.md"}}, {"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}, {"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "kim@example.org"}, "subject": "Notes of ${steps.read.title}", "body": "Summary: ${steps.summarize.summary}"}}, {"id": "save", "command": "WriteFile", "args": {"path": "summary.md", "text": "# Summary\n${steps.summarize.summary}"}}]}`,
			[]string{
				"Read the document notes.md.",
				"Summarize the document's text (step 1), on the worker with no model: nothing is sent anywhere.",
				`Send "Summary: {the summary (step 2)}" with the subject "Notes of {the document's title (step 1)}" to kim@example.org.`,
				`Write "# Summary\n{the summary (step 2)}" to the file summary.md.`,
			}},
		{"TheContactsNotEmailed",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "7 days ago", "until": "now"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${contact}", "subject": "Hi", "body": "Hi ${contact.name}"}, "for_each": {"items": "${steps.history.not_emailed}", "as": "contact"}}]}`,
			[]string{
				"Get your contacts.",
				"Find which of them you have emailed since 21:40 on Wednesday 18 November.",
				`Send "Hi {the contact's name}" with the subject "Hi" to each of the contacts you have not emailed (step 2).`,
			}},
		{"AReplyFromAContactFound",
			`{"version": 1, "steps": [{"id": "find", "command": "FindContact", "args": {"name": "Ann"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${steps.find.contact}", "subject": "Hi", "body": "Hi"}}, {"id": "reply", "command": "", "await_reply": {"to": "${steps.send.message_id}", "from": "${steps.find.contact.email}", "within": "2h0m0s"}}, {"id": "again", "command": "SendEmail", "if": "!steps.reply.replied", "args": {"to": "${steps.find.contact}", "subject": "Hi?", "body": "Hi?"}}]}`,
			[]string{
				`Find your contact "Ann"; ask you which address if several contacts or none have the name.`,
				`Send "Hi" to the contact of step 1.`,
				"Wait up to 2 hours for a reply from the email address of the contact (step 1) to that email; a reply ends the wait.",
				`Send "Hi?" to the contact of step 1, only if no reply has come during the wait of step 3.`,
			}},
		{"TheLinesOfAFile",
			`{"version": 1, "steps": [{"id": "lines", "command": "ReadLines", "args": {"path": "emails.txt"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${line}", "subject": "Hi", "body": "Hi"}, "for_each": {"items": "${steps.lines.lines}", "as": "line"}, "if": "line.contains('@')"}]}`,
			[]string{
				"Read the lines of emails.txt that are not blank.",
				`Send "Hi" to each of the document's lines where the line contains "@".`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := llmPlan(t, tc.answer)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("read-back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for i, s := range got {
				if m := rawCEL.FindString(s); m != "" {
					t.Errorf("step %d shows %q as written: %s", i+1, m, s)
				}
			}
		})
	}
}
