package plan_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// helloOutputs are the outputs of the hello-world plan's first steps, as the workflow holds them: decoded
// from JSON, so numbers are float64, lists []any and objects map[string]any.
const helloOutputs = `{
  "contacts": {
    "contacts": [
      {"name": "Ann", "email": "ann@example.com", "source": "contacts.vcf:1"},
      {"name": "Bob", "email": "bob@example.com", "source": "contacts.vcf:6"}
    ],
    "count": 2
  },
  "history": {
    "emailed": ["ann@example.com"],
    "not_emailed": [{"name": "Bob", "email": "bob@example.com", "source": "contacts.vcf:6"}],
    "since": "2026-11-23T00:00:00Z",
    "until": "2026-11-25T21:40:00Z"
  },
  "compose": {"subject": "Hello World!", "body": "Hello World!"}
}`

// programStart is the `now` of the tests' programs.
var programStart = time.Date(2026, 11, 25, 21, 40, 0, 0, time.UTC)

// decodeJSON decodes JSON text as the workflow decodes activity outputs.
func decodeJSON(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// helloScope is the scope of the hello-world plan's send step for one contact: the outputs of the steps
// before it (helloOutputs unless outputs is given) and the contact as the item.
func helloScope(tb testing.TB, outputs string, contact any) plan.Scope {
	tb.Helper()
	if outputs == "" {
		outputs = helloOutputs
	}
	return plan.Scope{
		Steps:    decodeJSON(tb, outputs).(map[string]any),
		Now:      programStart,
		ItemName: "contact",
		Item:     contact,
	}
}

var (
	ann = map[string]any{"name": "Ann", "email": "ann@example.com", "source": "contacts.vcf:1"}
	bob = map[string]any{"name": "Bob", "email": "bob@example.com", "source": "contacts.vcf:6"}
)

func TestEvaluateHelloWorld(t *testing.T) {
	c := mustCompile(t, readFile(t, helloWorld))

	t.Run("ItemsAreTheContacts", func(t *testing.T) {
		items, err := c.Items("send", helloScope(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := items, []any{ann, bob}; !reflect.DeepEqual(got, want) {
			t.Errorf("Items = %#v, want %#v", got, want)
		}
	})

	t.Run("ConditionSkipsContactsAlreadyEmailed", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			contact any
			want    bool
		}{
			{name: "Emailed", contact: ann, want: false},
			{name: "NotEmailed", contact: bob, want: true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := c.Condition("send", helloScope(t, "", tt.contact))
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("Condition = %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("ConditionOfStepWithoutIfIsTrue", func(t *testing.T) {
		got, err := c.Condition("compose", helloScope(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		if !got {
			t.Error("Condition = false, want true")
		}
	})

	t.Run("ArgsOfSendAreTheContactAndTheMessage", func(t *testing.T) {
		got, err := c.Args("send", helloScope(t, "", bob))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"to": bob, "subject": "Hello World!", "body": "Hello World!"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Args = %#v, want %#v", got, want)
		}
	})

	t.Run("ArgsOfHistoryAreTheContactsAndTheRange", func(t *testing.T) {
		got, err := c.Args("history", helloScope(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"contacts": []any{ann, bob},
			"since":    "2026-11-23T00:00:00Z",
			"until":    "2026-11-25T21:40:00Z",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Args = %#v, want %#v", got, want)
		}
	})

	t.Run("AStoredListGoesToAnArgumentThatTakesOne", func(t *testing.T) {
		// RetrieveContacts past 1,000 contacts: CheckEmailHistory's contacts (eaapl:"stored") takes the
		// list's reference as it is; SendEmail's to does not, and is refused it.
		stored := `{"contacts": {"contacts": {"stored_list": {"count": 2000, "chunk_items": 1000, "index": {"ref": "sha256:ab"}}}, "count": 2000},
			"history": {"emailed": [], "not_emailed": [], "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T21:40:00Z"}, "compose": {"subject": "Hi", "body": "Hi"}}`
		got, err := c.Args("history", helloScope(t, stored, nil))
		if err != nil {
			t.Fatal(err)
		}
		if list, _ := got["contacts"].(map[string]any); list["stored_list"] == nil {
			t.Errorf("contacts = %#v, want the stored list as it is", got["contacts"])
		}
		list := helloScope(t, stored, nil).Steps["contacts"].(map[string]any)["contacts"]
		_, err = c.Args("send", helloScope(t, stored, list))
		if err == nil || !strings.Contains(err.Error(), "args.to") {
			t.Errorf("send to a stored list: error %v, want args.to refused", err)
		}
	})

	t.Run("ArgsOfFirstStepNeedNoOutputs", func(t *testing.T) {
		got, err := c.Args("compose", plan.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]any{"body": "Hello World!"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Args = %#v, want %#v", got, want)
		}
	})

	t.Run("ItemsOfStepWithoutForEachIsAnError", func(t *testing.T) {
		_, err := c.Items("compose", helloScope(t, "", nil))
		if got, want := errorText(err), `step "compose" has no for_each`; got != want {
			t.Errorf("Items error = %q, want %q", got, want)
		}
	})
}

func TestEvaluateOtherPlans(t *testing.T) {
	t.Run("NamedRecipientGetsTheLiteralContact", func(t *testing.T) {
		c := mustCompile(t, readFile(t, "testdata/named-recipient.plan.json"))
		got, err := c.Args("send", helloScope(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"to":      map[string]any{"name": "Ann", "email": "ann@example.com"},
			"subject": "Hello World!",
			"body":    "Hello World!",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Args = %#v, want %#v", got, want)
		}
	})

	t.Run("ForEachOverLiteralListSendsToEachAddress", func(t *testing.T) {
		c := mustCompile(t, readFile(t, "testdata/literal-list.plan.json"))
		scope := plan.Scope{Now: programStart}
		items, err := c.Items("send", scope)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := items, []any{"ann@example.com", "bob@example.com"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Items = %#v, want %#v", got, want)
		}
		scope.ItemName, scope.Item = c.Step("send").ForEach.As, items[1]
		got, err := c.Args("send", scope)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"to":      "bob@example.com",
			"subject": "Hello ${name}",
			"body":    "Hello bob@example.com, it is 2026-11-25T21:40:00Z.",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Args = %#v, want %#v", got, want)
		}
	})
}

// compileBody compiles a plan whose compose step runs once per contact with the given body.
func compileBody(tb testing.TB, body string) *plan.Compiled {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	return mustCompile(tb, `{"version": 1, "steps": [
		{"id": "contacts", "command": "RetrieveContacts"},
		{"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z"}},
		{"id": "compose", "command": "ComposeEmail", "args": {"body": `+string(b)+`},
		 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}}]}`)
}

func TestEvaluateTemplates(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "KeepsTextWithoutExpressions", body: "Hello World!", want: "Hello World!"},
		{name: "InterpolatesItemField", body: "Hi ${contact.name}!", want: "Hi Ann!"},
		{name: "InterpolatesSeveralExpressions", body: "${contact.name} <${contact.email}>", want: "Ann <ann@example.com>"},
		{name: "InterpolatesStepOutput", body: "Since ${steps.history.since}", want: "Since 2026-11-23T00:00:00Z"},
		{name: "WritesWholeNumberWithoutFraction", body: "You have ${steps.contacts.count} contacts.", want: "You have 2 contacts."},
		{name: "WritesObjectAsJSON", body: "To: ${ {'email': contact.email} }", want: `To: {"email":"ann@example.com"}`},
		{name: "WritesListAsJSON", body: "Emailed: ${steps.history.emailed}", want: `Emailed: ["ann@example.com"]`},
		{name: "WritesNullAsNothing", body: "[${null}]", want: "[]"},
		{name: "KeepsEscapedDollarBrace", body: "Cost: $${price}", want: "Cost: ${price}"},
		{name: "KeepsEscapeNextToExpression", body: "$${contact.name} is ${contact.name}", want: "${contact.name} is Ann"},
		{name: "KeepsWholeEscapeAsText", body: "$${contact.name}", want: "${contact.name}"},
		{name: "SkipsBracesInsideStrings", body: "${'}' + contact.name + '{'}", want: "}Ann{"},
		{name: "SkipsBracesOfMapLiterals", body: "${{'k': {'v': contact.name}}.k.v}", want: "Ann"},
		{name: "WholeExpressionGivesText", body: "${contact.name}", want: "Ann"},
		{name: "ShowsNowAsRFC3339", body: "Sent ${string(now)}", want: "Sent 2026-11-25T21:40:00Z"},
		{name: "ComparesNowWithTimestamp", body: "${now > timestamp('2020-01-01T00:00:00Z') ? 'later' : 'earlier'}", want: "later"},
		{name: "ComparesJSONNumbers", body: "${steps.contacts.count > 1 ? 'many' : 'few'}", want: "many"},
		{name: "ChecksMembership", body: "${contact.email in steps.history.emailed ? 'again' : 'first'}", want: "again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compileBody(t, tt.body)
			args, err := c.Args("compose", helloScope(t, "", ann))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := args["body"], any(tt.want); got != want {
				t.Errorf("body = %#v, want %#v", got, want)
			}
		})
	}
}

func TestWholeExpressionKeepsItsType(t *testing.T) {
	// for_each.items takes any list, so Items shows the values as they are.
	tests := []struct {
		name  string
		items string
		want  []any
	}{
		{name: "ListFromStepOutput", items: "${steps.contacts.contacts}", want: []any{ann, bob}},
		{name: "Numbers", items: "${[1, 2.5, 1 + 2, steps.contacts.count]}", want: []any{1.0, 2.5, 3.0, 2.0}},
		{name: "Objects", items: "${[{'email': 'ann@example.com', 'tags': ['a']}]}", want: []any{map[string]any{"email": "ann@example.com", "tags": []any{"a"}}}},
		{name: "BoolsTextAndNull", items: "${[true, 'x', null]}", want: []any{true, "x", nil}},
		{name: "NestedLists", items: "${[[1], []]}", want: []any{[]any{1.0}, []any{}}},
		{name: "Timestamp", items: "${[now]}", want: []any{"2026-11-25T21:40:00Z"}},
		{name: "MappedList", items: "${steps.contacts.contacts.map(c, c.name)}", want: []any{"Ann", "Bob"}},
		{name: "FilteredList", items: "${steps.contacts.contacts.filter(c, !(c.email in steps.history.emailed))}", want: []any{bob}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.items)
			if err != nil {
				t.Fatal(err)
			}
			c := mustCompile(t, `{"version": 1, "steps": [
				{"id": "contacts", "command": "RetrieveContacts"},
				{"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z"}},
				{"id": "compose", "command": "ComposeEmail", "args": {"body": "x"}, "for_each": {"items": `+string(b)+`, "as": "x"}}]}`)
			got, err := c.Items("compose", helloScope(t, "", nil))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Items = %#v, want %#v", got, tt.want)
			}
		})
	}

	t.Run("ObjectForContact", func(t *testing.T) {
		c := mustCompile(t, edit(t, readFile(t, helloWorld), `"to": "${contact}"`, `"to": "${ {'name': contact.name, 'email': contact.email} }"`))
		args, err := c.Args("send", helloScope(t, "", ann))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := args["to"], any(map[string]any{"name": "Ann", "email": "ann@example.com"}); !reflect.DeepEqual(got, want) {
			t.Errorf("to = %#v, want %#v", got, want)
		}
	})

	t.Run("NumberIsNotTurnedIntoText", func(t *testing.T) {
		// A whole expression is its value: a number where text is needed is an error, not "3".
		_, err := compileBody(t, "${1 + 2}").Args("compose", helloScope(t, "", ann))
		if got, want := errorText(err), `step "compose": args.body: expected text, got 3`; got != want {
			t.Errorf("Args error = %q, want %q", got, want)
		}
	})
}

func TestEvaluationErrorsNameTheStepAndField(t *testing.T) {
	// Every case starts from the hello-world plan; call says which of Items, Condition and Args runs.
	tests := []struct {
		name    string
		edits   []string // old, new pairs applied to testdata/hello-world.plan.json
		outputs string   // the steps' outputs as JSON; helloOutputs when empty
		item    any
		call    string
		step    string
		want    []string // substrings of the error
	}{
		{name: "ItemWithoutTheField", edits: []string{`"body": "${steps.compose.body}"`, `"body": "Hi ${contact.name}"`},
			item: map[string]any{"email": "bob@example.com"}, call: "args", step: "send",
			want: []string{`step "send": args.body: ${contact.name}:`, "no such key: name"}},
		{name: "StepOutputMissing", outputs: `{"contacts": {"contacts": [], "count": 0}, "history": {"emailed": []}}`,
			item: bob, call: "args", step: "send",
			want: []string{`step "send": args.body: ${steps.compose.body}:`, "no such key: compose"}},
		{name: "RecipientIsNotAnAddress", item: map[string]any{"name": "Bob", "email": "bob at example.com"},
			call: "args", step: "send",
			want: []string{`step "send": args.to: "bob at example.com" is not an email address`}},
		{name: "RecipientIsNotAContact", item: 42.0, call: "args", step: "send",
			want: []string{`step "send": args.to: expected a contact {"name", "email"} or an address, got 42`}},
		{name: "ItemsAreNotAList", outputs: `{"contacts": {"contacts": "oops", "count": 0}}`,
			call: "items", step: "send",
			want: []string{`step "send": for_each.items: ${steps.contacts.contacts} is the text "oops", not a list`}},
		{name: "ConditionIsNotBoolean", edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "steps.history.emailed[0]"`},
			item: bob, call: "condition", step: "send",
			want: []string{`step "send": if: "steps.history.emailed[0]" is the text "ann@example.com", not true or false`}},
		{name: "ConditionReadsMissingItem", call: "condition", step: "send",
			want: []string{`step "send": if: ${!(contact.email in steps.history.emailed)}:`, "contact"}},
		{name: "CostlyExpressionIsStopped",
			edits: []string{`"body": "Hello World!"`, `"body": "${` + costly + `}"`},
			call:  "args", step: "compose",
			want: []string{`step "compose": args.body:`, "cost limit exceeded"}},
		{name: "CostlyConditionIsStopped",
			edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "size(` + costly + `) > 0"`},
			item:  bob, call: "condition", step: "send",
			want: []string{`step "send": if:`, "cost limit exceeded"}},
	}
	hello := readFile(t, helloWorld)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, edit(t, hello, tt.edits...))
			scope := helloScope(t, tt.outputs, tt.item)
			if tt.item == nil {
				scope.ItemName = ""
			}
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				switch tt.call {
				case "items":
					_, err = c.Items(tt.step, scope)
				case "condition":
					_, err = c.Condition(tt.step, scope)
				case "args":
					_, err = c.Args(tt.step, scope)
				default:
					panic("unknown call " + tt.call)
				}
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatalf("%s(%q) still runs after a minute; want an error", tt.call, tt.step)
			}
			if err == nil {
				t.Fatalf("%s(%q) succeeded; want an error containing %q", tt.call, tt.step, tt.want)
			}
			for _, want := range tt.want {
				if got := err.Error(); !strings.Contains(got, want) {
					t.Errorf("error = %q, want it to contain %q", got, want)
				}
			}
		})
	}
}

// costly is an expression that would build a list of a million lists: 10^6 elements at the innermost level.
var costly = func() string {
	const digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
	e := "1"
	for _, v := range []string{"f", "e", "d", "c", "b", "a"} {
		e = digits + ".map(" + v + ", " + e + ")"
	}
	return e
}()

// errorText is err's message, or "" for no error.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
