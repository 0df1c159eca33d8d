// Package kafka is the bridge's Kafka client: the producer every worker process shares, the consumer that
// `eaapl events` reads with, and how to reach the brokers (TLS, SASL). Built on franz-go.
package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The defaults for topics created when missing.
const (
	DefaultPartitions        int32 = 3
	DefaultReplicationFactor int16 = 1
)

// The SASL mechanisms Config accepts.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Config is how to reach Kafka. With no Brokers the bridge is off. It is filled from the environment by
// the caller (KAFKA_BROKERS and friends); this package reads no environment variables.
type Config struct {
	Brokers  []string // host:port of the seed brokers
	ClientID string   // the client.id the brokers see; kgo's default when empty

	// TLS turns on TLS; setting any of the files turns it on too. TLSCAFile adds a PEM CA to the system
	// roots; TLSCertFile and TLSKeyFile are a PEM client certificate and key, for mutual TLS.
	TLS                   bool
	TLSCAFile             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSInsecureSkipVerify bool

	SASLMechanism string // "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"
	SASLUser      string
	SASLPassword  string

	// For topics created when missing: DefaultPartitions and DefaultReplicationFactor when 0.
	Partitions        int32
	ReplicationFactor int16
}

// Enabled reports whether the bridge is on, that is, whether any broker is configured.
func (c Config) Enabled() bool { return len(c.Brokers) > 0 }

func (c Config) partitions() int32 {
	if c.Partitions > 0 {
		return c.Partitions
	}
	return DefaultPartitions
}

func (c Config) replicationFactor() int16 {
	if c.ReplicationFactor > 0 {
		return c.ReplicationFactor
	}
	return DefaultReplicationFactor
}

func (c Config) brokerList() string { return strings.Join(c.Brokers, ",") }

// clientOpts are the kgo options common to producing and consuming: brokers, client ID, TLS, SASL and
// logging.
func (c Config) clientOpts(logger *slog.Logger) ([]kgo.Opt, error) {
	if !c.Enabled() {
		return nil, errors.New("no Kafka brokers configured")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.WithLogger(kgoLogger{logger})}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.TLS || c.TLSCAFile != "" || c.TLSCertFile != "" || c.TLSKeyFile != "" {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if c.SASLMechanism != "" {
		m, err := c.saslMechanism()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

func (c Config) tlsConfig() (*tls.Config, error) {
	// kgo sets ServerName per broker when it is empty.
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecureSkipVerify} //nolint:gosec // the user asked for it
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read Kafka TLS CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read Kafka TLS CA file %s: no PEM certificate in it", c.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return nil, errors.New("kafka TLS client certificate: both the certificate file and the key file are needed")
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load Kafka TLS client certificate %s: %w", c.TLSCertFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (c Config) saslMechanism() (sasl.Mechanism, error) {
	if c.SASLUser == "" {
		return nil, fmt.Errorf("kafka SASL %s: no user configured", c.SASLMechanism)
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case SASLPlain:
		return plain.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsMechanism(), nil
	case SASLScramSHA256:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha256Mechanism(), nil
	case SASLScramSHA512:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("kafka SASL mechanism %q is not one of %s, %s, %s", c.SASLMechanism, SASLPlain, SASLScramSHA256, SASLScramSHA512)
}

// loginHint says, after a connection the broker closed at once, that a SASL login may be why: a broker
// that refuses a login may close the connection without an error code (kfake does; Kafka itself answers
// SASL_AUTHENTICATION_FAILED), and "EOF" alone names neither the user nor the variables to check.
func (c Config) loginHint(err error) string {
	if c.SASLMechanism == "" || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return ""
	}
	return fmt.Sprintf(" (the broker closed the connection: if it refused the %s login of %q, check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM)",
		strings.ToUpper(c.SASLMechanism), c.SASLUser)
}

// kgoLogger hands kgo's log lines to slog. kgo's info level logs every connection and metadata refresh,
// so it goes to slog's debug level; kgo's own debug level is never turned on.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case k.l == nil:
		return kgo.LogLevelNone
	case k.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelInfo
	case k.l.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	case k.l.Enabled(ctx, slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	if k.l == nil {
		return
	}
	l := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	}
	k.l.Log(context.Background(), l, msg, keyvals...)
}
