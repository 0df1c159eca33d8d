package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/api"
	contactsfamily "github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

// helloPlan is the plan of the seed program, from examples/.
func helloPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	b, err := os.ReadFile("../examples/hello-world.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := plan.Parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func contacts(emails ...string) []any {
	out := make([]any, len(emails))
	for i, e := range emails {
		out[i] = map[string]any{"name": e, "email": e, "source": "contacts.vcf"}
	}
	return out
}

// fakeWorld stands in for the activities: a planner returning a fixed plan, an address book, a mailbox
// history and a sender that records what it sent.
type fakeWorld struct {
	plan      *plan.Plan
	contacts  []any
	emailed   []any
	sendErr   map[string]error     // by recipient
	flaky     map[string]int       // by recipient: how many sends fail with a temporary error first
	mirror    bool                 // the workers have a Kafka bridge
	anonymous bool                 // the start carries no identity
	policy    api.Policy           // the workers' approval threshold and approvers
	acting    actingAs             // who sends the start, the updates and the signals (owner: testOwner when empty)
	tuning    *api.Tuning          // recorded with the plan: adaptive tuning
	store     catalog.ContentStore // when set, RetrieveContacts keeps the contacts in it (a stored list)
	slowPlan  chan struct{}        // when set, PlanProgram runs until it is canceled (a slow model), then closes it

	historyContacts int  // how many contacts CheckEmailHistory was given
	historyStored   bool // as a stored list

	mu       sync.Mutex
	calls    map[string]int // SendEmail attempts by recipient
	sent     []catalog.Task
	batches  []activities.BatchInput
	timeouts []time.Duration // each batch's start-to-close, in the order of batches
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

func (f *fakeWorld) env(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// The shared machine can stall a workflow task past the SDK's 1 s deadlock limit; these tests check
	// behaviour, and the replay tests keep the default.
	if f.acting.owner == "" && !f.anonymous {
		f.acting.owner = testOwner
	}
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 20 * time.Second,
		Interceptors: []interceptor.WorkerInterceptor{&f.acting, identity.Interceptor(workflows.SignalAnswer)}})
	env.RegisterWorkflowWithOptions(workflows.Program, workflowOptions)
	(&activities.Commands{}).Register(env)
	env.RegisterActivity(&activities.Planning{})
	env.OnActivity("PlanProgram", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, req activities.PlanRequest) (activities.PlanResult, error) {
			if f.slowPlan != nil {
				select {
				case <-ctx.Done():
					close(f.slowPlan)
					return activities.PlanResult{}, ctx.Err()
				case <-time.After(time.Minute):
					return activities.PlanResult{}, errors.New("the planning was not canceled within a minute")
				}
			}
			if req.Plan != nil {
				return activities.PlanResult{Plan: req.Plan, MirrorEvents: f.mirror, Policy: &f.policy, Tuning: f.tuning}, nil
			}
			if f.plan == nil {
				return activities.PlanResult{}, temporal.NewNonRetryableApplicationError("not understood: \"if it rains\"", catalog.ErrInvalidArgument, nil)
			}
			return activities.PlanResult{Plan: f.plan, MirrorEvents: f.mirror, Policy: &f.policy, Tuning: f.tuning}, nil
		})
	env.OnActivity("RetrieveContacts", mock.Anything, mock.Anything).Return(
		func(_ context.Context, task catalog.Task) (catalog.TaskResult, error) {
			if f.contacts == nil {
				return catalog.TaskResult{}, temporal.NewNonRetryableApplicationError("contacts file examples/missing.vcf not found", catalog.ErrNotFound, nil)
			}
			if f.store != nil {
				w := contentvalue.NewListWriter(f.store, 100)
				for _, c := range f.contacts {
					if err := w.Add(context.Background(), c); err != nil {
						return catalog.TaskResult{}, err
					}
				}
				list, err := w.Finish(context.Background())
				if err != nil {
					return catalog.TaskResult{}, err
				}
				return success(task, map[string]any{"contacts": list.Value(), "count": len(f.contacts)}), nil
			}
			return success(task, map[string]any{"contacts": f.contacts, "count": len(f.contacts)}), nil
		}).Maybe()
	env.RegisterActivity(&contentvalue.Lists{Store: f.store})
	env.OnActivity("CheckEmailHistory", mock.Anything, mock.Anything).Return(
		func(_ context.Context, task catalog.Task) (catalog.TaskResult, error) {
			f.mu.Lock()
			if list, ok := task.Parameters["contacts"].([]any); ok {
				f.historyContacts = len(list)
			} else if stored, ok := contentvalue.ListOf(task.Parameters["contacts"]); ok {
				f.historyContacts, f.historyStored = stored.Count, true
			}
			f.mu.Unlock()
			return success(task, map[string]any{"emailed": f.emailed, "not_emailed": []any{}, "since": task.Parameters["since"], "until": task.Parameters["until"]}), nil
		}).Maybe()
	env.OnActivity("ComposeEmail", mock.Anything, mock.Anything).Return(
		func(_ context.Context, task catalog.Task) (catalog.TaskResult, error) {
			if strings.TrimSpace(task.Parameters["body"].(string)) == "" {
				return catalog.TaskResult{}, temporal.NewNonRetryableApplicationError("no body", catalog.ErrNeedsInput, nil,
					catalog.InputRequest{Question: "What should the email say?", Kind: catalog.InputText, Param: "body"})
			}
			return success(task, map[string]any{"subject": task.Parameters["body"], "body": task.Parameters["body"]}), nil
		}).Maybe()
	// FindContact is the real activity over the fake address book.
	env.OnActivity("FindContact", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, task catalog.Task) (catalog.TaskResult, error) {
			return (&activities.Commands{Deps: catalog.Deps{contactsfamily.Deps{Source: f}}}).Run(ctx, task)
		}).Maybe()
	env.OnActivity("SendEmail", mock.Anything, mock.Anything).Return(f.send).Maybe()
	env.RegisterActivity(&activities.Batches{})
	env.OnActivity("RunBatch", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.BatchInput) (activities.BatchResult, error) {
			info := activity.GetInfo(ctx)
			f.mu.Lock()
			f.batches = append(f.batches, in)
			f.timeouts = append(f.timeouts, info.Deadline.Sub(info.StartedTime))
			f.mu.Unlock()
			if len(in.Items) > 0 && in.Items[0].Task.Command != "SendEmail" {
				// The real batch runner, over the fake address book: a fake that accepted every command
				// would hide what the runner cannot do.
				return (&activities.Batches{Commands: &activities.Commands{Deps: catalog.Deps{contactsfamily.Deps{Source: f}}, WorkerID: "test-worker"}}).RunBatch(ctx, in)
			}
			var out activities.BatchResult
			for _, it := range in.Items {
				res, err := f.send(ctx, it.Task)
				var appErr *temporal.ApplicationError
				switch {
				case errors.As(err, &appErr):
					res = catalog.TaskResult{TaskID: it.Task.TaskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: appErr.Type(), Message: appErr.Message()}}
					out.Items = append(out.Items, activities.BatchItemResult{Result: res, Retryable: !appErr.NonRetryable()})
				case err != nil:
					res = catalog.TaskResult{TaskID: it.Task.TaskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: "Error", Message: err.Error()}}
					out.Items = append(out.Items, activities.BatchItemResult{Result: res, Retryable: true})
				default:
					out.Items = append(out.Items, activities.BatchItemResult{Result: res})
				}
				out.Items[len(out.Items)-1].Result.Attempt = it.Attempt
			}
			return out, nil
		}).Maybe()
	return env
}

// Open makes the fake address book a contactsfamily.Source, for the real FindContact.
func (f *fakeWorld) Open(ctx context.Context) (contactsfamily.Book, error) {
	var out contactsfamily.List
	for _, c := range f.contacts {
		m := c.(map[string]any)
		out = append(out, catalog.ContactValue{Name: m["name"].(string), Email: m["email"].(string), Source: m["source"].(string)})
	}
	return out.Open(ctx)
}

// send stands in for SendEmail.
func (f *fakeWorld) send(_ context.Context, task catalog.Task) (catalog.TaskResult, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxIn.Load(); n > m && !f.maxIn.CompareAndSwap(m, n); m = f.maxIn.Load() {
	}
	time.Sleep(2 * time.Millisecond)
	to := task.Parameters["to"].(map[string]any)["email"].(string)
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[to]++
	f.mu.Unlock()
	if err := f.sendErr[to]; err != nil {
		return catalog.TaskResult{}, err
	}
	f.mu.Lock()
	flaky := f.flaky[to] > 0
	if flaky {
		f.flaky[to]--
	}
	f.mu.Unlock()
	if flaky {
		return catalog.TaskResult{}, errors.New("SMTP server 127.0.0.1:1025 deferred the message: 451 try again later")
	}
	f.mu.Lock()
	f.sent = append(f.sent, task)
	f.mu.Unlock()
	return success(task, map[string]any{"recipient": to, "message_id": "<" + task.Context.IdempotencyKey + ">"}), nil
}

func success(task catalog.Task, output map[string]any) catalog.TaskResult {
	return catalog.TaskResult{TaskID: task.TaskID, WorkerID: "test-worker", Status: catalog.StatusSuccess, Output: output, ExecutionTime: 1, Attempt: 1}
}

func (f *fakeWorld) sentTo() map[string]catalog.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]catalog.Task{}
	for _, t := range f.sent {
		out[t.Parameters["to"].(map[string]any)["email"].(string)] = t
	}
	return out
}

func itemsOf(tb testing.TB, res workflows.Result, step string) map[string]workflows.ItemResult {
	tb.Helper()
	for _, s := range res.Steps {
		if s.ID == step {
			out := map[string]workflows.ItemResult{}
			for _, it := range s.Items {
				out[it.Label] = it
			}
			return out
		}
	}
	tb.Fatalf("no step %q in the result", step)
	return nil
}

func TestProgram(t *testing.T) {
	t.Run("SendsToContactsNotEmailedThisWeekAndSkipsTheOthers", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com", "carol@example.com"), emailed: []any{"bob@example.com"}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, UserID: "user_123"})
		res := completed(t, env)
		if got, want := res.State, workflows.StateCompleted; got != want {
			t.Fatalf("state = %q, want %q", got, want)
		}
		if got, want := res.Summary, "send: 2 done, 1 skipped, 0 failed"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		sent := f.sentTo()
		if got, want := len(sent), 2; got != want {
			t.Fatalf("sent %d emails, want %d: %v", got, want, sent)
		}
		for _, to := range []string{"alice@example.com", "carol@example.com"} {
			task, ok := sent[to]
			if !ok {
				t.Fatalf("no email to %s", to)
			}
			if got, want := task.Parameters["body"], "Hello World!"; got != want {
				t.Errorf("body to %s = %v, want %q", to, got, want)
			}
			if got := task.Context.IdempotencyKey; got != "default-test-workflow-id/"+task.TaskID {
				t.Errorf("idempotency key = %q, want the workflow ID and the task ID", got)
			}
		}
		items := itemsOf(t, res, "send")
		if got, want := items["bob@example.com"].State, workflows.StateSkipped; got != want {
			t.Errorf("bob: state = %q, want %q", got, want)
		}
		if items["bob@example.com"].Reason == "" {
			t.Error("bob: a skipped contact must say why")
		}
		if got, want := items["alice@example.com"].Task.Output["recipient"], "alice@example.com"; got != want {
			t.Errorf("alice: recipient = %v, want %v", got, want)
		}
	})

	t.Run("AcceptsTheProgramAsABareJSONString", func(t *testing.T) {
		var in workflows.Input
		if err := json.Unmarshal([]byte(`"Send 'Hi' to bob@example.com"`), &in); err != nil {
			t.Fatal(err)
		}
		if got, want := in.Program, "Send 'Hi' to bob@example.com"; got != want {
			t.Fatalf("program = %q, want %q", got, want)
		}
		if err := json.Unmarshal([]byte(`{"programme": "x"}`), &in); err == nil {
			t.Fatal("a misspelt field must be an error")
		}
	})

	t.Run("RunsAHandWrittenPlanWithoutAskingThePlanner", func(t *testing.T) {
		f := &fakeWorld{contacts: contacts("alice@example.com"), emailed: []any{}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Plan: helloPlan(t)})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("workflow failed: %v", err)
		}
		if got, want := len(f.sentTo()), 1; got != want {
			t.Fatalf("sent %d emails, want %d", got, want)
		}
	})

	t.Run("FailsClearlyWhenTheProgramCannotBePlanned", func(t *testing.T) {
		f := &fakeWorld{}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: "Send an email if it rains"})
		err := env.GetWorkflowError()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) {
			t.Fatalf("error = %v, want an application error", err)
		}
		if got, want := appErr.Type(), catalog.ErrInvalidArgument; got != want {
			t.Errorf("type = %q, want %q", got, want)
		}
		if got := appErr.Message(); got != `the program could not be planned: not understood: "if it rains"` {
			t.Errorf("message = %q", got)
		}
	})

	t.Run("ReportsAFailedSendPerContactAndSendsTheRest", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "carol@example.com"), emailed: []any{},
			sendErr: map[string]error{"carol@example.com": temporal.NewNonRetryableApplicationError("550 mailbox unavailable", catalog.ErrInvalidArgument, nil)}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := failedResult(t, env.GetWorkflowError())
		if got, want := res.State, workflows.StateFailed; got != want {
			t.Fatalf("state = %q, want %q", got, want)
		}
		items := itemsOf(t, res, "send")
		if got, want := items["alice@example.com"].State, workflows.StateDone; got != want {
			t.Errorf("alice: %q, want %q", got, want)
		}
		carol := items["carol@example.com"]
		if got, want := carol.State, workflows.StateFailed; got != want {
			t.Errorf("carol: %q, want %q", got, want)
		}
		if got, want := carol.Reason, "550 mailbox unavailable"; got != want {
			t.Errorf("carol: reason %q, want %q", got, want)
		}
		if carol.Task == nil || carol.Task.Error == nil || carol.Task.Error.Type != catalog.ErrInvalidArgument {
			t.Errorf("carol: task error = %+v, want type %s", carol.Task, catalog.ErrInvalidArgument)
		}
	})

	t.Run("SkipsTheStepsAfterAFailedStep", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t)} // no contacts file
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := failedResult(t, env.GetWorkflowError())
		states := map[string]string{}
		for _, s := range res.Steps {
			states[s.ID] = s.State
		}
		want := map[string]string{"contacts": "failed", "history": "skipped", "compose": "done", "send": "skipped"}
		for id, st := range want {
			if states[id] != st {
				t.Errorf("step %s: %q, want %q", id, states[id], st)
			}
		}
		if got, want := res.Steps[1].Reason, `it depends on step "contacts", which failed`; got != want {
			t.Errorf("history's reason = %q, want %q", got, want)
		}
		if len(f.sentTo()) != 0 {
			t.Error("nothing may be sent when the contacts could not be read")
		}
	})

	t.Run("NeverRunsMoreTasksAtOnceThanTheBound", func(t *testing.T) {
		var emails []string
		for i := range 40 {
			emails = append(emails, "c"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com")
		}
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts(emails...), emailed: []any{}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, MaxConcurrency: 3})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if got, want := len(f.sentTo()), 40; got != want {
			t.Fatalf("sent %d, want %d", got, want)
		}
		if got := f.maxIn.Load(); got != 3 {
			t.Fatalf("at most %d sends ran at once, want exactly the bound, 3", got)
		}
	})

	t.Run("AnswersTheStatusAndPlanQueries", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com"), emailed: []any{"bob@example.com"}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		v, err := env.QueryWorkflow(workflows.QueryStatus)
		if err != nil {
			t.Fatal(err)
		}
		var st workflows.Status
		if err := v.Get(&st); err != nil {
			t.Fatal(err)
		}
		if got, want := len(st.Steps), 4; got != want {
			t.Fatalf("%d steps, want %d", got, want)
		}
		send := st.Steps[3]
		if send.ID != "send" || send.Total != 2 || send.Done != 1 || send.Skipped != 1 || send.State != workflows.StateDone {
			t.Errorf("send status = %+v, want 2 total, 1 done, 1 skipped", send)
		}
		v, err = env.QueryWorkflow(workflows.QueryPlan)
		if err != nil {
			t.Fatal(err)
		}
		var p plan.Plan
		if err := v.Get(&p); err != nil {
			t.Fatal(err)
		}
		if got, want := len(p.Steps), 4; got != want {
			t.Errorf("plan query: %d steps, want %d", got, want)
		}
	})
}

// failedResult returns the Result carried by a ProgramFailed error.
func failedResult(tb testing.TB, err error) workflows.Result {
	tb.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrProgramFailed {
		tb.Fatalf("error = %v, want a %s error", err, workflows.ErrProgramFailed)
	}
	var res workflows.Result
	if err := appErr.Details(&res); err != nil {
		tb.Fatal(err)
	}
	return res
}

var workflowOptions = workflow.RegisterOptions{Name: workflows.WorkflowType}

// The workflow reads the planning activity's result as an api.PlanResult: the fields they share keep
// their JSON names.
func TestThePlanningResultReadsAsTheWorkflowsView(t *testing.T) {
	b, err := json.Marshal(activities.PlanResult{Plan: helloPlan(t), MirrorEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	var got api.PlanResult
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Plan == nil || len(got.Plan.Steps) != 4 || !got.MirrorEvents {
		t.Errorf("read %+v from %s, want the plan's 4 steps and mirror_events", got, b)
	}
}
