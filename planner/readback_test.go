package planner

import (
	"slices"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

func TestReadBackConstructs(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		program string
		step    string
		loc     *time.Location
		want    string
	}{
		{"Tomorrow at 8am send 'Good morning' to bob@example.com", "wait", nil, "Wait until Thursday 26 November at 08:00."},
		{"Tomorrow at 8am send 'Good morning' to bob@example.com", "wait", berlin, "Wait until Thursday 26 November at 09:00."},
		{"Wait 90 minutes, then send 'Ready?' to bob@example.com", "wait", nil, "Wait 1 hour 30 minutes."},
		{"Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again", "wait_for_reply_2", nil, "Wait up to a day for a reply from bob@example.com to that email; a reply ends the wait."},
		{"Wait 45 seconds, then send 'Ready?' to bob@example.com", "wait", nil, "Wait 45 seconds."},
		{"In 30 seconds send 'Ping' to bob@example.com", "wait", nil, "Wait 30 seconds."},
		{"Send 'Are you coming?' to bob@example.com and if he doesn't reply within 20 seconds, send it again", "wait_for_reply_2", nil, "Wait up to 20 seconds for a reply from bob@example.com to that email; a reply ends the wait."},
		{"Email each of my contacts saying 'Dear {first name}'", "check", nil, "Before sending, check that every contact it goes to has a name, to fill in their first name."},
		{"How many of my contacts haven't I emailed this week?", "answer", nil, "Answer with how many of your contacts you have not emailed since Monday 23 November."},
		{"List my contacts at acme.com", "answer", nil, "Answer with the list of your contacts at acme.com."},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			s, ok := p.Step(tt.step)
			if !ok {
				t.Fatalf("no step %q in %s", tt.step, planJSON(t, p))
			}
			got, ok := ReadBackConstruct(*s, tt.loc)
			if !ok || got != tt.want {
				t.Errorf("ReadBackConstruct = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	t.Run("CommandStepsAreNotConstructs", func(t *testing.T) {
		if got, ok := ReadBackConstruct(plan.Step{ID: "send", Command: "SendEmail"}, nil); ok {
			t.Errorf("ReadBackConstruct of a command = %q, true; want false", got)
		}
	})
	t.Run("Schedule", func(t *testing.T) {
		p := mustPlan(t, &Rules{Location: berlin}, "Every weekday at 8:30, send 'Stand-up' to bob@example.com", now)
		if got, want := ReadBackSchedule(p.Schedule), "Every weekday at 8:30 (Europe/Berlin), run: send 'Stand-up' to bob@example.com"; got != want {
			t.Errorf("ReadBackSchedule = %q, want %q", got, want)
		}
	})
}

// TestReadBackConditionSaysTheGrammarsConditions reads back the "if" of each condition the grammar
// writes, and refuses words for any other shape, so a condition is never misread.
func TestReadBackConditionSaysTheGrammarsConditions(t *testing.T) {
	for _, tt := range []struct{ program, step, want string }{
		{"If I haven't emailed alice@example.com this month, send her 'Long time no see'", "send", "you have not emailed alice@example.com since Sunday 1 November"},
		{"If I haven't emailed my contact Ann this week, send her 'Hi'", "send", "you have not emailed the contact (step 1) since Monday 23 November"},
		{"Read notes.md, classify it as urgent or normal and if the label is urgent, send 'Urgent' to bob@example.com", "send_3", `the label (step 2) is "urgent"`},
		{"Read notes.md, classify it as urgent or normal and if the label is not urgent, send 'Calm' to bob@example.com", "send_3", `the label (step 2) is not "urgent"`},
		{"Fetch https://example.com and if the page contains 'down', send 'Down' to bob@example.com", "send_2", `the page's text (step 1) contains "down"`},
		{"Fetch https://example.com and if the page does not contain 'up', send 'Down' to bob@example.com", "send_2", `the page's text (step 1) does not contain "up"`},
		{"List the files matching *.csv and if there are at least 3 files, send 'Many' to bob@example.com", "send_2", "there are at least 3 files (step 1)"},
	} {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			s, ok := p.Step(tt.step)
			if !ok || s.If == "" {
				t.Fatalf("no step %q with a condition in %s", tt.step, planJSON(t, p))
			}
			if got, ok := ReadBackCondition(p, s.If, nil); !ok || got != tt.want {
				t.Errorf("ReadBackCondition(%q) = %q, %v; want %q", s.If, got, ok, tt.want)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Fetch https://example.com and if the page contains 'down', send 'Down' to bob@example.com", now)
	for _, cond := range []string{"true", "steps.fetch.text == 'x'", "steps.fetch.text.contains('x')", "!(steps.nowhere.emailed)", "size(steps.fetch.text) > 2", "steps.fetch.text.lowerAscii().contains(steps.fetch.title)", "(((", ""} {
		if got, ok := ReadBackCondition(p, cond, nil); ok {
			t.Errorf("ReadBackCondition(%q) = %q, true; want no words for a shape the grammar does not write", cond, got)
		}
	}
}

// fixedTimes says each time as written, for the selection tests.
type fixedTimes struct{}

func (fixedTimes) Time(v any) (string, bool) { s, ok := v.(string); return s, ok && s != "" }
func (fixedTimes) IsNow(v any) bool          { return v == "now" }

func TestReadBackSelectionSaysThePlannersFilters(t *testing.T) {
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts"},
		{ID: "history", Command: "CheckEmailHistory", Args: map[string]any{"since": "S", "until": "now"}},
		{ID: "rows", Command: "ReadTable", Args: map[string]any{"path": "t.csv"}},
	}}
	const all = "${steps.contacts.contacts}"
	nameIs := func(n string) string {
		return `(c.name.trim().lowerAscii() == "` + n + `" || c.name.trim().lowerAscii().split(' ')[0] == "` + n + `")`
	}
	for _, tc := range []struct {
		items, as, cond string
		first           int
		want            string // "-": not recognised
	}{
		{all, "c", "", 0, ""},
		{all, "c", `c.email.lowerAscii().endsWith("@acme.com")`, 0, "at acme.com"},
		{all, "c", `(c.email.lowerAscii().endsWith("@a.com") || c.email.lowerAscii().endsWith("@b.org"))`, 0, "at a.com or b.org"},
		{all, "c", `c.email.lowerAscii().endsWith("@acme.com") && !` + nameIs("dave"), 0, "at acme.com except those named Dave"},
		{all, "c", nameIs("john smith"), 0, "named John Smith"},
		{all, "c", `!` + nameIs("bob") + ` && !` + nameIs("carol"), 0, "except those named Bob and Carol"},
		{all, "c", `c.name.trim().lowerAscii().startsWith("a")`, 0, "whose name starts with A"},
		{all, "c", `c.email.lowerAscii() != "bob@acme.com"`, 0, "except bob@acme.com"},
		// A group left out: "except those at acme.com", "except those named Bob at acme.com".
		{all, "c", `!c.email.lowerAscii().endsWith("@acme.com")`, 0, "except those at acme.com"},
		{all, "c", `!(` + nameIs("bob") + ` && c.email.lowerAscii().endsWith("@acme.com"))`, 0, "except those named Bob at acme.com"},
		{all, "c", `!` + nameIs("dave") + ` && !c.name.trim().lowerAscii().startsWith("b")`, 0, "except those named Dave and except those whose name starts with B"},
		{all, "c", `c.email in steps.history.emailed`, 0, "you have emailed since S"},
		{all, "c", `!(c.email in steps.history.emailed)`, 0, "you have not emailed since S"},
		{"${steps.rows.rows}", "row", `row.status.trim().lowerAscii() == "late"`, 0, `whose status is "late"`},
		{"${(size(steps.contacts.contacts) > 10 ? steps.contacts.contacts.slice(0, 10) : steps.contacts.contacts)}", "c", "", 10, ""},
		{`${(size(steps.contacts.contacts.filter(c, c.email.lowerAscii().endsWith("@x.com"))) > 3 ? steps.contacts.contacts.filter(c, c.email.lowerAscii().endsWith("@x.com")).slice(0, 3) : steps.contacts.contacts.filter(c, c.email.lowerAscii().endsWith("@x.com")))}`, "c", "", 3, "at x.com"},

		// Shapes that must stay as written.
		// Shapes the planner does not write, said part by part (describe.go), exactly as they test.
		{all, "c", `c.email.endsWith("@acme.com")`, 0, `where the contact's email address ends with "@acme.com"`}, // case matters
		{all, "c", `c.email.lowerAscii().endsWith("acme.com")`, 0, `where the contact's email address ends with "acme.com" (ignoring case)`},
		{all, "c", `c.email.lowerAscii().endsWith("@acme.com") || ` + nameIs("dave"), 0,
			`where the contact's email address ends with "@acme.com" (ignoring case) or the contact's name is "dave" (ignoring case and spaces around it) or the contact's first name is "dave" (ignoring case)`},
		{all, "c", `c.name.trim().lowerAscii() == "dave" || c.name.trim().lowerAscii().split(' ')[0] == "bob"`, 0,
			`where the contact's name is "dave" (ignoring case and spaces around it) or the contact's first name is "bob" (ignoring case)`},
		{all, "c", `c.name.trim().lowerAscii().split(' ')[0] != "dave"`, 0, `where the contact's first name is not "dave" (ignoring case)`},
		{all, "c", `c.name.startsWith("A")`, 0, `where the contact's name starts with "A"`},
		{all, "c", `!(c.email in steps.rows.rows)`, 0, "where the contact's email address is not one of the table's rows (step 3)"},
		{"${steps.contacts.contacts.filter(c, c.name == 'x')}", "c", "", 0, `where the contact's name is "x"`},

		// Shapes that must stay as written.
		{all, "c", `c.email.lowerAscii().endsWith("@Acme.com")`, 0, "-"}, // never matches a lower-cased address
		{all, "c", `d.email.lowerAscii().endsWith("@acme.com")`, 0, "-"}, // not the item
		{all, "c", `c.email.lowerAscii().endsWith(`, 0, "-"},             // does not parse
		{all, "c", `c.email.size() % 2 == 0`, 0, "-"},                    // arithmetic it has no words for
		{all, "c", `c.name < "m"`, 0, "-"},                               // an order of texts
		{"${(size(steps.contacts.contacts) > 10 ? steps.contacts.contacts.slice(0, 5) : steps.contacts.contacts)}", "c", "", 0, "-"},
		{"${(size(steps.contacts.contacts) > 10 ? steps.rows.rows.slice(0, 10) : steps.contacts.contacts)}", "c", "", 0, "-"},
		{"${steps.contacts.contacts.filter(c, c.name.upperAscii() == 'x')}", "c", "", 0, "-"},
		{"${steps.nope.contacts}", "c", "", 0, "-"},
	} {
		sel, ok := ReadBackSelection(p, tc.items, tc.as, tc.cond, fixedTimes{})
		switch {
		case tc.want == "-" && ok:
			t.Errorf("%s if %s: read as %+v, want it shown as written", tc.items, tc.cond, sel)
		case tc.want != "-" && !ok:
			t.Errorf("%s if %s: not recognised, want %q", tc.items, tc.cond, tc.want)
		case ok && (sel.Filter != tc.want || sel.First != tc.first):
			t.Errorf("%s if %s: first %d filter %q, want first %d filter %q", tc.items, tc.cond, sel.First, sel.Filter, tc.first, tc.want)
		}
	}
}

func TestReadBackTemplateWritesThePlaceholders(t *testing.T) {
	for _, tc := range []struct {
		text, as, want string
		fills          []string // nil: not recognised
	}{
		{"Hi ${c.name.trim().split(' ')[0]}", "c", "Hi {first name}", []string{"first name"}},
		{"Dear ${c.name.trim()} (${c.email})", "c", "Dear {name} ({email})", []string{"name", "address"}},
		{"Your order ${row.order} is late, ${row.order}", "row", "Your order {order} is late, {order}", []string{"order"}},
		// A literal "${5}" keeps its dollar, which tells it from a placeholder; the fills name the rest.
		{"Cost: $${5} for ${row.item}", "row", "Cost: ${5} for {item}", []string{"item"}},
		{"Cost: $${5 for ${row.item}", "row", "", nil}, // an unclosed literal "${": its brace would read as one
		{"Hi", "c", "", nil},                                // nothing filled: a literal
		{"Hi ${c.name}", "c", "", nil},                      // not the planner's field
		{"Hi ${d.email}", "c", "", nil},                     // not the item
		{"Hi ${c.name.upperAscii()}", "c", "", nil},         // an expression
		{"Hi ${steps.compose.body}", "c", "", nil},          // another step
		{"Use {first name} ${c.email}", "c", "", nil},       // literal braces would read as a placeholder
		{"Hi ${c.name.trim().split(',')[0]}", "c", "", nil}, // another split
		{"Hi ${c.email", "c", "", nil},                      // unclosed
	} {
		got, fills, ok := ReadBackTemplate(tc.text, tc.as)
		if ok != (tc.fills != nil) || ok && (got != tc.want || !slices.Equal(fills, tc.fills)) {
			t.Errorf("ReadBackTemplate(%q) = %q %q %v, want %q %q", tc.text, got, fills, ok, tc.want, tc.fills)
		}
	}
}
