package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// lastSentTo evaluates the last email step of a program as the interpreter does, over exceptContacts,
// with every email history step saying exceptEmailed: the addresses it sends to.
func lastSentTo(t *testing.T, program string) []string {
	t.Helper()
	p := mustPlan(t, &Rules{}, program, now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]any{"contacts": map[string]any{"contacts": exceptContacts}}
	send := ""
	for _, s := range p.Steps {
		if strings.HasPrefix(s.ID, stepHistory) {
			steps[s.ID] = map[string]any{"emailed": exceptEmailed}
		}
		if strings.HasPrefix(s.ID, stepSend) {
			send = s.ID
		}
	}
	items, err := c.Items(send, plan.Scope{Now: now, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, it := range items {
		ok, err := c.Condition(send, plan.Scope{Now: now, Steps: steps, ItemName: "contact", Item: it})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			to = append(to, it.(map[string]any)["email"].(string))
		}
	}
	return to
}

// TestAConditionAfterAListBeforeIsKept: a condition on whom you have emailed after "them", "those
// contacts", a named list or "again" chooses among that list, as the direct form does, on every path
// the builder takes for them. carol@acme.com is emailed, bob@acme.com is not.
func TestAConditionAfterAListBeforeIsKept(t *testing.T) {
	notEmailed, emailed := []string{"bob@acme.com"}, []string{"carol@acme.com"}
	tests := []struct {
		program string
		want    []string
	}{
		// The direct form, for comparison.
		{"Send 'Hi' to my contacts at acme.com who I haven't emailed this week", notEmailed},
		// "those contacts" and "them" after a list a question made.
		{"List my contacts at acme.com. Send 'Hi' to those contacts who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to those contacts, who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to them who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to them if I haven't emailed them this week.", notEmailed},
		{"List my contacts at acme.com. If I haven't emailed them this week, send them 'Hi'.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to those contacts who I emailed today.", emailed},
		{"Which of my contacts are at acme.com? Email them unless I emailed them this week saying 'Hi'", notEmailed},
		// A named list.
		{"List my contacts at acme.com and call them the acme people. Send 'Hi' to the acme people who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com and call them the acme people. Send 'Hi' to the acme people if I emailed them today.", emailed},
		{"List my contacts at acme.com and call them the acme people. Unless I emailed them today, send 'Hi' to the acme people.", notEmailed},
		// "them" after an email to a list.
		{"Send 'Hi' to my contacts at acme.com. Send 'Bye' to them if I haven't emailed them today.", notEmailed},
		{"Send 'Hi' to my contacts at acme.com. If I haven't emailed them this month, send them 'Bye'.", notEmailed},
		{"Send 'Hi' to my contacts who I haven't emailed this week. Send 'Bye' to them who I emailed today.", nil},
		// "again".
		{"Send 'Hi' to my contacts at acme.com. Send it again if I haven't emailed them today", notEmailed},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			if got := lastSentTo(t, tt.program); !slices.Equal(got, tt.want) {
				t.Errorf("sent to %v, want %v", got, tt.want)
			}
			p := mustPlan(t, &Rules{}, tt.program, now)
			assertValid(t, p)
			if send := p.Steps[len(p.Steps)-1]; !strings.Contains(send.Description, "emailed since") {
				t.Errorf("the email's description %q does not say the condition", send.Description)
			}
		})
	}
}

// TestAConditionAfterAListBeforeIsRefusedWhereItCannotApply: the condition is refused, quoted, where it
// cannot choose among the list: addresses written in the program, or one recipient named in it.
func TestAConditionAfterAListBeforeIsRefusedWhereItCannotApply(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Send 'Hi' to ann@example.com and bob@example.com. Send 'Bye' to them if I haven't emailed them today.", "if I haven't emailed them today", "works only with your contacts"},
		{"List my contacts at acme.com. Send 'Hi' to them if I haven't emailed bob@example.com today.", "if I haven't emailed bob@example.com today", "the condition names one recipient"},
		{"Send 'Hi' to bob@example.com. Send it again if I haven't emailed ann@example.com today", "if I haven't emailed ann@example.com today", "an email sent again goes to the recipients before"},
		{"Send 'Hi' to bob@example.com. Send it again to him who I haven't emailed today", "who I haven't emailed today", "it chooses among contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			nu := refusal(t, tt.program)
			if nu.Part != tt.part || !strings.Contains(nu.Error(), tt.why) {
				t.Errorf("refusal %q, want the part %q and %q", nu.Error(), tt.part, tt.why)
			}
		})
	}
}
