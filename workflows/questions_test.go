package workflows_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

// johnPlan is the plan of "Send 'Hi' to my contact John".
func johnPlan(tb testing.TB, body string) *plan.Plan {
	tb.Helper()
	p, err := plan.Parse([]byte(`{"version": 1, "program": "Send 'Hi' to my contact John", "steps": [
		{"id": "find", "command": "FindContact", "args": {"name": "John"}},
		{"id": "compose", "command": "ComposeEmail", "args": {"body": "` + body + `"}},
		{"id": "send", "command": "SendEmail", "depends_on": ["find", "compose"],
		 "args": {"to": "${steps.find.contact}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"}}]}`))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// twoJohns is an address book where "John" is ambiguous.
var twoJohns = []any{
	map[string]any{"name": "John Smith", "email": "john.smith@example.com", "source": "c.vcf:1"},
	map[string]any{"name": "John Doe", "email": "jd@example.com", "source": "c.vcf:6"},
}

func query[T any](tb testing.TB, env *testsuite.TestWorkflowEnvironment, name string) T {
	tb.Helper()
	var out T
	v, err := env.QueryWorkflow(name)
	if err == nil {
		err = v.Get(&out)
	}
	if err != nil {
		tb.Fatalf("query %s: %v", name, err)
	}
	return out
}

// outcome is how the workflow took an answer update; the test environment delivers it after the callback
// that sent it returns.
type outcome struct {
	done     bool
	rejected string // the reason, when the validator rejected it
}

// update sends the answer update.
func update(tb testing.TB, env *testsuite.TestWorkflowEnvironment, id string, answer any) *outcome {
	tb.Helper()
	o := &outcome{}
	env.UpdateWorkflow(workflows.UpdateAnswer, id, &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { o.rejected, o.done = err.Error(), true },
		OnComplete: func(_ any, err error) {
			if err != nil {
				tb.Errorf("update %s failed after it was accepted: %v", id, err)
			}
			o.done = true
		},
	}, answer)
	return o
}

// accepted fails the test unless the update was taken.
func (o *outcome) accepted(tb testing.TB) {
	tb.Helper()
	if !o.done || o.rejected != "" {
		tb.Fatalf("answer not taken (done %v): %s", o.done, o.rejected)
	}
}

func completed(tb testing.TB, env *testsuite.TestWorkflowEnvironment) workflows.Result {
	tb.Helper()
	if err := env.GetWorkflowError(); err != nil {
		tb.Fatalf("workflow failed: %v", err)
	}
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestQuestions(t *testing.T) {
	t.Run("AsksWhichJohnAndSendsToTheOneAnsweredByUpdate", func(t *testing.T) {
		f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns}
		env := f.env(t)
		var answered *outcome
		env.RegisterDelayedCallback(func() {
			qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
			if len(qs) != 1 || qs[0].ID != "q1" || qs[0].State != workflows.QuestionOpen || qs[0].Kind != catalog.InputChoice {
				t.Fatalf("questions = %+v, want q1 open, a choice", qs)
			}
			var values []string
			for _, o := range qs[0].Options {
				values = append(values, o.Value)
			}
			if got, want := values, []string{"john.smith@example.com", "jd@example.com", "skip", "abort"}; !reflect.DeepEqual(got, want) {
				t.Errorf("options = %v, want %v", got, want)
			}
			st := query[workflows.Status](t, env, workflows.QueryStatus)
			if len(st.Questions) != 1 || st.Questions[0].Text != "2 contacts are named John. Which one?" || st.Steps[0].Waiting != 1 {
				t.Errorf("status = %+v, want the open question and step find waiting for it", st)
			}
			answered = update(t, env, "a1", workflows.Answer{QuestionID: "q1", Answer: "2"})
		}, time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := completed(t, env)
		answered.accepted(t)
		sent := f.sentTo()
		if _, ok := sent["jd@example.com"]; len(sent) != 1 || !ok {
			t.Fatalf("sent to %v, want jd@example.com alone", sent)
		}
		qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
		if qs[0].State != workflows.QuestionAnswered || qs[0].Answer != "jd@example.com" || qs[0].By != testOwner || qs[0].Via != "update" || qs[0].Answered.IsZero() {
			t.Errorf("q1 = %+v, want answered jd@example.com by the owner, by update, with the time", qs[0])
		}
		if res.State != workflows.StateCompleted {
			t.Errorf("state = %q, want completed", res.State)
		}
	})

	t.Run("AsksForAMissingBodyAndTakesTheAnswerBySignal", func(t *testing.T) {
		f := &fakeWorld{plan: johnPlan(t, ""), contacts: twoJohns[:1]}
		env := f.env(t)
		env.RegisterDelayedCallback(func() {
			// As `temporal workflow signal --input '{"question_id": "q1", "answer": "..."}'` sends it.
			env.SignalWorkflow(workflows.SignalAnswer, map[string]any{"question_id": "q1", "answer": "Lunch at noon?"})
		}, time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		completed(t, env)
		task, ok := f.sentTo()["john.smith@example.com"]
		if !ok || task.Parameters["body"] != "Lunch at noon?" {
			t.Fatalf("sent %v, want the answered body to john.smith@example.com", f.sentTo())
		}
		if qs := query[[]workflows.Question](t, env, workflows.QueryQuestions); qs[0].By != testOwner || qs[0].Via != "signal" {
			t.Errorf("q1 answered by %q via %q, want the owner by signal", qs[0].By, qs[0].Via)
		}
	})

	for _, tc := range []struct {
		dflt, state string
		failed      bool
	}{{"", workflows.StateCompleted, false}, {"abort", workflows.StateFailed, true}} {
		t.Run("AppliesTheDefaultAtTheTimeout/"+tc.state, func(t *testing.T) {
			f := &fakeWorld{plan: johnPlan(t, ""), contacts: twoJohns[:1]}
			env := f.env(t)
			start := env.Now()
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, QuestionTimeout: "10m", QuestionDefault: tc.dflt})
			var res workflows.Result
			if tc.failed {
				res = failedResult(t, env.GetWorkflowError())
			} else {
				res = completed(t, env)
			}
			if res.State != tc.state || len(f.sentTo()) != 0 {
				t.Fatalf("state %q with %d sent, want %q and nothing sent", res.State, len(f.sentTo()), tc.state)
			}
			if waited := env.Now().Sub(start); waited < 10*time.Minute {
				t.Errorf("the program ended after %s, before the question's 10m timeout", waited)
			}
			q := query[[]workflows.Question](t, env, workflows.QueryQuestions)[0]
			if q.State != workflows.QuestionTimedOut || q.By != "timeout" || q.Answer != map[string]string{"": "skip", "abort": "abort"}[tc.dflt] {
				t.Errorf("q1 = %+v, want timed out with the default", q)
			}
		})
	}
}

func TestBadAnswersAreRejectedAndChangeNothing(t *testing.T) {
	retryable := errors.New("SMTP server 127.0.0.1:1025 unreachable")
	f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "carol@example.com"), emailed: []any{},
		sendErr: map[string]error{"alice@example.com": retryable, "carol@example.com": retryable}}
	env := f.env(t)
	bad := []struct {
		name   string
		answer any
		reason string
	}{
		{"UnknownQuestionID", workflows.Answer{QuestionID: "q9", Answer: "skip"}, `there is no question "q9"; the open questions are q1, q2`},
		{"MissingQuestionID", map[string]any{"answer": "skip"}, "question_id is missing; the open questions are q1, q2"},
		{"EmptyAnswer", workflows.Answer{QuestionID: "q1"}, "the answer to q1 is empty; answer one of: retry, skip, abort"},
		{"BlankAnswer", workflows.Answer{QuestionID: "q1", Answer: " \t"}, "the answer to q1 is empty"},
		{"AnswerOfTheWrongType", map[string]any{"question_id": "q1", "answer": 5}, "the answer must be text in quotes, not 5"},
		{"QuestionIDOfTheWrongType", map[string]any{"question_id": 1, "answer": "skip"}, `question_id must be text in quotes such as "q1", not 1`},
		{"NotOneOfTheOptions", workflows.Answer{QuestionID: "q1", Answer: "maybe"}, `"maybe" is not one of the answers to q1; answer one of: retry, skip, abort`},
		{"OptionNumberOutOfRange", workflows.Answer{QuestionID: "q1", Answer: "4"}, `"4" is not one of the answers to q1`},
		{"UnknownField", map[string]any{"question_id": "q1", "answer": "skip", "note": "x"}, "an answer has two fields, question_id and answer"},
		{"NotAnObject", "skip", "an answer must be a JSON object"},
		{"AlreadyAnswered", workflows.Answer{QuestionID: "q1", Answer: "retry"}, `question q1 was already answered: "skip" (` + testOwner + `)`},
	}
	outcomes := make([]*outcome, len(bad))
	var before []workflows.Question
	var good1, good2 *outcome
	// Each callback runs a minute after the last, while the program waits for the answers.
	env.RegisterDelayedCallback(func() {
		before = query[[]workflows.Question](t, env, workflows.QueryQuestions)
		if len(before) != 2 {
			t.Fatalf("questions = %+v, want q1 and q2 (one per failed send)", before)
		}
		for i, tc := range bad[:len(bad)-1] {
			outcomes[i] = update(t, env, "bad-"+tc.name, tc.answer)
		}
	}, 10*time.Minute)
	env.RegisterDelayedCallback(func() {
		if after := query[[]workflows.Question](t, env, workflows.QueryQuestions); !reflect.DeepEqual(after, before) {
			t.Errorf("rejected answers changed the questions:\n%+v\nwant\n%+v", after, before)
		}
		good1 = update(t, env, "good-1", workflows.Answer{QuestionID: "q1", Answer: "SKIP"})
	}, 11*time.Minute)
	env.RegisterDelayedCallback(func() {
		good1.accepted(t)
		before = query[[]workflows.Question](t, env, workflows.QueryQuestions)
		outcomes[len(bad)-1] = update(t, env, "bad-AlreadyAnswered", bad[len(bad)-1].answer)
	}, 12*time.Minute)
	env.RegisterDelayedCallback(func() {
		if after := query[[]workflows.Question](t, env, workflows.QueryQuestions); !reflect.DeepEqual(after, before) {
			t.Errorf("a second answer to q1 changed the questions:\n%+v\nwant\n%+v", after, before)
		}
		good2 = update(t, env, "good-2", workflows.Answer{QuestionID: "q2", Answer: "3"}) // the third option: abort
	}, 13*time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})

	for i, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if o := outcomes[i]; o == nil || !o.done || !strings.Contains(o.rejected, tc.reason) {
				t.Errorf("outcome %+v, want rejected with a reason containing %q", o, tc.reason)
			}
		})
	}
	good2.accepted(t)
	res := failedResult(t, env.GetWorkflowError())
	if !strings.HasPrefix(res.Summary, "aborted: the answer to q2") {
		t.Errorf("summary = %q, want it to say the program was aborted by q2", res.Summary)
	}
	if len(f.sentTo()) != 0 {
		t.Errorf("sent %d emails, want none", len(f.sentTo()))
	}
}

func TestFailuresBecomeDecisions(t *testing.T) {
	t.Run("RetriesOnTheAnswerWhileTheOtherSendsGoOn", func(t *testing.T) {
		p := helloPlan(t)
		p.Steps[3].Retry = &plan.Retry{MaximumAttempts: ptr[int32](2)}
		f := &fakeWorld{plan: p, contacts: contacts("alice@example.com", "carol@example.com"), emailed: []any{},
			sendErr: map[string]error{"carol@example.com": errors.New("SMTP server 127.0.0.1:1025 unreachable")}}
		env := f.env(t)
		var retried *outcome
		env.RegisterDelayedCallback(func() {
			if _, ok := f.sentTo()["alice@example.com"]; !ok {
				t.Error("alice's email waited for the question about carol's")
			}
			q := query[workflows.Status](t, env, workflows.QueryStatus).Questions
			if len(q) != 1 || q[0].Kind != workflows.KindDecision || q[0].Item != "carol@example.com" ||
				!strings.Contains(q[0].Text, "SendEmail for carol@example.com failed after 2 attempts: SMTP server 127.0.0.1:1025 unreachable") ||
				!strings.Contains(q[0].Fix, "EAAPL_SMTP_ADDR") {
				t.Fatalf("open questions = %+v, want a decision about carol after 2 attempts with a fix", q)
			}
			f.mu.Lock()
			f.sendErr = nil // the mail server is back
			f.mu.Unlock()
			retried = update(t, env, "retry", workflows.Answer{QuestionID: "q1", Answer: "retry"})
		}, 10*time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program})
		res := completed(t, env)
		retried.accepted(t)
		carol := itemsOf(t, res, "send")["carol@example.com"]
		if carol.State != workflows.StateDone || carol.Task.TaskID != "send_2-run2" {
			t.Fatalf("carol = %+v, want done by task send_2-run2", carol)
		}
		if got, want := f.sentTo()["carol@example.com"].Context.IdempotencyKey, "default-test-workflow-id/send_2"; got != want {
			t.Errorf("the retried send's idempotency key = %q, want the first run's %q", got, want)
		}
		if got, want := f.calls["carol@example.com"], 3; got != want {
			t.Errorf("carol's send ran %d times, want %d (2 attempts, then 1 after the answer)", got, want)
		}
	})

	t.Run("FailsAsBeforeWhenNoRetryCanHelp", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("carol@example.com"), emailed: []any{},
			sendErr: map[string]error{"carol@example.com": invalidArgument("550 mailbox unavailable")}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := failedResult(t, env.GetWorkflowError())
		if got := itemsOf(t, res, "send")["carol@example.com"]; got.State != workflows.StateFailed || got.Reason != "550 mailbox unavailable" {
			t.Errorf("carol = %+v, want failed at once", got)
		}
		if qs := query[[]workflows.Question](t, env, workflows.QueryQuestions); len(qs) != 0 {
			t.Errorf("questions = %+v, want none: a retry cannot fix a refused address", qs)
		}
	})
}

func TestApprovalGate(t *testing.T) {
	three := contacts("alice@example.com", "bob@example.com", "carol@example.com")
	for _, tc := range []struct {
		name      string
		threshold int // the worker's
		in        workflows.Input
		answer    string // "" for no question
		wantSent  int
	}{
		{"AsksBeforeSendingMoreThanTheThreshold", 2, workflows.Input{}, "approve", 3},
		{"SendsNothingWhenTheAnswerIsSkip", 2, workflows.Input{}, "skip", 0},
		{"DoesNotAskWhenApprovedInAdvance", 2, workflows.Input{Approved: true}, "", 3},
		{"DoesNotAskAtTheThreshold", 3, workflows.Input{}, "", 3},
		{"DoesNotAskWhenTheWorkerSaysNever", 0, workflows.Input{}, "", 3},
		// The input's threshold was obeyed before identities: 0 skipped the gate, and so did a large one.
		{"IgnoresTheInputsThresholdOfZero", 2, workflows.Input{ApprovalThreshold: 0}, "approve", 3},
		{"IgnoresTheInputsHigherThreshold", 2, workflows.Input{ApprovalThreshold: 1000}, "skip", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeWorld{plan: helloPlan(t), contacts: three, emailed: []any{}, policy: api.Policy{ApprovalThreshold: tc.threshold}}
			env := f.env(t)
			var answered *outcome
			env.RegisterDelayedCallback(func() {
				st := query[workflows.Status](t, env, workflows.QueryStatus)
				if tc.answer == "" {
					if len(st.Questions) != 0 {
						t.Errorf("questions = %+v, want none", st.Questions)
					}
					return
				}
				if len(st.Questions) != 1 || st.Questions[0].Kind != workflows.KindApproval || st.Steps[3].State != workflows.StateWaiting || len(f.sentTo()) != 0 {
					t.Fatalf("status = %+v, want an approval question, step send waiting and nothing sent", st)
				}
				if !strings.Contains(st.Questions[0].Text, "would run SendEmail 3 times") {
					t.Errorf("question = %q", st.Questions[0].Text)
				}
				answered = update(t, env, "approval", workflows.Answer{QuestionID: "q1", Answer: tc.answer})
			}, time.Minute)
			in := tc.in
			in.Program = f.plan.Program
			env.ExecuteWorkflow(workflows.WorkflowType, in)
			res := completed(t, env)
			if got := len(f.sentTo()); got != tc.wantSent {
				t.Fatalf("sent %d, want %d (result %s)", got, tc.wantSent, res.Summary)
			}
			if tc.answer != "" {
				answered.accepted(t)
			}
		})
	}
	t.Run("ApprovedInAdvanceIsTheOwnersAnswer", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: three, emailed: []any{}, policy: api.Policy{ApprovalThreshold: 2}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, Approved: true})
		completed(t, env)
		a := query[workflows.Audit](t, env, workflows.QueryAudit)
		if len(a.Questions) != 1 || a.Questions[0].Answer != workflows.AnswerApprove || a.Questions[0].By != testOwner || !strings.Contains(a.Questions[0].Via, "in advance") {
			t.Fatalf("audit questions = %+v, want q1 approved in advance by %s", a.Questions, testOwner)
		}
	})
	t.Run("ApprovedInAdvanceWithoutAnIdentityApprovesNothing", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: three, emailed: []any{}, policy: api.Policy{ApprovalThreshold: 2}, anonymous: true}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, Approved: true, QuestionTimeout: "10m"})
		res := completed(t, env)
		if got := len(f.sentTo()); got != 0 {
			t.Fatalf("sent %d, want none: nobody approved (%s)", got, res.Summary)
		}
		if send := res.Steps[3]; !strings.Contains(send.Reason, "not approved: q1 had no answer within 10m") {
			t.Errorf("send = %s (%s), want not approved at the timeout", send.State, send.Reason)
		}
	})
	t.Run("AbortFailsTheProgramSayingWhyOnce", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: three, emailed: []any{}}
		f.policy.ApprovalThreshold = 2
		env := f.env(t)
		var answered *outcome
		env.RegisterDelayedCallback(func() {
			answered = update(t, env, "approval", workflows.Answer{QuestionID: "q1", Answer: "abort"})
		}, time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		answered.accepted(t)
		res := failedResult(t, env.GetWorkflowError())
		if !strings.HasPrefix(res.Summary, "aborted: the answer to q1") || strings.Count(res.Summary, "the answer to q1") != 1 || !strings.HasSuffix(res.Summary, "; send skipped") {
			t.Errorf("summary = %q, want the abort once, then send skipped", res.Summary)
		}
		if send := res.Steps[3]; send.State != workflows.StateSkipped || !strings.Contains(send.Reason, "aborted: the answer to q1") {
			t.Errorf("step send = %s (%s), want skipped, saying the answer aborted it", send.State, send.Reason)
		}
		if got := len(f.sentTo()); got != 0 {
			t.Errorf("sent %d, want none", got)
		}
	})
	t.Run("RejectsAnInvalidInput", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: three}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: "x", QuestionDefault: "maybe"})
		if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), `question_default "maybe" must be skip or abort`) {
			t.Fatalf("error = %v, want it to name question_default", err)
		}
	})
}

func invalidArgument(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, catalog.ErrInvalidArgument, nil)
}

func TestQuestionsAreMirroredOnFeedbackHITL(t *testing.T) {
	k := &fakeKafka{}
	f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns, mirror: true}
	env := f.env(t)
	k.receive(env)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalAnswer, workflows.Answer{QuestionID: "q1", Answer: "1"})
	}, time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, UserID: "user_123"})
	completed(t, env)
	events := k.byTopic()[bridge.TopicFeedbackHITL]
	if len(events) != 2 {
		t.Fatalf("%d feedback.hitl events, want the question and its answer", len(events))
	}
	var asked, answered bridge.FeedbackHITL
	for i, v := range []*bridge.FeedbackHITL{&asked, &answered} {
		if err := json.Unmarshal(events[i].Value, v); err != nil {
			t.Fatal(err)
		}
		// The user is the owner, who started the program: not the input's user_id, which any client writes.
		if events[i].Key != v.FeedbackID || v.TaskID != "find" || v.UserID != testOwner || v.Question != "2 contacts are named John. Which one?" || v.Timestamp == "" {
			t.Errorf("event %d = %+v (key %s), want keyed by its feedback_id, about task find, for %s", i, v, events[i].Key, testOwner)
		}
	}
	if asked.Context["question_id"] != "q1" || asked.Context["state"] != "open" || asked.Context["default"] != "skip" {
		t.Errorf("question context = %v", asked.Context)
	}
	if answered.Context["answer"] != "john.smith@example.com" || answered.Context["answered_by"] != testOwner || answered.FeedbackID == asked.FeedbackID {
		t.Errorf("answer event = %+v", answered)
	}
}

func TestAGivenUpTaskIsReportedOnErrorsAndAlerts(t *testing.T) {
	k := &fakeKafka{}
	p := helloPlan(t)
	p.Steps[3].Retry = &plan.Retry{MaximumAttempts: ptr[int32](1)}
	f := &fakeWorld{plan: p, contacts: contacts("carol@example.com"), emailed: []any{}, mirror: true,
		sendErr: map[string]error{"carol@example.com": errors.New("SMTP server 127.0.0.1:1025 unreachable")}}
	env := f.env(t)
	k.receive(env)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalAnswer, workflows.Answer{QuestionID: "q1", Answer: "skip"})
	}, time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program})
	res := completed(t, env)
	if got := itemsOf(t, res, "send")["carol@example.com"]; got.State != workflows.StateSkipped || !strings.HasPrefix(got.Reason, "the answer to q1") {
		t.Errorf("carol = %+v, want skipped, the reason starting with the answer to q1", got)
	}
	topics := k.byTopic()
	var report bridge.ErrorReport
	if len(topics[bridge.TopicErrorsReport]) != 1 || json.Unmarshal(topics[bridge.TopicErrorsReport][0].Value, &report) != nil ||
		report.TaskID != "send_1" || !strings.Contains(report.ErrorMessage, "unreachable") {
		t.Errorf("errors.report = %v, want one report of send_1", topics[bridge.TopicErrorsReport])
	}
	var alert bridge.SystemAlert
	if len(topics[bridge.TopicSystemAlerts]) != 1 || json.Unmarshal(topics[bridge.TopicSystemAlerts][0].Value, &alert) != nil ||
		!alert.ActionRequired || !strings.Contains(alert.Message, "send_1") {
		t.Errorf("system.alerts = %v, want one alert about send_1 that needs action", topics[bridge.TopicSystemAlerts])
	}
}

func ptr[T any](v T) *T { return &v }
