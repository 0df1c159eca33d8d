package planner

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// describePlan is a plan of the steps the describer's tests read from: step numbers 1 to 9.
func describePlan(t testing.TB) *plan.Plan {
	t.Helper()
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts"},
		{ID: "history", Command: "CheckEmailHistory", Args: map[string]any{"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T21:40:00Z"}},
		{ID: "rows", Command: "ReadTable", Args: map[string]any{"path": "orders.csv"}},
		{ID: "fetch", Command: "FetchURL", Args: map[string]any{"url": "https://example.com"}},
		{ID: "summarize", Command: "Summarize", Args: map[string]any{"text": "${steps.fetch.text}"}},
		{ID: "classify", Command: "Classify", Args: map[string]any{"text": "${steps.fetch.text}", "labels": []any{"urgent", "normal"}}},
		{ID: "send", Command: "SendEmail", Args: map[string]any{"to": "bob@example.com", "subject": "Hi", "body": "Hi"}},
		{ID: "reply", AwaitReply: &plan.AwaitReply{To: "${steps.send.message_id}", From: "bob@example.com", Within: "24h0m0s"}},
		{ID: "find", Command: "FindContact", Args: map[string]any{"name": "Ann"}},
	}}
	if err := plan.Validate(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDescribeSaysEachPartExactly: expressions the LLM planner may write, said in English part by part;
// the items are your contacts (as c) or the table's rows (as row) where the expression names them.
func TestDescribeSaysEachPartExactly(t *testing.T) {
	p := describePlan(t)
	const contacts, rows = "${steps.contacts.contacts}", "${steps.rows.rows}"
	for _, tc := range []struct{ items, as, expr, want string }{
		// Item fields compared with literals.
		{contacts, "c", `c.email == "ann@example.com"`, `the contact's email address is "ann@example.com"`},
		{contacts, "c", `c.email != 'ann@example.com'`, `the contact's email address is not "ann@example.com"`},
		{contacts, "c", `"ann@example.com" == c.email`, `the contact's email address is "ann@example.com"`},
		{contacts, "c", `c.email.lowerAscii().endsWith("@acme.com")`, `the contact's email address ends with "@acme.com" (ignoring case)`},
		{contacts, "c", `c.email.endsWith("@acme.com")`, `the contact's email address ends with "@acme.com"`},
		{contacts, "c", `c.name.startsWith("A")`, `the contact's name starts with "A"`},
		{contacts, "c", `c.name.lowerAscii().contains("smith")`, `the contact's name contains "smith" (ignoring case)`},
		{contacts, "c", `c.name.trim().contains("an")`, `the contact's name contains "an"`},
		{contacts, "c", `c.name.upperAscii() == "ANN"`, `the contact's name is "ANN" (ignoring case)`},
		{contacts, "c", `c.email.matches("^[a-z]+@acme[.]com$")`, `the contact's email address matches the regular expression "^[a-z]+@acme[.]com$"`},
		{contacts, "c", `c.name.trim() != ''`, `the contact's name is not blank`},
		{contacts, "c", `c.name == ''`, `the contact's name is empty`},
		{contacts, "c", `c.name.trim().split(' ')[0] == "Ann"`, `the contact's first name is "Ann"`},
		{contacts, "c", `c.name.trim().lowerAscii().split(' ')[0] != "dave"`, `the contact's first name is not "dave" (ignoring case)`},
		{contacts, "c", `c.name.trim().lowerAscii() == "ann lee"`, `the contact's name is "ann lee" (ignoring case and spaces around it)`},
		{contacts, "c", `c.source == "work.vcf"`, `the contact's source is "work.vcf"`},
		// Negation, and and or: De Morgan's laws for a negated join, brackets for a join inside another.
		{contacts, "c", `!c.email.endsWith("@acme.com")`, `the contact's email address does not end with "@acme.com"`},
		{contacts, "c", `!(c.name.startsWith("A") && c.name.endsWith("z"))`, `the contact's name does not start with "A" or the contact's name does not end with "z"`},
		{contacts, "c", `c.email.endsWith("@a.com") && (c.name.startsWith("A") || c.name.startsWith("B"))`, `the contact's email address ends with "@a.com" and (the contact's name starts with "A" or the contact's name starts with "B")`},
		{contacts, "c", `c.email.endsWith("@a.com") || c.email.endsWith("@b.com") || c.email.endsWith("@c.com")`, `the contact's email address ends with "@a.com" or the contact's email address ends with "@b.com" or the contact's email address ends with "@c.com"`},
		{contacts, "c", `!(c.name == "x" || !(c.name == "y"))`, `the contact's name is not "x" and the contact's name is "y"`},
		// in: a list of literals, a step's list (the email history).
		{contacts, "c", `c.email in ["a@x.com", "b@x.com"]`, `the contact's email address is one of "a@x.com" and "b@x.com"`},
		{contacts, "c", `!(c.email in ["a@x.com"])`, `the contact's email address is not "a@x.com"`},
		{contacts, "c", `c.email.lowerAscii() in ["a@x.com", "b@x.com"] && c.name != ""`, `(the contact's email address is one of "a@x.com" and "b@x.com" (ignoring case)) and the contact's name is not empty`},
		{contacts, "c", `!(c.email in steps.history.emailed)`, `the contact's email address is not one of the addresses you emailed (step 2)`},
		{contacts, "c", `c.email in steps.history.emailed`, `the contact's email address is one of the addresses you emailed (step 2)`},
		// Table rows: their columns, said by name; numbers.
		{rows, "row", `row.status.trim().lowerAscii() == "late"`, `the row's status is "late" (ignoring case and spaces around it)`},
		{rows, "row", `row["Order ID"] == "A-1"`, `the row's "Order ID" is "A-1"`},
		{rows, "row", `row.Status == "late"`, `the row's "Status" is "late"`},
		{rows, "row", `row.amount > 100`, `the row's amount is more than 100`},
		{rows, "row", `row.amount <= 2.5`, `the row's amount is at most 2.5`},
		{rows, "row", `!(row.amount >= 10)`, `the row's amount is less than 10`},
		{rows, "row", `5 < row.count`, `the row's count is more than 5`},
		{rows, "row", `timestamp(row.due) < now`, `the row's due (as a time) is before the time the program started`},
		// Step outputs: sizes, counts, texts, booleans, times.
		{"", "", `size(steps.contacts.contacts) > 10`, `the number of your contacts (step 1) is more than 10`},
		{"", "", `steps.contacts.count >= 3`, `the number of your contacts (step 1) is at least 3`},
		{"", "", `steps.contacts.contacts.size() == 0`, `the number of your contacts (step 1) is 0`},
		{"", "", `steps.fetch.status != 200`, `the page's HTTP status (step 4) is not 200`},
		{"", "", `steps.classify.label == "urgent"`, `the label (step 6) is "urgent"`},
		{"", "", `steps.summarize.summary.contains("outage")`, `the summary (step 5) contains "outage"`},
		{"", "", `size(steps.summarize.summary) < 500`, `the number of characters in the summary (step 5) is less than 500`},
		{"", "", `!steps.reply.replied`, `no reply came (step 8)`},
		{"", "", `steps.reply.replied && steps.classify.label == "urgent"`, `a reply came (step 8) and the label (step 6) is "urgent"`},
		{"", "", `steps.fetch.truncated`, `the page was cut (step 4)`},
		{"", "", `now > timestamp("2026-12-01T09:00:00Z")`, `the time the program started is after 09:00 on Tuesday 1 December 2026`},
		{"", "", `now - duration("168h") < timestamp("2026-11-20T00:00:00Z")`, `7 days before the time the program started is before Friday 20 November 2026`},
		{"", "", `steps.contacts.count + 1 > 2`, `the number of your contacts (step 1) plus 1 is more than 2`},
		{"", "", `steps.contacts.count - steps.rows.count + 1 > 2`, `the number of your contacts (step 1) minus the number of rows in the table (step 3) plus 1 is more than 2`},
		// The list macros, with their variable bound to one item.
		{"", "", `steps.contacts.contacts.all(c, c.name.trim() != '')`, `for each of your contacts (step 1), the contact's name is not blank`},
		{"", "", `!steps.contacts.contacts.all(c, c.name.trim() != '')`, `for at least one of your contacts (step 1), the contact's name is blank`},
		{"", "", `steps.contacts.contacts.exists(c, c.email.endsWith("@acme.com"))`, `for at least one of your contacts (step 1), the contact's email address ends with "@acme.com"`},
		{"", "", `!steps.contacts.contacts.exists(c, c.email.endsWith("@acme.com"))`, `for each of your contacts (step 1), the contact's email address does not end with "@acme.com"`},
		{"", "", `steps.contacts.contacts.exists_one(c, c.name == "Ann")`, `for exactly one of your contacts (step 1), the contact's name is "Ann"`},
		{"", "", `size(steps.contacts.contacts.filter(c, !(c.email in steps.history.emailed))) > 0`, `(the number of those of your contacts (step 1) where the contact's email address is not one of the addresses you emailed (step 2)) is more than 0`},
		{"", "", `steps.history.not_emailed.exists(x, x.email == "a@b.c") && steps.fetch.status == 200`, `(for at least one of the contacts you have not emailed (step 2), the contact's email address is "a@b.c") and the page's HTTP status (step 4) is 200`},
		{"", "", `steps.rows.rows.all(r, r.email.contains("@"))`, `for each of the table's rows (step 3), the row's email contains "@"`},
	} {
		got, ok := describeCondition(p, tc.expr, tc.items, tc.as, time.UTC)
		if !ok || got != tc.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tc.expr, got, ok, tc.want)
		}
	}
}

// TestDescribeLeavesWhatItCannotSayExactly: expressions of a part with no exact words stay as written.
func TestDescribeLeavesWhatItCannotSayExactly(t *testing.T) {
	p := describePlan(t)
	const contacts = "${steps.contacts.contacts}"
	for _, tc := range []struct{ items, as, expr, why string }{
		{contacts, "c", `c.email.lowerAscii().endsWith("@Acme.com")`, "a capital never matches a lower-cased text"},
		{contacts, "c", `c.name.lowerAscii() == "josé"`, "lowerAscii does not lower É: ignoring case would be wrong"},
		{contacts, "c", `c.name.trim() == " ann"`, "a space at the end never matches a trimmed text"},
		{contacts, "c", `c.name.lowerAscii().matches("^a")`, "a pattern may test case itself"},
		{contacts, "c", `c.name.split(' ')[0] == "Ann"`, "without trim the first word of \" Ann\" is empty"},
		{contacts, "c", `c.name.trim().split(',')[0] == "Ann"`, "another split"},
		{contacts, "c", `c.name < "m"`, "an order of texts"},
		{contacts, "c", `c.name.size() % 2 == 0`, "arithmetic it has no words for"},
		{contacts, "c", `c.phone == "1"`, "a contact has no phone"},
		{contacts, "c", `d.email == "a@b.c"`, "not the item"},
		{contacts, "c", `c.email == steps.nowhere.email`, "no such step"},
		{contacts, "c", `steps.contacts.contacts.all(d, d.name == c.name)`, "two names for a contact in one sentence"},
		{contacts, "c", `steps.contacts.contacts.all(c, c.name != "")`, "a macro's variable hiding the item"},
		{contacts, "c", `c.name == "a" ? true : false`, "a choice"},
		{contacts, "c", `has(c.name)`, "a test of presence"},
		{contacts, "c", `c.name.lowerAscii() == c.email.lowerAscii()`, "both sides changed"},
		{"", "", `steps.fetch.text.contains("down")`, "a page's text is stored content, not a text"},
		{"", "", `steps.fetch.text == "x"`, "a page's text is stored content, not a text"},
		{"", "", `size(steps.fetch.text) > 2`, "a page's text is stored content, not a text"},
		{"", "", `steps.contacts.contacts.map(c, c.email).size() > 1`, "map has no words"},
		{"", "", `true`, "a literal condition"},
		{"", "", `steps.contacts.count - (steps.rows.count + 1) > 0`, "a sum on the right reads as going on from the left"},
		{"", "", `now - duration("1h") - duration("2h") > now`, "a time moved twice"},
		{"", "", `now > steps.history.since`, "a timestamp compared with a text"},
		{"", "", `steps.contacts.contacts.exists_one(c, c.name == "Ann") == false`, "a condition compared with a literal"},
		{"", "", `!steps.contacts.contacts.exists_one(c, c.name == "Ann")`, "not exactly one has no short words"},
		{"", "", `(((`, "does not parse"},
		{"", "", ``, "empty"},
		{"", "", deeplyNested(20), "nested deeper than anyone reads"},
	} {
		if got, ok := describeCondition(p, tc.expr, tc.items, tc.as, time.UTC); ok {
			t.Errorf("%s: said %q; want it shown as written: %s", tc.expr, got, tc.why)
		}
	}
}

// deeplyNested is !(!(... && r) && r), n deep.
func deeplyNested(n int) string {
	e := "steps.reply.replied"
	for range n {
		e = "!(" + e + " && steps.reply.replied)"
	}
	return e
}

func TestReadBackValueSaysArgumentsInWords(t *testing.T) {
	p := describePlan(t)
	const contacts = "${steps.contacts.contacts}"
	for _, tc := range []struct {
		v         any
		items, as string
		want      string
	}{
		{"${steps.summarize.summary}", "", "", "the summary (step 5)"},
		{"${steps.send.message_id}", "", "", "its Message-ID (step 7)"},
		{"${steps.contacts.skipped_count}", "", "", "the skipped count of step 1"},
		{"Summary: ${steps.summarize.summary}", "", "", `"Summary: {the summary (step 5)}"`},
		{"Dear ${c.name.trim().split(' ')[0]}", contacts, "c", `"Dear {the contact's first name}"`},
		{"${c}", contacts, "c", "the contact"},
		{"${c.email}", contacts, "c", "the contact's email address"},
		{"${size(steps.contacts.contacts.filter(c, !(c.email in steps.history.emailed)))}", "", "", "the number of those of your contacts (step 1) where the contact's email address is not one of the addresses you emailed (step 2)"},
		{"${steps.contacts.contacts.all(c, c.name != '')}", "", "", "for each of your contacts (step 1), the contact's name is not empty"},
		{"${c.name.lowerAscii()}", contacts, "c", "the contact's name in lower case"},
		{"${(size(steps.contacts.contacts) > 5 ? steps.contacts.contacts.slice(0, 5) : steps.contacts.contacts)}", "", "", "the first 5 of your contacts (step 1)"},
		{"Hi ${steps.find.contact.name.trim().split(' ')[0]}", "", "", `"Hi {the first name of the contact (step 9)}"`},
		{"Hello", "", "", `"Hello"`},
		{"Price $${5}", "", "", `"Price ${5}"`},
		{3.0, "", "", "3"},
		{map[string]any{"name": "", "email": "bob@example.com"}, "", "", `{"email":"bob@example.com","name":""}`},
		// As written.
		{"${steps.contacts.contacts.map(c, c.email)}", "", "", `"${steps.contacts.contacts.map(c, c.email)}" (as written)`},
		{"Hi {x} ${steps.summarize.summary}", "", "", `"Hi {x} ${steps.summarize.summary}" (as written)`},
		{"Hi ${d.name}", contacts, "c", `"Hi ${d.name}" (as written)`},
		{"Hi ${c.name", contacts, "c", `"Hi ${c.name" (as written)`},
		{[]any{"${steps.summarize.summary}"}, "", "", `["${steps.summarize.summary}"] (as written)`},
	} {
		if got := ReadBackValue(p, tc.v, tc.items, tc.as, time.UTC); got != tc.want {
			t.Errorf("ReadBackValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestAReplyWaitNamesTheEmail: the email a reply wait is for, from its "to": the step before's, an
// earlier step's, or one named by its Message-ID.
func TestAReplyWaitNamesTheEmail(t *testing.T) {
	p := describePlan(t)
	for to, want := range map[string]string{
		"${steps.send.message_id}":  "that email",
		"${steps.fetch.title}":      `the email whose Message-ID is the page's title (step 4)`,
		"<abc@example.com>":         `the email whose Message-ID is "<abc@example.com>"`,
		"${ steps.send.message_id}": "that email",
	} {
		p.Steps[7].AwaitReply.To = to
		got, _ := ReadBackConstructIn(p, p.Steps[7], now)
		if w := "Wait up to a day for a reply from bob@example.com to " + want + "; a reply ends the wait."; got != w {
			t.Errorf("to %s: %q, want %q", to, got, w)
		}
	}
	p.Steps = append(p.Steps, plan.Step{ID: "later", AwaitReply: &plan.AwaitReply{To: "${steps.send.message_id}", From: "${steps.find.contact.email}", Within: "1h0m0s"}})
	if got, want := must(ReadBackConstructIn(p, p.Steps[9], now)), "Wait up to an hour for a reply from the email address of the contact (step 9) to the email of step 7; a reply ends the wait."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func must(s string, ok bool) string {
	if !ok {
		return "(no words)"
	}
	return s
}

// FuzzDescribe: the describer says any parsed expression in words or gives up, and never panics, with
// or without an item bound.
func FuzzDescribe(f *testing.F) {
	for _, seed := range []string{
		`c.email.lowerAscii().endsWith("@acme.com") && !(c.email in steps.history.emailed)`,
		`size(steps.contacts.contacts.filter(c, c.name.trim().split(' ')[0] == "x")) > 3`,
		`steps.contacts.contacts.all(c, c.name.trim() != '')`,
		`now - duration("24h") > timestamp(row.due)`,
		`row["Order ID"] in ["a", "b"]`,
		`!steps.reply.replied || steps.classify.label == "urgent"`,
		`[1, 2].exists(x, x > 1)`, `{"a": 1}.a == 1`, `c.name[0]`, `steps[0]`, `c.x.y.z.size()`,
		`(size(steps.contacts.contacts) > 10 ? steps.contacts.contacts.slice(0, 10) : steps.contacts.contacts)`,
	} {
		f.Add(seed)
	}
	p := describePlan(f)
	f.Fuzz(func(t *testing.T, expr string) {
		describeCondition(p, expr, "", "", time.UTC)
		describeCondition(p, expr, "${steps.contacts.contacts}", "c", time.UTC)
		describeCondition(p, expr, "${steps.rows.rows}", "row", time.UTC)
		ReadBackExpr(p, expr, "${steps.contacts.contacts}", "c", time.UTC)
		ReadBackValue(p, "${"+expr+"}", "", "", time.UTC)
		ReadBackSelection(p, "${steps.contacts.contacts}", "c", expr, fixedTimes{})
		ReadBackSelection(p, "${"+expr+"}", "c", "", fixedTimes{})
		ReadBackCondition(p, expr, time.UTC)
	})
}
