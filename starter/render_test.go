package starter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
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

func TestPrintResultAlignsTheReasonsOfSteps(t *testing.T) {
	res := workflows.Result{WorkflowID: "program-2", State: workflows.StateFailed, Summary: "contacts failed",
		Steps: []workflows.StepResult{
			{ID: "contacts", Command: "RetrieveContacts", State: workflows.StateFailed, Reason: "no contacts file"},
			{ID: "compose", Command: "ComposeEmail", State: workflows.StateDone},
			{ID: "send", Command: "SendEmail", State: workflows.StateSkipped, Reason: `it depends on step "contacts", which failed`},
		},
	}
	var b bytes.Buffer
	PrintResult(&b, res)
	lines := strings.Split(b.String(), "\n")
	first, last := lines[3], lines[5]
	if a, z := strings.Index(first, "no contacts file"), strings.Index(last, "it depends on"); a < 0 || a != z {
		t.Errorf("the reasons start at columns %d and %d, want the same:\n%s", a, z, b.String())
	}
	if got, want := lines[4], "2. compose   ComposeEmail      done"; got != want {
		t.Errorf("line 5 = %q, want %q", got, want)
	}
}

func TestPrintResultShowsTheAnswer(t *testing.T) {
	res := workflows.Result{WorkflowID: "program-2", Program: "How many of my contacts have I not emailed this month?", State: workflows.StateCompleted,
		Summary: "3 steps done",
		Answer:  &workflows.ProgramAnswer{Kind: "number", Value: 2, Text: "How many of your contacts you have not emailed since Sunday 1 November: 2"},
	}
	var b bytes.Buffer
	PrintResult(&b, res)
	if want := "\nAnswer:   How many of your contacts you have not emailed since Sunday 1 November: 2\n"; !strings.Contains(b.String(), want) {
		t.Errorf("PrintResult wrote\n%s\nwant it to contain %q", b.String(), want)
	}
}

func TestPrintStatusSaysUntilWhenAStepWaits(t *testing.T) {
	st := workflows.Status{WorkflowID: "program-3", State: workflows.StateRunning, Steps: []workflows.StepStatus{
		{ID: "wait", State: workflows.StateWaiting, Total: 1, Reason: "waiting until Friday 27 November 09:00:00 UTC"},
	}}
	var b bytes.Buffer
	PrintStatus(&b, st)
	if want := "waiting until Friday 27 November 09:00:00 UTC\n"; !strings.Contains(b.String(), want) || strings.Contains(b.String(), "(waiting") {
		t.Errorf("PrintStatus wrote\n%s\nwant the step %q, once", b.String(), want)
	}
}

// Issue 17 item 8: the contacts rows RetrieveContacts skipped are listed beside its step.
func TestPrintResultShowsSkippedContactsRows(t *testing.T) {
	res := workflows.Result{WorkflowID: "program-3", State: workflows.StateCompleted, Summary: "send: 1 done, 0 skipped, 0 failed",
		Steps: []workflows.StepResult{
			{ID: "contacts", Command: "RetrieveContacts", State: workflows.StateDone,
				Items: []workflows.ItemResult{{Item: 0, Label: "RetrieveContacts", State: workflows.StateDone, Task: &catalog.TaskResult{
					Output: map[string]any{"count": 1.0, "skipped_count": 2.0, "skipped": []any{"broken.csv:3: row has no email", "broken.csv:4: a@example.com is a duplicate of line 2"}},
				}}}},
			{ID: "send", Command: "SendEmail", State: workflows.StateDone, Items: []workflows.ItemResult{
				{Item: 1, Label: "a@example.com", State: workflows.StateDone},
			}},
		},
	}
	var b bytes.Buffer
	PrintResult(&b, res)
	want := "1. contacts  RetrieveContacts  done  2 rows skipped: broken.csv:3: row has no email; broken.csv:4: a@example.com is a duplicate of line 2\n"
	if got := b.String(); !strings.Contains(got, want) {
		t.Errorf("PrintResult wrote\n%s\nwant a line\n%s", got, want)
	}
}

func TestPrintDryRunSaysWhatWouldBeSent(t *testing.T) {
	preview := func(to string) *catalog.TaskResult {
		return &catalog.TaskResult{Status: catalog.StatusSuccess, Preview: "would send 'Hello World!' to " + to}
	}
	res := workflows.Result{WorkflowID: "program-3", Program: "Send 'Hello World!' to all my contacts", State: workflows.StateCompleted,
		Steps: []workflows.StepResult{
			{ID: "contacts", Command: "RetrieveContacts", State: workflows.StateDone,
				Items: []workflows.ItemResult{{Item: 0, Label: "RetrieveContacts", State: workflows.StateDone}}},
			{ID: "send", Command: "SendEmail", State: workflows.StateDone, Items: []workflows.ItemResult{
				{Item: 1, Label: "alice@example.com", State: workflows.StateDone, Task: preview("alice@example.com")},
				{Item: 2, Label: "bob@example.com", State: workflows.StateSkipped, Reason: "you emailed them since Monday"},
				{Item: 3, Label: "carol@example.com", State: workflows.StateDone, Task: preview("carol@example.com")},
			}},
		},
	}
	var b bytes.Buffer
	PrintDryRun(&b, res)
	want := `Program:  Send 'Hello World!' to all my contacts
Workflow: program-3
Dry run:  completed: nothing was sent or written
  would send 'Hello World!' to alice@example.com and carol@example.com; would not send to bob@example.com (you emailed them since Monday)
1. contacts  RetrieveContacts   done
2. send      SendEmail          done
             alice@example.com  would send 'Hello World!' to alice@example.com
             bob@example.com    would not send                                  you emailed them since Monday
             carol@example.com  would send 'Hello World!' to carol@example.com
`
	if got := b.String(); got != want {
		t.Errorf("PrintDryRun wrote\n%s\nwant\n%s", got, want)
	}
}

// A program canceled during its wait: the wait is canceled, saying what it waited for, and the steps
// after it are not run; each step has its command's name, the wait's too.
func TestPrintResultOfACanceledProgram(t *testing.T) {
	res := workflows.Result{WorkflowID: "program-5", Program: "Wait 10 minutes, then send 'x' to bob@example.com", State: workflows.StateCanceled,
		Summary: "the program was canceled; wait canceled while waiting until Wednesday 2 December 07:20:00 UTC; 2 steps not run",
		Steps: []workflows.StepResult{
			{ID: "wait", Command: "Wait", State: workflows.StateCanceled, Reason: "canceled while waiting until Wednesday 2 December 07:20:00 UTC"},
			{ID: "compose_2", Command: "ComposeEmail", State: workflows.StateNotRun, Reason: "the program was canceled before this step began"},
			{ID: "send_2", Command: "SendEmail", State: workflows.StateNotRun, Reason: "the program was canceled before this step began"},
		},
	}
	var b bytes.Buffer
	PrintEnded(&b, res, "canceled")
	want := `State:    canceled
Program:  Wait 10 minutes, then send 'x' to bob@example.com
Workflow: program-5
Result:   canceled: the program was canceled; wait canceled while waiting until Wednesday 2 December 07:20:00 UTC; 2 steps not run
1. wait       Wait          canceled  while waiting until Wednesday 2 December 07:20:00 UTC
2. compose_2  ComposeEmail  not run   the program was canceled before this step began
3. send_2     SendEmail     not run   the program was canceled before this step began
`
	if got := b.String(); got != want {
		t.Errorf("PrintEnded wrote\n%s\nwant\n%s", got, want)
	}
}
