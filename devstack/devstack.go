// Package devstack starts the embedded default stack that `eaapl dev` runs: the Temporal CLI's dev server
// and Mailpit, as child processes on loopback ports, with their data under one directory so programs and
// mail survive a restart.
package devstack

import (
	"context"
	"errors"
	"io"
	"path/filepath"

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
}

// Stack is the whole embedded stack.
type Stack struct {
	Broker   *Broker // nil when Options.KafkaPort is -1
	Temporal *Temporal
	Mailpit  *Mailpit
	// KeyFile is the payload key file clients and the worker must use (EAAPL_KEY_FILE), and Codec the
	// codec server the Web UI decodes payloads through; "" and nil when the stack has no keys.
	KeyFile string
	Codec   *crypt.Server
}

// Start starts Mailpit, then Temporal, each ready to use when Start returns. If a part fails, Start stops
// the parts it started and returns an error naming the failed part (and the port, when one is taken).
func Start(ctx context.Context, o Options) (*Stack, error) {
	var log io.Writer
	if o.Log != nil {
		log = &syncWriter{w: o.Log}
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
	st := &Stack{Mailpit: mp}
	uiPort, err := portOrFree(o.UIPort) // the codec server's CORS origin
	if err == nil {
		st.KeyFile, err = st.startCodec(o, uiPort)
	}
	if err != nil {
		stopAfterFailure(ctx, mp.Process)
		return nil, err
	}
	topts := TemporalOptions{
		Bin:     o.TemporalBin,
		DataDir: subdir(o.DataDir, "temporal"),
		Port:    o.TemporalPort,
		UIPort:  uiPort,
		Log:     log,
	}
	if st.Codec != nil {
		topts.CodecEndpoint = st.Codec.URL
	}
	t, err := StartTemporal(ctx, topts)
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
	s.closeCodec(ctx)
	if s.Mailpit != nil {
		errs = append(errs, s.Mailpit.Stop(ctx))
	}
	return errors.Join(errs...)
}
