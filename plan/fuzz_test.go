package plan_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// FuzzParseCompile feeds Parse and Compile arbitrary documents, seeded with the plans in testdata. Neither
// may panic; every error must be a *plan.Error; a compiled plan must be ordered, survive a JSON round trip
// and evaluate (perhaps with errors) in an empty scope without panicking.
func FuzzParseCompile(f *testing.F) {
	files, err := filepath.Glob("testdata/*.plan.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed plans in testdata: %v", err)
	}
	for _, file := range files {
		f.Add([]byte(readFile(f, file)))
	}
	for _, seed := range []string{
		``,
		`{}`,
		`{"version": 1, "steps": [{"id": "a", "command": "ComposeEmail", "args": {"body": "${steps.a.body}"}}]}`,
		`{"version": 1, "steps": [{"id": "a", "command": "ComposeEmail", "args": {"body": "$${x} ${'}'} ${"}}]}`,
		`{"version": 1, "steps": [{"id": "a", "command": "SendEmail", "for_each": {"items": "${[1]}", "as": "x"}, "if": "x.y",
			"args": {"to": {"email": "${x.email}"}, "subject": ["${x}"], "body": 1e400}}]}`,
		`{"version": 1, "steps": [{"id": "a", "command": "RetrieveContacts", "depends_on": ["b"]}, {"id": "b", "command": "RetrieveContacts", "depends_on": ["a"]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Parse(data)
		if err != nil {
			requirePlanError(t, "Parse", err)
			return
		}
		c, err := plan.Compile(p)
		if err != nil {
			requirePlanError(t, "Compile", err)
			return
		}
		checkOrder(t, c)

		// What Compile accepted must come back the same through JSON, as it does through Temporal.
		b, err := json.Marshal(c.Plan)
		if err != nil {
			t.Fatalf("a compiled plan does not encode as JSON: %v", err)
		}
		p2, err := plan.Parse(b)
		if err != nil {
			t.Fatalf("Parse of an encoded compiled plan: %v\n%s", err, b)
		}
		c2, err := plan.Compile(p2)
		if err != nil {
			t.Fatalf("Compile of an encoded compiled plan: %v\n%s", err, b)
		}
		if !slices.Equal(c2.Order, c.Order) {
			t.Fatalf("Order after a JSON round trip = %q, want %q", c2.Order, c.Order)
		}

		for _, id := range c.Order {
			scope := plan.Scope{}
			if fe := c.Step(id).ForEach; fe != nil {
				_, _ = c.Items(id, scope)
				scope.ItemName = fe.As
			}
			_, _ = c.Condition(id, scope)
			_, _ = c.Args(id, scope)
		}
	})
}

// requirePlanError fails unless err is a *plan.Error, the one kind of error Parse and Compile return.
func requirePlanError(tb testing.TB, what string, err error) {
	tb.Helper()
	var perr *plan.Error
	if !errors.As(err, &perr) {
		tb.Fatalf("%s returned %T %q, want a *plan.Error", what, err, err)
	}
}

// FuzzExpressions puts arbitrary text where the hello-world plan's send step has expressions (the body,
// the condition and the for_each list), so that the fuzzer spends its time in expressions rather than in
// JSON syntax. Compiling and evaluating must not panic, and errors must name the step.
func FuzzExpressions(f *testing.F) {
	f.Add("${steps.compose.body}", "!(contact.email in steps.history.emailed)", "${steps.contacts.contacts}")
	f.Add("Hi ${contact.name}, $${x} ${'}'}", "contact.name == 'Bob'", "${[{'email': 'a@b.co'}]}")
	f.Add("${string(now)} ${steps.contacts.count + 1}", "now > timestamp('2020-01-01T00:00:00Z')", "${steps.contacts.contacts.map(c, c)}")
	f.Add("${ {'a': [1, 2.5, null]} }", "has(contact.email)", "${steps['contacts'].contacts}")
	hello := readFile(f, helloWorld)
	f.Fuzz(func(t *testing.T, body, cond, items string) {
		quote := func(s string) string {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		src := edit(t, hello,
			`"body": "${steps.compose.body}"`, `"body": `+quote(body),
			`"if": "!(contact.email in steps.history.emailed)"`, `"if": `+quote(cond),
			`"items": "${steps.contacts.contacts}"`, `"items": `+quote(items),
		)
		c, err := parseAndCompile(src)
		if err != nil {
			requirePlanError(t, "Compile", err)
			return
		}
		checkOrder(t, c)
		scope := helloScope(t, "", nil)
		list, err := c.Items("send", scope)
		if err != nil {
			requireStepError(t, err)
			list = []any{bob}
		}
		for _, item := range list[:min(len(list), 3)] {
			scope.Item = item
			if _, err := c.Condition("send", scope); err != nil {
				requireStepError(t, err)
			}
			if _, err := c.Args("send", scope); err != nil {
				requireStepError(t, err)
			}
		}
	})
}

// requireStepError fails unless an evaluation error names the step.
func requireStepError(tb testing.TB, err error) {
	tb.Helper()
	if got, want := err.Error(), `step "send": `; !strings.HasPrefix(got, want) {
		tb.Fatalf("error = %q, want it to start with %q", got, want)
	}
}
