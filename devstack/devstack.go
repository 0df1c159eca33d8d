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

	"github.com/eaapl/eaapl/bridge"
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
	Broker   *bridge.Broker // nil when Options.KafkaPort is -1
	Temporal *Temporal
	Mailpit  *Mailpit

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
	t, err := StartTemporal(ctx, TemporalOptions{
		Bin:     o.TemporalBin,
		DataDir: subdir(o.DataDir, "temporal"),
		Port:    o.TemporalPort,
		UIPort:  o.UIPort,
		Log:     log,
	})
	if err != nil {
		stopAfterFailure(ctx, mp.Process)
		return nil, err
	}
	st := &Stack{Temporal: t, Mailpit: mp, opts: o, log: log}
	if o.KafkaPort >= 0 {
		// In-process: kfake is a library, so the broker lives and dies with eaapl dev.
		if st.Broker, err = bridge.StartBroker(subdir(o.DataDir, "kafka"), o.KafkaPort); err != nil {
			stopAfterFailure(ctx, t.Process)
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
	if s.Mailpit != nil {
		errs = append(errs, s.Mailpit.Stop(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return err // the record stays: StopOrphans finds what could not be stopped
	}
	return removeState(s.opts.DataDir)
}
