package workflows_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/workflows"
)

// testOwner is who starts the test programs unless a test says otherwise.
const testOwner = "owner@example.com"

// actingAs gives each request to the workflow the identity a person's CLI would send in its header,
// which the test environment cannot send: the start's, each update's by its ID, each signal's in turn.
type actingAs struct {
	interceptor.WorkerInterceptorBase
	owner   string            // "" starts the program without an identity
	updates map[string]string // update ID -> identity; the owner's when absent
	signals []string          // the identities of the signals, in the order sent; the owner's when used up
}

func (a *actingAs) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &actingInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, a: a}
}

type actingInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	a *actingAs
}

func (i *actingInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	return i.Next.ExecuteWorkflow(identity.WithWorkflow(ctx, i.a.owner), in)
}

func (i *actingInbound) updater(ctx workflow.Context) string {
	if who, ok := i.a.updates[workflow.GetCurrentUpdateInfo(ctx).ID]; ok {
		return who
	}
	return i.a.owner
}

func (i *actingInbound) ValidateUpdate(ctx workflow.Context, in *interceptor.UpdateInput) error {
	return i.Next.ValidateUpdate(identity.WithWorkflow(ctx, i.updater(ctx)), in)
}

func (i *actingInbound) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	return i.Next.ExecuteUpdate(identity.WithWorkflow(ctx, i.updater(ctx)), in)
}

func (i *actingInbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	who := i.a.owner
	if len(i.a.signals) > 0 {
		who, i.a.signals = i.a.signals[0], i.a.signals[1:]
	}
	return i.Next.HandleSignal(identity.WithWorkflow(ctx, who), in)
}

// TestWhoMayAnswer: only the program's owner and the worker's approvers may answer; anyone else's
// update is refused by the validator, before it enters the history, and their signal is ignored and
// recorded on security.events. (The mallory@attacker was taken, and recorded as "update".)
func TestWhoMayAnswer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		by        string
		approvers []string
		anonymous bool // the worker takes answers without an identity
		taken     bool
		reason    string
	}{
		{"TheOwner", testOwner, nil, false, true, ""},
		{"AnApprover", "boss@example.com", []string{"boss@example.com"}, false, true, ""},
		{"AnApproverInAnotherCase", "Boss@Example.com", []string{"boss@example.com"}, false, true, ""},
		{"SomeoneElse", "mallory@attacker", []string{"boss@example.com"}, false, false, "mallory@attacker may not answer this program: only its owner, owner@example.com, and the approvers"},
		{"Nobody", "", nil, false, false, "the answer does not say who sent it"},
		{"NobodyWhenTheWorkerTakesAnswersWithoutIdentity", "", nil, true, true, ""},
		{"SomeoneElseWhenTheWorkerTakesAnswersWithoutIdentity", "mallory@attacker", nil, true, false, "mallory@attacker may not answer"},
	} {
		t.Run("ByUpdate/"+tc.name, func(t *testing.T) {
			f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns, policy: api.Policy{Approvers: tc.approvers, AnswersWithoutIdentity: tc.anonymous},
				acting: actingAs{updates: map[string]string{"u1": tc.by}}}
			env := f.env(t)
			var o *outcome
			env.RegisterDelayedCallback(func() {
				o = update(t, env, "u1", workflows.Answer{QuestionID: "q1", Answer: "jd@example.com"})
			}, time.Minute)
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, QuestionTimeout: "10m"})
			completed(t, env)
			qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
			if !tc.taken {
				if o == nil || !strings.Contains(o.rejected, tc.reason) {
					t.Fatalf("outcome %+v, want rejected: %s", o, tc.reason)
				}
				if len(f.sentTo()) != 0 || qs[0].State != workflows.QuestionTimedOut {
					t.Fatalf("sent %v, q1 %s; want nothing sent and q1 left to its timeout", f.sentTo(), qs[0].State)
				}
				return
			}
			o.accepted(t)
			want := tc.by
			if want == "" {
				want = workflows.Unidentified
			}
			if _, ok := f.sentTo()["jd@example.com"]; !ok || qs[0].By != want || qs[0].Via != "update" {
				t.Fatalf("sent %v, q1 answered by %q via %q; want sent to jd@example.com, answered by %s", f.sentTo(), qs[0].By, qs[0].Via, tc.by)
			}
		})
	}
	t.Run("BySignal/SomeoneElseIsIgnoredAndReported", func(t *testing.T) {
		k := &fakeKafka{}
		f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns, mirror: true, acting: actingAs{signals: []string{"mallory@attacker", testOwner}}}
		env := f.env(t)
		k.receive(env)
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.SignalAnswer, workflows.Answer{QuestionID: "q1", Answer: "john.smith@example.com"})
		}, time.Minute)
		env.RegisterDelayedCallback(func() {
			if qs := query[[]workflows.Question](t, env, workflows.QueryQuestions); qs[0].State != workflows.QuestionOpen {
				t.Errorf("after mallory's signal q1 is %s, want still open", qs[0].State)
			}
			env.SignalWorkflow(workflows.SignalAnswer, workflows.Answer{QuestionID: "q1", Answer: "jd@example.com"})
		}, 2*time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		completed(t, env)
		if _, ok := f.sentTo()["jd@example.com"]; !ok || len(f.sentTo()) != 1 {
			t.Fatalf("sent %v, want the owner's answer, jd@example.com, alone", f.sentTo())
		}
		a := query[workflows.Audit](t, env, workflows.QueryAudit)
		if len(a.Refused) != 1 || a.Refused[0].By != "mallory@attacker" || a.Refused[0].Via != "signal" || a.Owner != testOwner {
			t.Fatalf("audit = %+v, want mallory's signal refused, owner %s", a, testOwner)
		}
		var kinds []string
		var refused bridge.SecurityEvent
		for _, ev := range k.byTopic()[bridge.TopicSecurityEvents] {
			var v bridge.SecurityEvent
			if err := json.Unmarshal(ev.Value, &v); err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, v.EventType)
			if v.EventType == workflows.EventUnauthorized {
				refused = v
			}
		}
		if want := []string{workflows.EventProgramStarted, workflows.EventUnauthorized, workflows.EventAnswered}; !reflect.DeepEqual(kinds, want) {
			t.Errorf("security.events = %v, want %v", kinds, want)
		}
		if refused.UserID != "mallory@attacker" || refused.Severity != "HIGH" || !strings.Contains(refused.Description, "may not answer") {
			t.Errorf("authorization failure = %+v", refused)
		}
	})
}

// TestAnswersAreBounded: a large answer is refused before it enters the history, and the reason quotes
// only its start and its size. (A 1 MB answer used to be echoed whole into the error and the logs.)
func TestAnswersAreBounded(t *testing.T) {
	f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns}
	env := f.env(t)
	huge := strings.Repeat("x", 1<<20)
	var o, good *outcome
	env.RegisterDelayedCallback(func() {
		o = update(t, env, "big", workflows.Answer{QuestionID: "q1", Answer: huge})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		good = update(t, env, "good", workflows.Answer{QuestionID: "q1", Answer: "2"})
	}, 2*time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	completed(t, env)
	good.accepted(t)
	if o == nil || !strings.Contains(o.rejected, "…(1,048,576 bytes) is too long: an answer has at most 65536 bytes") || len(o.rejected) > 300 {
		t.Fatalf("rejection (%d bytes) = %.300s, want a short excerpt and the size", len(o.rejected), o.rejected)
	}
}

func TestAProgramTooLongIsRefusedQuotingAnExcerpt(t *testing.T) {
	f := &fakeWorld{plan: helloPlan(t)}
	env := f.env(t)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: strings.Repeat("Send 'Hi' to bob@example.com. ", 10000)})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "…(300,000 bytes) is longer than 65536 bytes") || len(err.Error()) > 400 {
		t.Fatalf("error = %.400v, want the program refused with an excerpt", err)
	}
}

func TestExcerpt(t *testing.T) {
	if got := workflows.Excerpt("short"); got != `"short"` {
		t.Errorf("Excerpt(short) = %s", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes: the cut must fall between characters
	if got, want := workflows.Excerpt(long), `"`+strings.Repeat("é", 40)+`"…(200 bytes)`; got != want {
		t.Errorf("Excerpt(long) = %s, want %s", got, want)
	}
}
