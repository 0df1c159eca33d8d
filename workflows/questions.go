package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/identity"
)

// Names of the human-in-the-loop messages. The signal and the update share the name "answer" and the
// payload {"question_id": "q1", "answer": "..."}: the update checks the answer and returns the reason when
// it rejects it; a signal cannot return anything, so a bad answer by signal is logged and ignored.
const (
	QueryQuestions = "questions"
	SignalAnswer   = "answer"
	UpdateAnswer   = "answer"
)

// The answers every question takes besides its own, and those of failures and approvals.
const (
	AnswerSkip    = "skip"    // do not run this task (or this step's tasks); the program goes on
	AnswerAbort   = "abort"   // stop the program: nothing more is started, and it fails
	AnswerRetry   = "retry"   // run the failed task again
	AnswerApprove = "approve" // run the step's tasks
)

// The kinds of question, besides the catalog's input kinds (choice, text, address).
const (
	KindDecision = "decision" // a task gave up after its retries: retry, skip or abort
	KindApproval = "approval" // a step would send more than the approval threshold: approve, skip or abort
)

// The states of a question.
const (
	QuestionOpen     = "open"
	QuestionAnswered = "answered"
	QuestionTimedOut = "timed_out" // nobody answered in time: its default applied
	QuestionClosed   = "closed"    // the program was aborted while it was open
)

// DefaultQuestionTimeout is how long a question waits for an answer when the input does not say.
const DefaultQuestionTimeout = time.Hour

// Question is a question the program asks its user, with its answer once it has one.
type Question struct {
	ID      string           `json:"id"` // q1, q2, ... in the order asked
	Step    string           `json:"step,omitempty"`
	TaskID  string           `json:"task_id,omitempty"`
	Item    string           `json:"item,omitempty"` // the for_each item it is about: a contact's address
	Kind    string           `json:"kind"`           // choice, text, address, decision or approval
	Text    string           `json:"text"`
	Options []catalog.Option `json:"options,omitempty"` // for a choice, a decision and an approval
	Error   string           `json:"error,omitempty"`   // the failure a decision is about
	Fix     string           `json:"fix,omitempty"`     // what might fix it
	Default string           `json:"default"`           // skip or abort: applied at the deadline
	Asked   time.Time        `json:"asked"`
	Timeout string           `json:"timeout"`
	State   string           `json:"state"` // open, answered, timed_out or closed
	Answer  string           `json:"answer,omitempty"`
	// By is who answered: the identity of the user (histories before identities: update or signal), or
	// timeout, or program aborted. Via says how: update, signal or in advance (`eaapl run --yes`).
	By       string    `json:"answered_by,omitempty"`
	Via      string    `json:"via,omitempty"`
	Answered time.Time `json:"answered_at,omitzero"`

	param  string // the task parameter the answer sets
	arg    any    // the value it sets it to
	worker string // the worker whose task asked
}

// Answer is the payload of the answer signal and update.
type Answer struct {
	QuestionID string `json:"question_id"`
	Answer     string `json:"answer"`

	problem string // why the payload is not of this shape, from UnmarshalJSON
}

// UnmarshalJSON takes any JSON, so that a payload of the wrong shape ({"answer": 2}) is rejected by the
// update's validator with a reason instead of failing to decode deep in the SDK.
//
//workflowcheck:ignore
func (a *Answer) UnmarshalJSON(b []byte) error {
	*a = Answer{}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		a.problem = `an answer must be a JSON object: {"question_id": "q1", "answer": "..."}`
		return nil
	}
	known := 0
	if v, ok := raw["question_id"]; ok {
		known++
		if json.Unmarshal(v, &a.QuestionID) != nil {
			a.problem = fmt.Sprintf("question_id must be text in quotes such as \"q1\", not %s", excerptRaw(string(v)))
		}
	}
	if v, ok := raw["answer"]; ok {
		known++
		if json.Unmarshal(v, &a.Answer) != nil {
			a.problem = fmt.Sprintf("the answer must be text in quotes, not %s", excerptRaw(string(v)))
		}
	}
	if known < len(raw) {
		a.problem = `an answer has two fields, question_id and answer: {"question_id": "q1", "answer": "..."}`
	}
	return nil
}

// AnswerResult is what the answer update returns.
type AnswerResult struct {
	QuestionID string `json:"question_id"`
	Answer     string `json:"answer"`
	Question   string `json:"question"`
}

// asker asks the program's user its questions and keeps them, with their answers: a task's own (it
// needs input), a decision (a task gave up after its retries) and an approval. An answer of abort, or a
// default of abort at a question's timeout, aborts the program: aborted says why, and the interpreter
// starts nothing more.
type asker struct {
	on bool // questions are on (versionQuestions); off, nothing is asked
	// authorize says who may answer (versionIdentities): the owner, who started the program, and the
	// worker's approvers; inAdvance approves the approvals as the owner (`eaapl run --yes`).
	authorize bool
	owner     string
	approvers []string
	anonymous bool // answers without an identity are taken (the worker's EAAPL_ANSWERS_WITHOUT_IDENTITY)
	inAdvance bool
	refused   []Refusal // answers refused because of who sent them, by signal (an update's leaves no trace)
	timeout   time.Duration
	dflt      string // skip or abort
	questions []*Question
	aborted   string // why the user aborted the program; empty while it runs
	events    *eventSink
}

func newAsker(in Input, events *eventSink) *asker {
	a := &asker{timeout: DefaultQuestionTimeout, dflt: AnswerSkip, events: events}
	if d, err := time.ParseDuration(in.QuestionTimeout); err == nil && d > 0 {
		a.timeout = d
	}
	if in.QuestionDefault == AnswerAbort {
		a.dflt = AnswerAbort
	}
	return a
}

// setup registers the questions query, the answer update and the answer signal. They add no commands to
// the history, so old histories replay; only a program with questions turned on asks any.
func (k *asker) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryQuestions, func() ([]Question, error) {
		out := make([]Question, len(k.questions))
		for i, q := range k.questions {
			out[i] = *q
		}
		return out, nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryQuestions, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAnswer,
		func(ctx workflow.Context, a Answer) (AnswerResult, error) {
			who := identity.OfWorkflow(ctx)
			if err := k.allowed(who); err != nil {
				return AnswerResult{}, err
			}
			q, err := k.answer(ctx, a, k.by(who, "update"), "update")
			if err != nil {
				return AnswerResult{}, err
			}
			return AnswerResult{QuestionID: q.ID, Answer: q.Answer, Question: q.Text}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a Answer) error {
			// Runs before the update is written to the history: a refused one leaves no trace there
			// (the worker's interceptor reports an unauthorized one on security.events).
			if err := k.allowed(identity.OfWorkflow(ctx)); err != nil {
				return err
			}
			_, err := k.check(a)
			return err
		}},
	); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateAnswer, err)
	}
	ch := workflow.GetSignalChannel(ctx, SignalAnswer)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var a Answer
			if !ch.Receive(ctx, &a) {
				return
			}
			who, _ := identity.SignalSender(ctx, SignalAnswer) // read for every signal, to stay in step
			if err := k.allowed(who); err != nil {
				k.refuse(ctx, who, a, err)
				continue
			}
			if _, err := k.answer(ctx, a, k.by(who, "signal"), "signal"); err != nil {
				workflow.GetLogger(ctx).Warn("Answer by signal ignored", "question_id", Excerpt(a.QuestionID), "answer", Excerpt(a.Answer), "reason", err.Error())
			}
		}
	})
	return nil
}

// check finds the open question an answer is for and checks the answer against it; the error is the
// reason for the user. It changes nothing.
func (k *asker) check(a Answer) (*Question, error) {
	if a.problem != "" {
		return nil, errors.New(a.problem)
	}
	if len(a.QuestionID) > maxQuestionID {
		return nil, fmt.Errorf("there is no question %s; %s", Excerpt(a.QuestionID), k.openList())
	}
	if len(a.Answer) > MaxAnswerBytes {
		return nil, fmt.Errorf("the answer %s is too long: an answer has at most %d bytes", Excerpt(a.Answer), MaxAnswerBytes)
	}
	if strings.TrimSpace(a.QuestionID) == "" {
		return nil, fmt.Errorf("question_id is missing; %s", k.openList())
	}
	var q *Question
	for _, c := range k.questions {
		if c.ID == strings.TrimSpace(a.QuestionID) {
			q = c
		}
	}
	if q == nil {
		return nil, fmt.Errorf("there is no question %s; %s", Excerpt(a.QuestionID), k.openList())
	}
	if q.State != QuestionOpen {
		return nil, fmt.Errorf("question %s was already %s: %q (%s)", q.ID, strings.ReplaceAll(q.State, "_", " "), q.Answer, q.By)
	}
	text := strings.TrimSpace(a.Answer)
	if text == "" {
		return nil, fmt.Errorf("the answer to %s is empty; %s", q.ID, q.expects())
	}
	if _, _, ok := q.choose(text); ok {
		return q, nil
	}
	switch q.Kind {
	case catalog.InputText:
		return q, nil
	case catalog.InputAddress:
		if isAddress(text) {
			return q, nil
		}
		return nil, fmt.Errorf("%s is not an email address; %s", Excerpt(text), q.expects())
	}
	return nil, fmt.Errorf("%s is not one of the answers to %s; %s", Excerpt(text), q.ID, q.expects())
}

// answer checks an answer and, when it is good, answers the question: the task waiting on it goes on.
// by is who answered, via how.
func (k *asker) answer(ctx workflow.Context, a Answer, by, via string) (*Question, error) {
	q, err := k.check(a)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(a.Answer)
	if value, arg, ok := q.choose(text); ok {
		q.Answer, q.arg = value, arg
	} else {
		q.Answer, q.arg = text, text
	}
	q.State, q.By, q.Answered = QuestionAnswered, by, workflow.Now(ctx)
	if k.authorize {
		q.Via = via
	}
	return q, nil
}

// The limits on what a person sends a program, checked before it enters the history, a log or an event.
const (
	MaxAnswerBytes = 64 << 10 // an answer: a choice, an address, or a text such as an email's body
	maxQuestionID  = 16       // q1, q2, ...
)

// ErrUnauthorized is the error type of an answer refused because of who sent it.
const ErrUnauthorized = catalog.ErrUnauthorized

// allowed says whether who may answer the program's questions and approvals: its owner, or one of the
// worker's approvers. Before identities (an older history) anyone may, as then.
func (k *asker) allowed(who string) error {
	if !k.authorize {
		return nil
	}
	if who == "" && k.anonymous {
		return nil
	}
	if who == "" {
		return temporal.NewNonRetryableApplicationError("the answer does not say who sent it, and only the program's owner and its approvers may answer: "+
			"answer with `eaapl answer`, which sends EAAPL_USER_ID in the "+identity.HeaderKey+" header", ErrUnauthorized, nil)
	}
	if strings.EqualFold(who, k.owner) || slices.ContainsFunc(k.approvers, func(a string) bool { return strings.EqualFold(a, who) }) {
		return nil
	}
	owner := k.owner
	if owner == "" {
		owner = "nobody (it was started without an identity)"
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s may not answer this program: only its owner, %s, and the approvers in the worker's EAAPL_APPROVERS may", who, owner), ErrUnauthorized, nil)
}

// by is what a question records as who answered it: the identity, or (before identities) the way.
func (k *asker) by(who, via string) string {
	switch {
	case !k.authorize:
		return via
	case who == "":
		return Unidentified
	}
	return who
}

// Unidentified is who answered an answer without an identity, taken because the worker allows them.
const Unidentified = "nobody (no identity: the Web UI or the temporal CLI)"

// Refusal is an answer the program refused because of who sent it.
type Refusal struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"` // the sender's identity; empty when it said none
	Via        string    `json:"via"`
	QuestionID string    `json:"question_id,omitempty"`
	Reason     string    `json:"reason"`
}

// maxRefusals bounds the refusals kept for the audit: a flood of signals must not grow the state, and
// so the query results, without end. Every one still goes on security.events.
const maxRefusals = 100

// refuse records an answer by signal refused because of who sent it: in the audit, on security.events,
// and in the log, with excerpts only.
func (k *asker) refuse(ctx workflow.Context, who string, a Answer, err error) {
	var appErr *temporal.ApplicationError
	reason := err.Error()
	if errors.As(err, &appErr) {
		reason = appErr.Message()
	}
	r := Refusal{At: workflow.Now(ctx), By: who, Via: "signal", QuestionID: Excerpt(a.QuestionID), Reason: reason}
	if len(k.refused) < maxRefusals {
		k.refused = append(k.refused, r)
	}
	k.events.unauthorized(ctx, r, len(k.refused))
	workflow.GetLogger(ctx).Warn("Answer by signal refused", "by", Excerpt(who), "question_id", r.QuestionID, "reason", reason)
}

// choose finds the option an answer names: by its value (in any case) or, when the question is a choice
// and not free text, by its number.
func (q *Question) choose(text string) (value string, arg any, ok bool) {
	free := q.Kind == catalog.InputText || q.Kind == catalog.InputAddress
	for i, o := range q.Options {
		if strings.EqualFold(o.Value, text) || !free && text == strconv.Itoa(i+1) {
			if o.Arg != nil {
				return o.Value, o.Arg, true
			}
			return o.Value, o.Value, true
		}
	}
	return "", nil, false
}

// expects says what a question takes, for the reasons of rejected answers.
func (q *Question) expects() string {
	values := make([]string, len(q.Options))
	for i, o := range q.Options {
		values[i] = o.Value
	}
	list := strings.Join(values, ", ")
	switch q.Kind {
	case catalog.InputText:
		return "answer with the text, or one of: " + list
	case catalog.InputAddress:
		return "answer with an email address such as bob@example.com, or one of: " + list
	}
	return "answer one of: " + list
}

func (k *asker) openList() string {
	var open []string
	for _, q := range k.questions {
		if q.State == QuestionOpen {
			open = append(open, q.ID)
		}
	}
	if len(open) == 0 {
		return "no question is open"
	}
	return "the open questions are " + strings.Join(open, ", ")
}

// ask asks the user a question and waits for the answer, or for the question's timeout, when its
// default (skip or abort) applies. It returns the answer; q.arg holds what an input question's answer
// sets. Every question also takes skip and abort.
func (k *asker) ask(ctx workflow.Context, q *Question) string {
	for _, a := range []string{AnswerSkip, AnswerAbort} {
		if _, _, ok := q.choose(a); !ok {
			q.Options = append(q.Options, catalog.Option{Value: a, Label: map[string]string{
				AnswerSkip: "do not do it, go on with the rest", AnswerAbort: "stop the program",
			}[a]})
		}
	}
	q.ID = fmt.Sprintf("q%d", len(k.questions)+1)
	q.Default, q.Asked, q.State = k.dflt, workflow.Now(ctx), QuestionOpen
	timeout := k.timeout
	q.Timeout = timeout.String()
	k.questions = append(k.questions, q)
	k.events.question(ctx, q)
	workflow.GetLogger(ctx).Info("Question asked", "question_id", q.ID, "question", q.Text)
	if q.Kind == KindApproval && k.inAdvance {
		// `eaapl run --yes`: the owner, who may approve, approved when starting the program.
		q.State, q.Answer, q.arg, q.By, q.Via, q.Answered = QuestionAnswered, AnswerApprove, AnswerApprove, k.owner, "in advance (eaapl run --yes)", q.Asked
		k.events.answer(ctx, q)
		return q.Answer
	}

	// The timer is named for what it waits for, in the Web UI's timeline.
	wait := workflow.AwaitOptions{Timeout: timeout, TimerOptions: workflow.TimerOptions{Summary: catalog.Clip("Waiting for your answer to "+q.ID+": "+q.Text, 160)}}
	answered, err := workflow.AwaitWithOptions(ctx, wait, func() bool { return q.State != QuestionOpen || k.aborted != "" })
	switch {
	case q.State != QuestionOpen:
	case answered || err != nil: // the program was aborted, or canceled, meanwhile
		q.State, q.Answer, q.By = QuestionClosed, AnswerAbort, "program aborted"
	default:
		q.State, q.Answer, q.arg, q.By = QuestionTimedOut, q.Default, q.Default, "timeout"
	}
	if q.State != QuestionAnswered && k.authorize {
		q.Answered = workflow.Now(ctx)
	}
	k.events.answer(ctx, q)
	if q.Answer == AnswerAbort && k.aborted == "" {
		k.aborted = fmt.Sprintf("aborted: the answer to %s (%q) was abort", q.ID, q.Text)
		if q.By == "timeout" { // nobody said abort: the default did
			k.aborted = fmt.Sprintf("aborted: %s (%q) had no answer within %s, and the default is abort", q.ID, q.Text, q.Timeout)
		}
	}
	return q.Answer
}

// openQuestions are the questions waiting for an answer, for the status query.
func (k *asker) openQuestions() []Question {
	var out []Question
	for _, q := range k.questions {
		if q.State == QuestionOpen {
			out = append(out, *q)
		}
	}
	return out
}

// checkQuestionInput checks the input's question settings, naming the field at fault.
func (in Input) checkQuestionInput() error {
	if in.QuestionTimeout != "" {
		if d, err := time.ParseDuration(in.QuestionTimeout); err != nil || d <= 0 {
			return fmt.Errorf("question_timeout %q must be a positive duration such as 30m or 24h", in.QuestionTimeout)
		}
	}
	switch in.QuestionDefault {
	case "", AnswerSkip, AnswerAbort:
	default:
		return fmt.Errorf("question_default %q must be skip or abort", in.QuestionDefault)
	}
	if in.ApprovalThreshold < 0 {
		return fmt.Errorf("approval_threshold %d must be 0 (no approval) or more", in.ApprovalThreshold)
	}
	return nil
}

// isAddress reports whether s is a bare email address with a dotted domain. net/mail is deterministic;
// workflowcheck sees its debug printing, which is off.
//
//workflowcheck:ignore
func isAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && strings.Contains(s[strings.IndexByte(s, '@')+1:], ".")
}
