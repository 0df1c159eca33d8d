// Package devstack starts the embedded default stack that `eaapl dev` runs: the Temporal CLI's dev server
// and Mailpit, as child processes on loopback ports, with their data under one directory so programs and
// mail survive a restart. While it runs, the stack checks its parts' health and restarts a dead one
// (health.go); it records its children in the data folder, so those that a killed `eaapl dev` leaves
// behind are stopped by the next start or `eaapl dev --stop` (orphans.go).
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eaapl/eaapl/internal/crypt"
)

// Options configures Start. Zero ports pick free loopback ports; empty binaries take the defaults.
type Options struct {
	TemporalBin, MailpitBin string
	// DataDir holds the parts' data, in DataDir/temporal and DataDir/mailpit; empty keeps nothing.
	DataDir string

	TemporalPort, UIPort  int // Temporal frontend gRPC and web UI
	SMTPPort, MailpitPort int // Mailpit SMTP and web UI/API
	// KafkaPort is the embedded Kafka-protocol broker's port; -1 runs no broker.
	KafkaPort int

	// KeyFile holds the payload keys; empty takes DataDir/payload.keys, made with a new key when missing.
	// With keys, a codec server on CodecPort (0 picks a free one) decodes payloads for the Web UI.
	KeyFile   string
	CodecPort int

	// Log receives the parts' output, each line prefixed with the part's name; nil discards it.
	Log io.Writer

	// Report is told, in one sentence each, when a part dies or stops answering, is restarted, or is left
	// down, and which orphans of an earlier stack Start stopped; these go to Log as well.
	Report func(string)
	// HealthInterval is how often the parts' health is checked; DefaultHealthInterval when 0, never when
	// negative.
	HealthInterval time.Duration
}

// Stack is the whole embedded stack. Its parts' addresses stay as they are for its life: a part that is
// restarted comes back on the same ports.
type Stack struct {
	Broker   *Broker // nil when Options.KafkaPort is -1
	Temporal *Temporal
	Mailpit  *Mailpit
	// KeyFile is the payload key file clients and the worker must use (EAAPL_KEY_FILE), and Codec the
	// codec server the Web UI decodes payloads through; "" and nil when the stack has no keys.
	KeyFile string
	Codec   *crypt.Server

	opts      Options
	log       io.Writer
	mu        sync.Mutex // guards the parts' Process, which a restart replaces
	stopWatch context.CancelFunc
	watchDone chan struct{}
}

// Start starts Mailpit, then Temporal, each ready to use when Start returns. If a part fails, Start stops
// the parts it started and returns an error naming the failed part (and the port, when one is taken).
func Start(ctx context.Context, o Options) (*Stack, error) {
	var log io.Writer
	if o.Log != nil {
		log = &syncWriter{w: o.Log}
	}
	// What a killed `eaapl dev` left running here holds the ports and the data: stop it first.
	orphans, err := StopOrphans(ctx, o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start the dev stack: %w", err)
	}
	if len(orphans) > 0 {
		msg := "Stopped what an earlier EaaPL dev stack left running: " + strings.Join(orphans, ", ") + "."
		if log != nil {
			fmt.Fprintf(log, "[eaapl dev] %s\n", msg)
		}
		if o.Report != nil {
			o.Report(msg)
		}
	}
	parts := []string{"temporal", "mailpit"}
	if o.KafkaPort >= 0 {
		parts = append(parts, "kafka")
	}
	if err := privateDirs(o.DataDir, parts...); err != nil {
		return nil, err
	}
	mp, err := StartMailpit(ctx, MailpitOptions{
		Bin:      o.MailpitBin,
		DataDir:  subdir(o.DataDir, "mailpit"),
		SMTPPort: o.SMTPPort,
		HTTPPort: o.MailpitPort,
		Log:      log,
	})
	if err != nil {
		return nil, err
	}
	st := &Stack{Mailpit: mp, opts: o, log: log}
	uiPort, err := portOrFree(o.UIPort) // the codec server's CORS origin
	if err == nil {
		st.KeyFile, err = st.startCodec(o, uiPort)
	}
	if err != nil {
		stopAfterFailure(ctx, mp.Process)
		return nil, err
	}
	t, err := StartTemporal(ctx, st.temporalOptions(o.TemporalPort, uiPort, ""))
	if err != nil {
		st.closeCodec(ctx)
		stopAfterFailure(ctx, mp.Process)
		return nil, err
	}
	st.Temporal = t
	if o.KafkaPort >= 0 {
		// In-process: kfake is a library, so the broker lives and dies with eaapl dev.
		if st.Broker, err = StartBroker(subdir(o.DataDir, "kafka"), o.KafkaPort); err != nil {
			stopAfterFailure(ctx, t.Process)
			st.closeCodec(ctx)
			stopAfterFailure(ctx, mp.Process)
			return nil, err
		}
	}
	if err := st.record(); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = st.Stop(stopCtx)
		return nil, err
	}
	if o.HealthInterval >= 0 {
		every := o.HealthInterval
		if every == 0 {
			every = DefaultHealthInterval
		}
		watchCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		st.stopWatch, st.watchDone = stop, make(chan struct{})
		go st.watch(watchCtx, every)
	}
	return st, nil
}

// temporalOptions are the dev server's options, at its start and at a restart: the same data, ports and
// codec endpoint.
func (s *Stack) temporalOptions(port, uiPort int, namespace string) TemporalOptions {
	o := TemporalOptions{
		Bin:       s.opts.TemporalBin,
		DataDir:   subdir(s.opts.DataDir, "temporal"),
		Namespace: namespace,
		Port:      port,
		UIPort:    uiPort,
		Log:       s.log,
	}
	if s.Codec != nil {
		o.CodecEndpoint = s.Codec.URL
	}
	return o
}

func subdir(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// Stop stops the parts in the reverse order of Start, each within ctx; a part that must be killed does not
// keep the others running.
func (s *Stack) Stop(ctx context.Context) error {
	if s.stopWatch != nil {
		s.stopWatch() // a restart under way gives up at once
		<-s.watchDone
	}
	var errs []error
	if s.Broker != nil {
		s.Broker.Close()
	}
	if s.Temporal != nil {
		errs = append(errs, s.Temporal.Stop(ctx))
	}
	s.closeCodec(ctx)
	if s.Mailpit != nil {
		errs = append(errs, s.Mailpit.Stop(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return err // the record stays: StopOrphans finds what could not be stopped
	}
	return removeState(s.opts.DataDir)
}
