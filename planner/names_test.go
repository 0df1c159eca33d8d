package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// sentTo evaluates the send step's condition of a program over contacts, as the interpreter does, and
// returns the addresses the email goes to.
func sentTo(t *testing.T, program string, contacts ...map[string]any) []string {
	t.Helper()
	c, err := plan.Compile(mustPlan(t, &Rules{}, program, now))
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, len(contacts))
	for i, ct := range contacts {
		list[i] = ct
	}
	out := map[string]any{"contacts": map[string]any{"contacts": list}}
	var to []string
	for _, ct := range list {
		ok, err := c.Condition("send", plan.Scope{Now: now, Steps: out, ItemName: "contact", Item: ct})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			to = append(to, ct.(map[string]any)["email"].(string))
		}
	}
	return to
}

func contact(name, email string) map[string]any { return map[string]any{"name": name, "email": email} }

func TestAQuotedNameChoosesTheContactsOfThatName(t *testing.T) {
	people := []map[string]any{
		contact("Ann Lee", "ann@example.com"),
		contact("Ann Smith", "anns@example.com"),
		contact(" ann lee ", "ann2@example.com"),
		contact("Will Today", "will@example.com"),
		contact(`Jo "JJ" O'Brien`, "jo@example.com"),
		contact("Émile Zola", "emile@example.com"),
	}
	tests := []struct {
		program string
		want    []string
	}{
		// The full name, whatever its words: a grammar word ("today") or quotes in it.
		{"Send 'Hi' to my contacts named 'Ann Lee'", []string{"ann@example.com", "ann2@example.com"}},
		{`Send 'Hi' to my contacts called "Will Today"`, []string{"will@example.com"}},
		{`Send 'Hi' to my contacts named 'Jo "JJ" O'Brien'`, []string{"jo@example.com"}},
		// One word in quotes is the full or the first name, as without quotes.
		{`Send 'Hi' to my contacts named "Ann"`, []string{"ann@example.com", "anns@example.com", "ann2@example.com"}},
		{"Send 'Hi' to my contacts named Ann", []string{"ann@example.com", "anns@example.com", "ann2@example.com"}},
		{"Send 'Hi' to my contacts whose name is 'Ann Smith'", []string{"anns@example.com"}},
		// A name with a capital outside A to Z is refused: TestCaseOutsideAToZIsRefused.
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			if got := sentTo(t, tt.program, people...); !slices.Equal(got, tt.want) {
				t.Fatalf("sent to %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAQuotedNameBeforeAnotherQuotationIsRefused(t *testing.T) {
	for program, part := range map[string]string{
		"Send my contacts named 'Ann' and 'Bob'": "named 'Ann' and 'Bob'",
		"Email my contacts named 'Ann', 'Bob'":   "named 'Ann', 'Bob'",
		"Send my contacts named 'Ann' or 'Bob'":  "named 'Ann' or 'Bob'",
		"Send my contacts named Ann and 'Bob'":   "named Ann and 'Bob'",
	} {
		t.Run(program, func(t *testing.T) {
			nu := refusal(t, program)
			if nu.Part != part || !strings.Contains(nu.Error(), "could be a second name or the message") {
				t.Errorf("refused quoting %q, want %q and that the quotation could be a name or the message: %v", nu.Part, part, nu)
			}
		})
	}
	nu := refusal(t, "Send my contacts except Ann and 'Bob'")
	if nu.Part != "except Ann and 'Bob'" || !strings.Contains(nu.Error(), "could be another one to leave out or the message") {
		t.Errorf("refused quoting %q: %v", nu.Part, nu)
	}
	// One quotation after the name is the message, as after any recipients.
	samePlan(t, "Send my contacts named 'Ann' 'Hi'", "Send 'Hi' to my contacts named Ann")
}

func TestQuestionsWithWhichPlanAsTheirLists(t *testing.T) {
	for question, list := range map[string]string{
		"Which of my contacts haven't I emailed this week?":              "List my contacts who I haven't emailed this week",
		"Which contacts did I email last week?":                          "List the contacts I emailed last week",
		"Which of my contacts at acme.com haven't I emailed this month?": "List my contacts at acme.com who I haven't emailed this month",
		"Who haven't I emailed this month?":                              "List my contacts who I haven't emailed this month",
		"Who are my contacts at acme.com?":                               "List my contacts at acme.com",
		"Which of my contacts are at acme.com?":                          "List my contacts at acme.com",
		"Which contacts are at acme.com or acme.org?":                    "List my contacts at acme.com or acme.org",
		"How many of my contacts are at acme.com?":                       "How many of my contacts at acme.com are there?",
	} {
		t.Run(question, func(t *testing.T) {
			samePlan(t, question, list)
		})
	}
	for program, part := range map[string]string{
		// "are at" after another filter would make the domains' "or" an "and": refused, not guessed.
		"Which of my contacts at acme.com are at acme.org?":                 "are at acme.org",
		"Which of my contacts are at acme.com haven't I emailed this week?": "are at acme.com haven't I emailed this week",
		"How many of my contacts haven't I emailed this year?":              "this year",
		"Which files are big?":              "Which files",
		"Which contacts haven't I emailed?": "haven't I emailed",
	} {
		t.Run(program, func(t *testing.T) {
			if nu := refusal(t, program); nu.Part != part {
				t.Errorf("Part = %q, want %q: %v", nu.Part, part, nu)
			}
		})
	}
}

func TestGetStatementsNameTheirRecipientsFirst(t *testing.T) {
	for get, send := range map[string]string{
		"My contact Ann gets 'Hi'":                                                             "Send 'Hi' to my contact Ann",
		"My contact Ann Lee should get 'Hi'":                                                   "Send 'Hi' to my contact Ann Lee",
		"My contact Will will get 'Hi'":                                                        "Send 'Hi' to my contact Will",
		"alice@example.com gets 'Hi'":                                                          "Send 'Hi' to alice@example.com",
		"alice@example.com and bob@example.com get 'Hi'":                                       "Send 'Hi' to alice@example.com and bob@example.com",
		"My contacts named Will get 'Hi'":                                                      "Send 'Hi' to my contacts named Will",
		"Everyone in my contacts at acme.com receives 'Hi'":                                    "Send 'Hi' to my contacts at acme.com",
		"List my contacts at acme.com and call them the acme people. The acme people get 'Hi'": "List my contacts at acme.com and call them the acme people. Send 'Hi' to the acme people",
	} {
		t.Run(get, func(t *testing.T) {
			samePlan(t, get, send)
		})
	}
	for program, want := range map[string][2]string{
		// A bare name is not a contact: refused as in "Send 'Hi' to Ann" (eval 206, 213).
		"Ann and Bob get 'Hi'":                    {"Ann", "Ann is not an address or a list of contacts; for your contact, write my contact Ann"},
		"Bob gets 'Hi'":                           {"Bob", "for your contact, write my contact Bob"},
		"Ann Lee should get 'Hi'":                 {"Ann Lee", "write my contact Ann Lee"},
		"Ann, Bob and carol@example.com get 'Hi'": {"Ann", "write my contact Ann"},
		// A get verb later in a statement of another form does not make its first word a name.
		"Reply 'Thanks' to everyone who gets 'X'": {"Reply", `does not know the verb "Reply"`},
		"Everyone gets 'Hi'":                      {"Everyone", "say who gets it"},
		"Them get 'Hi'":                           {"Them", "say who gets it"},
		"My contact Ann who I haven't emailed this week gets 'Hi'":    {"who I haven't emailed this week", "a condition on one contact goes first"},
		"alice@example.com who I haven't emailed this week gets 'Hi'": {"who I haven't emailed this week", "works only with your contacts"},
	} {
		t.Run(program, func(t *testing.T) {
			nu := refusal(t, program)
			if nu.Part != want[0] || !strings.Contains(nu.Error(), want[1]) {
				t.Errorf("refused quoting %q, want %q and the reason %q: %v", nu.Part, want[0], want[1], nu)
			}
		})
	}
}
