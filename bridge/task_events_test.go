package bridge

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

func TestTaskEvents(t *testing.T) {
	t.Run("KeepEveryEventUnderTheRecordLimit", func(t *testing.T) {
		contacts := make([]any, 10_000)
		for i := range contacts {
			contacts[i] = map[string]any{"name": fmt.Sprintf("Contact %d", i), "email": fmt.Sprintf("contact-%05d@example.com", i), "source": "contacts.csv"}
		}
		task := catalog.Task{TaskID: "history", Command: "CheckEmailHistory", Parameters: map[string]any{"contacts": contacts, "since": "2026-11-23T00:00:00Z"},
			Context: catalog.TaskContext{WorkflowID: "wf", Step: "history"}}
		result := catalog.TaskResult{TaskID: "contacts", Status: catalog.StatusSuccess, Output: map[string]any{"contacts": contacts, "count": 10_000}}
		events := append(DispatchEvents(task, nil), ResultEvents("wf", result, "2026-11-25T00:00:00Z")...)
		for _, e := range events {
			b, err := json.Marshal(e.Value)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > maxValueBytes+1024 {
				t.Errorf("%s is %d bytes, over the bound %d", e.ID, len(b), maxValueBytes)
			}
		}
		d := events[0].Value.(TaskDispatch)
		if got := d.Parameters["since"]; got != "2026-11-23T00:00:00Z" {
			t.Errorf("a short parameter was changed: since = %v", got)
		}
		if got := fmt.Sprint(d.Parameters["contacts"]); !strings.Contains(got, "a list of 10000 items") {
			t.Errorf("contacts = %.80s..., want a note that names the 10000 items left out", got)
		}
		if got := events[1].Value.(TaskResult).Output["count"]; got != 10_000 {
			t.Errorf("count = %v, want 10000", got)
		}
	})

	t.Run("LeaveSmallEventsAlone", func(t *testing.T) {
		task := catalog.Task{TaskID: "send_1", Command: "SendEmail", Parameters: map[string]any{"to": "ada@example.com"}, Context: catalog.TaskContext{WorkflowID: "wf", Step: "send", Item: 1}}
		events := DispatchEvents(task, []string{"compose"})
		if got, want := len(events), 2; got != want {
			t.Fatalf("%d events, want task.dispatch and task.chain", got)
		}
		if got := events[0].Value.(TaskDispatch).Parameters["to"]; got != "ada@example.com" {
			t.Errorf("to = %v", got)
		}
		if got, want := events[1].ID, "wf/task.chain/send_1"; got != want {
			t.Errorf("task.chain id %q, want %q", got, want)
		}
	})
}
