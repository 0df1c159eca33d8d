package workflows

import "go.temporal.io/sdk/workflow"

// The questions' metrics a program records itself, through the SDK's metrics handler (which skips them
// during replay), when its events do not go to Kafka: with the bridge on, the worker counts them from the
// feedback.hitl events instead (worker.Meters), so each question is counted once either way. The worker
// routes these names to its own instruments (worker.Meters.Handler), so both ways are the same series.
const (
	MetricQuestionsAsked    = "eaapl_questions_asked"    // tag kind
	MetricQuestionsAnswered = "eaapl_questions_answered" // tags kind, state, and answer for an approval
	MetricQuestionWait      = "eaapl_question_wait"      // tag kind: from asking to the answer
)

// countAsked counts a question asked, when the program's events do not go to Kafka.
func (e *eventSink) countAsked(ctx workflow.Context, q *Question) {
	if e.on {
		return
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"kind": q.Kind}).Counter(MetricQuestionsAsked).Inc(1)
}

// countAnswered counts a question closed (answered, timed out or closed) and its wait, when the program's
// events do not go to Kafka.
func (e *eventSink) countAnswered(ctx workflow.Context, q *Question) {
	if e.on {
		return
	}
	tags := map[string]string{"kind": q.Kind, "state": q.State}
	if q.Kind == KindApproval {
		tags["answer"] = q.Answer
	}
	h := workflow.GetMetricsHandler(ctx).WithTags(tags)
	h.Counter(MetricQuestionsAnswered).Inc(1)
	h.Timer(MetricQuestionWait).Record(workflow.Now(ctx).Sub(q.Asked))
}
