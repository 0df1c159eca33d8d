package plan_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// sizePlan is a plan whose send step's body and history step's contacts are the expressions under test.
func sizePlan(tb testing.TB, body, contacts string) *plan.Compiled {
	tb.Helper()
	doc := map[string]any{
		"version": 1,
		"program": "size test",
		"steps": []any{
			map[string]any{"id": "contacts", "command": "RetrieveContacts"},
			map[string]any{"id": "compose", "command": "ComposeEmail", "args": map[string]any{"body": "x"}},
			map[string]any{"id": "history", "command": "CheckEmailHistory", "args": map[string]any{
				"contacts": contacts, "since": "2026-11-23T00:00:00Z",
			}},
			map[string]any{"id": "send", "command": "SendEmail", "args": map[string]any{
				"to": "${contact}", "subject": "s", "body": body,
			}, "for_each": map[string]any{"items": "${steps.contacts.contacts}", "as": "contact"}},
		},
	}
	return compileDoc(tb, doc)
}

// sizeScope is the scope with a 100 KB body and n contacts.
func sizeScope(n int) plan.Scope {
	contacts := make([]any, n)
	for i := range contacts {
		contacts[i] = map[string]any{"name": fmt.Sprintf("C%d", i), "email": fmt.Sprintf("c%d@example.com", i)}
	}
	return plan.Scope{
		Steps: map[string]any{
			"contacts": map[string]any{"contacts": contacts, "count": float64(n)},
			"compose":  map[string]any{"subject": "s", "body": strings.Repeat("A", 100_000)},
		},
		ItemName: "contact",
		Item:     contacts[0],
	}
}

// TestExpressionSizeLimits is the attack of issue 14: a 100 KB body joined with itself 200 times passed
// the cost limit and made every workflow task too large for Temporal. Each way of joining it must now fail
// the step with an error naming the step and the limit, while it is being built.
func TestExpressionSizeLimits(t *testing.T) {
	const ref = "${steps.compose.body}"
	for _, tc := range []struct {
		name, body, contacts, step, arg, want string
	}{
		{name: "TemplateOf200Bodies", body: strings.Repeat(ref, 200), step: "send", arg: "body", want: "more than the 256 KiB"},
		{name: "ConcatenatedBodies", body: "${steps.compose.body + steps.compose.body + steps.compose.body}", step: "send", arg: "body", want: "more than the 256 KiB"},
		{name: "ListOfBodies", contacts: "${steps.contacts.contacts.map(c, {'name': steps.compose.body, 'email': c.email})}", step: "history", arg: "contacts", want: "larger than 2 MiB"},
		{name: "LiteralListOfBodies", contacts: "[" + strings.TrimSuffix(strings.Repeat(`{"email": "a@example.com", "name": "`+ref+`"},`, 30), ",") + "]", step: "history", arg: "contacts", want: "larger than 2 MiB"},
	} {
		t.Run("Refuses"+tc.name, func(t *testing.T) {
			body, contacts := "${steps.compose.body}", "${steps.contacts.contacts}"
			if tc.body != "" {
				body = tc.body
			}
			var literal []any
			if strings.HasPrefix(tc.contacts, "[") {
				if err := json.Unmarshal([]byte(tc.contacts), &literal); err != nil {
					t.Fatal(err)
				}
			} else if tc.contacts != "" {
				contacts = tc.contacts
			}
			c := sizePlan(t, body, contacts)
			if literal != nil {
				c = sizePlanWithLiteral(t, literal)
			}
			args, err := c.Args(tc.step, sizeScope(50))
			if err == nil {
				b, _ := json.Marshal(args)
				t.Fatalf("Args built %d bytes of arguments without an error", len(b))
			}
			for _, want := range []string{fmt.Sprintf("step %q: args.%s", tc.step, tc.arg), tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if len(err.Error()) > 400 {
				t.Errorf("the error is %d characters long; it must quote only a short prefix", len(err.Error()))
			}
		})
	}

	t.Run("KeepsValuesWithinTheLimits", func(t *testing.T) {
		c := sizePlan(t, "Dear ${contact.name}, "+ref, "${steps.contacts.contacts}")
		// 10,000 contacts, as `make bench` runs: about 0.5 MB, within a payload.
		scope := sizeScope(10_000)
		if _, err := c.Args("history", scope); err != nil {
			t.Fatalf("the contacts list: %v", err)
		}
		args, err := c.Args("send", scope)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(args["body"].(string)); got != len("Dear C0, ")+100_000 {
			t.Fatalf("body has %d bytes", got)
		}
		if _, err := c.Items("send", scope); err != nil {
			t.Fatalf("for_each items: %v", err)
		}
	})
}

// sizePlanWithLiteral is sizePlan with a literal JSON list (holding expressions) as the history's contacts.
func sizePlanWithLiteral(tb testing.TB, contacts []any) *plan.Compiled {
	tb.Helper()
	doc := map[string]any{
		"version": 1,
		"program": "size test",
		"steps": []any{
			map[string]any{"id": "compose", "command": "ComposeEmail", "args": map[string]any{"body": "x"}},
			map[string]any{"id": "history", "command": "CheckEmailHistory", "args": map[string]any{
				"contacts": contacts, "since": "2026-11-23T00:00:00Z",
			}},
		},
	}
	return compileDoc(tb, doc)
}

// compileDoc is the plan document doc (JSON's maps and lists), parsed and compiled.
func compileDoc(tb testing.TB, doc map[string]any) *plan.Compiled {
	tb.Helper()
	src, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := parseAndCompile(string(src))
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	return c
}
