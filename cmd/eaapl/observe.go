package main

import (
	"context"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/observe"
)

// tracingKey carries the process's tracing, when the OTEL_* variables turn it on, from withConfig to dial.
type tracingKey struct{}

// withTracing starts tracing if the OTEL_* variables ask for it; done sends the last spans.
func withTracing(ctx context.Context) (_ context.Context, done func(), _ error) {
	t, err := observe.TracingFromEnv(ctx, os.LookupEnv)
	if err != nil || t == nil {
		return ctx, func() {}, err
	}
	return context.WithValue(ctx, tracingKey{}, t), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = t.Shutdown(ctx) // a collector that is gone loses the last spans; the command's result stands
	}, nil
}

// observeClient adds the process's tracing interceptor and, when set, a metrics handler to the
// Temporal client's options.
func observeClient(ctx context.Context, opts *client.Options, metrics client.MetricsHandler) error {
	if metrics != nil {
		opts.MetricsHandler = metrics
	}
	t, _ := ctx.Value(tracingKey{}).(*observe.Tracing)
	if t == nil {
		return nil
	}
	i, err := t.Interceptor()
	if err != nil {
		return err
	}
	opts.Interceptors = append(opts.Interceptors, i)
	return nil
}
