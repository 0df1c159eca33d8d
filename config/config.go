// Package config loads EaaPL's configuration from the environment, once, in main. Temporal connection
// settings are read separately, by the Temporal SDK's own environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE), so they mean what they mean to
// every other Temporal tool.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/fetch"
	"github.com/eaapl/eaapl/internal/model"
)

// Prefix is the prefix of EaaPL's own environment variables. The struct tags below spell each name out in
// full, prefix included, and Load passes no prefix to envconfig: given a prefix, envconfig also falls back to
// the bare tag, so LOG_LEVEL, TIMEZONE or USER_ID set for some other program would configure EaaPL.
const Prefix = "EAAPL"

// MaxConcurrencyLimit keeps a workflow well below Temporal's 2,000 pending activities.
const MaxConcurrencyLimit = 500

// Config is EaaPL's configuration. Load reads it from these environment variables:
//
//	EAAPL_TASK_QUEUE       Temporal task queue of programs and tasks        (eaapl)
//	EAAPL_USER_ID          who the programs run for                         (user_123)
//	EAAPL_USER_NAME        the sender's display name                        (EaaPL Demo)
//	EAAPL_USER_EMAIL       the sender's address; history is searched for it (me@example.com)
//	EAAPL_CONTACTS         the contacts file, .vcf or .csv, or a CardDAV address book's
//	                       http(s)://[user@]host/.../addressbook/ URL    (examples/contacts.vcf)
//	EAAPL_SMTP_ADDR        SMTP server host:port                            (127.0.0.1:1025)
//	EAAPL_SMTP_USERNAME    SMTP user; no authentication when empty          ()
//	EAAPL_SMTP_PASSWORD    SMTP password                                    ()
//	EAAPL_SMTP_TLS         none, opportunistic or mandatory; none takes no credentials (opportunistic)
//	EAAPL_SMTP_CA_FILE     PEM CAs trusted for SMTP instead of the system's ()
//	EAAPL_MAILBOX_URL      Mailpit's HTTP API, for email history            (http://127.0.0.1:8025)
//	EAAPL_IMAP_URL         the user's own mailbox instead of Mailpit: imaps://user@host[:993], or
//	                       imap://user@host[:143] with STARTTLS; empty uses EAAPL_MAILBOX_URL ()
//	EAAPL_IMAP_PASSWORD, EAAPL_IMAP_PASSWORD_FILE   its password, or a file holding it ()
//	EAAPL_IMAP_AUTH        password, xoauth2 or oauthbearer                 (password)
//	EAAPL_IMAP_TOKEN_FILE, EAAPL_IMAP_TOKEN_COMMAND an OAuth2 access token: a file read at each login,
//	                       or a command that prints one, run again when the server refuses it ()
//	EAAPL_IMAP_SENT_FOLDER the Sent folder; empty finds the one marked SPECIAL-USE \Sent ()
//	EAAPL_IMAP_SAVE_SENT   auto, always or never: append a copy of each email sent to Sent (auto)
//	EAAPL_IMAP_CA_FILE     PEM CAs trusted for IMAP and CardDAV instead of the system's ()
//	EAAPL_CONTACTS_USER    the user of a CardDAV EAAPL_CONTACTS, when its URL names none ()
//	EAAPL_CONTACTS_PASSWORD, EAAPL_CONTACTS_PASSWORD_FILE  its password, or a file holding it ()
//	EAAPL_MAX_CONCURRENCY  tasks of one program running at once, 1..500     (100)
//	EAAPL_TIMEZONE         zone that "today" and "this week" are in         (Local)
//	EAAPL_WORKER_ID        this worker's name in results and events         (hostname-pid)
//	EAAPL_DATA_DIR         where `eaapl dev` keeps its data                 (.eaapl)
//	EAAPL_KEY_FILE         payload keys, `id:base64key` a line, mode 0600; empty: EAAPL_DATA_DIR/payload.keys
//	                       when it exists (`eaapl dev` writes one), else no encryption  ()
//	EAAPL_TEMPORAL_TOKEN_FILE  a file holding the bearer token (a JWT) sent to Temporal as the
//	                       Authorization header of every call, re-read when it changes, mode 0600; for
//	                       a server with an authorizer. A static TEMPORAL_API_KEY does the same ()
//	EAAPL_DEV_CODEC_PORT   the dev stack's codec server, for the Web UI and --codec-endpoint (8234)
//	EAAPL_TEMPORAL_BIN     the temporal CLI `eaapl dev` runs                (bin/temporal)
//	EAAPL_MAILPIT_BIN      the Mailpit binary `eaapl dev` runs              (bin/mailpit)
//	EAAPL_DEV_TEMPORAL_PORT, EAAPL_DEV_UI_PORT, EAAPL_DEV_SMTP_PORT, EAAPL_DEV_MAILPIT_PORT
//	                       the dev stack's ports                            (7233, 8233, 1025, 8025)
//	EAAPL_DEV_SHUTDOWN_TIMEOUT  how long `eaapl dev` waits for its parts to stop (10s)
//	EAAPL_DEV_SEED         a contact `eaapl dev` records as emailed this week, so the demo
//	                       shows the condition at work; empty seeds nothing (bob@example.com)
//	EAAPL_LOG_LEVEL        debug, info, warn or error                       (info)
//	EAAPL_EVENTS_TIMEOUT   how long a program waits at its end for its events to reach Kafka (30s)
//	EAAPL_HEARTBEAT_INTERVAL  how often a worker sends worker.heartbeat and monitoring.metrics (5s)
//	EAAPL_EVENTS_LOG_LEVEL the level from which worker logs go to logs.debug (info)
//	EAAPL_DEV_KAFKA_PORT   the embedded Kafka-protocol broker's port of `eaapl dev` (9092)
//	EAAPL_PLANNER          rules, llm, or auto: llm when a model is configured  (auto)
//	EAAPL_PLANNER_MODEL    the model the LLM planner asks                   (gpt-4o-mini)
//	EAAPL_PLANNER_TIMEOUT  how long one request to the model may take       (30s)
//	EAAPL_PLAN_CACHE       directory of the plans the model made, shared by workers; empty for none (.eaapl/plans)
//	OPENAI_API_KEY         the model server's key; empty for servers that need none ()
//	OPENAI_BASE_URL        an OpenAI-compatible server (Azure OpenAI, Ollama, vLLM, llama.cpp); OpenAI's when empty ()
//	OPENAI_API_VERSION     the API version of an Azure OpenAI endpoint      (2024-10-21)
//	EAAPL_TEXT_ANALYZER    what Summarize, Extract, Classify (and AnalyzeTrends' series in prose) run on:
//	                       model, embedded (nothing leaves the worker), or auto: the model when one is
//	                       configured (auto)
//	EAAPL_TEXT_MODEL       the model the text analysis asks; EAAPL_PLANNER_MODEL when empty ()
//	EAAPL_TEXT_MODEL_TIMEOUT    how long one request of the text analysis to the model may take (1m0s)
//	EAAPL_TEXT_MODEL_MAX_BYTES  the most text one analysis sends to the model; a longer text is cut,
//	                       and the step's output says so (100000)
//	EAAPL_QUESTION_TIMEOUT how long a program's question waits for an answer   (1h)
//	EAAPL_QUESTION_DEFAULT the answer applied then: skip or abort             (skip)
//	EAAPL_APPROVAL_THRESHOLD  the most emails a step sends without asking for approval; 0 never asks (100)
//	EAAPL_WORKSPACE        the folder programs read and write files in; the working directory when empty ()
//	EAAPL_HTTP_ALLOW       hosts, addresses and CIDRs FetchURL may reach although not public, comma-separated ()
//	EAAPL_PPROF            true serves Go's pprof profiles at /debug/pprof/ on EAAPL_METRICS_ADDR (false)
//	EAAPL_ADAPTIVE         on or off: batch sizes, concurrency and timeouts learned from the step's batches (on)
//	EAAPL_BATCH_SECONDS    how long an adaptive batch should take, 1..600   (5)
//	EAAPL_SHUTDOWN_TIMEOUT how long a stopping worker lets its running tasks finish; then they are
//	                       cancelled and handed back to Temporal, to be retried on another worker (25s)
type Config struct {
	TaskQueue string `envconfig:"EAAPL_TASK_QUEUE" default:"eaapl"`

	UserID    string `envconfig:"EAAPL_USER_ID" default:"user_123"`
	UserName  string `envconfig:"EAAPL_USER_NAME" default:"EaaPL Demo"`
	UserEmail string `envconfig:"EAAPL_USER_EMAIL" default:"me@example.com"`
	Contacts  string `envconfig:"EAAPL_CONTACTS" default:"examples/contacts.vcf"`

	SMTPAddr     string `envconfig:"EAAPL_SMTP_ADDR" default:"127.0.0.1:1025"`
	SMTPUsername string `envconfig:"EAAPL_SMTP_USERNAME"`
	SMTPPassword string `envconfig:"EAAPL_SMTP_PASSWORD"`
	SMTPTLS      string `envconfig:"EAAPL_SMTP_TLS" default:"opportunistic"`
	SMTPCAFile   string `envconfig:"EAAPL_SMTP_CA_FILE"`
	MailboxURL   string `envconfig:"EAAPL_MAILBOX_URL" default:"http://127.0.0.1:8025"`

	IMAPURL              string `envconfig:"EAAPL_IMAP_URL"`
	IMAPPassword         string `envconfig:"EAAPL_IMAP_PASSWORD"`
	IMAPPasswordFile     string `envconfig:"EAAPL_IMAP_PASSWORD_FILE"`
	IMAPAuth             string `envconfig:"EAAPL_IMAP_AUTH" default:"password"`
	IMAPTokenFile        string `envconfig:"EAAPL_IMAP_TOKEN_FILE"`
	IMAPTokenCommand     string `envconfig:"EAAPL_IMAP_TOKEN_COMMAND"`
	IMAPSentFolder       string `envconfig:"EAAPL_IMAP_SENT_FOLDER"`
	IMAPSaveSent         string `envconfig:"EAAPL_IMAP_SAVE_SENT" default:"auto"`
	IMAPCAFile           string `envconfig:"EAAPL_IMAP_CA_FILE"`
	ContactsUser         string `envconfig:"EAAPL_CONTACTS_USER"`
	ContactsPassword     string `envconfig:"EAAPL_CONTACTS_PASSWORD"`
	ContactsPasswordFile string `envconfig:"EAAPL_CONTACTS_PASSWORD_FILE"`

	MaxConcurrency int    `envconfig:"EAAPL_MAX_CONCURRENCY" default:"100"`
	Timezone       string `envconfig:"EAAPL_TIMEZONE" default:"Local"`
	WorkerID       string `envconfig:"EAAPL_WORKER_ID"`

	DataDir           string        `envconfig:"EAAPL_DATA_DIR" default:".eaapl"`
	KeyFile           string        `envconfig:"EAAPL_KEY_FILE"`
	TemporalTokenFile string        `envconfig:"EAAPL_TEMPORAL_TOKEN_FILE"`
	DevCodecPort      int           `envconfig:"EAAPL_DEV_CODEC_PORT" default:"8234"`
	TemporalBin       string        `envconfig:"EAAPL_TEMPORAL_BIN" default:"bin/temporal"`
	MailpitBin        string        `envconfig:"EAAPL_MAILPIT_BIN" default:"bin/mailpit"`
	DevTemporalPort   int           `envconfig:"EAAPL_DEV_TEMPORAL_PORT" default:"7233"`
	DevUIPort         int           `envconfig:"EAAPL_DEV_UI_PORT" default:"8233"`
	DevSMTPPort       int           `envconfig:"EAAPL_DEV_SMTP_PORT" default:"1025"`
	DevMailpitPort    int           `envconfig:"EAAPL_DEV_MAILPIT_PORT" default:"8025"`
	DevShutdownBudget time.Duration `envconfig:"EAAPL_DEV_SHUTDOWN_TIMEOUT" default:"10s"`
	DevSeed           string        `envconfig:"EAAPL_DEV_SEED" default:"bob@example.com"`

	LogLevel string `envconfig:"EAAPL_LOG_LEVEL" default:"info"`

	EventsTimeout     time.Duration `envconfig:"EAAPL_EVENTS_TIMEOUT" default:"30s"`
	HeartbeatInterval time.Duration `envconfig:"EAAPL_HEARTBEAT_INTERVAL" default:"5s"`
	EventsLogLevel    string        `envconfig:"EAAPL_EVENTS_LOG_LEVEL" default:"info"`
	DevKafkaPort      int           `envconfig:"EAAPL_DEV_KAFKA_PORT" default:"9092"`

	Planner        string        `envconfig:"EAAPL_PLANNER" default:"auto"`
	PlannerModel   string        `envconfig:"EAAPL_PLANNER_MODEL" default:"gpt-4o-mini"`
	PlannerTimeout time.Duration `envconfig:"EAAPL_PLANNER_TIMEOUT" default:"30s"`
	PlanCache      string        `envconfig:"EAAPL_PLAN_CACHE" default:".eaapl/plans"`
	// The model server's settings have the names OpenAI's own tools read.
	OpenAIAPIKey     string `envconfig:"OPENAI_API_KEY"`
	OpenAIBaseURL    string `envconfig:"OPENAI_BASE_URL"`
	OpenAIAPIVersion string `envconfig:"OPENAI_API_VERSION" default:"2024-10-21"`
	// The text analysis's model is on the same server as the planner's (OPENAI_*).
	TextAnalyzer      string        `envconfig:"EAAPL_TEXT_ANALYZER" default:"auto"`
	TextModel         string        `envconfig:"EAAPL_TEXT_MODEL"`
	TextModelTimeout  time.Duration `envconfig:"EAAPL_TEXT_MODEL_TIMEOUT" default:"1m0s"`
	TextModelMaxBytes int           `envconfig:"EAAPL_TEXT_MODEL_MAX_BYTES" default:"100000"`
	QuestionTimeout   time.Duration `envconfig:"EAAPL_QUESTION_TIMEOUT" default:"1h"`
	QuestionDefault   string        `envconfig:"EAAPL_QUESTION_DEFAULT" default:"skip"`
	ApprovalThreshold int           `envconfig:"EAAPL_APPROVAL_THRESHOLD" default:"100"`
	// ShutdownTimeout's default stays under Kubernetes' default 30s between SIGTERM and SIGKILL, so a
	// worker exits on its own (docker's default is 10s: docker-compose.temporal.yml sets stop_grace_period).
	ShutdownTimeout time.Duration `envconfig:"EAAPL_SHUTDOWN_TIMEOUT" default:"25s"`
	// MetricsAddr is where a worker serves Prometheus metrics, /readyz and /livez; empty is off
	// (`eaapl dev` defaults it to 127.0.0.1:9464). See docs/operations.md.
	MetricsAddr string `envconfig:"EAAPL_METRICS_ADDR"`
	// Profiling serves Go's pprof profiles at /debug/pprof/ on MetricsAddr (`make bench -profile` reads them).
	Profiling bool `envconfig:"EAAPL_PPROF"`
	// CPUTarget and MemoryTarget (fractions, 0 is off) size a worker's activity slots by what it uses
	// instead of a fixed 1,000; MemoryLimit (bytes) is what MemoryTarget is a fraction of, the
	// container's limit or the machine's memory when 0. See docs/operations.md.
	CPUTarget    float64 `envconfig:"EAAPL_CPU_TARGET"`
	MemoryTarget float64 `envconfig:"EAAPL_MEMORY_TARGET"`
	MemoryLimit  uint64  `envconfig:"EAAPL_MEMORY_LIMIT"`
	// Adaptive (on or off) sizes a for_each step's batches, their concurrency and their timeouts from the
	// step's finished batches; BatchSeconds is how long a batch should then take. See docs/scale.md.
	Adaptive     string `envconfig:"EAAPL_ADAPTIVE" default:"on"`
	BatchSeconds int    `envconfig:"EAAPL_BATCH_SECONDS" default:"5"`

	// Workspace is the folder of the files programs name (ReadDocument, WriteFile, attachments); empty is
	// the directory `eaapl dev` or `eaapl worker` runs in.
	Workspace string `envconfig:"EAAPL_WORKSPACE"`
	// HTTPAllow lets FetchURL reach hosts, addresses and CIDR ranges that are not public (loopback,
	// private): "status.example.test,127.0.0.1,10.1.0.0/16".
	HTTPAllow string `envconfig:"EAAPL_HTTP_ALLOW"`

	Kafka Kafka `ignored:"true"` // loaded on its own: its variables are KAFKA_*, not EAAPL_*
}

// Kafka is where the bridge mirrors events, from these environment variables:
//
//	KAFKA_BROKERS            comma-separated host:port list; empty turns the bridge off  ()
//	KAFKA_CLIENT_ID          the client id brokers see                                   (eaapl)
//	KAFKA_TLS                true to connect with TLS                                    (false)
//	KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE   PEM files for TLS and mTLS
//	KAFKA_SASL_MECHANISM     PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for none       ()
//	KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
//	KAFKA_TOPIC_PARTITIONS   partitions of topics created when missing                   (3)
//	KAFKA_TOPIC_REPLICATION  replication factor of topics created when missing           (1)
type Kafka struct {
	Brokers          []string `envconfig:"KAFKA_BROKERS"`
	ClientID         string   `envconfig:"KAFKA_CLIENT_ID" default:"eaapl"`
	TLS              bool     `envconfig:"KAFKA_TLS"`
	TLSCAFile        string   `envconfig:"KAFKA_TLS_CA_FILE"`
	TLSCertFile      string   `envconfig:"KAFKA_TLS_CERT_FILE"`
	TLSKeyFile       string   `envconfig:"KAFKA_TLS_KEY_FILE"`
	SASLMechanism    string   `envconfig:"KAFKA_SASL_MECHANISM"`
	SASLUsername     string   `envconfig:"KAFKA_SASL_USERNAME"`
	SASLPassword     string   `envconfig:"KAFKA_SASL_PASSWORD"`
	TopicPartitions  int32    `envconfig:"KAFKA_TOPIC_PARTITIONS" default:"3"`
	TopicReplication int16    `envconfig:"KAFKA_TOPIC_REPLICATION" default:"1"`
}

// Load reads the configuration from the environment and checks it.
func Load() (Config, error) {
	var c Config
	err := envconfig.Process("", &c)
	if err == nil {
		err = envconfig.Process("", &c.Kafka)
	}
	if err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return Config{}, fmt.Errorf("configuration: %s is %q; it must be %s", pe.KeyName, pe.Value, kindOf(pe.TypeName))
		}
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks values that parse but make no sense, naming the variable at fault.
func (c Config) Validate() error {
	for _, t := range []struct {
		name string
		v    float64
	}{{"EAAPL_CPU_TARGET", c.CPUTarget}, {"EAAPL_MEMORY_TARGET", c.MemoryTarget}} {
		if t.v < 0 || t.v > 1 {
			return fmt.Errorf("configuration: %s is %v; it must be a fraction between 0 (off) and 1", t.name, t.v)
		}
	}
	if c.MaxConcurrency < 1 || c.MaxConcurrency > MaxConcurrencyLimit {
		return fmt.Errorf("configuration: EAAPL_MAX_CONCURRENCY is %d; it must be between 1 and %d", c.MaxConcurrency, MaxConcurrencyLimit)
	}
	if c.Adaptive != "on" && c.Adaptive != "off" {
		return fmt.Errorf("configuration: EAAPL_ADAPTIVE is %q; it must be on or off", c.Adaptive)
	}
	if c.BatchSeconds < 1 || c.BatchSeconds > 600 {
		return fmt.Errorf("configuration: EAAPL_BATCH_SECONDS is %d; it must be between 1 and 600", c.BatchSeconds)
	}
	switch c.SMTPTLS {
	case "none", "opportunistic", "mandatory":
	default:
		return fmt.Errorf("configuration: EAAPL_SMTP_TLS is %q; it must be none, opportunistic or mandatory", c.SMTPTLS)
	}
	if c.SMTPTLS == "none" && (c.SMTPUsername != "" || c.SMTPPassword != "") {
		// The password is never sent in clear text, so the server would look as if it had no AUTH.
		return fmt.Errorf("configuration: EAAPL_SMTP_USERNAME/EAAPL_SMTP_PASSWORD are set but EAAPL_SMTP_TLS is none, and credentials are never sent without TLS; set EAAPL_SMTP_TLS=mandatory, or remove the credentials for a server that needs none")
	}
	switch c.IMAPAuth {
	case "password", "xoauth2", "oauthbearer":
	default:
		return fmt.Errorf("configuration: EAAPL_IMAP_AUTH is %q; it must be password, xoauth2 or oauthbearer", c.IMAPAuth)
	}
	switch c.IMAPSaveSent {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("configuration: EAAPL_IMAP_SAVE_SENT is %q; it must be auto, always or never", c.IMAPSaveSent)
	}
	if c.IMAPPassword != "" && c.IMAPPasswordFile != "" {
		return fmt.Errorf("configuration: set EAAPL_IMAP_PASSWORD or EAAPL_IMAP_PASSWORD_FILE, not both")
	}
	if c.ContactsPassword != "" && c.ContactsPasswordFile != "" {
		return fmt.Errorf("configuration: set EAAPL_CONTACTS_PASSWORD or EAAPL_CONTACTS_PASSWORD_FILE, not both")
	}
	if !c.ContactsIsAddressBook() && (c.ContactsUser != "" || c.ContactsPassword != "" || c.ContactsPasswordFile != "") {
		// A password meant for an address book would otherwise be ignored in silence.
		return fmt.Errorf("configuration: EAAPL_CONTACTS_USER/EAAPL_CONTACTS_PASSWORD(_FILE) are for a CardDAV address book, but EAAPL_CONTACTS is the file %q; set it to the address book's http(s):// URL, or remove them", c.Contacts)
	}
	if c.IMAPTokenFile != "" && c.IMAPTokenCommand != "" {
		return fmt.Errorf("configuration: set EAAPL_IMAP_TOKEN_FILE or EAAPL_IMAP_TOKEN_COMMAND, not both")
	}
	if _, err := c.Location(); err != nil {
		return fmt.Errorf("configuration: EAAPL_TIMEZONE: %w", err)
	}
	if _, err := c.SlogLevel(); err != nil {
		return fmt.Errorf("configuration: EAAPL_LOG_LEVEL: %w", err)
	}
	if _, err := parseLevel(c.EventsLogLevel); err != nil {
		return fmt.Errorf("configuration: EAAPL_EVENTS_LOG_LEVEL: %w", err)
	}
	if c.EventsTimeout <= 0 {
		return fmt.Errorf("configuration: EAAPL_EVENTS_TIMEOUT is %s; it must be positive", c.EventsTimeout)
	}
	if c.HeartbeatInterval <= 0 {
		return fmt.Errorf("configuration: EAAPL_HEARTBEAT_INTERVAL is %s; it must be positive", c.HeartbeatInterval)
	}
	switch c.Kafka.SASLMechanism {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return fmt.Errorf("configuration: KAFKA_SASL_MECHANISM is %q; it must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.Kafka.SASLMechanism)
	}
	switch c.Planner {
	case "rules", "llm", "auto":
	default:
		return fmt.Errorf("configuration: EAAPL_PLANNER is %q; it must be rules, llm or auto", c.Planner)
	}
	if c.Planner == "llm" && !c.ModelConfigured() {
		return fmt.Errorf("configuration: EAAPL_PLANNER is llm, but no model server is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a server that needs no key")
	}
	if c.ModelConfigured() && strings.TrimSpace(c.PlannerModel) == "" {
		return fmt.Errorf("configuration: EAAPL_PLANNER_MODEL must name a model")
	}
	switch c.TextAnalyzer {
	case "auto", "embedded", "model":
	default:
		return fmt.Errorf("configuration: EAAPL_TEXT_ANALYZER is %q; it must be auto, embedded or model", c.TextAnalyzer)
	}
	if c.TextAnalyzer == "model" && !c.ModelConfigured() {
		return fmt.Errorf("configuration: EAAPL_TEXT_ANALYZER is model, but no model server is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a server that needs no key")
	}
	if c.TextModelTimeout <= 0 {
		return fmt.Errorf("configuration: EAAPL_TEXT_MODEL_TIMEOUT is %s; it must be a positive duration such as 60s", c.TextModelTimeout)
	}
	if c.TextModelMaxBytes < 1000 || c.TextModelMaxBytes > MaxTextModelBytes {
		return fmt.Errorf("configuration: EAAPL_TEXT_MODEL_MAX_BYTES is %d; it must be between 1000 and %d", c.TextModelMaxBytes, MaxTextModelBytes)
	}
	if c.PlannerTimeout <= 0 {
		return fmt.Errorf("configuration: EAAPL_PLANNER_TIMEOUT is %s; it must be positive", c.PlannerTimeout)
	}
	if c.OpenAIBaseURL != "" {
		if u, err := url.Parse(c.OpenAIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("configuration: OPENAI_BASE_URL is %q; it must be an http or https URL such as http://127.0.0.1:11434/v1", c.OpenAIBaseURL)
		}
	}
	if c.QuestionTimeout <= 0 {
		return fmt.Errorf("configuration: EAAPL_QUESTION_TIMEOUT is %s; it must be a positive duration such as 30m or 24h", c.QuestionTimeout)
	}
	if c.QuestionDefault != "skip" && c.QuestionDefault != "abort" {
		return fmt.Errorf("configuration: EAAPL_QUESTION_DEFAULT is %q; it must be skip or abort", c.QuestionDefault)
	}
	if c.ApprovalThreshold < 0 {
		return fmt.Errorf("configuration: EAAPL_APPROVAL_THRESHOLD is %d; it must be 0 (never ask) or more", c.ApprovalThreshold)
	}
	if _, err := fetch.ParseAllow(c.HTTPAllow); err != nil {
		return fmt.Errorf("configuration: EAAPL_HTTP_ALLOW: %w", err)
	}
	if c.TaskQueue == "" {
		return fmt.Errorf("configuration: EAAPL_TASK_QUEUE must not be empty")
	}
	// Checked here because a bad sender otherwise shows up only at the first send, as a refused message.
	if a, err := mail.ParseAddress(c.UserEmail); err != nil || a.Address != c.UserEmail {
		return fmt.Errorf("configuration: EAAPL_USER_EMAIL is %q; it must be an email address such as me@example.com (the name goes in EAAPL_USER_NAME)", c.UserEmail)
	}
	for _, p := range []struct {
		name string
		port int
	}{
		{"EAAPL_DEV_TEMPORAL_PORT", c.DevTemporalPort},
		{"EAAPL_DEV_UI_PORT", c.DevUIPort},
		{"EAAPL_DEV_SMTP_PORT", c.DevSMTPPort},
		{"EAAPL_DEV_MAILPIT_PORT", c.DevMailpitPort},
		{"EAAPL_DEV_KAFKA_PORT", c.DevKafkaPort},
		{"EAAPL_DEV_CODEC_PORT", c.DevCodecPort},
	} {
		if p.port < 1 || p.port > 65535 {
			return fmt.Errorf("configuration: %s is %d; it must be a port between 1 and 65535", p.name, p.port)
		}
	}
	if c.DevShutdownBudget <= 0 {
		return fmt.Errorf("configuration: EAAPL_DEV_SHUTDOWN_TIMEOUT is %s; it must be a positive duration such as 10s", c.DevShutdownBudget)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("configuration: EAAPL_SHUTDOWN_TIMEOUT is %s; it must be 0 (hand running tasks back at once) or a positive duration such as 25s", c.ShutdownTimeout)
	}
	return nil
}

// kindOf says in words what a value of a Config field's Go type looks like.
func kindOf(goType string) string {
	switch goType {
	case "int", "int16", "int32", "int64":
		return "a whole number"
	case "bool":
		return "true or false"
	case "time.Duration":
		return "a duration such as 10s or 1m30s"
	}
	return "a " + goType
}

// ModelConfigured says a model server is configured for the LLM planner: a key, or the URL of a server
// that needs none.
func (c Config) ModelConfigured() bool { return c.OpenAIAPIKey != "" || c.OpenAIBaseURL != "" }

// MaxTextModelBytes bounds EAAPL_TEXT_MODEL_MAX_BYTES: about 2.5 million tokens, more than any model takes.
const MaxTextModelBytes = 10 << 20

// TextAnalysisModel is the model the text analysis sends text to, and the most bytes of text it sends; false
// when the analysis is embedded (EAAPL_TEXT_ANALYZER=embedded, or auto with no model server).
func (c Config) TextAnalysisModel() (model.Settings, int, bool) {
	if c.TextAnalyzer == "embedded" || !c.ModelConfigured() {
		return model.Settings{}, 0, false
	}
	return model.Settings{
		APIKey: c.OpenAIAPIKey, BaseURL: c.OpenAIBaseURL, APIVersion: c.OpenAIAPIVersion,
		Model: cmp.Or(strings.TrimSpace(c.TextModel), c.PlannerModel), Timeout: c.TextModelTimeout,
	}, c.TextModelMaxBytes, true
}

// TextModelView names the text analysis's model for read-backs (starter.WithModel).
func (c Config) TextModelView() (catalog.ModelView, bool) {
	s, _, ok := c.TextAnalysisModel()
	return catalog.ModelView{Name: s.Model, Host: s.Host()}, ok
}

// ContactsIsAddressBook reports whether EAAPL_CONTACTS is a CardDAV address book's URL, not a file.
func (c Config) ContactsIsAddressBook() bool {
	return carddav.IsURL(c.Contacts)
}

// Location is the time zone of time phrases such as "this week".
func (c Config) Location() (*time.Location, error) {
	return time.LoadLocation(c.Timezone)
}

// SlogLevel is the configured log level.
func (c Config) SlogLevel() (slog.Level, error) { return parseLevel(c.LogLevel) }

// EventsSlogLevel is the level from which the worker's logs are mirrored onto logs.debug.
func (c Config) EventsSlogLevel() (slog.Level, error) { return parseLevel(c.EventsLogLevel) }

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a level: use debug, info, warn or error", s)
	}
	return l, nil
}

// Bridge is the Kafka bridge's configuration.
func (k Kafka) Bridge() kafka.Config {
	return kafka.Config{
		Brokers:           k.Brokers,
		ClientID:          k.ClientID,
		TLS:               k.TLS,
		TLSCAFile:         k.TLSCAFile,
		TLSCertFile:       k.TLSCertFile,
		TLSKeyFile:        k.TLSKeyFile,
		SASLMechanism:     k.SASLMechanism,
		SASLUser:          k.SASLUsername,
		SASLPassword:      k.SASLPassword,
		Partitions:        k.TopicPartitions,
		ReplicationFactor: k.TopicReplication,
	}
}
