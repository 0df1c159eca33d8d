package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/crypt"
)

// Service is a worker process's long-lived parts besides the Temporal client: the Kafka producer and the
// worker's telemetry, when KAFKA_BROKERS is set. Set it up before dialing Temporal, so that the client
// logs through Logger, which mirrors onto logs.debug.
type Service struct {
	cfg       config.Config
	Logger    *slog.Logger
	producer  *kafka.Producer
	events    *bridge.Buffer // in front of producer: the activities and the telemetry publish through it
	telemetry *Telemetry
	obs       *observability // nil when EAAPL_METRICS_ADDR is empty
	watch     *TaskWatch     // ends the programs whose workflow task keeps failing (stuck.go)
}

// Setup connects to Kafka, if configured, and makes sure the topics exist.
func Setup(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Service, error) {
	s := &Service{cfg: cfg, Logger: logger, watch: NewTaskWatch(0, nil, Identity(cfg), logger)}
	if cfg.MetricsAddr != "" {
		obs, err := newObservability(cfg.MetricsAddr, cfg.Profiling, logger)
		if err != nil {
			return nil, err
		}
		s.obs = obs
	}
	kcfg := cfg.Kafka.Bridge()
	if !kcfg.Enabled() {
		return s, nil
	}
	p, err := kafka.NewProducer(kcfg, logger.With("component", "kafka"))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka: %w", err)
	}
	topicsCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.EnsureTopics(topicsCtx); err != nil {
		// The broker may come later: events wait in the producer's buffer and the bridge retries.
		logger.Warn("Kafka topics not checked; events will follow once the broker answers", "brokers", kcfg.Brokers, "error", err)
	}
	level, _ := cfg.EventsSlogLevel() // checked by config.Load
	s.producer = p
	// The buffer logs to the plain logger: its warnings must not become logs.debug events it publishes.
	var pub bridge.Publisher = p
	keys, err := crypt.Load(s.cfg.KeyFile, s.cfg.DataDir)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka: %w", err)
	}
	if keys != nil { // contact data and message text leave the worker sealed (docs/events.md)
		pub = bridge.NewSealing(pub, keys)
	}
	if s.obs != nil { // measured where records reach the producer, behind the buffer
		pub = s.obs.meters.Publisher(pub)
	}
	var opts bridge.BufferOptions
	if s.obs != nil {
		opts.OnDrop = s.obs.meters.dropped
	}
	s.events = bridge.NewBuffer(pub, opts, logger.With("component", "kafka"))
	s.telemetry = NewTelemetry(s.events, Identity(cfg), ActivitySlots)
	s.watch.events = s.events
	s.Logger = slog.New(s.telemetry.LogHandler(logger.Handler(), level))
	return s, nil
}

// ClientOptions prepares the options of the worker's Temporal client, after the rest is set (the
// converters): its calls are where the worker sees a workflow task that keeps failing (TaskWatch).
// Without it, such a program is not ended.
func (s *Service) ClientOptions(opts *client.Options) { s.watch.ClientOptions(opts) }

// Run runs a worker until ctx ends, then stops it and sends the last events. onStarted, when set, is called
// once the worker polls; its error stops the worker.
func (s *Service) Run(ctx context.Context, c client.Client, onStarted func() error) error {
	var interceptors []interceptor.WorkerInterceptor
	if s.telemetry != nil {
		interceptors = append(interceptors, s.telemetry.Interceptor())
	}
	if s.obs != nil {
		interceptors = append(interceptors, s.obs.meters.Interceptor())
	}
	deps, err := NewDependencies(s.cfg, s.events)
	if err != nil {
		return err
	}
	w, err := New(c, s.cfg, deps, interceptors...)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	telCtx, stopTelemetry := context.WithCancel(context.Background())
	go s.watch.Run(telCtx, c)
	if s.telemetry != nil {
		s.telemetry.SetSlots(w.Slots)
		s.telemetry.Start(telCtx, s.cfg.HeartbeatInterval)
	}
	s.Logger.Info("Worker started", "task_queue", s.cfg.TaskQueue, "identity", Identity(s.cfg),
		"contacts", s.cfg.Contacts, "smtp", s.cfg.SMTPAddr, "mailbox", s.cfg.MailboxURL, "kafka", s.cfg.Kafka.Brokers)
	if s.obs != nil {
		s.obs.polling(c)
		defer s.obs.stopped()
	}
	err = nil
	if onStarted != nil {
		err = onStarted()
	}
	if err == nil {
		<-ctx.Done()
		s.Logger.Info("Worker stopping: it takes no new tasks, and running tasks have until the shutdown timeout to finish",
			"shutdown_timeout", s.cfg.ShutdownTimeout)
	}
	w.Stop()
	stopTelemetry()
	if s.telemetry != nil {
		s.telemetry.Wait(5 * time.Second)
	}
	s.Logger.Info("Worker stopped")
	return err
}

// Close closes the Kafka producer, after it and the buffer in front of it have sent what they hold, and
// the metrics server.
func (s *Service) Close() {
	if s.obs != nil {
		s.obs.close()
	}
	if s.producer != nil {
		s.events.Close(5 * time.Second)
		s.producer.Close()
	}
}
