package worker

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/usage"
	"github.com/eaapl/eaapl/workflows"
)

// The names of EaaPL's own metrics as the meter sees them. Prometheus shows counters with _total and
// durations with _seconds appended (eaapl_tasks -> eaapl_tasks_total, eaapl_task_duration ->
// eaapl_task_duration_seconds). Labels take bounded values only: a catalog command, an outcome, a topic,
// a question kind; never a workflow ID or an address.
const (
	MetricProgramsStarted   = "eaapl_programs_started"
	MetricProgramsCompleted = "eaapl_programs_completed"
	MetricProgramsFailed    = "eaapl_programs_failed"
	MetricProgramDuration   = "eaapl_program_duration"
	MetricTasks             = "eaapl_tasks"
	MetricTaskDuration      = "eaapl_task_duration"
	MetricTaskCPU           = "eaapl_task_cpu"
	MetricEmailsSent        = "eaapl_emails_sent"
	MetricBatchItems        = "eaapl_batch_items"
	MetricQuestionsAsked    = "eaapl_questions_asked"
	MetricQuestionsAnswered = "eaapl_questions_answered"
	MetricQuestionWait      = "eaapl_question_wait"
	MetricApprovals         = "eaapl_approvals"
	MetricKafkaRecords      = "eaapl_kafka_records"
	MetricKafkaPublishDelay = "eaapl_kafka_publish_delay"
	MetricModelTokens       = "eaapl_model_tokens"
)

// Task outcomes, the outcome label of eaapl_tasks_total.
const (
	OutcomeSuccess = "success" // the task did what it was asked
	OutcomeFailure = "failure" // the task ran and reported a failure (bad address, refused email ...)
	OutcomeError   = "error"   // the activity itself failed (timeout, cancellation, worker trouble)
)

// maxTracked bounds the questions whose asking time is kept to measure their wait.
const maxTracked = 10000

// Meters are EaaPL's own instruments on a worker. Activity-side figures are measured by an activity
// interceptor, from each activity's type, duration, input and result (RunBatch's per-item outcomes are
// in its result); workflow-side ones (programs) by a workflow interceptor through the SDK's metrics
// handler, which does not count again during replay; questions and Kafka records from the events that
// go through the publisher (Publisher).
type Meters struct {
	tasks, emails, asked, answered, approvals, records, tokens metric.Int64Counter
	duration, cpu, wait, delay, items                          metric.Float64Histogram

	mu    sync.Mutex
	asks  map[string]question // question event id -> when it was asked and its kind
	seen  map[string]bool     // question events counted, by event ID: retries publish them again
	order []string            // seen's keys, oldest first, to bound it
}

type question struct {
	kind  string
	asked time.Time
}

// NewMeters makes the instruments on meter.
func NewMeters(meter metric.Meter) (*Meters, error) {
	m := &Meters{asks: map[string]question{}, seen: map[string]bool{}}
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	hist := func(name, unit, desc string) metric.Float64Histogram {
		opts := []metric.Float64HistogramOption{metric.WithDescription(desc)}
		if unit != "" {
			opts = append(opts, metric.WithUnit(unit))
		}
		h, err := meter.Float64Histogram(name, opts...)
		errs = append(errs, err)
		return h
	}
	m.tasks = counter(MetricTasks, "Tasks run, by command and outcome (success, failure, error).")
	m.emails = counter(MetricEmailsSent, "Emails sent (or found already sent by an earlier attempt).")
	m.asked = counter(MetricQuestionsAsked, "Questions asked, by kind.")
	m.answered = counter(MetricQuestionsAnswered, "Questions closed, by kind and state (answered, timed_out, closed).")
	m.approvals = counter(MetricApprovals, "Approval questions closed, by answer (approve, skip, abort).")
	m.records = counter(MetricKafkaRecords, "Kafka records, by topic and outcome: produced, failed (handed to the producer, which refused them), dropped (the worker's queue to Kafka was full, or still held them when it stopped).")
	m.tokens = counter(MetricModelTokens, "Tokens spent on the language model by tasks (Summarize, Extract, Classify with a model), by command and type (prompt, completion).")
	m.duration = hist(MetricTaskDuration, "s", "How long a task ran, by command.")
	m.cpu = hist(MetricTaskCPU, "s", "CPU time of the worker process while a task ran, by command.")
	m.wait = hist(MetricQuestionWait, "s", "How long a question waited for its answer, by kind.")
	m.delay = hist(MetricKafkaPublishDelay, "s", "How long the brokers took to acknowledge a publish, by topic.")
	m.items = hist(MetricBatchItems, "", "Items per RunBatch activity, by command.")
	return m, errors.Join(errs...)
}

// zero makes the unlabelled series, and the questions' for every kind and state, exist at 0: the
// questions waiting are the sum of asked minus the sum of closed over every worker, and a worker that has
// asked none must still count in it.
func (m *Meters) zero() {
	ctx := context.Background()
	m.emails.Add(ctx, 0)
	for _, kind := range questionKinds {
		m.asked.Add(ctx, 0, metric.WithAttributes(attribute.String("kind", kind)))
		for _, state := range questionStates {
			m.answered.Add(ctx, 0, metric.WithAttributes(attribute.String("kind", kind), attribute.String("state", state)))
		}
	}
}

// Interceptor measures activities and programs.
func (m *Meters) Interceptor() interceptor.WorkerInterceptor { return &meterInterceptor{meters: m} }

type meterInterceptor struct {
	interceptor.WorkerInterceptorBase
	meters *Meters
}

func (i *meterInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &meterActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, meters: i.meters}
}

func (i *meterInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &meterWorkflow{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type meterActivity struct {
	interceptor.ActivityInboundInterceptorBase
	meters *Meters
}

// taskShape and batchShape are the parts of a task activity's input and result, and of RunBatch's, that
// the meters read. They are read through JSON so that the meters depend on the wire shapes only.
type taskShape struct {
	Command string `json:"command"`
	TaskID  string `json:"task_id"`
}

type batchShape struct {
	Items []struct {
		Task taskShape `json:"task"`
	} `json:"items"`
}

type batchResultShape struct {
	Items []struct {
		Result catalog.TaskResult `json:"result"`
	} `json:"items"`
}

func (a *meterActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	out, err := a.Next.ExecuteActivity(ctx, in)
	if len(in.Args) != 1 {
		return out, err
	}
	arg, jerr := json.Marshal(in.Args[0])
	if jerr != nil {
		return out, err
	}
	var batch batchShape
	if json.Unmarshal(arg, &batch) == nil && len(batch.Items) > 0 && batch.Items[0].Task.Command != "" {
		a.meters.batch(ctx, batch, out, err)
		return out, err
	}
	var task taskShape
	if json.Unmarshal(arg, &task) != nil || task.Command == "" || task.TaskID == "" {
		return out, err // not a task: planning, event publishing
	}
	var res catalog.TaskResult
	if r, ok := out.(catalog.TaskResult); ok {
		res = r
	}
	if res.Resources == nil {
		// The usage interceptor, outside this one, puts them in the result once this returns; a failed
		// attempt's go in its error's details. Both are what its span holds now.
		res.Resources = usage.SoFar(ctx)
	}
	a.meters.task(ctx, task.Command, res, err, time.Since(start))
	return out, err
}

func (m *Meters) batch(ctx context.Context, in batchShape, out any, err error) {
	cmd := commandLabel(in.Items[0].Task.Command)
	m.items.Record(ctx, float64(len(in.Items)), metric.WithAttributes(attribute.String("command", cmd)))
	if err != nil {
		m.tasks.Add(ctx, int64(len(in.Items)), metric.WithAttributes(attribute.String("command", cmd), attribute.String("outcome", OutcomeError)))
		return
	}
	raw, jerr := json.Marshal(out)
	var res batchResultShape
	if jerr != nil || json.Unmarshal(raw, &res) != nil {
		return
	}
	for _, it := range res.Items {
		m.task(ctx, cmd, it.Result, nil, 0)
	}
}

// task counts one task's outcome; took is the activity's own duration, used when the result does not
// carry one.
func (m *Meters) task(ctx context.Context, command string, res catalog.TaskResult, err error, took time.Duration) {
	cmd := commandLabel(command)
	outcome := OutcomeSuccess
	switch {
	case err != nil:
		outcome = OutcomeError
	case res.Status != catalog.StatusSuccess:
		outcome = OutcomeFailure
	}
	attrs := metric.WithAttributes(attribute.String("command", cmd))
	m.tasks.Add(ctx, 1, metric.WithAttributes(attribute.String("command", cmd), attribute.String("outcome", outcome)))
	if res.ExecutionTime > 0 {
		took = time.Duration(res.ExecutionTime) * time.Millisecond
	}
	m.duration.Record(ctx, took.Seconds(), attrs) // a task under a millisecond counts too
	if u := res.Resources; u != nil {
		m.cpu.Record(ctx, u.CPUTimeMs/1000, attrs)
		m.modelTokens(ctx, cmd, u)
	}
	if outcome == OutcomeSuccess && cmd == sendEmail {
		m.emails.Add(ctx, 1)
	}
}

// modelTokens counts the tokens a task's attempt spent on the model, a failed attempt's too.
func (m *Meters) modelTokens(ctx context.Context, cmd string, u *catalog.ResourceUsage) {
	for typ, n := range map[string]int64{"prompt": u.ModelPromptTokens, "completion": u.ModelCompletionTokens} {
		if n > 0 {
			m.tokens.Add(ctx, n, metric.WithAttributes(attribute.String("command", cmd), attribute.String("type", typ)))
		}
	}
}

var sendEmail = email.SendEmail.Name // the emails-sent counter counts its successes

// commandLabel keeps the command label bounded: a command the catalog does not know is "other".
func commandLabel(name string) string {
	if _, ok := catalog.Lookup(name); ok {
		return name
	}
	return "other"
}

type meterWorkflow struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *meterWorkflow) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	if workflow.GetInfo(ctx).WorkflowType.Name != workflows.WorkflowType {
		return w.Next.ExecuteWorkflow(ctx, in)
	}
	metrics := workflow.GetMetricsHandler(ctx) // skips recording during replay
	start := workflow.Now(ctx)
	metrics.Counter(MetricProgramsStarted).Inc(1)
	out, err := w.Next.ExecuteWorkflow(ctx, in)
	if err != nil {
		metrics.Counter(MetricProgramsFailed).Inc(1)
	} else {
		metrics.Counter(MetricProgramsCompleted).Inc(1)
	}
	metrics.Timer(MetricProgramDuration).Record(workflow.Now(ctx).Sub(start))
	return out, err
}

// Publisher returns p measured: records by topic and outcome, the brokers' delay, and the questions
// whose feedback.hitl events go through it.
func (m *Meters) Publisher(p activities.Publisher) activities.Publisher {
	return &meteredPublisher{next: p, meters: m}
}

type meteredPublisher struct {
	next   activities.Publisher
	meters *Meters
}

func (p *meteredPublisher) Publish(ctx context.Context, events ...bridge.Event) error {
	start := time.Now()
	err := p.next.Publish(ctx, events...)
	took := time.Since(start).Seconds()
	outcome := "produced"
	if err != nil {
		outcome = "failed"
	}
	byTopic := map[string]int64{}
	for _, e := range events {
		if knownTopics[e.Topic] {
			byTopic[e.Topic]++
		}
	}
	for topic, n := range byTopic {
		p.meters.records.Add(ctx, n, metric.WithAttributes(attribute.String("topic", topic), attribute.String("outcome", outcome)))
		p.meters.delay.Record(ctx, took, metric.WithAttributes(attribute.String("topic", topic)))
	}
	if err == nil {
		for _, e := range events {
			if e.Topic == bridge.TopicFeedbackHITL {
				p.meters.question(ctx, e)
			}
		}
	}
	return err
}

// dropped counts events the worker's Buffer dropped (bridge.BufferOptions.OnDrop), by topic.
func (m *Meters) dropped(events []bridge.Event) {
	byTopic := map[string]int64{}
	for _, e := range events {
		topic := e.Topic
		if !knownTopics[topic] {
			topic = "other"
		}
		byTopic[topic]++
	}
	for topic, n := range byTopic {
		m.records.Add(context.Background(), n, metric.WithAttributes(attribute.String("topic", topic), attribute.String("outcome", OutcomeDropped)))
	}
}

// OutcomeDropped is the outcome of eaapl_kafka_records_total for records that never reached the producer.
const OutcomeDropped = "dropped"

// question counts a feedback.hitl event: a question asked (its context's state is open) or closed.
func (m *Meters) question(ctx context.Context, e bridge.Event) {
	var v struct {
		Timestamp time.Time `json:"timestamp"`
		Context   struct {
			QuestionID string `json:"question_id"`
			State      string `json:"state"`
			Kind       string `json:"kind"`
			Answer     string `json:"answer"`
		} `json:"context"`
	}
	if json.Unmarshal(e.Value, &v) != nil || v.Context.QuestionID == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[e.ID] {
		return
	}
	m.remember(e.ID)
	key := strings.TrimSuffix(e.ID, "/answer")
	if v.Context.State == workflows.QuestionOpen {
		kind := kindLabel(v.Context.Kind)
		m.asks[key] = question{kind: kind, asked: v.Timestamp}
		m.asked.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", kind)))
		return
	}
	q, ok := m.asks[key]
	if !ok {
		// Asked on another worker, or before this one started: it is closed here all the same, so that
		// the sums over workers of asked and closed agree. The answer's event says the kind.
		q.kind = kindLabel(v.Context.Kind)
	} else {
		delete(m.asks, key)
		if !q.asked.IsZero() && !v.Timestamp.IsZero() {
			m.wait.Record(ctx, v.Timestamp.Sub(q.asked).Seconds(), metric.WithAttributes(attribute.String("kind", q.kind)))
		}
	}
	m.closed(ctx, 1, q.kind, v.Context.State, v.Context.Answer)
}

// closed counts n questions of a kind closed in a state, and an approval's answer.
func (m *Meters) closed(ctx context.Context, n int64, kind, state, answer string) {
	if !slices.Contains(questionStates, state) {
		state = "other"
	}
	m.answered.Add(ctx, n, metric.WithAttributes(attribute.String("kind", kind), attribute.String("state", state)))
	if kind == workflows.KindApproval {
		switch answer {
		case workflows.AnswerApprove, workflows.AnswerSkip, workflows.AnswerAbort:
		default:
			answer = "other"
		}
		m.approvals.Add(ctx, n, metric.WithAttributes(attribute.String("answer", answer)))
	}
}

// remember adds id to seen, forgetting the oldest ids (and questions) past maxTracked.
func (m *Meters) remember(id string) {
	m.seen[id] = true
	m.order = append(m.order, id)
	if len(m.order) > maxTracked {
		old := m.order[0]
		m.order = m.order[1:]
		delete(m.seen, old)
		delete(m.asks, old)
	}
}

// knownTopics keeps the topic label bounded to the bridge's topics.
var knownTopics = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range bridge.TopicNames() {
		m[t] = true
	}
	return m
}()

// questionKinds and questionStates are the values of the kind and state labels of the questions' metrics.
var (
	questionKinds  = []string{workflows.KindDecision, workflows.KindApproval, "choice", "text", "address", "other"}
	questionStates = []string{workflows.QuestionAnswered, workflows.QuestionTimedOut, workflows.QuestionClosed, "other"}
)

func kindLabel(kind string) string {
	if slices.Contains(questionKinds, kind) {
		return kind
	}
	return "other"
}

// Handler returns next (the SDK's metrics handler, for the worker's client) with the questions' metrics a
// program records itself when its events do not go to Kafka (workflows.MetricQuestionsAsked and the
// others) routed to these meters' instruments: the same series as those counted from feedback.hitl, with
// the same bounded labels. Everything else goes to next.
func (m *Meters) Handler(next client.MetricsHandler) client.MetricsHandler {
	return &routedHandler{next: next, meters: m, tags: map[string]string{}}
}

type routedHandler struct {
	next   client.MetricsHandler
	meters *Meters
	tags   map[string]string
}

func (h *routedHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	maps.Copy(merged, tags)
	return &routedHandler{next: h.next.WithTags(tags), meters: h.meters, tags: merged}
}

type counterFunc func(int64)

func (f counterFunc) Inc(n int64) { f(n) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

func (h *routedHandler) Counter(name string) client.MetricsCounter {
	m, ctx, kind := h.meters, context.Background(), kindLabel(h.tags["kind"])
	switch name {
	case workflows.MetricQuestionsAsked:
		return counterFunc(func(n int64) {
			m.asked.Add(ctx, n, metric.WithAttributes(attribute.String("kind", kind)))
		})
	case workflows.MetricQuestionsAnswered:
		return counterFunc(func(n int64) {
			m.closed(ctx, n, kind, h.tags["state"], h.tags["answer"])
		})
	}
	return h.next.Counter(name)
}

func (h *routedHandler) Timer(name string) client.MetricsTimer {
	if name == workflows.MetricQuestionWait {
		kind := kindLabel(h.tags["kind"])
		return timerFunc(func(d time.Duration) {
			h.meters.wait.Record(context.Background(), d.Seconds(), metric.WithAttributes(attribute.String("kind", kind)))
		})
	}
	return h.next.Timer(name)
}

func (h *routedHandler) Gauge(name string) client.MetricsGauge { return h.next.Gauge(name) }
