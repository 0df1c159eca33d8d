package observe

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Tracing is a process's OpenTelemetry tracing: a tracer provider whose spans go out over OTLP, and the
// Temporal SDK's tracing interceptor on it. With it on the client, a program is one trace: the
// client's StartWorkflow, the workflow run, and each activity (planning, tasks, batches, event
// publishing), linked through the workflow's headers.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// TracingFromEnv turns tracing on when the standard OpenTelemetry variables ask for it:
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, or OTEL_TRACES_EXPORTER=otlp;
// OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true turn it off. The exporter reads the other OTEL_*
// variables itself (headers, TLS, timeouts; OTEL_EXPORTER_OTLP_PROTOCOL grpc, the default, or
// http/protobuf), and the resource OTEL_SERVICE_NAME (default eaapl) and OTEL_RESOURCE_ATTRIBUTES.
// It returns nil when tracing is off. lookup is os.LookupEnv outside tests.
func TracingFromEnv(ctx context.Context, lookup func(string) (string, bool)) (*Tracing, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	exporterName := strings.ToLower(get("OTEL_TRACES_EXPORTER"))
	switch {
	case strings.EqualFold(get("OTEL_SDK_DISABLED"), "true"), exporterName == "none":
		return nil, nil
	case exporterName != "" && exporterName != "otlp":
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: EaaPL exports traces over otlp only (or none)", exporterName)
	case exporterName == "" && get("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "":
		return nil, nil
	}
	protocol := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var client otlptrace.Client
	switch protocol {
	case "", "grpc":
		client = otlptracegrpc.NewClient()
	case "http/protobuf":
		client = otlptracehttp.NewClient()
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: want grpc or http/protobuf", protocol)
	}
	exp, err := otlptrace.New(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	return NewTracing(sdktrace.NewBatchSpanProcessor(exp), lookup), nil
}

// NewTracing returns tracing whose spans go to processor (a test gives tracetest's recorder), and
// makes it the process's tracer provider and W3C trace-context propagator.
func NewTracing(processor sdktrace.SpanProcessor, lookup func(string) (string, bool)) *Tracing {
	name := "eaapl"
	if v, ok := lookup("OTEL_SERVICE_NAME"); ok && v != "" {
		name = v
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(name)))
	if err != nil {
		res = resource.Default()
	}
	if env, err := resource.New(context.Background(), resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(processor), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return &Tracing{provider: tp}
}

// Tracer is EaaPL's tracer, for spans of its own.
func (t *Tracing) Tracer() trace.Tracer { return t.provider.Tracer("github.com/eaapl/eaapl") }

// Interceptor is the Temporal SDK's tracing interceptor, for client.Options.Interceptors: the workers
// made from that client inherit it.
func (t *Tracing) Interceptor() (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.provider.Tracer("go.temporal.io/sdk"),
		TextMapPropagator: propagation.TraceContext{},
	})
}

// Shutdown sends the spans still buffered and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }
