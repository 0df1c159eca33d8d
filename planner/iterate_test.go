package planner

import (
	"slices"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// The plans of iterations and value conditions, evaluated as the interpreter evaluates them (plan.Compile,
// Items, Condition, Args) over outputs the commands could give: the lines, rows and values they go over.
func TestIterationsAndValueConditionsEvaluate(t *testing.T) {
	compile := func(t *testing.T, program string) *plan.Compiled {
		t.Helper()
		c, err := plan.Compile(mustPlan(t, &Rules{}, program, now))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("EachLineIsAnAddress", func(t *testing.T) {
		c := compile(t, "For each line in emails.txt, send 'Hi' to it")
		// ReadLines gives the lines that are not blank, trimmed (activities/files).
		out := map[string]any{"lines": map[string]any{"lines": []any{"ann@example.com", "bob@example.com", "carol@example.com"}}}
		items, err := c.Items("send", plan.Scope{Now: now, Steps: out})
		if err != nil {
			t.Fatal(err)
		}
		want := []any{"ann@example.com", "bob@example.com", "carol@example.com"}
		if !slices.Equal(items, want) {
			t.Fatalf("items = %q, want %q", items, want)
		}
		args, err := c.Args("send", plan.Scope{Now: now, Steps: out, ItemName: "line", Item: items[1]})
		if err != nil || args["to"] != "bob@example.com" || args["body"] != "Hi" {
			t.Fatalf("args = %v, %v", args, err)
		}
	})
	t.Run("WhereKeepsTheRowsWhoseCellIsTheValue", func(t *testing.T) {
		c := compile(t, "For each row in orders.xlsx where status is late, email the address in the email column saying 'Order {order} is late'")
		rows := []any{
			map[string]any{"email": "ann@example.com", "order": "17", "status": " Late "},
			map[string]any{"email": "bob@example.com", "order": "18", "status": "shipped"},
		}
		out := map[string]any{"rows": map[string]any{"rows": rows}}
		var kept []any
		for _, r := range rows {
			ok, err := c.Condition("send", plan.Scope{Now: now, Steps: out, ItemName: "row", Item: r})
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				args, err := c.Args("send", plan.Scope{Now: now, Steps: out, ItemName: "row", Item: r})
				if err != nil {
					t.Fatal(err)
				}
				kept = append(kept, args["to"], args["body"])
			}
		}
		if want := []any{"ann@example.com", "Order 17 is late"}; !slices.Equal(kept, want) {
			t.Fatalf("sent %q, want %q", kept, want)
		}
	})
	t.Run("ACountAndAContainsDecideTheSend", func(t *testing.T) {
		for _, tc := range []struct {
			program string
			out     map[string]any
			want    bool
		}{
			{"List the files matching *.csv. If there are more than 2 files, send 'Many files' to bob@example.com",
				map[string]any{"list": map[string]any{"files": []any{"a", "b", "c"}, "count": 3}}, true},
			{"List the files matching *.csv. If there are more than 2 files, send 'Many files' to bob@example.com",
				map[string]any{"list": map[string]any{"files": []any{"a", "b"}, "count": 2}}, false},
			// FindText looks in the page on the worker (activities/text); the send reads its answer.
			{"Fetch https://status.example.test/ and if the page contains 'down', email it to ops@example.com",
				map[string]any{"fetch": map[string]any{"text": map[string]any{"ref": "sha256:1", "size": 60 << 20}}, "test": map[string]any{"contains": true}}, true},
			{"Fetch https://status.example.test/ and if the page contains 'down', email it to ops@example.com",
				map[string]any{"fetch": map[string]any{"text": "All systems up"}, "test": map[string]any{"contains": false}}, false},
			{"Fetch https://status.example.test/ and if the page does not contain 'down', email it to ops@example.com",
				map[string]any{"fetch": map[string]any{"text": "All systems up"}, "test": map[string]any{"contains": false}}, true},
			{"Read mail.txt and classify it as urgent, normal or low. If the label is urgent, send 'Urgent mail' to bob@example.com",
				map[string]any{"read": map[string]any{"text": "x"}, "classify": map[string]any{"label": "urgent"}}, true},
			{"Read mail.txt and classify it as urgent, normal or low. If the label is urgent, send 'Urgent mail' to bob@example.com",
				map[string]any{"read": map[string]any{"text": "x"}, "classify": map[string]any{"label": "low"}}, false},
		} {
			pl := mustPlan(t, &Rules{}, tc.program, now)
			c, err := plan.Compile(pl)
			if err != nil {
				t.Fatal(err)
			}
			send := pl.Steps[len(pl.Steps)-1].ID // the send is the last step
			got, err := c.Condition(send, plan.Scope{Now: now, Steps: tc.out})
			if err != nil || got != tc.want {
				t.Errorf("%q over %v: condition %v, %v; want %v", tc.program, tc.out, got, err, tc.want)
			}
		}
	})
	t.Run("AContainsOnAPageIsTestedOnTheWorker", func(t *testing.T) {
		pl := mustPlan(t, &Rules{}, "Fetch https://status.example.test/ and if the page contains 'down', email it to ops@example.com", now)
		test, ok := pl.Step("test")
		if !ok || test.Command != "FindText" || test.Args["text"] != "${steps.fetch.text}" || test.Args["phrase"] != "down" {
			t.Fatalf("steps %+v, want a FindText step over the page's text looking for down", pl.Steps)
		}
	})
}

func TestAWebAddressWithAPortIsOneValue(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Fetch http://127.0.0.1:8080/status and email the page to ops@example.com.", now)
	if got := p.Steps[0].Args["url"]; got != "http://127.0.0.1:8080/status" {
		t.Fatalf("url = %v, want http://127.0.0.1:8080/status", got)
	}
}
