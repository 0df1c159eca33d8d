package planner

import (
	"slices"
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
		// A letter outside ASCII is compared as written: the contact's name is lowered only in ASCII.
		{"Send 'Hi' to my contacts named 'Émile Zola'", []string{"emile@example.com"}},
		{"Send 'Hi' to my contacts named Émile", []string{"emile@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			if got := sentTo(t, tt.program, people...); !slices.Equal(got, tt.want) {
				t.Fatalf("sent to %q, want %q", got, tt.want)
			}
		})
	}
}
