// Package devstack starts the embedded default stack that `eaapl dev` runs: the Temporal CLI's dev server
// and Mailpit, as child processes on loopback ports, with their data under one directory so programs and
// mail survive a restart.
package devstack

import (
	"context"
	"errors"
	"io"
	"path/filepath"
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
}

// Stack is the whole embedded stack.
type Stack struct {
	Broker   *Broker // nil when Options.KafkaPort is -1
	Temporal *Temporal
	Mailpit  *Mailpit
}

// Start starts Mailpit, then Temporal, each ready to use when Start returns. If a part fails, Start stops
// the parts it started and returns an error naming the failed part (and the port, when one is taken).
func Start(ctx context.Context, o Options) (*Stack, error) {
	var log io.Writer
	if o.Log != nil {
		log = &syncWriter{w: o.Log}
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
	st := &Stack{Temporal: t, Mailpit: mp}
	if o.KafkaPort >= 0 {
		// In-process: kfake is a library, so the broker lives and dies with eaapl dev.
		if st.Broker, err = StartBroker(subdir(o.DataDir, "kafka"), o.KafkaPort); err != nil {
			stopAfterFailure(ctx, t.Process)
			stopAfterFailure(ctx, mp.Process)
			return nil, err
		}
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
	return errors.Join(errs...)
}
