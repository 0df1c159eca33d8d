package plan_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// readFile returns a file's text, failing the test when it cannot be read.
func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// edit replaces each old string of pairs (old, new, old, new, ...) in src. Every old string must occur
// exactly once, so that a case cannot quietly stop breaking anything when the fixture changes.
func edit(tb testing.TB, src string, pairs ...string) string {
	tb.Helper()
	if len(pairs)%2 != 0 {
		tb.Fatalf("edit needs old, new pairs, got %d strings", len(pairs))
	}
	for i := 0; i < len(pairs); i += 2 {
		before, after := pairs[i], pairs[i+1]
		if n := strings.Count(src, before); n != 1 {
			tb.Fatalf("edit: %q occurs %d times in the plan, want once", before, n)
		}
		src = strings.Replace(src, before, after, 1)
	}
	return src
}

// parseAndCompile reads a plan document and compiles it, as `eaapl run plan.json` does.
func parseAndCompile(src string) (*plan.Compiled, error) {
	p, err := plan.Parse([]byte(src))
	if err != nil {
		return nil, err
	}
	return plan.Compile(p)
}

// mustCompile compiles a plan document that the test expects to be valid.
func mustCompile(tb testing.TB, src string) *plan.Compiled {
	tb.Helper()
	c, err := parseAndCompile(src)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	return c
}

const helloWorld = "testdata/hello-world.plan.json"

func TestCompileRejectsInvalidPlans(t *testing.T) {
	// Each case breaks one thing in the hello-world plan (or, with src, replaces it) and says where the
	// error must point and what a person fixing the plan needs to read in the message.
	tests := []struct {
		name  string
		edits []string // old, new pairs applied to testdata/hello-world.plan.json
		src   string   // the whole plan document instead, when set
		step  string
		field string
		msg   string
	}{
		// The document.
		{name: "RejectsUnknownVersion", edits: []string{`"version": 1,`, `"version": 2,`},
			field: "version", msg: "version 2 is not supported; this EaaPL reads version 1"},
		{name: "RejectsMissingVersion", edits: []string{`"version": 1,`, ``},
			field: "version", msg: "version 0 is not supported"},
		{name: "RejectsPlanWithoutSteps", src: `{"version": 1, "steps": []}`,
			field: "steps", msg: "the plan has no steps"},
		{name: "RejectsUnknownJSONField", edits: []string{`"depends_on": ["contacts"]`, `"dependson": ["contacts"]`},
			msg: `unknown field "dependson"`},
		{name: "RejectsTrailingCommaWithItsLine", edits: []string{`"description": "Get your contacts."`, `"description": "Get your contacts.",`},
			msg: "line 9: invalid character '}'"},
		{name: "RejectsMissingCommaWithItsLine", edits: []string{`"id": "contacts",`, `"id": "contacts"`},
			msg: "line 7: invalid character"},
		{name: "RejectsWrongJSONTypeWithItsLine", edits: []string{`"version": 1,`, `"version": "1",`},
			msg: `line 2: field "version" must be int, not a JSON string`},
		{name: "RejectsTruncatedPlanWithItsLine", src: "{\n  \"version\": 1,\n  \"steps\": [",
			msg: "line 3: the plan ends too soon"},
		{name: "RejectsADocumentThatIsNotAnObject", src: "[]",
			msg: `line 1: the plan must be a JSON object {"version": 1, "steps": [...]}, not a JSON array`},
		{name: "RejectsEmptyDocument", src: "  \n",
			msg: "the plan is empty"},
		{name: "RejectsDataAfterThePlan", edits: []string{"  ]\n}", "  ]\n}\n}"},
			msg: "line 44: unexpected data after the plan"},

		// Step ids and commands.
		{name: "RejectsUpperCaseStepID", edits: []string{`"id": "compose"`, `"id": "Compose"`},
			field: "steps[2].id", msg: `"Compose" is not a step id: use lower-case letters, digits and _`},
		{name: "RejectsStepIDStartingWithDigit", edits: []string{`"id": "compose"`, `"id": "2compose"`},
			field: "steps[2].id", msg: `"2compose" is not a step id`},
		{name: "RejectsEmptyStepID", edits: []string{`"id": "contacts",`, `"id": "",`},
			field: "steps[0].id", msg: `"" is not a step id`},
		{name: "RejectsDuplicateStepID", edits: []string{`"id": "compose"`, `"id": "history"`},
			step: "history", field: "id", msg: "two steps have this id"},
		{name: "RejectsUnknownCommandListingTheCommands", edits: []string{`"command": "ComposeEmail"`, `"command": "WriteEmail"`},
			step: "compose", field: "command",
			msg: `unknown command "WriteEmail"; the commands are ` + strings.Join(catalog.Names(), ", ")},
		{name: "RejectsUnknownPriority", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "priority": "urgent",`},
			step: "compose", field: "priority", msg: `"urgent" is not a priority; use "normal" or "high"`},

		// Retry overrides.
		{name: "RejectsNegativeRetryAttempts", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"maximum_attempts": -1},`},
			step: "compose", field: "retry.maximum_attempts", msg: "-1 attempts: it must be from 1 (no retry) to 100"},
		{name: "RejectsTooManyRetryAttempts", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"maximum_attempts": 1000},`},
			step: "compose", field: "retry.maximum_attempts", msg: "1000 attempts: it must be from 1 (no retry) to 100"},
		{name: "RejectsRetryIntervalThatIsNotADuration", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"initial_interval": "5"},`},
			step: "compose", field: "retry.initial_interval", msg: `"5" is not a duration; write it like "500ms", "2s" or "1m"`},
		{name: "RejectsNegativeRetryInterval", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"maximum_interval": "-1s"},`},
			step: "compose", field: "retry.maximum_interval", msg: "-1s: it must be more than 0 and at most 24h0m0s"},
		{name: "RejectsZeroRetryAttempts", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"maximum_attempts": 0},`},
			step: "compose", field: "retry.maximum_attempts", msg: "0 attempts: it must be from 1 (no retry) to 100"},
		{name: "RejectsZeroBackoff", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"backoff_coefficient": 0},`},
			step: "compose", field: "retry.backoff_coefficient", msg: "0: it must be from 1 (the same wait each time) to 10"},
		{name: "RejectsBackoffBelowOne", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"backoff_coefficient": 0.5},`},
			step: "compose", field: "retry.backoff_coefficient", msg: "0.5: it must be from 1 (the same wait each time) to 10"},
		{name: "RejectsMaximumIntervalBelowInitial", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"initial_interval": "1m", "maximum_interval": "10s"},`},
			step: "compose", field: "retry.maximum_interval", msg: "it is shorter than initial_interval 1m0s"},
		{name: "RejectsUnknownRetryField", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "retry": {"attempts": 3},`},
			msg: `unknown field "attempts"`},

		// Arguments.
		{name: "RejectsUnknownArgumentListingTheArguments", edits: []string{`"body": "Hello World!"`, `"body": "Hello World!", "title": "Hi"`},
			step: "compose", field: "args.title", msg: `ComposeEmail takes no argument "title"; its arguments are body, subject`},
		{name: "RejectsMissingRequiredArgument", edits: []string{`"since": "2026-11-23T00:00:00Z",`, ``},
			step: "history", field: "args.since", msg: `CheckEmailHistory needs the argument "since"`},
		{name: "RejectsNumberForText", edits: []string{`"body": "Hello World!"`, `"body": 42`},
			step: "compose", field: "args.body", msg: "ComposeEmail needs text here, and 42 is a whole number"},
		{name: "RejectsFractionForText", edits: []string{`"body": "Hello World!"`, `"body": 4.5`},
			step: "compose", field: "args.body", msg: "expected text, got 4.5"},
		{name: "RejectsNumberTooLargeForJSON", edits: []string{`"to": "${contact}"`, `"to": {"email": "ann@example.com", "rank": [1e400]}`},
			step: "send", field: "args.to", msg: "the number 1e400 is too large"},
		{name: "RejectsNullForText", edits: []string{`"body": "Hello World!"`, `"body": null`},
			step: "compose", field: "args.body", msg: "expected text, got nothing (null)"},
		{name: "RejectsTimeThatIsNotRFC3339", edits: []string{`"since": "2026-11-23T00:00:00Z"`, `"since": "last Monday"`},
			step: "history", field: "args.since", msg: `"last Monday" is not an RFC 3339 time such as 2026-11-23T00:00:00Z`},
		{name: "RejectsDateWithoutTime", edits: []string{`"until": "2026-11-25T21:40:00Z"`, `"until": "2026-11-25"`},
			step: "history", field: "args.until", msg: `"2026-11-25" is not an RFC 3339 time`},
		{name: "RejectsBadAddressInContactLiteral", edits: []string{`"to": "${contact}"`, `"to": {"name": "Ann", "email": "ann at example.com"}`},
			step: "send", field: "args.to", msg: `"ann at example.com" is not an email address`},
		{name: "RejectsContactLiteralWithoutEmail", edits: []string{`"to": "${contact}"`, `"to": {"name": "Ann"}`},
			step: "send", field: "args.to", msg: `a contact needs an "email" field`},
		{name: "RejectsBadAddressAsRecipient", edits: []string{`"to": "${contact}"`, `"to": "ann@"`},
			step: "send", field: "args.to", msg: `"ann@" is not an email address`},
		{name: "RejectsBadAddressInListLiteral", edits: []string{`"contacts": "${steps.contacts.contacts}"`, `"contacts": [{"email": "ann@example.com"}, {"email": "bob"}]`},
			step: "history", field: "args.contacts", msg: `item 2 of 2: "bob" is not an email address`},
		{name: "RejectsListWhereContactIsNeededAcrossLines", edits: []string{`"to": "${contact}"`, `"to": "${steps\n  .contacts.contacts}"`},
			step: "send", field: "args.to", msg: "SendEmail needs a contact here"},
		{name: "RejectsListWhereContactIsNeeded", edits: []string{`"to": "${contact}"`, `"to": "${steps.contacts.contacts}"`},
			step: "send", field: "args.to", msg: "SendEmail needs a contact here, and ${steps.contacts.contacts} is a list of contacts"},

		// References to steps and their outputs.
		{name: "RejectsReferenceToUnknownStep", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${steps.composer.subject}"`},
			step: "send", field: "args.subject", msg: `no step "composer"; the steps are contacts, history, compose, send`},
		{name: "RejectsIndexOfUnknownStep", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${steps['composer'].subject}"`},
			step: "send", field: "args.subject", msg: `no step "composer"`},
		{name: "RejectsUnknownOutputListingTheOutputs", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${steps.compose.title}"`},
			step: "send", field: "args.subject", msg: `ComposeEmail has no output "title"; its outputs are subject, body`},
		{name: "RejectsUnknownOutputInsideTemplate", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "Re: ${steps.compose.title}"`},
			step: "send", field: "args.subject", msg: `ComposeEmail has no output "title"`},
		{name: "RejectsFieldOfText", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${steps.compose.subject.text}"`},
			step: "send", field: "args.subject", msg: `steps.compose.subject is a string, which has no field "text"`},
		{name: "RejectsMisspeltFieldOfItemInCondition", edits: []string{`contact.email in`, `contact.emial in`},
			step: "send", field: "if", msg: `contact is a contact, which has no field "emial"; its fields are name, email, source`},
		{name: "RejectsMisspeltFieldOfItemInArgument", edits: []string{`"to": "${contact}"`, `"to": "${contact.emial}"`},
			step: "send", field: "args.to", msg: `no field "emial"`},
		{name: "RejectsMisspeltFieldOfItemByIndex", edits: []string{`"to": "${contact}"`, `"to": "${contact['emial']}"`},
			step: "send", field: "args.to", msg: `no field "emial"`},
		{name: "RejectsFieldOfForEachStepOutput",
			edits: []string{"\"if\": \"!(contact.email in steps.history.emailed)\"\n    }", "\"if\": \"!(contact.email in steps.history.emailed)\"\n    },\n" +
				`{"id": "report", "command": "ComposeEmail", "args": {"body": "${steps.send.recipient}"}}`},
			step: "report", field: "args.body", msg: `step "send" runs once per item, so its output is a list`},
		{name: "RejectsStepReadingItsOwnOutput", edits: []string{`"body": "Hello World!"`, `"body": "${steps.compose.subject}"`},
			step: "compose", field: "args.body", msg: "a step cannot read its own output"},
		{name: "RejectsStepsWithoutStepID", edits: []string{`"body": "${steps.compose.body}"`, `"body": "${steps}"`},
			step: "send", field: "args.body", msg: "must be followed by a step id"},
		{name: "RejectsStepChosenAtRunTime", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${steps[contact.name].subject}"`},
			step: "send", field: "args.subject", msg: "must be followed by a step id"},
		{name: "RejectsUndeclaredName", edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${step.compose.subject}"`},
			step: "send", field: "args.subject", msg: "undeclared reference to 'step'"},

		// depends_on and cycles.
		{name: "RejectsDependencyOnUnknownStep", edits: []string{`"depends_on": ["history", "compose"]`, `"depends_on": ["history", "composer"]`},
			step: "send", field: "depends_on", msg: `no step "composer"; the steps are contacts, history, compose, send`},
		{name: "RejectsDependencyOnItself", edits: []string{`"depends_on": ["history", "compose"]`, `"depends_on": ["history", "send"]`},
			step: "send", field: "depends_on", msg: "a step cannot depend on itself"},
		{name: "RejectsCycleOfTwoSteps", edits: []string{`"command": "RetrieveContacts",`, `"command": "RetrieveContacts", "depends_on": ["history"],`},
			step: "contacts", field: "depends_on", msg: "dependency cycle: contacts -> history -> contacts"},
		{name: "RejectsCycleOfThreeSteps",
			edits: []string{
				`"command": "RetrieveContacts",`, `"command": "RetrieveContacts", "depends_on": ["compose"],`,
				`"command": "ComposeEmail",`, `"command": "ComposeEmail", "depends_on": ["history"],`,
			},
			step: "contacts", field: "depends_on", msg: "dependency cycle: contacts -> compose -> history -> contacts"},
		{name: "RejectsCycleThroughAnExpression",
			edits: []string{
				`"command": "ComposeEmail",`, `"command": "ComposeEmail", "depends_on": ["history"],`,
				`"until": "2026-11-25T21:40:00Z"`, `"until": "${steps.compose.subject}"`,
			},
			step: "history", field: "depends_on", msg: "dependency cycle: history -> compose -> history"},

		// after: steps it only comes after, validated like depends_on, and never a step it reads.
		{name: "RejectsAfterAnUnknownStep", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "after": ["histroy"],`},
			step: "compose", field: "after", msg: `no step "histroy"; the steps are contacts, history, compose, send`},
		{name: "RejectsAfterItself", edits: []string{`"command": "ComposeEmail",`, `"command": "ComposeEmail", "after": ["compose"],`},
			step: "compose", field: "after", msg: "a step cannot come after itself"},
		{name: "RejectsAfterAStepInDependsOnToo", edits: []string{`"depends_on": ["history", "compose"]`, `"depends_on": ["history", "compose"], "after": ["compose"]`},
			step: "send", field: "after", msg: `"compose" is in depends_on too`},
		{name: "RejectsAfterAStepItReads", edits: []string{`"depends_on": ["history", "compose"]`, `"depends_on": ["history"], "after": ["compose"]`},
			step: "send", field: "after", msg: "this step reads steps.compose, so it depends on it; after is for a step it only comes after"},
		{name: "RejectsCycleThroughAfter", edits: []string{`"command": "RetrieveContacts",`, `"command": "RetrieveContacts", "after": ["send"],`},
			step: "contacts", field: "depends_on", msg: "dependency cycle: contacts -> send -> contacts"},

		// for_each.
		{name: "RejectsItemNamedSteps", edits: []string{`"as": "contact"`, `"as": "steps"`},
			step: "send", field: "for_each.as", msg: `"steps" cannot name the item`},
		{name: "RejectsItemNamedNow", edits: []string{`"as": "contact"`, `"as": "now"`},
			step: "send", field: "for_each.as", msg: `"now" cannot name the item`},
		{name: "RejectsUpperCaseItemName", edits: []string{`"as": "contact"`, `"as": "Bad"`},
			step: "send", field: "for_each.as", msg: `"Bad" cannot name the item: use lower-case letters, digits and _`},
		{name: "RejectsItemNamedNull", edits: []string{`"as": "contact"`, `"as": "null"`},
			step: "send", field: "for_each.as", msg: `"null" cannot name the item: it is a reserved word in expressions`},
		{name: "RejectsItemNamedIn", edits: []string{`"as": "contact"`, `"as": "in"`},
			step: "send", field: "for_each.as", msg: `"in" cannot name the item: it is a reserved word`},
		{name: "RejectsMissingItemName", edits: []string{`, "as": "contact"`, ``},
			step: "send", field: "for_each.as", msg: `"" cannot name the item`},
		{name: "RejectsItemsThatAreText", edits: []string{`"items": "${steps.contacts.contacts}"`, `"items": "${steps.compose.subject}"`},
			step: "send", field: "for_each.items", msg: "must be a list, and ${steps.compose.subject} is text"},
		{name: "RejectsItemsThatAreANumber", edits: []string{`"items": "${steps.contacts.contacts}"`, `"items": "${steps.contacts.count}"`},
			step: "send", field: "for_each.items", msg: "must be a list, and ${steps.contacts.count} is a whole number"},
		{name: "RejectsItemsWithoutExpression", edits: []string{`"items": "${steps.contacts.contacts}"`, `"items": "steps.contacts.contacts"`},
			step: "send", field: "for_each.items", msg: "must be a list"},
		{name: "RejectsItemsReadingTheItem", edits: []string{`"items": "${steps.contacts.contacts}"`, `"items": "${contact}"`},
			step: "send", field: "for_each.items", msg: "undeclared reference to 'contact'"},

		// if.
		{name: "RejectsConditionThatIsANumber", edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "1 + 2"`},
			step: "send", field: "if", msg: `"1 + 2" must be true or false, and it is a whole number`},
		{name: "RejectsConditionThatIsAnItemField", edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "contact.name"`},
			step: "send", field: "if", msg: `"contact.name" must be true or false, and it is text`},
		{name: "RejectsConditionThatIsAList", edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "steps.history.emailed"`},
			step: "send", field: "if", msg: `"steps.history.emailed" must be true or false, and it is a list of email addresses`},
		{name: "RejectsConditionWithSyntaxError", edits: []string{`"if": "!(contact.email in steps.history.emailed)"`, `"if": "!(contact.email in"`},
			step: "send", field: "if", msg: "Syntax error"},
		{name: "RejectsConditionReadingUnknownStep", edits: []string{`in steps.history.emailed`, `in steps.histroy.emailed`},
			step: "send", field: "if", msg: `no step "histroy"`},

		// Expressions inside arguments.
		{name: "RejectsSyntaxError", edits: []string{`"body": "Hello World!"`, `"body": "${1 +}"`},
			step: "compose", field: "args.body", msg: `expression "1 +": ERROR: <input>:1:4: Syntax error`},
		{name: "RejectsEmptyExpression", edits: []string{`"body": "Hello World!"`, `"body": "Hello ${ }"`},
			step: "compose", field: "args.body", msg: "empty expression"},
		{name: "RejectsUnterminatedExpression", edits: []string{`"body": "Hello World!"`, `"body": "Hello ${steps.contacts.count"`},
			step: "compose", field: "args.body", msg: `has "${" without a closing "}" (write "$${" for a literal "${")`},
		{name: "RejectsSyntaxErrorInsideObject", edits: []string{`"to": "${contact}"`, `"to": {"email": "${contact.email +}"}`},
			step: "send", field: "args.to", msg: `.email: expression "contact.email +"`},
	}
	hello := readFile(t, helloWorld)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == "" {
				src = edit(t, hello, tt.edits...)
			}
			_, err := parseAndCompile(src)
			if err == nil {
				t.Fatalf("the plan compiled; want an error about %s", tt.msg)
			}
			var perr *plan.Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %T %q, want a *plan.Error", err, err)
			}
			if got, want := perr.Step, tt.step; got != want {
				t.Errorf("Step = %q, want %q (%v)", got, want, err)
			}
			if got, want := perr.Field, tt.field; got != want {
				t.Errorf("Field = %q, want %q (%v)", got, want, err)
			}
			if got, want := err.Error(), tt.msg; !strings.Contains(got, want) {
				t.Errorf("error = %q, want it to contain %q", got, want)
			}
			if got, want := err.Error(), "invalid plan: "; !strings.HasPrefix(got, want) {
				t.Errorf("error = %q, want it to start with %q", got, want)
			}
		})
	}
}

func TestErrorNamesTheStepAndField(t *testing.T) {
	tests := []struct {
		name string
		err  *plan.Error
		want string
	}{
		{name: "WithStep", err: &plan.Error{Step: "send", Field: "args.to", Err: errors.New("bad")},
			want: `invalid plan: step "send": args.to: bad`},
		{name: "WithoutStep", err: &plan.Error{Field: "version", Err: errors.New("bad")},
			want: `invalid plan: version: bad`},
		{name: "WithoutStepOrField", err: &plan.Error{Err: errors.New("line 3: bad")},
			want: `invalid plan: line 3: bad`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.err.Error(), tt.want; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestCompileAcceptsValidPlans(t *testing.T) {
	hello := readFile(t, helloWorld)
	tests := []struct {
		name       string
		file       string
		edits      []string            // old, new pairs applied to the file
		order      []string            // want Compiled.Order
		deps       map[string][]string // want Deps, for every step
		dependents map[string][]string // want Dependents, for the steps listed
		orderOnly  map[string][]string // want OrderOnly, for the steps listed
	}{
		{
			name:  "CompilesHelloWorld",
			file:  helloWorld,
			order: []string{"contacts", "history", "compose", "send"},
			deps: map[string][]string{
				"contacts": nil,
				"history":  {"contacts"},
				"compose":  nil,
				"send":     {"contacts", "history", "compose"}, // contacts through for_each.items only
			},
			dependents: map[string][]string{"contacts": {"history", "send"}, "history": {"send"}, "compose": {"send"}, "send": nil},
		},
		{
			name:  "FindsDependenciesInExpressionsWithoutDependsOn",
			file:  helloWorld,
			edits: []string{`"depends_on": ["contacts"]`, `"priority": "normal"`, `"depends_on": ["history", "compose"],`, ``},
			order: []string{"contacts", "history", "compose", "send"},
			deps: map[string][]string{
				"contacts": nil,
				"history":  {"contacts"},                       // args.contacts
				"compose":  nil,                                // none
				"send":     {"contacts", "history", "compose"}, // for_each.items, if, args
			},
		},
		{
			name:  "KeepsDependsOnWithoutExpressions",
			file:  helloWorld,
			edits: []string{`"command": "RetrieveContacts",`, `"command": "RetrieveContacts", "depends_on": ["compose"],`},
			order: []string{"compose", "contacts", "history", "send"},
			deps: map[string][]string{
				"contacts": {"compose"},
				"history":  {"contacts"},
				"compose":  nil,
				"send":     {"contacts", "history", "compose"},
			},
			dependents: map[string][]string{"compose": {"contacts", "send"}},
		},
		{
			name:      "WaitsForAfterForOrderOnly",
			file:      helloWorld,
			edits:     []string{`"command": "RetrieveContacts",`, `"command": "RetrieveContacts", "after": ["compose"],`},
			order:     []string{"compose", "contacts", "history", "send"},
			deps:      map[string][]string{"contacts": {"compose"}, "send": {"contacts", "history", "compose"}},
			orderOnly: map[string][]string{"contacts": {"compose"}, "history": nil, "send": nil},
		},
		{
			name:  "ReadsReferencesSpreadOverLines",
			file:  helloWorld,
			edits: []string{`"subject": "${steps.compose.subject}"`, `"subject": "${ steps.compose\n\t. subject }"`},
			order: []string{"contacts", "history", "compose", "send"},
			deps: map[string][]string{
				"contacts": nil,
				"history":  {"contacts"},
				"compose":  nil,
				"send":     {"contacts", "history", "compose"},
			},
		},
		{
			name:  "PutsDependenciesFirstWhenListedLast",
			file:  "testdata/backwards.plan.json",
			order: []string{"compose", "contacts", "history", "send"},
			deps: map[string][]string{
				"send":     {"compose", "history", "contacts"}, // in plan order
				"compose":  nil,
				"history":  {"contacts"},
				"contacts": nil,
			},
			dependents: map[string][]string{"contacts": {"send", "history"}},
		},
		{
			name:  "CompilesNamedRecipient",
			file:  "testdata/named-recipient.plan.json",
			order: []string{"compose", "send"},
			deps:  map[string][]string{"compose": nil, "send": {"compose"}},
		},
		{
			name:  "CompilesForEachOverLiteralList",
			file:  "testdata/literal-list.plan.json",
			order: []string{"send"},
			deps:  map[string][]string{"send": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := hello
			if tt.file != helloWorld {
				src = readFile(t, tt.file)
			}
			c := mustCompile(t, edit(t, src, tt.edits...))
			if got, want := c.Order, tt.order; !slices.Equal(got, want) {
				t.Errorf("Order = %q, want %q", got, want)
			}
			if got, want := len(c.Order), len(c.Plan.Steps); got != want {
				t.Fatalf("Order has %d steps, the plan %d", got, want)
			}
			for id, want := range tt.deps {
				if got := c.Deps(id); !slices.Equal(got, want) {
					t.Errorf("Deps(%q) = %q, want %q", id, got, want)
				}
			}
			for id, want := range tt.dependents {
				if got := c.Dependents(id); !slices.Equal(got, want) {
					t.Errorf("Dependents(%q) = %q, want %q", id, got, want)
				}
			}
			for id, want := range tt.orderOnly {
				if got := c.OrderOnly(id); !slices.Equal(got, want) {
					t.Errorf("OrderOnly(%q) = %q, want %q", id, got, want)
				}
			}
			checkOrder(t, c)
			for _, id := range c.Order {
				if got, want := c.Command(id).Name, c.Step(id).Command; got != want {
					t.Errorf("Command(%q).Name = %q, want %q", id, got, want)
				}
			}
			if err := plan.Validate(c.Plan); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// checkOrder fails unless Order holds every step once, each after the steps it depends on, and Deps and
// Dependents mirror each other.
func checkOrder(tb testing.TB, c *plan.Compiled) {
	tb.Helper()
	pos := map[string]int{}
	for i, id := range c.Order {
		if _, dup := pos[id]; dup {
			tb.Fatalf("Order %q has %q twice", c.Order, id)
		}
		pos[id] = i
	}
	for _, s := range c.Plan.Steps {
		i, ok := pos[s.ID]
		if !ok {
			tb.Fatalf("Order %q lacks step %q", c.Order, s.ID)
		}
		for _, d := range slices.Concat(s.DependsOn, s.After) {
			if !slices.Contains(c.Deps(s.ID), d) {
				tb.Errorf("Deps(%q) = %q lacks %q from depends_on or after", s.ID, c.Deps(s.ID), d)
			}
		}
		for _, d := range c.Deps(s.ID) {
			if pos[d] >= i {
				tb.Errorf("Order %q puts %q before its dependency %q", c.Order, s.ID, d)
			}
			if !slices.Contains(c.Dependents(d), s.ID) {
				tb.Errorf("Dependents(%q) = %q lacks %q", d, c.Dependents(d), s.ID)
			}
		}
	}
}

func TestCompileAcceptsShippedExample(t *testing.T) {
	// The example in the repository is what people copy; it must stay valid.
	c := mustCompile(t, readFile(t, filepath.Join("..", "examples", "hello-world.plan.json")))
	if got, want := c.Order, []string{"contacts", "history", "compose", "send"}; !slices.Equal(got, want) {
		t.Errorf("Order = %q, want %q", got, want)
	}
}

func TestCompileAcceptsPlanBuiltInCode(t *testing.T) {
	// Planners build plans as Go values, without Parse: numbers are Go ints and objects Go maps.
	p := &plan.Plan{Version: plan.Version, Steps: []plan.Step{
		{ID: "compose", Command: "ComposeEmail", Args: map[string]any{"body": "Hi"}},
		{ID: "send", Command: "SendEmail", Args: map[string]any{
			"to":      map[string]any{"name": "", "email": "ann@example.com"},
			"subject": "${steps.compose.subject}",
			"body":    "${steps.compose.body}",
		}},
	}}
	if err := plan.Validate(p); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	p.Steps[1].Args["to"] = map[string]any{"name": "Ann", "email": "ann"}
	err := plan.Validate(p)
	var perr *plan.Error
	if !errors.As(err, &perr) {
		t.Fatalf("Validate with a bad address = %v, want a *plan.Error", err)
	}
	if got, want := perr.Field, "args.to"; got != want {
		t.Errorf("Field = %q, want %q", got, want)
	}
	if got, want := plan.Validate(nil), "invalid plan: plan: no plan"; got == nil || got.Error() != want {
		t.Errorf("Validate(nil) = %v, want %q", got, want)
	}
}

func TestParseReadsNumbersAsGoNumbers(t *testing.T) {
	// Whole numbers become int64 and others float64, as if the plan had been built in code.
	p, err := plan.Parse([]byte(`{"version": 1, "steps": [{"id": "a", "command": "ComposeEmail",
		"args": {"n": 3, "f": 2.5, "list": [1, {"x": 1e3}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	args := p.Steps[0].Args
	if got, want := args["n"], any(int64(3)); got != want {
		t.Errorf("n = %#v, want %#v", got, want)
	}
	if got, want := args["f"], any(2.5); got != want {
		t.Errorf("f = %#v, want %#v", got, want)
	}
	list := args["list"].([]any)
	if got, want := list[0], any(int64(1)); got != want {
		t.Errorf("list[0] = %#v, want %#v", got, want)
	}
	if got, want := list[1].(map[string]any)["x"], any(1000.0); got != want {
		t.Errorf("list[1].x = %#v, want %#v", got, want)
	}
}

func TestCheckType(t *testing.T) {
	tests := []struct {
		name string
		typ  catalog.Type
		v    any
		msg  string // "" when the value fits
	}{
		{name: "AcceptsText", typ: catalog.String, v: "hi"},
		{name: "RejectsNumberAsText", typ: catalog.String, v: 3.0, msg: "expected text, got 3"},
		{name: "AcceptsWholeFloatAsInt", typ: catalog.Int, v: 2.0},
		{name: "RejectsFractionAsInt", typ: catalog.Int, v: 2.5, msg: "expected a whole number, got 2.5"},
		{name: "AcceptsBool", typ: catalog.Bool, v: true},
		{name: "RejectsTextAsBool", typ: catalog.Bool, v: "true", msg: `expected true or false, got the text "true"`},
		{name: "AcceptsTimeWithZone", typ: catalog.Time, v: "2026-11-23T00:00:00+01:00"},
		{name: "RejectsTimeWithoutZone", typ: catalog.Time, v: "2026-11-23T00:00:00", msg: "is not an RFC 3339 time"},
		{name: "AcceptsAddress", typ: catalog.Address, v: "ann@example.com"},
		{name: "RejectsAddressWithName", typ: catalog.Address, v: "Ann <ann@example.com>", msg: `"Ann <ann@example.com>" is not an email address`},
		{name: "RejectsAddressWithoutDomainDot", typ: catalog.Address, v: "ann@localhost", msg: "is not an email address"},
		{name: "AcceptsAddressAsContact", typ: catalog.Contact, v: "ann@example.com"},
		{name: "AcceptsObjectAsContact", typ: catalog.Contact, v: map[string]any{"name": "Ann", "email": "ann@example.com"}},
		{name: "RejectsNumberAsContact", typ: catalog.Contact, v: 1.0, msg: `expected a contact {"name", "email"} or an address, got 1`},
		{name: "AcceptsListOfContacts", typ: catalog.ListOf(catalog.Contact), v: []any{"ann@example.com", map[string]any{"email": "bob@example.com"}}},
		{name: "RejectsObjectAsList", typ: catalog.ListOf(catalog.Contact), v: map[string]any{}, msg: "expected a list of contact, got an object"},
		{name: "RejectsBadItemNamingIt", typ: catalog.ListOf(catalog.Address), v: []any{"ann@example.com", "bob"}, msg: `item 2 of 2: "bob" is not an email address`},
		{name: "AcceptsAnything", typ: catalog.Any, v: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plan.CheckType(tt.typ, tt.v)
			switch {
			case tt.msg == "" && err != nil:
				t.Errorf("CheckType(%s, %#v) = %v, want nil", tt.typ, tt.v, err)
			case tt.msg != "" && err == nil:
				t.Errorf("CheckType(%s, %#v) = nil, want an error containing %q", tt.typ, tt.v, tt.msg)
			case tt.msg != "" && !strings.Contains(err.Error(), tt.msg):
				t.Errorf("CheckType(%s, %#v) = %q, want it to contain %q", tt.typ, tt.v, err, tt.msg)
			}
		})
	}
}

// TestCompileWithRecordedEntries compiles a plan against entries recorded with it, as a running program
// does: a command the worker's catalog no longer has still compiles, and the recorded schema is the one
// checked.
func TestCompileWithRecordedEntries(t *testing.T) {
	old := catalog.Command{
		Name: "Shout", Description: "Say it loud.", SideEffect: catalog.Reads, Timeout: catalog.Duration(time.Second),
		Args:   []catalog.Field{{Name: "text", Type: catalog.String, Required: true, Description: "what to shout"}},
		Output: []catalog.Field{},
		Retry:  catalog.DefaultRetry,
	}
	p := &plan.Plan{Version: 1, Steps: []plan.Step{{ID: "shout", Command: "Shout", Args: map[string]any{"text": "hi"}}}}
	if _, err := plan.Compile(p); err == nil || !strings.Contains(err.Error(), `unknown command "Shout"`) {
		t.Fatalf("Compile against the registry = %v, want unknown command", err)
	}
	c, err := plan.CompileWith(p, catalog.Entries{"Shout": old})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Command("shout"); got.Description != "Say it loud." {
		t.Fatalf("compiled command = %+v", got)
	}
	bad := &plan.Plan{Version: 1, Steps: []plan.Step{{ID: "shout", Command: "Shout", Args: map[string]any{"text": 3}}}}
	if _, err := plan.CompileWith(bad, catalog.Entries{"Shout": old}); err == nil || !strings.Contains(err.Error(), "args.text") {
		t.Fatalf("a number for the recorded string argument: %v", err)
	}
}
