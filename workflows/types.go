// Package workflows is the Execution Agent: one workflow type that plans an English program, then
// interprets the plan, dispatching each step's tasks as Temporal activities as soon as the results they
// depend on arrive.
package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// Names that clients and people type.
const (
	// WorkflowType is the workflow type: `temporal workflow start --type Program --task-queue eaapl --input '"Send ..."'`.
	WorkflowType = "Program"
	// QueryPlan returns the program's plan (null while it is being planned).
	QueryPlan = "plan"
	// QueryStatus returns a Status.
	QueryStatus = "status"
	// QueryAudit returns an Audit: who started the program, who answered what and when (`eaapl audit`).
	QueryAudit = "audit"
)

// MaxProgramBytes bounds a program's English text: checked by the starter before it enters a history,
// and by the workflow before it enters the planner, a log or an event.
const MaxProgramBytes = 64 << 10

// excerptLen is how much of a too-large or unexpected value an error quotes.
const excerptLen = 80

// Excerpt quotes s for an error or a log: whole when short, else its first 80 bytes (cut at a
// character) and its size, "\"Dear …\"…(1,048,576 bytes)", so that a large value never travels whole.
func Excerpt(s string) string {
	if len(s) <= excerptLen {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q…(%s bytes)", s[:cutAt(s)], thousands(len(s)))
}

// excerptRaw is Excerpt for JSON as it was sent, unquoted.
func excerptRaw(s string) string {
	if len(s) <= excerptLen {
		return s
	}
	return fmt.Sprintf("%s…(%s bytes)", s[:cutAt(s)], thousands(len(s)))
}

// cutAt is where an excerpt of s ends: at most excerptLen bytes, at the start of a character.
func cutAt(s string) int {
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return cut
}

// thousands writes n with commas: 1048576 -> 1,048,576.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// DefaultMaxConcurrency is how many of a program's tasks run at once when the input does not say.
const DefaultMaxConcurrency = 100

// maxConcurrency keeps a program well below Temporal's limit of 2,000 pending activities.
const maxConcurrency = 500

// Input is a program to run: English text, or a plan written by hand.
type Input struct {
	Program        string     `json:"program,omitempty"`
	Plan           *plan.Plan `json:"plan,omitempty"`
	UserID         string     `json:"user_id,omitempty"`
	MaxConcurrency int        `json:"max_concurrency,omitempty"` // 1..500; DefaultMaxConcurrency when 0
	// EventsTimeout bounds how long the program waits at its end for its events to reach Kafka, as Go
	// duration text ("30s"); DefaultEventsTimeout when empty.
	EventsTimeout string `json:"events_timeout,omitempty"`
	// Planner asks for a planner, "rules" or "llm" (`eaapl run --planner`); the worker's default when empty.
	Planner string `json:"planner,omitempty"`
	// NoCache makes the LLM planner ask the model even when the plan cache has the program's plan.
	NoCache bool `json:"no_cache,omitempty"`
	// TimeZone is the IANA zone "today", "this week" and "at 5pm" are reckoned in, as the person who
	// started the program has it (`eaapl run` sends EAAPL_TIMEZONE); the worker's EAAPL_TIMEZONE when empty.
	TimeZone string `json:"time_zone,omitempty"`
	// QuestionTimeout is how long a question waits for an answer, as Go duration text ("1h");
	// DefaultQuestionTimeout when empty. QuestionDefault is the answer applied then: skip (the default)
	// or abort.
	QuestionTimeout string `json:"question_timeout,omitempty"`
	QuestionDefault string `json:"question_default,omitempty"`
	// ApprovalThreshold was the most tasks a step with side effects runs without approval; since
	// identities (versionIdentities) the worker's EAAPL_APPROVAL_THRESHOLD decides, and this is ignored:
	// kept so that older histories replay as they ran.
	ApprovalThreshold int `json:"approval_threshold,omitempty"`
	// Approved approves in advance (`eaapl run --yes`): since identities, an approval answered by the
	// identity that started the program, when it says one.
	Approved bool `json:"approved,omitempty"`
	// FirstRun says the starter made sure no earlier run had this workflow ID (starter.Start refuses
	// to reuse one unless told to), so a batch's fresh items need not look for their emails in the
	// mailbox first. Without it every item is looked for: a run that reuses an ID never sends twice.
	FirstRun bool `json:"first_run,omitempty"`
	// ShardSize is the most items of a for_each step one history runs: a step over more runs in shards
	// of this size (shard.go); DefaultShardSize when 0.
	ShardSize int `json:"shard_size,omitempty"`
	// DryRun runs the steps that only read and previews those that write (catalog.Task.DryRun).
	DryRun bool `json:"dry_run,omitempty"`
}

// UnmarshalJSON also accepts a bare JSON string as the program text, so that
// `temporal workflow start --input '"Send an email ..."'` works.
func (in *Input) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*in = Input{}
		return json.Unmarshal(b, &in.Program)
	}
	type plain Input // without this method
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("program input: %w (expected the program text as a JSON string, or {\"program\": ...} or {\"plan\": ...})", err)
	}
	*in = Input(p)
	return nil
}

// The states of a step, and of a program.
const (
	StatePlanning  = "planning"
	StatePending   = "pending"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateSkipped   = "skipped"
	StateCompleted = "completed" // a program whose steps all ended without failure
	StateWaiting   = "waiting"   // a step waiting for the user to approve it
	// StateCanceled is a step that was running or waiting when the program was canceled (eaapl cancel,
	// the Web UI's Cancel), and a program that was canceled.
	StateCanceled = "canceled"
	// StateNotRun is a step that had not begun when the program was canceled.
	StateNotRun = "not run"
)

// Status is the answer to the status query.
type Status struct {
	WorkflowID string       `json:"workflow_id"`
	Program    string       `json:"program,omitempty"`
	State      string       `json:"state"`
	Steps      []StepStatus `json:"steps"`
	Questions  []Question   `json:"questions,omitempty"` // the open questions, waiting for an answer
}

// StepStatus is one step's progress.
type StepStatus struct {
	ID          string `json:"id"`
	Command     string `json:"command"`
	Description string `json:"description,omitempty"`
	State       string `json:"state"`
	Total       int    `json:"total"` // tasks: 1, or the number of for_each items
	Running     int    `json:"running"`
	Done        int    `json:"done"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Waiting     int    `json:"waiting,omitempty"`  // tasks waiting for an answer to a question
	Attempts    int32  `json:"attempts,omitempty"` // highest attempt number among its finished tasks
	Reason      string `json:"reason,omitempty"`   // why it failed or was skipped
}

// Result is what a program did: per step, and per item of a for_each step (per contact, for the emails).
type Result struct {
	WorkflowID string         `json:"workflow_id"`
	Program    string         `json:"program,omitempty"`
	State      string         `json:"state"` // completed or failed
	Summary    string         `json:"summary"`
	Steps      []StepResult   `json:"steps"`
	Answer     *ProgramAnswer `json:"answer,omitempty"` // what a program that asks a question answers
}

// StepResult is one step's outcome. A step without for_each has one item.
type StepResult struct {
	ID          string       `json:"id"`
	Command     string       `json:"command"`
	Description string       `json:"description,omitempty"`
	State       string       `json:"state"`
	Reason      string       `json:"reason,omitempty"`
	Items       []ItemResult `json:"items"`
	// NotListed counts the items left out of Items: a step lists at most listedItems, those that were not
	// done first, so that the result stays under Temporal's payload limit at any size.
	NotListed int `json:"not_listed,omitempty"`
	// Reports are a sharded step's stored reports, one per shard in shard order: every
	// item's result (without its task's details), read with the ReadListPage activity or
	// contentvalue.ReadRange.
	Reports []contentvalue.List `json:"reports,omitempty"`
}

// ItemResult is one task's outcome, or why no task ran for the item.
type ItemResult struct {
	Item   int                 `json:"item"`  // 1-based position in the for_each list; 0 for a step without one
	Label  string              `json:"label"` // what the task was about: "SendEmail to alice@example.com"
	State  string              `json:"state"` // done, skipped or failed
	Reason string              `json:"reason,omitempty"`
	Task   *catalog.TaskResult `json:"task,omitempty"`
}

// Audit is what the audit query returns: who did what to the program, from its own state.
type Audit struct {
	WorkflowID string `json:"workflow_id"`
	// Owner is the identity that started the program (empty: it said none, or it started before identities).
	Owner      string    `json:"owner"`
	Started    time.Time `json:"started"`
	ProgramSHA string    `json:"program_sha256,omitempty"` // of the English text
	PlanSHA    string    `json:"plan_sha256,omitempty"`    // of the plan's JSON, once planned
	Approvers  []string  `json:"approvers,omitempty"`      // the worker's, besides the owner
	// ApprovalThreshold is the threshold the program obeyed (the worker's, since identities).
	ApprovalThreshold int        `json:"approval_threshold"`
	Questions         []Question `json:"questions,omitempty"` // every question, with who answered it and when
	Refused           []Refusal  `json:"refused,omitempty"`   // answers by signal refused because of who sent them
	State             string     `json:"state"`
}

// ErrProgramFailed is the error type of a program that ended with failed tasks; its details hold the Result.
const ErrProgramFailed = "ProgramFailed"
