package starter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/eaapl/eaapl/workflows"
)

// MaxListed bounds how many programs List returns: each costs a request for its text.
const MaxListed = 200

// Program is one program as `eaapl list` shows it.
type Program struct {
	WorkflowID string    `json:"workflow_id"`
	Text       string    `json:"text"`
	Status     string    `json:"status"` // running, completed, failed, canceled, terminated, timed_out, continued_as_new
	Started    time.Time `json:"started"`
	Closed     time.Time `json:"closed,omitzero"`
}

// ListFilter chooses the programs List returns.
type ListFilter struct {
	Status string // one of Statuses; "" for any
	Text   string // words the program's text contains, case-insensitively; "" for any
	Limit  int    // 1..MaxListed
}

// statuses are the program statuses a filter names, as Temporal's visibility queries spell them.
var statuses = map[string]string{
	"running": "Running", "completed": "Completed", "failed": "Failed", "canceled": "Canceled",
	"terminated": "Terminated", "timed_out": "TimedOut", "continued_as_new": "ContinuedAsNew",
}

// Statuses are the statuses a ListFilter may name.
func Statuses() []string {
	return []string{"running", "completed", "failed", "canceled", "terminated", "timed_out", "continued_as_new"}
}

// List returns the most recent programs, newest first, through Temporal's visibility API. A program's
// text is its static summary (set at start), or else the program in its input.
func (s *Starter) List(ctx context.Context, f ListFilter) ([]Program, error) {
	query := fmt.Sprintf("WorkflowType = '%s'", workflows.WorkflowType)
	if f.Status != "" {
		st, ok := statuses[f.Status]
		if !ok {
			return nil, fmt.Errorf("unknown status %q; the statuses are %s", f.Status, strings.Join(Statuses(), ", "))
		}
		query += fmt.Sprintf(" AND ExecutionStatus = '%s'", st)
	}
	limit := min(max(f.Limit, 1), MaxListed)
	var out []Program
	var token []byte
	for len(out) < limit {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(limit), NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list programs: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			p := Program{
				WorkflowID: e.GetExecution().GetWorkflowId(),
				Status:     statusName(e.GetStatus()),
				Started:    e.GetStartTime().AsTime(),
			}
			if e.GetCloseTime() != nil {
				p.Closed = e.GetCloseTime().AsTime()
			}
			p.Text = s.programText(ctx, p.WorkflowID, e.GetExecution().GetRunId())
			if f.Text != "" && !strings.Contains(strings.ToLower(p.Text), strings.ToLower(f.Text)) {
				continue
			}
			if out = append(out, p); len(out) == limit {
				break
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return out, nil
}

// programText is a program's English: its static summary (set at start), or else the program of its
// plan (the plan query, which needs a worker), for a program started without one (temporal workflow
// start). "" when neither can be read.
func (s *Starter) programText(ctx context.Context, id, runID string) string {
	if d, err := s.Client.DescribeWorkflow(ctx, id, runID); err == nil {
		if summary, err := d.GetStaticSummary(); err == nil && summary != "" {
			return summary
		}
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := s.Client.QueryWorkflow(qctx, id, runID, workflows.QueryPlan)
	if err != nil {
		return ""
	}
	var p struct {
		Program string `json:"program"`
	}
	if v.Get(&p) != nil {
		return ""
	}
	return oneLine(p.Program, 200)
}

// statusName is a workflow status as List's filter names it: "timed_out".
func statusName(st enumspb.WorkflowExecutionStatus) string {
	for name, v := range statuses {
		if v == st.String() {
			return name
		}
	}
	return strings.ToLower(st.String())
}

// PrintPrograms writes programs as a table: ID, status, start time (local), text.
func PrintPrograms(w io.Writer, programs []Program) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tSTATUS\tSTARTED\tPROGRAM")
	for _, p := range programs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.WorkflowID, p.Status, p.Started.Local().Format("2006-01-02 15:04:05"), p.Text)
	}
	tw.Flush()
}

// Cancel asks a running program to stop: Temporal cancels it, its running tasks are told to stop, and
// what was done stays done.
//
// Temporal records who asked in the cancel request's identity: the client's (dial sets EAAPL_USER_ID).
func (s *Starter) Cancel(ctx context.Context, id string) error {
	// Temporal takes a cancel request for an ended program without a word; say it has ended instead.
	d, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return fmt.Errorf("cancel %s: it has already ended (%s); nothing to cancel", id, statusName(st))
	}
	if err := s.Client.CancelWorkflow(ctx, id, ""); err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	return nil
}

// Finished is a program that has ended: how, and its Result when it recorded one.
type Finished struct {
	Status string           // as Program.Status
	Result workflows.Result // empty when the program ended without one (terminated; canceled before canceled programs kept theirs)
	Err    error            // why it failed, when it did
}

// Finished returns how a program ended, or ok false while it runs.
func (s *Starter) Finished(ctx context.Context, id string) (f Finished, ok bool, err error) {
	d, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return Finished{}, false, fmt.Errorf("describe %s: %w", id, err)
	}
	st := d.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return Finished{}, false, nil
	}
	f.Status = statusName(st)
	werr := s.Client.GetWorkflow(ctx, id, "").Get(ctx, &f.Result)
	var failed *FailedError
	var canceled *CanceledError
	switch err := programError(werr); {
	case errors.As(err, &failed):
		f.Result, f.Err = failed.Result, failed
	case errors.As(err, &canceled):
		f.Result, f.Err = canceled.Result, canceled
	case err != nil:
		f.Err = err
	}
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED { // the SDK's error says only "terminated"
		if reason := s.terminationReason(ctx, id); reason != "" {
			f.Err = errors.New(reason)
		}
	}
	return f, true, nil
}

// terminationReason is the reason a terminated program's last event gives (a worker that ended a
// program whose workflow task kept failing says why there), or "" when it cannot be read.
func (s *Starter) terminationReason(ctx context.Context, id string) string {
	it := s.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return ""
		}
		if reason := ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason(); reason != "" {
			return reason
		}
	}
	return ""
}
