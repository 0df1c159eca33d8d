package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/observe"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// TestOneProgramIsOneTrace runs a program on a client and worker with the SDK's tracing interceptor, as
// `eaapl run` and `eaapl worker` have when OTEL_* is set, with the spans going to the OpenTelemetry
// SDK's in-memory recorder instead of OTLP: every span of the run is in one trace, from the client's
// start through the workflow, planning and the batches of tasks, to the publishes of the program's
// events to Kafka (the worker has the bridge, to a real broker).
func TestOneProgramIsOneTrace(t *testing.T) {
	s := newStack(t)
	broker := testenv.Broker(t, "", 0)
	rec := tracetest.NewSpanRecorder()
	tracing := observe.NewTracing(rec, func(string) (string, bool) { return "", false })
	t.Cleanup(func() { _ = tracing.Shutdown(context.Background()) })
	tracer, err := tracing.Interceptor()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: s.temporal.FrontendHostPort(), Interceptors: []interceptor.ClientInterceptor{tracer}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cfg := s.workerConfig(t, contactsCSV(t, 25), "e2e-tracing")
	cfg.Kafka.Brokers = []string{broker.Addr()}
	svc, err := worker.Setup(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	started, stopped := make(chan struct{}), make(chan error, 1)
	go func() { stopped <- svc.Run(ctx, c, func() error { close(started); return nil }) }()
	<-started
	defer func() { stop(); <-stopped; svc.Close() }()

	st := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(runCtx, "traced-program", workflows.Input{Program: "Send 'Hi there' to all my contacts", MaxConcurrency: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Wait(runCtx, wr, 200*time.Millisecond, nil); err != nil {
		t.Fatalf("program: %v", err)
	}

	spans := rec.Ended()
	names := oneTrace(t, spans)
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range spans {
		byID[sp.SpanContext().SpanID().String()] = sp
	}
	for _, want := range []string{"RunWorkflow:" + workflows.WorkflowType, "RunActivity:PlanProgram", "RunActivity:RetrieveContacts", "RunActivity:RunBatch"} {
		if names[want] == 0 {
			t.Errorf("no %s span", want)
		}
	}
	if got, want := names["RunActivity:RunBatch"], 5; got != want {
		t.Errorf("%d RunBatch spans, want %d: 25 contacts over 5 at once", got, want)
	}
	// The program's events reach Kafka inside the trace: each publish is a producer span under the
	// activity that published.
	publishes := 0
	for _, sp := range spans {
		if sp.Name() != worker.SpanPublish {
			continue
		}
		publishes++
		parent, ok := byID[sp.Parent().SpanID().String()]
		if !ok || !strings.HasPrefix(parent.Name(), "RunActivity:") || sp.SpanKind() != trace.SpanKindProducer {
			t.Errorf("publish span (kind %v) under %v, want a producer span under an activity's", sp.SpanKind(), parent)
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("a publish failed: %s", sp.Status().Description)
		}
	}
	if publishes == 0 || names["RunActivity:PublishEvents"] == 0 {
		t.Errorf("%d %s spans and %d PublishEvents activities, want the program's events published in the trace", publishes, worker.SpanPublish, names["RunActivity:PublishEvents"])
	}
}

// oneTrace checks that spans are one trace, rooted at the client's StartWorkflow of a program, and returns
// how many spans of each name it has.
func oneTrace(t *testing.T, spans []sdktrace.ReadOnlySpan) map[string]int {
	t.Helper()
	names := map[string]int{}
	traces := map[string]bool{}
	var roots []string
	for _, sp := range spans {
		names[sp.Name()]++
		traces[sp.SpanContext().TraceID().String()] = true
		if !sp.Parent().IsValid() {
			roots = append(roots, sp.Name())
		}
	}
	list := make([]string, 0, len(names))
	for n, k := range names {
		list = append(list, fmt.Sprintf("%s×%d", n, k))
	}
	sort.Strings(list)
	t.Logf("%d spans: %s", len(spans), strings.Join(list, ", "))
	if len(traces) != 1 {
		t.Errorf("spans in %d traces, want one", len(traces))
	}
	if len(roots) != 1 || roots[0] != "StartWorkflow:"+workflows.WorkflowType {
		t.Errorf("root spans %v, want one, StartWorkflow:%s", roots, workflows.WorkflowType)
	}
	return names
}
