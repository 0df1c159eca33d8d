package starter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/workflows"
)

func TestPrintResultEndsNoLineInSpaces(t *testing.T) {
	res := workflows.Result{WorkflowID: "program-1", Program: "Send 'Hi' to all my contacts", State: workflows.StateCompleted,
		Summary: "send: 1 done, 1 skipped, 0 failed",
		Steps: []workflows.StepResult{
			{ID: "contacts", Command: "RetrieveContacts", State: workflows.StateDone,
				Items: []workflows.ItemResult{{Item: 0, Label: "RetrieveContacts", State: workflows.StateDone}}},
			{ID: "send", Command: "SendEmail", State: workflows.StateDone, NotListed: 3, Items: []workflows.ItemResult{
				{Item: 1, Label: "alice@example.com", State: workflows.StateDone},
				{Item: 2, Label: "bob@example.com", State: workflows.StateSkipped, Reason: "you emailed them since Monday"},
			}},
		},
	}
	var b bytes.Buffer
	PrintResult(&b, res)
	want := `Program:  Send 'Hi' to all my contacts
Workflow: program-1
Result:   completed: send: 1 done, 1 skipped, 0 failed
1. contacts  RetrieveContacts   done
2. send      SendEmail          done
             alice@example.com  sent
             bob@example.com    not sent  you emailed them since Monday
             (3 more, not listed; every task's result is on task.result)
`
	if got := b.String(); got != want {
		t.Errorf("PrintResult wrote\n%s\nwant\n%s", strings.ReplaceAll(got, " \n", "·\n"), want)
	}
}
