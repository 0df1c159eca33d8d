// Package config loads EaaPL's configuration from the environment, once, in main. Temporal connection
// settings are read separately, by the Temporal SDK's own environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE), so they mean what they mean to
// every other Temporal tool.
package config

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Prefix is the prefix of EaaPL's own environment variables.
const Prefix = "EAAPL"

// MaxConcurrencyLimit keeps a workflow well below Temporal's 2,000 pending activities.
const MaxConcurrencyLimit = 500

// Config is EaaPL's configuration. Load reads it from these environment variables:
//
//	EAAPL_TASK_QUEUE       Temporal task queue of programs and tasks        (eaapl)
//	EAAPL_USER_ID          who the programs run for                         (user_123)
//	EAAPL_USER_NAME        the sender's display name                        (EaaPL Demo)
//	EAAPL_USER_EMAIL       the sender's address; history is searched for it (me@example.com)
//	EAAPL_CONTACTS         the contacts file, .vcf or .csv                  (examples/contacts.vcf)
//	EAAPL_SMTP_ADDR        SMTP server host:port                            (127.0.0.1:1025)
//	EAAPL_SMTP_USERNAME    SMTP user; no authentication when empty          ()
//	EAAPL_SMTP_PASSWORD    SMTP password                                    ()
//	EAAPL_SMTP_TLS         none, opportunistic or mandatory                 (opportunistic)
//	EAAPL_MAILBOX_URL      Mailpit's HTTP API, for email history            (http://127.0.0.1:8025)
//	EAAPL_MAX_CONCURRENCY  tasks of one program running at once, 1..500     (100)
//	EAAPL_TIMEZONE         zone that "today" and "this week" are in         (Local)
//	EAAPL_WORKER_ID        this worker's name in results and events         (hostname-pid)
//	EAAPL_DATA_DIR         where `eaapl dev` keeps its data                 (.eaapl)
//	EAAPL_TEMPORAL_BIN     the temporal CLI `eaapl dev` runs                (bin/temporal)
//	EAAPL_MAILPIT_BIN      the Mailpit binary `eaapl dev` runs              (bin/mailpit)
//	EAAPL_DEV_TEMPORAL_PORT, EAAPL_DEV_UI_PORT, EAAPL_DEV_SMTP_PORT, EAAPL_DEV_MAILPIT_PORT
//	                       the dev stack's ports                            (7233, 8233, 1025, 8025)
//	EAAPL_DEV_SHUTDOWN_TIMEOUT  how long `eaapl dev` waits for its parts to stop (10s)
//	EAAPL_DEV_SEED         a contact `eaapl dev` records as emailed this week, so the demo
//	                       shows the condition at work; empty seeds nothing (bob@example.com)
//	EAAPL_LOG_LEVEL        debug, info, warn or error                       (info)
type Config struct {
	TaskQueue string `envconfig:"TASK_QUEUE" default:"eaapl"`

	UserID    string `envconfig:"USER_ID" default:"user_123"`
	UserName  string `envconfig:"USER_NAME" default:"EaaPL Demo"`
	UserEmail string `envconfig:"USER_EMAIL" default:"me@example.com"`
	Contacts  string `envconfig:"CONTACTS" default:"examples/contacts.vcf"`

	SMTPAddr     string `envconfig:"SMTP_ADDR" default:"127.0.0.1:1025"`
	SMTPUsername string `envconfig:"SMTP_USERNAME"`
	SMTPPassword string `envconfig:"SMTP_PASSWORD"`
	SMTPTLS      string `envconfig:"SMTP_TLS" default:"opportunistic"`
	MailboxURL   string `envconfig:"MAILBOX_URL" default:"http://127.0.0.1:8025"`

	MaxConcurrency int    `envconfig:"MAX_CONCURRENCY" default:"100"`
	Timezone       string `envconfig:"TIMEZONE" default:"Local"`
	WorkerID       string `envconfig:"WORKER_ID"`

	DataDir           string        `envconfig:"DATA_DIR" default:".eaapl"`
	TemporalBin       string        `envconfig:"TEMPORAL_BIN" default:"bin/temporal"`
	MailpitBin        string        `envconfig:"MAILPIT_BIN" default:"bin/mailpit"`
	DevTemporalPort   int           `envconfig:"DEV_TEMPORAL_PORT" default:"7233"`
	DevUIPort         int           `envconfig:"DEV_UI_PORT" default:"8233"`
	DevSMTPPort       int           `envconfig:"DEV_SMTP_PORT" default:"1025"`
	DevMailpitPort    int           `envconfig:"DEV_MAILPIT_PORT" default:"8025"`
	DevShutdownBudget time.Duration `envconfig:"DEV_SHUTDOWN_TIMEOUT" default:"10s"`
	DevSeed           string        `envconfig:"DEV_SEED" default:"bob@example.com"`

	LogLevel string `envconfig:"LOG_LEVEL" default:"info"`
}

// Load reads the configuration from the environment and checks it.
func Load() (Config, error) {
	var c Config
	if err := envconfig.Process(Prefix, &c); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks values that parse but make no sense, naming the variable at fault.
func (c Config) Validate() error {
	if c.MaxConcurrency < 1 || c.MaxConcurrency > MaxConcurrencyLimit {
		return fmt.Errorf("configuration: EAAPL_MAX_CONCURRENCY is %d; it must be between 1 and %d", c.MaxConcurrency, MaxConcurrencyLimit)
	}
	switch c.SMTPTLS {
	case "none", "opportunistic", "mandatory":
	default:
		return fmt.Errorf("configuration: EAAPL_SMTP_TLS is %q; it must be none, opportunistic or mandatory", c.SMTPTLS)
	}
	if _, err := c.Location(); err != nil {
		return fmt.Errorf("configuration: EAAPL_TIMEZONE: %w", err)
	}
	if _, err := c.SlogLevel(); err != nil {
		return fmt.Errorf("configuration: EAAPL_LOG_LEVEL: %w", err)
	}
	if c.TaskQueue == "" {
		return fmt.Errorf("configuration: EAAPL_TASK_QUEUE must not be empty")
	}
	return nil
}

// Location is the time zone of time phrases such as "this week".
func (c Config) Location() (*time.Location, error) {
	return time.LoadLocation(c.Timezone)
}

// SlogLevel is the configured log level.
func (c Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("%q is not a level: use debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
