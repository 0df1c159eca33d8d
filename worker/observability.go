package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/observe"
)

// observability is a worker's metrics and probes server (EAAPL_METRICS_ADDR).
type observability struct {
	metrics *observe.Metrics
	meters  *Meters
	server  *observe.Server

	mu     sync.Mutex
	client client.Client // set while the worker polls; nil before and after
}

func newObservability(addr string, profiling bool, logger *slog.Logger) (*observability, error) {
	m, err := observe.NewMetrics()
	if err != nil {
		return nil, err
	}
	meters, err := NewMeters(m.Meter())
	if err != nil {
		return nil, err
	}
	// Series that exist from the start, at 0, so that rates and the dashboard's sums have them before
	// the first program.
	sdk := m.SDKHandler()
	for _, name := range []string{MetricProgramsStarted, MetricProgramsCompleted, MetricProgramsFailed} {
		sdk.Counter(name).Inc(0)
	}
	meters.zero()
	o := &observability{metrics: m, meters: meters}
	o.server, err = observe.Serve(addr, m, o.ready, logger, observe.ServeOptions{Profiling: profiling})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// ready is /readyz: the worker polls its task queue and Temporal answers.
func (o *observability) ready(ctx context.Context) error {
	o.mu.Lock()
	c := o.client
	o.mu.Unlock()
	if c == nil {
		return errors.New("the worker is not polling")
	}
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return errors.New("Temporal does not answer: " + err.Error())
	}
	return nil
}

func (o *observability) polling(c client.Client) {
	o.mu.Lock()
	o.client = c
	o.mu.Unlock()
}

func (o *observability) stopped() { o.polling(nil) }

func (o *observability) close() {
	o.server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o.metrics.Close(ctx)
}

// MetricsHandler is the handler the Temporal client of this worker should report through
// (client.Options.MetricsHandler), so that the SDK's metrics and the programs' are served with the
// worker's; nil when metrics are off.
func (s *Service) MetricsHandler() client.MetricsHandler {
	if s.obs == nil {
		return nil
	}
	return s.obs.meters.Handler(s.obs.metrics.SDKHandler()) // programs' own question metrics go to the meters
}

// MetricsAddr is where the worker serves /metrics, /readyz and /livez; empty when metrics are off.
func (s *Service) MetricsAddr() string {
	if s.obs == nil {
		return ""
	}
	return s.obs.server.Addr
}
