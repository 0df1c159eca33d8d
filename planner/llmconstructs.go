package planner

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The model is shown the plan package's constructs as the package defines them: each construct field of
// plan.Step (a pointer to a struct, like Wait or Answer) and plan.Plan's Schedule, with their JSON fields
// read from the Go types. A construct added to the plan package appears in the prompt and the response
// schema by itself; constructNotes says when to use it, and a test fails until it does.

// constructNotes say when the model uses each construct and how its fields are written.
var constructNotes = map[string]string{
	plan.ConstructWait:       `a durable timer before the steps that depend on it. "for" is a Go duration after its dependencies are done ("in 2 hours": "2h0m0s", "wait 10 minutes": "10m0s"); "until" is the time phrase as the program says it, on a 24-hour clock: "today at HH:MM", "tomorrow at HH:MM", "tonight at HH:MM", "<weekday> at HH:MM" (one of the next six days), "next <weekday> at HH:MM", "this <weekday> at HH:MM", "24 December at HH:MM", "tomorrow at midnight" (the end of tomorrow), or "YYYY-MM-DDTHH:MM" (you are not told today's date); a phrase that could mean two days is refused, as in the rule-based planner. Give one of the two. The steps that happen later depend_on it.`,
	plan.ConstructAwaitReply: `waits for a reply to an email an earlier step sent ("if he doesn't reply within a day"): "to" is "${steps.<send step>.message_id}", "from" the address the reply comes from, "within" a Go duration ("24h0m0s"). Its output is replied (bool): the step that follows has "if": "!steps.<id>.replied".`,
	plan.ConstructCheck:      `stops the program before its later steps when "that" (a CEL condition without ${ }) is false, with "error" (an English sentence) as the reason. A message with a placeholder needs one first, so that nothing is sent when an item cannot fill it: "that": "steps.contacts.contacts.all(contact, contact.name.trim() != '')".`,
	plan.ConstructAnswer:     `the program's result, for "how many ...", "list ...", "show me ...", "tell me ...": "value" is "${<CEL>}", "kind" is "number", "list" or "text", "label" says in English what the value is.`,
	plan.ConstructSchedule:   `(on the plan, next to "steps") makes the program a Temporal Schedule, for "every Monday at 9am, ...", "every weekday at 8:30", "on the 1st of every month at 9": "calendar" lists the times (days_of_week from sunday ... saturday, or day_of_month 1-31, with hour 0-23 and minute); "program" is the English program each run plans, the schedule's words taken out; "time_zone" stays empty unless the program names a zone (EaaPL fills in the user's). The steps are one run's plan, for reading back.`,
}

// constructFields returns plan.Step's construct fields, by their JSON names, with their Go types.
func constructFields() []reflect.StructField {
	var out []reflect.StructField
	st := reflect.TypeOf(plan.Step{})
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		if s := (plan.Step{}); setField(&s, f) && s.Construct() != "" {
			out = append(out, f)
		}
	}
	return out
}

// setField sets a construct field of s to its zero struct, so that s.Construct says whether it is one.
func setField(s *plan.Step, f reflect.StructField) bool {
	v := reflect.ValueOf(s).Elem().FieldByIndex(f.Index)
	if !v.CanSet() {
		return false
	}
	v.Set(reflect.New(f.Type.Elem()))
	return true
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// constructsSection is the prompt's description of the constructs.
func constructsSection() string {
	var b strings.Builder
	b.WriteString(`A step may do a construct instead of a command: it has "command": "" and exactly one of the fields below, with its "id", a "description", and optionally "depends_on", "after" and "if"; no "args" and no "for_each". Later steps read a construct's output like a command's.` + "\n")
	for _, f := range constructFields() {
		fmt.Fprintf(&b, "- %q: %s: %s\n", jsonName(f), shape(f.Type.Elem()), constructNotes[jsonName(f)])
	}
	sc, _ := reflect.TypeOf(plan.Plan{}).FieldByName("Schedule")
	fmt.Fprintf(&b, "- %q: %s: %s\n", jsonName(sc), shape(sc.Type.Elem()), constructNotes[plan.ConstructSchedule])
	return strings.TrimSpace(b.String())
}

// shape writes a Go type as the JSON it is: {"until": string, "for": string}.
func shape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return shape(t.Elem())
	case reflect.Slice:
		return "[" + shape(t.Elem()) + ", ...]"
	case reflect.Struct:
		var parts []string
		for i := range t.NumField() {
			if n := jsonName(t.Field(i)); n != "" && n != "-" {
				parts = append(parts, fmt.Sprintf("%q: %s", n, shape(t.Field(i).Type)))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Bool:
		return "boolean"
	}
	return t.Kind().String()
}

// schemaOf is a Go type's JSON Schema, for the response schema.
func schemaOf(t reflect.Type) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			if n := jsonName(t.Field(i)); n != "" && n != "-" {
				props[n] = schemaOf(t.Field(i).Type)
			}
		}
		return obj(props, nil)
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	}
	return map[string]any{"type": "string"}
}

// constructStepSchemas are the response schema's steps that do a construct.
func constructStepSchemas() []any {
	var out []any
	str := map[string]any{"type": "string"}
	for _, f := range constructFields() {
		out = append(out, obj(map[string]any{
			"id":          map[string]any{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
			"command":     map[string]any{"type": "string", "enum": []string{""}},
			"description": str,
			"depends_on":  map[string]any{"type": "array", "items": str},
			"after":       map[string]any{"type": "array", "items": str},
			"if":          str,
			"skip_reason": str,
			jsonName(f):   schemaOf(f.Type),
		}, []string{"id", jsonName(f)}))
	}
	return out
}

// scheduleSchema is the response schema's plan-level schedule.
func scheduleSchema() map[string]any {
	sc, _ := reflect.TypeOf(plan.Plan{}).FieldByName("Schedule")
	return schemaOf(sc.Type)
}

// constructNames are the constructs the prompt describes, steps' and the plan's, for tests.
func constructNames() []string {
	var out []string
	for _, f := range constructFields() {
		out = append(out, jsonName(f))
	}
	return append(out, plan.ConstructSchedule)
}

// idioms are short examples of the language's forms as plans, for the prompt: filters, placeholders,
// answers, times, schedules and the document commands. Each is checked by a test to be a valid plan.
var idioms = []struct{ Program, Plan string }{
	{
		"Send 'Office closed on Friday' to my contacts at acme.com except Dave",
		`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "compose", "command": "ComposeEmail", "args": {"body": "Office closed on Friday"}}, {"id": "send", "command": "SendEmail", "args": {"to": "${contact}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"}, "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}, "if": "contact.email.lowerAscii().endsWith(\"@acme.com\") && contact.name.trim().lowerAscii().split(' ')[0] != \"dave\"", "skip_reason": "it is not at acme.com, or it is Dave, who is left out"}]}`,
	},
	{
		"Email each of my contacts saying 'Dear {first name}, thank you'",
		`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "check", "command": "", "check": {"that": "steps.contacts.contacts.all(contact, contact.name.trim() != '')", "error": "the placeholder {first name} cannot be filled: a contact has no name; no email was sent"}}, {"id": "send", "command": "SendEmail", "depends_on": ["check"], "args": {"to": "${contact}", "subject": "Dear ${contact.name.trim().split(' ')[0]}, thank you", "body": "Dear ${contact.name.trim().split(' ')[0]}, thank you"}, "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}}]}`,
	},
	{
		"If I haven't emailed dana@example.com this week, send her 'Hi'. Then send 'Yo' to bob@example.com",
		`{"version": 1, "steps": [{"id": "history", "command": "CheckEmailHistory", "args": {"contacts": [{"name": "", "email": "dana@example.com"}], "since": "start of this week", "until": "now"}}, {"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "dana@example.com"}, "subject": "Hi", "body": "Hi"}, "if": "!(\"dana@example.com\" in steps.history.emailed)", "skip_reason": "you emailed dana@example.com this week"}, {"id": "send_2", "command": "SendEmail", "after": ["send"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Yo", "body": "Yo"}}]}`,
	},
	{
		"How many of my contacts have I not emailed this month?",
		`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "start of this month", "until": "now"}}, {"id": "answer", "command": "", "answer": {"value": "${size(steps.contacts.contacts.filter(contact, !(contact.email in steps.history.emailed)))}", "kind": "number", "label": "how many of your contacts you have not emailed this month"}}]}`,
	},
	{
		"Tomorrow at 8am send 'Good morning' to sam@example.org",
		`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "tomorrow at 08:00"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "sam@example.org"}, "subject": "Good morning", "body": "Good morning"}}]}`,
	},
	{
		"Every Monday at 9am, send 'Weekly check-in' to lee@example.org",
		`{"version": 1, "schedule": {"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}], "program": "send 'Weekly check-in' to lee@example.org"}, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "lee@example.org"}, "subject": "Weekly check-in", "body": "Weekly check-in"}}]}`,
	},
	{
		"Summarize meeting-notes.md and email the summary to kim@example.org",
		`{"version": 1, "steps": [{"id": "read", "command": "ReadDocument", "args": {"path": "meeting-notes.md"}}, {"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}, {"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "kim@example.org"}, "subject": "Summary of meeting-notes.md", "body": "${steps.summarize.summary}"}}]}`,
	},
}

// idiomsSection writes the idioms for the prompt, one program and its plan each; an idiom whose command
// is not registered (a worker built without that family) is left out.
func idiomsSection() string {
	var b strings.Builder
	for _, id := range idioms {
		var p plan.Plan
		if err := json.Unmarshal([]byte(id.Plan), &p); err != nil || slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Command != "" && !known(s.Command) }) {
			continue
		}
		fmt.Fprintf(&b, "Program: %s\nPlan: %s\n\n", id.Program, id.Plan)
	}
	return strings.TrimSpace(b.String())
}

// known says a command is registered.
func known(name string) bool {
	_, ok := catalog.Lookup(name)
	return ok
}
