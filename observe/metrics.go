// Package observe is a process's operational view of itself: Prometheus metrics (the Temporal SDK's and
// EaaPL's, through one OpenTelemetry meter provider), OpenTelemetry traces exported over OTLP, and the
// HTTP server that serves /metrics, /readyz and /livez.
package observe

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// SecondsBuckets are the histogram bounds of every duration (unit "s"): from a fast local call to a
// program that waits on people.
var SecondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600}

// Metrics is one process's metrics: a Prometheus registry fed by an OpenTelemetry meter provider. The
// Temporal SDK reports through SDKHandler; EaaPL's own instruments come from Meter. Counters become
// Prometheus counters with a _total suffix and durations (unit "s") histograms with a _seconds suffix.
type Metrics struct {
	registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
	meter    metric.Meter
}

// NewMetrics returns an empty registry with the Go runtime's and the process's collectors.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	seconds := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SecondsBuckets}},
	)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(seconds))
	return &Metrics{registry: reg, provider: mp, meter: mp.Meter("github.com/eaapl/eaapl")}, nil
}

// Meter is where EaaPL's own instruments are made.
func (m *Metrics) Meter() metric.Meter { return m.meter }

// SDKHandler is the metrics handler for the Temporal client (client.Options.MetricsHandler): the SDK's
// metrics, and those that workflow code records through workflow.GetMetricsHandler, which the SDK
// skips during replay.
func (m *Metrics) SDKHandler() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                m.provider.Meter("go.temporal.io/sdk"),
		UseMonotonicCounters: true,
		OnError:              func(error) {}, // a metric the exporter refuses is left out; it must not stop a worker
	})
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Close flushes and stops the meter provider.
func (m *Metrics) Close(ctx context.Context) error { return m.provider.Shutdown(ctx) }
