package starter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/workflows"
)

// AuditReport is who did what to a program: the program's own record (its audit query), and what
// Temporal recorded of the requests it took (its history), plus its security.events when read.
type AuditReport struct {
	workflows.Audit
	Status    string    `json:"status"`                    // Temporal's: running, completed, failed, ...
	StartedBy string    `json:"started_by,omitempty"`      // the start request's client identity, as Temporal recorded it
	Closed    time.Time `json:"closed,omitzero"`           // when it ended
	Requests  []Request `json:"requests,omitempty"`        // updates, signals and cancels Temporal took, with who sent them
	Events    []string  `json:"security_events,omitempty"` // its security.events records, when Kafka was read
	// Partial says why part of the report is missing (no worker answered the audit query).
	Partial string `json:"partial,omitempty"`
}

// Request is a request to the program as its history records it.
type Request struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`               // update, signal or cancel
	Name     string    `json:"name,omitempty"`     // the update's or signal's name
	Identity string    `json:"identity,omitempty"` // the eaapl-identity header's, when it had one
	Client   string    `json:"client,omitempty"`   // the client identity Temporal recorded (anyone may write it)
}

// maxAuditEvents bounds the history Audit reads: a program's history is bounded by Temporal (51,200
// events by default), this keeps a report readable.
const maxAuditEvents = 100_000

// Audit reports who started a program and who answered, approved, was refused or canceled, with the
// hashes of its text and plan. The program's record comes from its audit query, which a worker
// answers (a running worker replays an ended program to answer it); without one, the report holds
// what the history says and Partial says why.
func (s *Starter) Audit(ctx context.Context, id string) (AuditReport, error) {
	var r AuditReport
	v, qerr := s.Client.QueryWorkflow(ctx, id, "", workflows.QueryAudit)
	if qerr == nil {
		qerr = v.Get(&r.Audit)
	}
	if qerr != nil {
		r.WorkflowID, r.Partial = id, "the program's own record (owner, hashes, answers) could not be read: "+qerr.Error()
	}
	d, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return r, fmt.Errorf("audit %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	r.Status = statusName(info.GetStatus())
	if info.GetCloseTime() != nil {
		r.Closed = info.GetCloseTime().AsTime()
	}
	it := s.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for n := 0; it.HasNext() && n < maxAuditEvents; n++ {
		ev, err := it.Next()
		if err != nil {
			return r, fmt.Errorf("audit %s: read its history: %w", id, err)
		}
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			a := ev.GetWorkflowExecutionStartedEventAttributes()
			r.StartedBy = a.GetIdentity()
			if r.Started.IsZero() {
				r.Started = at
			}
			if qerr != nil {
				r.Owner = headerIdentity(a.GetHeader().GetFields())
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes()
			req := a.GetAcceptedRequest()
			r.Requests = append(r.Requests, Request{At: at, Kind: "update", Name: req.GetInput().GetName(),
				Identity: headerIdentity(req.GetInput().GetHeader().GetFields()), Client: req.GetMeta().GetIdentity()})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a := ev.GetWorkflowExecutionSignaledEventAttributes()
			r.Requests = append(r.Requests, Request{At: at, Kind: "signal", Name: a.GetSignalName(),
				Identity: headerIdentity(a.GetHeader().GetFields()), Client: a.GetIdentity()})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
			a := ev.GetWorkflowExecutionCancelRequestedEventAttributes()
			r.Requests = append(r.Requests, Request{At: at, Kind: "cancel", Client: a.GetIdentity()})
		}
	}
	return r, nil
}

// headerIdentity reads the eaapl-identity header from a history event's header, "" when absent.
func headerIdentity(fields map[string]*commonpb.Payload) string {
	p, ok := fields[identity.HeaderKey]
	if !ok {
		return ""
	}
	var id string
	if converter.GetDefaultDataConverter().FromPayload(p, &id) != nil || identity.Check(id) != nil {
		return ""
	}
	return id
}

// AddSecurityEvents adds a program's security.events records to its report, in time order, one line
// each: when, the event's type, who, and what happened.
func (r *AuditReport) AddSecurityEvents(records []bridge.Record) {
	slices.SortStableFunc(records, func(a, b bridge.Record) int { return a.Timestamp.Compare(b.Timestamp) })
	for _, rec := range records {
		var ev bridge.SecurityEvent
		if err := json.Unmarshal(rec.Value, &ev); err != nil {
			r.Events = append(r.Events, fmt.Sprintf("%s (not a security event: %v)", rec.EventID, err))
			continue
		}
		who := ev.UserID
		if who == "" {
			who = "(no identity)"
		}
		line := fmt.Sprintf("%s %s %s: %s", ev.Timestamp, ev.EventType, who, ev.Description)
		if ev.WorkerID != "" {
			line += " [worker " + ev.WorkerID + "]"
		}
		r.Events = append(r.Events, line)
	}
}

// PrintAudit writes an audit report for people.
func PrintAudit(w io.Writer, r AuditReport) {
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	fmt.Fprintf(w, "Program  %s (%s)\n", r.WorkflowID, r.Status)
	owner := r.Owner
	if owner == "" {
		owner = "nobody: the start carried no identity (or it started before identities)"
	}
	fmt.Fprintf(w, "Owner    %s, started %s", owner, when(r.Started))
	if r.StartedBy != "" && r.StartedBy != r.Owner {
		fmt.Fprintf(w, " (Temporal's client identity: %s)", r.StartedBy)
	}
	fmt.Fprintln(w)
	if !r.Closed.IsZero() {
		fmt.Fprintf(w, "Ended    %s\n", when(r.Closed))
	}
	if r.ProgramSHA != "" {
		fmt.Fprintf(w, "Text     sha256 %s\n", r.ProgramSHA)
	}
	if r.PlanSHA != "" {
		fmt.Fprintf(w, "Plan     sha256 %s\n", r.PlanSHA)
	}
	if r.Partial == "" {
		approvers := "none besides the owner"
		if len(r.Approvers) > 0 {
			approvers = strings.Join(r.Approvers, ", ")
		}
		fmt.Fprintf(w, "Policy   approval above %d emails a step (0: never); approvers: %s\n", r.ApprovalThreshold, approvers)
	}
	for _, q := range r.Questions {
		by := q.By
		if q.Via != "" {
			by += " by " + q.Via
		}
		answer := q.Answer
		if q.Kind != workflows.KindApproval && q.Kind != workflows.KindDecision && len(answer) > 0 {
			answer = workflows.Excerpt(answer)
		}
		fmt.Fprintf(w, "%-8s %s (%s, step %s) asked %s: %s", q.ID, oneLine(q.Text, 100), q.Kind, q.Step, when(q.Asked), q.State)
		if q.State != workflows.QuestionOpen {
			fmt.Fprintf(w, " %s, %s at %s", answer, by, when(q.Answered))
		}
		fmt.Fprintln(w)
	}
	for _, f := range r.Refused {
		who := f.By
		if who == "" {
			who = "(no identity)"
		}
		fmt.Fprintf(w, "Refused  %s %s by %s to %s: %s\n", when(f.At), who, f.Via, f.QuestionID, f.Reason)
	}
	for _, q := range r.Requests {
		who := q.Identity
		switch {
		case q.Kind == "cancel": // a cancel has no header: Temporal's record of the client is all there is
			who = q.Client
		case who == "":
			who = "(no identity)"
		}
		fmt.Fprintf(w, "Request  %s %s %s from %s (client %s)\n", when(q.At), q.Kind, q.Name, who, q.Client)
	}
	for _, e := range r.Events {
		fmt.Fprintf(w, "Event    %s\n", e)
	}
	if r.Partial != "" {
		fmt.Fprintf(w, "Partial  %s\n", r.Partial)
	}
}
