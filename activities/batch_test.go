package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
)

// countingMailbox counts the Message-ID searches.
type countingMailbox struct {
	*fakeMailbox
	mu       sync.Mutex
	searched []string
}

func (c *countingMailbox) HasMessageID(ctx context.Context, id string) (bool, error) {
	c.mu.Lock()
	c.searched = append(c.searched, id)
	c.mu.Unlock()
	return c.fakeMailbox.HasMessageID(ctx, id)
}

// sessionSender is a fakeSender that also opens sessions, and counts them.
type sessionSender struct {
	*fakeSender
	sessions, closed int
}

func (s *sessionSender) Session() SenderSession { s.sessions++; return &fakeSession{s} }

type fakeSession struct{ s *sessionSender }

func (f *fakeSession) Send(ctx context.Context, m Message) error { return f.s.Send(ctx, m) }
func (f *fakeSession) Close()                                    { f.s.closed++ }

// recordingPublisher keeps the events it is given.
// recordingPublisher keeps the events published.
type recordingPublisher struct {
	mu     sync.Mutex
	events []bridge.Event
}

func (p *recordingPublisher) Publish(_ context.Context, events ...bridge.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, events...)
	return nil
}

func (p *recordingPublisher) ids(topic string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		if e.Topic == topic {
			out = append(out, e.ID)
		}
	}
	return out
}

func batchOf(n int, addrs ...string) BatchInput {
	var in BatchInput
	for i, a := range addrs {
		id := fmt.Sprintf("send_%d", i+1)
		in.Items = append(in.Items, BatchItem{Attempt: 1, Task: catalog.Task{
			TaskID:     id,
			Command:    "SendEmail",
			Parameters: map[string]any{"to": map[string]any{"email": a}, "subject": "Hi", "body": "Hello"},
			Context:    catalog.TaskContext{WorkflowID: "wf-1", Step: "send", Item: i + 1, IdempotencyKey: "wf-1/" + id},
		}})
	}
	return in
}

func newBatchEnv(t *testing.T) (*testsuite.TestActivityEnvironment, *Batches, *countingMailbox, *sessionSender, *recordingPublisher) {
	a, mb, s := newTestActivities()
	cm := &countingMailbox{fakeMailbox: mb}
	ss := &sessionSender{fakeSender: s}
	a.Mailbox, a.Sender = cm, ss
	pub := &recordingPublisher{}
	buf := bridge.NewBuffer(pub, bridge.BufferOptions{}, nil)
	t.Cleanup(func() { buf.Close(time.Second) })
	b := &Batches{Commands: a.commands(), Events: buf}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(b)
	return env, b, cm, ss, pub
}

func runBatch(t *testing.T, env *testsuite.TestActivityEnvironment, b *Batches, in BatchInput) BatchResult {
	t.Helper()
	v, err := env.ExecuteActivity(b.RunBatch, in)
	if err != nil {
		t.Fatalf("RunBatch: %v", err)
	}
	var res BatchResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunBatch(t *testing.T) {
	t.Run("SendsEachItemOnceOverOneSessionWithoutSearchingTheMailboxFirst", func(t *testing.T) {
		env, b, mb, s, _ := newBatchEnv(t)
		res := runBatch(t, env, b, batchOf(3, "a@example.com", "b@example.com", "c@example.com"))
		if got, want := len(res.Items), 3; got != want {
			t.Fatalf("%d results, want %d", got, want)
		}
		for i, r := range res.Items {
			if r.Result.Status != catalog.StatusSuccess || r.Result.TaskID != fmt.Sprintf("send_%d", i+1) || r.Result.Attempt != 1 {
				t.Errorf("item %d: %+v, want success of send_%d at attempt 1", i+1, r.Result, i+1)
			}
		}
		if got, want := len(s.sent), 3; got != want {
			t.Errorf("sent %d emails, want %d", got, want)
		}
		if s.sessions != 1 || s.closed != 1 {
			t.Errorf("%d sessions opened, %d closed; want one of each", s.sessions, s.closed)
		}
		if len(mb.searched) != 0 {
			t.Errorf("searched the mailbox %d times on a first attempt, want none", len(mb.searched))
		}
	})

	t.Run("ChecksTheMailboxForItemsAnEarlierAttemptMayHaveSent", func(t *testing.T) {
		env, b, mb, s, _ := newBatchEnv(t)
		in := batchOf(2, "a@example.com", "b@example.com")
		in.Items[1].Check, in.Items[1].Attempt = true, 2
		mb.ids[MessageID("wf-1/send_2", me.Address)] = true // the first attempt got through
		res := runBatch(t, env, b, in)
		if got, want := len(mb.searched), 1; got != want {
			t.Errorf("%d mailbox searches, want %d (the retried item only)", got, want)
		}
		if got := res.Items[1].Result.Output["already_sent"]; got != true {
			t.Errorf("send_2 already_sent = %v, want true", got)
		}
		if got, want := len(s.sent), 1; got != want {
			t.Errorf("sent %d emails, want %d: send_2 was already in the mailbox", got, want)
		}
		if got, want := res.Items[1].Result.Attempt, int32(2); got != want {
			t.Errorf("send_2 attempt %d, want %d", got, want)
		}
	})

	t.Run("ResumesAfterTheItemsTheLastHeartbeatRecorded", func(t *testing.T) {
		env, b, mb, s, _ := newBatchEnv(t)
		in := batchOf(4, "a@example.com", "b@example.com", "c@example.com", "d@example.com")
		// The worker died while sending send_3: it got through, but no heartbeat said so.
		mb.ids[MessageID("wf-1/send_3", me.Address)] = true
		earlier := []BatchItemResult{
			{Result: catalog.TaskResult{TaskID: "send_1", Status: catalog.StatusSuccess, Attempt: 1}},
			{Result: catalog.TaskResult{TaskID: "send_2", Status: catalog.StatusSuccess, Attempt: 1}},
		}
		env.SetHeartbeatDetails(earlier)
		res := runBatch(t, env, b, in)
		if got, want := len(res.Items), 4; got != want {
			t.Fatalf("%d results, want %d", got, want)
		}
		if res.Items[0].Result.TaskID != "send_1" || res.Items[1].Result.TaskID != "send_2" {
			t.Errorf("the heartbeat's results were not kept: %+v", res.Items[:2])
		}
		var to []string
		for _, m := range s.sent {
			to = append(to, m.To)
		}
		if fmt.Sprint(to) != "[d@example.com]" {
			t.Errorf("sent to %v, want only d@example.com: 1 and 2 were done, 3 is in the mailbox", to)
		}
		if got, want := len(mb.searched), 2; got != want {
			t.Errorf("%d mailbox searches, want %d (send_3 and send_4, after the heartbeat)", got, want)
		}
	})

	t.Run("ReportsEachFailureOnItsItemAndGoesOn", func(t *testing.T) {
		env, b, _, s, _ := newBatchEnv(t)
		res := runBatch(t, env, b, batchOf(3, "a@example.com", "not an address", "c@example.com"))
		if r := res.Items[1]; r.Result.Status != catalog.StatusFailure || r.Retryable || r.Result.Error.Type != catalog.ErrInvalidArgument {
			t.Errorf("item 2 = %+v, want a failure that is not retryable, InvalidArgument", r)
		}
		if got, want := len(s.sent), 2; got != want {
			t.Errorf("sent %d emails, want %d", got, want)
		}
		s.err = fmt.Errorf("SMTP server 127.0.0.1:1 unreachable")
		res = runBatch(t, env, b, batchOf(1, "e@example.com"))
		if r := res.Items[0]; r.Result.Status != catalog.StatusFailure || !r.Retryable {
			t.Errorf("unreachable server: %+v, want a retryable failure", r)
		}
	})

	t.Run("PublishesEachItemsEventsWithTheWorkflowsIDs", func(t *testing.T) {
		env, b, _, _, pub := newBatchEnv(t)
		in := batchOf(2, "a@example.com", "b@example.com")
		in.Mirror, in.Deps = true, []string{"contacts"}
		res := runBatch(t, env, b, in)
		if !res.Published {
			t.Error("Published = false, want true")
		}
		// The ids are the ones the workflow gives: its ID (the tasks' workflow_id), the topic and the task.
		for topic, want := range map[string]string{
			bridge.TopicTaskDispatch:  "[wf-1/task.dispatch/send_1 wf-1/task.dispatch/send_2]",
			bridge.TopicTaskChain:     "[wf-1/task.chain/send_1 wf-1/task.chain/send_2]",
			bridge.TopicTaskResult:    "[wf-1/task.result/send_1 wf-1/task.result/send_2]",
			bridge.TopicAnalyticsData: "[wf-1/analytics.data/send_1 wf-1/analytics.data/send_2]",
		} {
			if got := fmt.Sprint(pub.ids(topic)); got != want {
				t.Errorf("%s ids = %s, want %s", topic, got, want)
			}
		}
	})
}

// TestEveryCommandRunsAsABatchItem runs a task of each registered command as a single task and as the
// item of a batch: both go through the command's own implementation and give the same output.
func TestEveryCommandRunsAsABatchItem(t *testing.T) {
	contacts := []any{map[string]any{"name": "Alice Example", "email": "alice@example.com", "source": "contacts.vcf:4"}}
	params := map[string]map[string]any{
		"RetrieveContacts":  {},
		"FindContact":       {"name": "Alice"},
		"CheckEmailHistory": {"contacts": contacts, "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T00:00:00Z"},
		"ComposeEmail":      {"body": "Hello"},
		"SendEmail":         {"to": contacts[0], "subject": "Hi", "body": "Hello"},
		"FindReply":         {"message_id": "<ask@eaapl.test>", "from": "alice@example.com", "since": "2026-11-23T00:00:00Z"},
		"ReadDocument":      {"path": "notes.md"},
		"ReadLines":         {"path": "notes.md"},
		"ReadTable":         {"path": "orders.csv"},
		"WriteFile":         {"path": "out.txt", "text": "Hello"},
		"ListFiles":         {"pattern": "*.md"},
		"FetchURL":          {"url": "https://status.example.test/"},
		"Summarize":         {"text": "Sales rose. Costs fell. We hired two people. The office moved.", "sentences": 2},
		"AnalyzeTrends":     {"text": "# Sales\n\nJan: 10\nFeb: 12\nMar: 15\n"},
		"Extract":           {"text": "Total: $40\nDue: May 3", "fields": []any{"total", "due"}},
		"Classify":          {"text": "The invoice total is due", "labels": []any{"billing", "travel"}},
		"FindText":          {"text": "All systems operational.", "phrase": "operational"},
	}
	for _, name := range catalog.Names() {
		t.Run(name, func(t *testing.T) {
			p, ok := params[name]
			if !ok {
				t.Fatalf("no parameters for %s: add them here", name)
			}
			tk := task("t1", p)
			tk.Command = name
			a, _, _ := newTestActivities()
			single, err := a.commands().Run(context.Background(), tk)
			if err != nil {
				t.Fatalf("single task: %v", err)
			}
			env, b, _, _, _ := newBatchEnv(t)
			res := runBatch(t, env, b, BatchInput{Items: []BatchItem{{Task: tk, Attempt: 1}}})
			if len(res.Items) != 1 || res.Items[0].Result.Status != catalog.StatusSuccess {
				t.Fatalf("batch item: %+v", res.Items)
			}
			// As the workflow sees them: decoded from JSON.
			var got, want any
			b1, _ := json.Marshal(single.Output)
			b2, _ := json.Marshal(res.Items[0].Result.Output)
			_ = json.Unmarshal(b1, &want)
			_ = json.Unmarshal(b2, &got)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("batch item's output %s, single task's %s", b2, b1)
			}
		})
	}
}
