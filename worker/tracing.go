package worker

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/bridge"
)

// SpanPublish is the name of the span of one publish to Kafka from an activity: the program's events
// (PublishEvents) and the planning's.
const SpanPublish = "kafka.publish"

// tracedPublisher puts a producer span around each Publish, as a child of the calling activity's span,
// so that one program's trace reaches Kafka: the span ends when the brokers have the records (or the
// publish failed). It uses the process's tracer provider (observe.NewTracing sets it), which does
// nothing when tracing is off. The items of a RunBatch go to the buffer without waiting and have no span
// of their own; their RunBatch's span covers them.
type tracedPublisher struct {
	next   activities.Publisher
	tracer trace.Tracer
}

func traced(p activities.Publisher) activities.Publisher {
	return &tracedPublisher{next: p, tracer: otel.Tracer("github.com/eaapl/eaapl/worker")}
}

func (p *tracedPublisher) Publish(ctx context.Context, events ...bridge.Event) error {
	var topics []string
	for _, e := range events {
		if !slices.Contains(topics, e.Topic) && knownTopics[e.Topic] {
			topics = append(topics, e.Topic)
		}
	}
	slices.Sort(topics)
	ctx, span := p.tracer.Start(ctx, SpanPublish, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.operation.type", "send"),
		attribute.StringSlice("messaging.destination.names", topics),
		attribute.Int("messaging.batch.message_count", len(events)),
	))
	defer span.End()
	err := p.next.Publish(ctx, events...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish to Kafka")
	}
	return err
}
