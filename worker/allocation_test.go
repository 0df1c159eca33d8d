package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/observe"
	"github.com/eaapl/eaapl/workflows"
)

// kept is a Publisher that keeps what it is given.
type kept struct {
	mu     sync.Mutex
	events []bridge.Event
}

func (k *kept) Publish(_ context.Context, events ...bridge.Event) error {
	k.mu.Lock()
	k.events = append(k.events, events...)
	k.mu.Unlock()
	return nil
}

func (k *kept) allocations(t *testing.T) []map[string]any {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []map[string]any
	for _, e := range k.events {
		if e.Topic != bridge.TopicResourceAllocation {
			continue
		}
		var v struct {
			Allocated map[string]any `json:"allocated_resources"`
		}
		if err := json.Unmarshal(e.Value, &v); err != nil {
			t.Fatalf("resource.allocation %s: %v", e.Value, err)
		}
		out = append(out, v.Allocated)
	}
	return out
}

// TestResourceAllocationReportsTheSlotSupplier: resource.allocation says how the slot supplier sizes the
// activity slots and how many it has issued, at start and again when that number changes.
func TestResourceAllocationReportsTheSlotSupplier(t *testing.T) {
	fixed, err := sdkworker.NewFixedSizeSlotSupplier(3)
	if err != nil {
		t.Fatal(err)
	}
	slots := &taskCounter{SlotSupplier: fixed, used: map[*sdkworker.SlotPermit]bool{}}
	pub := &kept{}
	buf := bridge.NewBuffer(pub, bridge.BufferOptions{}, nil)
	defer buf.Close(time.Second)
	tel := NewTelemetry(buf, "test-worker", ActivitySlots)
	tel.SetSlots(slots.Allocation)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tel.Start(ctx, 20*time.Millisecond)
	first := slots.TryReserveSlot(reservation{})
	second := slots.TryReserveSlot(reservation{})
	if first == nil || second == nil {
		t.Fatal("the fixed supplier of 3 refused a slot")
	}
	slots.released(first) // as ReleaseSlot counts it
	deadline := time.Now().Add(10 * time.Second)
	var got []map[string]any
	for time.Now().Before(deadline) {
		if got = pub.allocations(t); len(got) >= 2 && got[len(got)-1]["activity_slots_issued"] == float64(1) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) < 2 {
		t.Fatalf("resource.allocation events %v, want one at start and one after the slots changed", got)
	}
	if got[0]["slot_supplier"] != "fixed" || got[0]["activity_slots_issued"] != float64(0) {
		t.Errorf("at start: %v, want the fixed supplier with none issued", got[0])
	}
	if last := got[len(got)-1]; last["activity_slots_issued"] != float64(1) {
		t.Errorf("last: %v, want 1 slot issued (2 reserved, 1 released)", last)
	}

	resource := &taskCounter{used: map[*sdkworker.SlotPermit]bool{}, targets: ResourceTargets{Memory: 0.5, MaxSlots: 100}}
	if a := resource.Allocation(); a["slot_supplier"] != "resource-based" || a["activity_slots_max"] != 100 || a["memory_target"] != 0.5 {
		t.Errorf("resource-based allocation %v, want its bounds and target", a)
	}
}

// TestDroppedKafkaRecordsAreCounted: records the worker's queue to Kafka drops are on /metrics as
// eaapl_kafka_records_total{outcome="dropped"}, by topic.
func TestDroppedKafkaRecordsAreCounted(t *testing.T) {
	m, meters := newMeters(t)
	buf := bridge.NewBuffer(failing{}, bridge.BufferOptions{MaxQueued: 2, RetryEvery: time.Hour, OnDrop: meters.dropped}, nil)
	buf.Send(
		bridge.Event{Topic: bridge.TopicTaskResult, ID: "1"}, bridge.Event{Topic: bridge.TopicTaskResult, ID: "2"},
		bridge.Event{Topic: bridge.TopicTaskResult, ID: "3"}, bridge.Event{Topic: bridge.TopicTaskDispatch, ID: "4"})
	buf.Close(10 * time.Millisecond) // the broker never answers: the two queued are dropped too
	body := metricsText(m)
	for _, want := range []string{
		`eaapl_kafka_records_total{outcome="dropped",topic="task.result"} 3`,
		`eaapl_kafka_records_total{outcome="dropped",topic="task.dispatch"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(body, "eaapl_kafka_records"))
		}
	}
}

// newMeters is a new metrics registry and the worker's meters on it.
func newMeters(tb testing.TB) (*observe.Metrics, *Meters) {
	tb.Helper()
	m, err := observe.NewMetrics()
	if err != nil {
		tb.Fatal(err)
	}
	meters, err := NewMeters(m.Meter())
	if err != nil {
		tb.Fatal(err)
	}
	return m, meters
}

// metricsText is what the registry's /metrics serves.
func metricsText(m *observe.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

type failing struct{}

func (failing) Publish(context.Context, ...bridge.Event) error { return context.DeadlineExceeded }

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestQuestionsWithoutKafkaAreCounted: the question metrics a program records itself (no Kafka bridge),
// through the worker's metrics handler, land on the same series the feedback.hitl events feed.
func TestQuestionsWithoutKafkaAreCounted(t *testing.T) {
	m, meters := newMeters(t)
	h := meters.Handler(m.SDKHandler()).WithTags(map[string]string{"namespace": "default", "workflow_type": workflows.WorkflowType})
	h.WithTags(map[string]string{"kind": workflows.KindApproval}).Counter(workflows.MetricQuestionsAsked).Inc(1)
	h.WithTags(map[string]string{"kind": "made-up"}).Counter(workflows.MetricQuestionsAsked).Inc(1)
	closed := h.WithTags(map[string]string{"kind": workflows.KindApproval, "state": workflows.QuestionAnswered, "answer": workflows.AnswerApprove})
	closed.Counter(workflows.MetricQuestionsAnswered).Inc(1)
	closed.Timer(workflows.MetricQuestionWait).Record(3 * time.Second)
	h.Counter(MetricProgramsStarted).Inc(1) // not a question: to the SDK's handler, as before
	body := metricsText(m)
	for _, want := range []string{
		`eaapl_questions_asked_total{kind="approval"} 1`,
		`eaapl_questions_asked_total{kind="other"} 1`,
		`eaapl_questions_answered_total{kind="approval",state="answered"} 1`,
		`eaapl_approvals_total{answer="approve"} 1`,
		`eaapl_question_wait_seconds_count{kind="approval"} 1`,
		`eaapl_programs_started_total{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(body, "eaapl_"))
		}
	}
}

// TestQuestionsAskedOnOneWorkerAndClosedOnAnother: the questions waiting are the sum over workers of
// those asked minus those closed, so a question closed by a worker that did not see it asked must count
// as closed there, with its kind (from the answer's event), and a question the program counts itself
// (without Kafka) the same way.
func TestQuestionsAskedOnOneWorkerAndClosedOnAnother(t *testing.T) {
	hitl := func(id, state string) bridge.Event {
		v, _ := json.Marshal(map[string]any{
			"timestamp": time.Now().UTC(),
			"context":   map[string]any{"question_id": "q1", "state": state, "kind": workflows.KindApproval, "answer": workflows.AnswerApprove},
		})
		return bridge.Event{Topic: bridge.TopicFeedbackHITL, ID: id, Value: v}
	}
	type worker struct {
		metrics *observe.Metrics
		meters  *Meters
	}
	start := func() worker {
		m, meters := newMeters(t)
		meters.zero()
		return worker{m, meters}
	}
	scrape := func(w worker) string { return metricsText(w.metrics) }
	// waiting is the dashboard's sum(eaapl_questions_asked_total) - sum(eaapl_questions_answered_total).
	waiting := func(workers ...worker) float64 {
		var n float64
		for _, w := range workers {
			for _, l := range strings.Split(scrape(w), "\n") {
				name, rest, _ := strings.Cut(l, "{")
				_, value, _ := strings.Cut(rest, "} ")
				var v float64
				if _, err := fmt.Sscan(value, &v); err != nil {
					continue
				}
				switch name {
				case "eaapl_questions_asked_total":
					n += v
				case "eaapl_questions_answered_total":
					n -= v
				}
			}
		}
		return n
	}

	t.Run("FromKafkaEvents", func(t *testing.T) {
		asker, answerer := start(), start()
		ctx := context.Background()
		if err := asker.meters.Publisher(&kept{}).Publish(ctx, hitl("wf/feedback.hitl/q1", workflows.QuestionOpen)); err != nil {
			t.Fatal(err)
		}
		if got := waiting(asker, answerer); got != 1 {
			t.Errorf("questions waiting once asked = %v, want 1", got)
		}
		answered := answerer.meters.Publisher(&kept{})
		for range 2 { // a retried publish counts once
			if err := answered.Publish(ctx, hitl("wf/feedback.hitl/q1/answer", workflows.QuestionAnswered)); err != nil {
				t.Fatal(err)
			}
		}
		if got := waiting(asker, answerer); got != 0 {
			t.Errorf("questions waiting once answered on the other worker = %v, want 0:\n%s\n%s", got,
				grepLines(scrape(asker), "eaapl_questions"), grepLines(scrape(answerer), "eaapl_questions"))
		}
		body := scrape(answerer)
		for _, want := range []string{
			`eaapl_questions_answered_total{kind="approval",state="answered"} 1`,
			`eaapl_approvals_total{answer="approve"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the answering worker's /metrics lacks %s:\n%s", want, grepLines(body, "eaapl_"))
			}
		}
	})
	t.Run("FromTheProgramsOwnCounts", func(t *testing.T) {
		asker, answerer := start(), start()
		tags := map[string]string{"kind": workflows.KindApproval}
		asker.meters.Handler(asker.metrics.SDKHandler()).WithTags(tags).Counter(workflows.MetricQuestionsAsked).Inc(1)
		if got := waiting(asker, answerer); got != 1 {
			t.Errorf("questions waiting once asked = %v, want 1", got)
		}
		closed := map[string]string{"kind": workflows.KindApproval, "state": workflows.QuestionAnswered, "answer": workflows.AnswerApprove}
		answerer.meters.Handler(answerer.metrics.SDKHandler()).WithTags(closed).Counter(workflows.MetricQuestionsAnswered).Inc(1)
		if got := waiting(asker, answerer); got != 0 {
			t.Errorf("questions waiting once answered on the other worker = %v, want 0", got)
		}
	})
}
