package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

const askProgram = "Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again"

// replyInbox is the user's inbox: Bob's reply to one Message-ID lands in it when the test says so.
type replyInbox struct {
	mu      sync.Mutex
	replyTo string // the Message-ID Bob answers; "" until he does
	asked   int    // Answering calls: one per poll
}

func (b *replyInbox) reply(messageID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replyTo = strings.Trim(messageID, "<>")
}

func (b *replyInbox) Answering(_ context.Context, _, id string, _ time.Time) ([]email.Received, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked++
	if b.replyTo == "" || b.replyTo != id {
		return nil, nil
	}
	return []email.Received{{MessageID: "bob-reply@example.com", From: "bob@example.com", At: time.Now(), InReplyTo: true}}, nil
}

func (b *replyInbox) ReceivedFrom(context.Context, string, string, time.Time) ([]email.Received, error) {
	return nil, nil
}

func (b *replyInbox) polls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.asked
}

// replyEnv is the fake world with the real FindReply command over inbox.
func replyEnv(t *testing.T, f *fakeWorld, inbox *replyInbox) *testsuite.TestWorkflowEnvironment {
	env := f.env(t)
	commands := &activities.Commands{Deps: catalog.Deps{email.Deps{Inbox: inbox, From: mail.Address{Address: "me@example.com"}}}, WorkerID: "test-worker"}
	env.OnActivity("FindReply", mock.Anything, mock.Anything).Return(commands.Run).Maybe()
	return env
}

func sendsTo(f *fakeWorld, addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.sent {
		if t.Parameters["to"].(map[string]any)["email"] == addr {
			n++
		}
	}
	return n
}

func TestAwaitReply(t *testing.T) {
	t.Run("NoReplyWithinADaySendsItAgainExactlyOnce", func(t *testing.T) {
		f, inbox := &fakeWorld{}, &replyInbox{}
		planOf(t, f, askProgram)
		env := replyEnv(t, f, inbox)
		start := env.Now()
		var during workflows.Status
		sentDuring := -1
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(workflows.QueryStatus)
			if err == nil {
				err = v.Get(&during)
			}
			if err != nil {
				t.Errorf("status query: %v", err)
			}
			sentDuring = sendsTo(f, "bob@example.com")
		}, 12*time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := completed(t, env)
		if got := env.Now().Sub(start); got < 24*time.Hour || got > 25*time.Hour {
			t.Errorf("the program ended %s after it started; want just after its day's wait", got)
		}
		if n := sendsTo(f, "bob@example.com"); n != 2 {
			t.Errorf("Bob got %d emails, want 2: the first and the one sent again", n)
		}
		if sentDuring != 1 {
			t.Errorf("half-way through the wait Bob had %d emails, want 1", sentDuring)
		}
		w := stepStatus(t, during, "wait_for_reply_2")
		want := "waiting for a reply from bob@example.com until " + start.Add(24*time.Hour).UTC().Format("Monday 2 January 15:04:05 MST")
		if w.State != workflows.StateWaiting || w.Reason != want {
			t.Errorf("half-way, the wait is %q (%q), want %q (%q)", w.State, w.Reason, workflows.StateWaiting, want)
		}
		// A day of polls: bounded, a few minutes apart.
		if n := inbox.polls(); n < 20 || n > 125 {
			t.Errorf("the mailbox was asked %d times in a day, want from 20 to 125", n)
		}
		if st := stepState(t, res, "send_2"); st != workflows.StateDone {
			t.Errorf("send_2 is %s, want done", st)
		}
		if r := stepReason(t, res, "wait_for_reply_2"); !strings.HasPrefix(r, "no reply from bob@example.com by ") {
			t.Errorf("the wait's reason is %q, want no reply by its deadline", r)
		}
	})

	t.Run("AReplyEndsTheWaitAndNothingIsSentAgain", func(t *testing.T) {
		f, inbox := &fakeWorld{}, &replyInbox{}
		planOf(t, f, askProgram)
		env := replyEnv(t, f, inbox)
		start := env.Now()
		env.RegisterDelayedCallback(func() {
			sent := f.sentTo()["bob@example.com"]
			inbox.reply("<" + sent.Context.IdempotencyKey + ">") // the Message-ID fakeWorld's send gave it
		}, 3*time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := completed(t, env)
		if n := sendsTo(f, "bob@example.com"); n != 1 {
			t.Errorf("Bob got %d emails, want 1: he replied", n)
		}
		if got := env.Now().Sub(start); got < 3*time.Hour || got > 3*time.Hour+2*time.Minute {
			t.Errorf("the program ended %s after it started; want soon after the reply at 3h", got)
		}
		if st := stepState(t, res, "send_2"); st != workflows.StateSkipped {
			t.Errorf("send_2 is %s, want skipped", st)
		}
		if r := stepReason(t, res, "send_2"); r != "bob@example.com replied" {
			t.Errorf("send_2's reason is %q", r)
		}
		if r, want := stepReason(t, res, "wait_for_reply_2"), "bob@example.com replied (its In-Reply-To names the email)"; r != want {
			t.Errorf("the wait's reason is %q, want %q", r, want)
		}
	})

	t.Run("AReplyToAnotherEmailDoesNotCount", func(t *testing.T) {
		f, inbox := &fakeWorld{}, &replyInbox{}
		planOf(t, f, askProgram)
		env := replyEnv(t, f, inbox)
		env.RegisterDelayedCallback(func() { inbox.reply("<some-other-email@example.com>") }, time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("workflow failed: %v", err)
		}
		if n := sendsTo(f, "bob@example.com"); n != 2 {
			t.Errorf("Bob got %d emails, want 2", n)
		}
	})

	t.Run("ACancelDuringTheWaitEndsItWithoutSendingAgain", func(t *testing.T) {
		f, inbox := &fakeWorld{}, &replyInbox{}
		planOf(t, f, askProgram)
		env := replyEnv(t, f, inbox)
		env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		var canceled *temporal.CanceledError
		if err := env.GetWorkflowError(); !errors.As(err, &canceled) {
			t.Fatalf("error = %v, want the workflow canceled", err)
		}
		if n := sendsTo(f, "bob@example.com"); n != 1 {
			t.Errorf("Bob got %d emails, want 1", n)
		}
		// The result the cancellation carries: the first send done, the wait canceled while it waited,
		// the send again not run.
		var res workflows.Result
		if err := canceled.Details(&res); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"compose": workflows.StateDone, "send": workflows.StateDone, "wait_for_reply_2": workflows.StateCanceled, "send_2": workflows.StateNotRun}
		for _, s := range res.Steps {
			if s.State != want[s.ID] {
				t.Errorf("step %s is %q (%s), want %q", s.ID, s.State, s.Reason, want[s.ID])
			}
			if s.ID == "wait_for_reply_2" && (s.Command != "FindReply" || !strings.HasPrefix(s.Reason, "canceled while waiting for a reply from bob@example.com until ")) {
				t.Errorf("the wait is %s: %q, want FindReply canceled while waiting for a reply from bob@example.com", s.Command, s.Reason)
			}
		}
	})

	t.Run("AMailboxThatRefusesFailsTheWaitInsteadOfSendingAgain", func(t *testing.T) {
		f := &fakeWorld{}
		planOf(t, f, askProgram)
		env := f.env(t)
		env.OnActivity("FindReply", mock.Anything, mock.Anything).Return(catalog.TaskResult{},
			temporal.NewNonRetryableApplicationError("IMAP server 127.0.0.1:993 refused the credentials", catalog.ErrUnauthorized, nil))
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := failedResult(t, env.GetWorkflowError())
		if n := sendsTo(f, "bob@example.com"); n != 1 {
			t.Errorf("Bob got %d emails, want 1: no reply cannot be told", n)
		}
		if want := "could not tell whether bob@example.com replied"; !strings.Contains(res.Summary, want) || !strings.Contains(res.Summary, "refused the credentials") {
			t.Errorf("summary %q, want it to say %q and why", res.Summary, want)
		}
	})
}

func TestAwaitReplyInADryRunDoesNotWait(t *testing.T) {
	f, inbox := &fakeWorld{}, &replyInbox{}
	planOf(t, f, askProgram)
	env := replyEnv(t, f, inbox)
	start := env.Now()
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, DryRun: true})
	res := completed(t, env)
	if got := env.Now().Sub(start); got > time.Minute {
		t.Errorf("the dry run took %s, want no wait", got)
	}
	if n := inbox.polls(); n != 0 {
		t.Errorf("the dry run asked the mailbox %d times, want none: nothing was sent", n)
	}
	if r, want := stepReason(t, res, "wait_for_reply_2"), "dry run: would wait up to a day for a reply from bob@example.com; previewed as no reply"; r != want {
		t.Errorf("the wait's reason is %q, want %q", r, want)
	}
}

// TestAwaitReplyPollsAreMirroredLikeTasks runs the wait with the Kafka bridge on: each poll is a task on
// task.dispatch and task.result (and analytics.data), keyed by its id, FindReply its command; the last
// poll's result says Bob replied. The result table names the step's command too.
func TestAwaitReplyPollsAreMirroredLikeTasks(t *testing.T) {
	f, inbox := &fakeWorld{mirror: true}, &replyInbox{}
	planOf(t, f, askProgram)
	env := replyEnv(t, f, inbox)
	k := &fakeKafka{}
	k.receive(env)
	env.RegisterDelayedCallback(func() {
		inbox.reply("<" + f.sentTo()["bob@example.com"].Context.IdempotencyKey + ">")
	}, 30*time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	res := completed(t, env)
	polls := inbox.polls()
	if polls < 2 {
		t.Fatalf("the mailbox was asked %d times, want a few polls before the reply at 30 minutes", polls)
	}
	topics := k.byTopic()
	var want []string
	for i := 1; i <= polls; i++ {
		want = append(want, fmt.Sprintf("wait_for_reply_2/poll-%d", i))
	}
	for _, topic := range []string{bridge.TopicTaskDispatch, bridge.TopicTaskResult, bridge.TopicAnalyticsData} {
		var got []string
		for _, e := range topics[topic] {
			if strings.HasPrefix(e.Key, "wait_for_reply_2/") || strings.Contains(e.ID, "/wait_for_reply_2/") {
				got = append(got, strings.TrimPrefix(e.ID, workflowIDPrefix(e.ID, topic)))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has the polls %v, want one event per poll, in order: %v", topic, got, want)
		}
	}
	for _, e := range topics[bridge.TopicTaskDispatch] {
		if strings.HasPrefix(e.Key, "wait_for_reply_2/") && !strings.Contains(string(e.Value), `"command":"FindReply"`) {
			t.Errorf("task.dispatch %s is %s, want FindReply's task", e.Key, e.Value)
		}
	}
	results := topics[bridge.TopicTaskResult]
	last := results[slices.IndexFunc(results, func(e bridge.Event) bool { return e.Key == want[len(want)-1] })]
	if !strings.Contains(string(last.Value), `"replied":true`) || !strings.Contains(string(last.Value), `"status":"success"`) {
		t.Errorf("the last poll's task.result is %s, want a success that found the reply", last.Value)
	}
	for _, s := range res.Steps {
		if s.ID == "wait_for_reply_2" && s.Command != "FindReply" {
			t.Errorf("the wait's command is %q, want FindReply, the command of its polls", s.Command)
		}
	}
}

// workflowIDPrefix is an event id's part before what the event is about: "<workflow>/<topic>/".
func workflowIDPrefix(id, topic string) string {
	i := strings.Index(id, "/"+topic+"/")
	if i < 0 {
		return ""
	}
	return id[:i+len(topic)+2]
}

// stepResult is the result's step with the id.
func stepResult(t *testing.T, res workflows.Result, id string) workflows.StepResult {
	t.Helper()
	for _, s := range res.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in the result", id)
	return workflows.StepResult{}
}

// stepState is the state of the result's step with the id.
func stepState(t *testing.T, res workflows.Result, id string) string {
	t.Helper()
	return stepResult(t, res, id).State
}

// stepReason is the reason of the result's step with the id.
func stepReason(t *testing.T, res workflows.Result, id string) string {
	t.Helper()
	return stepResult(t, res, id).Reason
}
