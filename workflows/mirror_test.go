package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/workflows"
)

// fakeKafka records the batches the bridge activity was given; it can refuse the first calls, as a broker
// that is down would, or every call.
type fakeKafka struct {
	mu       sync.Mutex
	batches  [][]bridge.Event
	failures int  // calls to refuse before accepting
	down     bool // refuse every call
}

// receive makes k the Kafka the program in env mirrors its events to, through the real Mirror activities
// with PublishEvents mocked.
func (k *fakeKafka) receive(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivity(&activities.Mirror{})
	env.OnActivity("PublishEvents", mock.Anything, mock.Anything).Return(k.publish)
}

func (k *fakeKafka) publish(_ context.Context, batch []bridge.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down || k.failures > 0 {
		k.failures--
		return errors.New("kafka: broker 127.0.0.1:9092 unreachable")
	}
	k.batches = append(k.batches, batch)
	return nil
}

func (k *fakeKafka) byTopic() map[string][]bridge.Event {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string][]bridge.Event{}
	for _, b := range k.batches {
		for _, e := range b {
			out[e.Topic] = append(out[e.Topic], e)
		}
	}
	return out
}

// mirrored runs the Hello World program with the bridge on.
func mirrored(t *testing.T, k *fakeKafka, in workflows.Input) (*fakeWorld, *backlog) {
	f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com", "carol@example.com"), emailed: []any{"bob@example.com"}, mirror: true}
	env := f.env(t)
	k.receive(env)
	b := &backlog{}
	env.RegisterWorkflowWithOptions(workflows.PublishEventBacklog, workflow.RegisterOptions{Name: workflows.BacklogWorkflowType})
	env.OnWorkflow(workflows.BacklogWorkflowType, mock.Anything, mock.Anything).Return(b.run)
	if in.Program == "" {
		in.Program = f.plan.Program
	}
	env.ExecuteWorkflow(workflows.WorkflowType, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	return f, b
}

// backlog stands in for the backlog workflow and records what it was handed.
type backlog struct{ events []bridge.Event }

func (b *backlog) run(_ workflow.Context, events []bridge.Event) error {
	b.events = events
	return nil
}

func TestMirror(t *testing.T) {
	t.Run("MirrorsEveryTaskOnDispatchAndResultKeyedByTaskID", func(t *testing.T) {
		k := &fakeKafka{}
		mirrored(t, k, workflows.Input{})
		topics := k.byTopic()
		// contacts, history, compose, and 2 sends: bob is skipped, so no task runs for him.
		wantTasks := []string{"contacts", "history", "compose", "send_1", "send_3"}
		for _, topic := range []string{bridge.TopicTaskDispatch, bridge.TopicTaskResult} {
			var keys []string
			for _, e := range topics[topic] {
				keys = append(keys, e.Key)
			}
			if !sameSet(keys, wantTasks) {
				t.Errorf("%s keys = %v, want %v", topic, keys, wantTasks)
			}
		}
		if got, want := len(topics[bridge.TopicTaskChain]), 2; got != want {
			t.Errorf("%d task.chain events, want one per send: %d", got, want)
		}
		if got, want := len(topics[bridge.TopicAnalyticsData]), 5; got != want {
			t.Errorf("%d analytics.data events, want %d", got, want)
		}
		// Each step: pending, in_progress and its end.
		if got, want := len(topics[bridge.TopicTaskDependency]), 12; got != want {
			t.Errorf("%d task.dependency events, want %d", got, want)
		}
		ids := map[string]bool{}
		for _, b := range k.batches {
			for _, e := range b {
				if ids[e.ID] {
					t.Errorf("event id %s appears twice", e.ID)
				}
				ids[e.ID] = true
			}
		}
	})

	t.Run("BatchesEventsInsteadOfOneActivityPerEvent", func(t *testing.T) {
		k := &fakeKafka{}
		mirrored(t, k, workflows.Input{})
		events := 0
		for _, b := range k.batches {
			events += len(b)
		}
		if len(k.batches) >= events/2 {
			t.Errorf("%d activity calls for %d events, want far fewer calls than events", len(k.batches), events)
		}
	})

	t.Run("DeliversEverythingWhenTheBrokerComesBack", func(t *testing.T) {
		k := &fakeKafka{failures: 3}
		mirrored(t, k, workflows.Input{})
		if got, want := len(k.byTopic()[bridge.TopicTaskResult]), 5; got != want {
			t.Errorf("%d task.result events after the broker came back, want %d", got, want)
		}
	})

	t.Run("EndsWithinTheBoundAndHandsLateEventsToTheBacklog", func(t *testing.T) {
		k := &fakeKafka{down: true}
		_, b := mirrored(t, k, workflows.Input{EventsTimeout: "5s"})
		if len(b.events) == 0 {
			t.Fatal("the backlog workflow was handed no events")
		}
		var results, alerts int
		for _, e := range b.events {
			switch e.Topic {
			case bridge.TopicTaskResult:
				results++
			case bridge.TopicSystemAlerts:
				alerts++
			}
		}
		if results != 5 || alerts != 1 {
			t.Errorf("backlog holds %d task.result and %d system.alerts events, want 5 and 1", results, alerts)
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
