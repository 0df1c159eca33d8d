package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// Planted secrets: made for each run, so a match can only come from this run.
var (
	plantedSMTPPassword = fmt.Sprintf("smtp-pw-%d-planted", time.Now().UnixNano())
	plantedAPIKey       = fmt.Sprintf("sk-planted-%d", time.Now().UnixNano())
)

// syncBuffer is a log destination the worker's goroutines write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsStaySecret plants an SMTP password and a model API key in the worker's configuration, runs
// the Hello World program (which authenticates to the SMTP server), a program whose send is refused
// for bad credentials, and a Summarize whose model server refuses the key and echoes it back (as OpenAI's
// 401 does, in part), and looks for both secrets in every place a run leaves something: the histories,
// the results and errors, the worker's log at debug level, and every record on every Kafka topic.
func TestSecretsStaySecret(t *testing.T) {
	broker := testenv.Broker(t, t.TempDir(), 0)
	s := &stack{temporal: testenv.Temporal(t), mailpit: testenv.Mailpit(t)} // accepts any credentials: the run authenticates
	// A second SMTP server that knows another password for the same user, so the send is refused (the
	// dev Mailpit accepts any credentials; a later flag turns that off).
	sum := sha1.Sum([]byte("the-right-password"))
	authFile := testenv.WriteFile(t, "smtp-users", "eaapl:{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n")
	refusing := testenv.Mailpit(t, "--smtp-auth-accept-any=false", "--smtp-auth-file", authFile)

	var log syncBuffer
	// The model server of the text analysis: it refuses the key, quoting it, as a careless proxy would.
	refusingModel := testenv.NewFakeModel(t, testenv.ModelAnswer{Status: 401, Body: []byte(`{"error": {"message": "Incorrect API key provided: ` + plantedAPIKey + `", "type": "invalid_request_error", "code": "invalid_api_key"}}`)})
	startWorkerWithSecrets := func(smtpAddr, mailboxURL, queue string, edits ...func(*config.Config)) *starter.Starter {
		cfg, err := config.Load()
		if err != nil {
			t.Fatal(err)
		}
		cfg.TaskQueue = queue
		cfg.Contacts = testenv.WriteFile(t, "contacts.vcf", threeContacts)
		cfg.SMTPAddr, cfg.MailboxURL = smtpAddr, mailboxURL
		cfg.SMTPUsername, cfg.SMTPPassword = "eaapl", plantedSMTPPassword
		cfg.OpenAIAPIKey = plantedAPIKey
		cfg.Planner = "rules" // the key is configured, never used: no model call leaves the machine
		cfg.Kafka.Brokers = []string{broker.Addr()}
		cfg.HeartbeatInterval = 500 * time.Millisecond
		cfg.LogLevel, cfg.EventsLogLevel = "debug", "debug"
		cfg.WorkerID = "e2e-secrets-" + queue
		cfg.TextAnalyzer = "embedded" // no document goes to a model server on the internet
		for _, edit := range edits {
			edit(&cfg)
		}
		logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		startWorkerLogging(t, s.temporal.Client(), cfg, logger)
		return &starter.Starter{Client: s.temporal.Client(), TaskQueue: cfg.TaskQueue}
	}
	good := startWorkerWithSecrets(s.mailpit.SMTPAddr, s.mailpit.APIURL, "e2e-secrets")
	bad := startWorkerWithSecrets(refusing.SMTPAddr, refusing.APIURL, "e2e-secrets-refused")
	analysis := startWorkerWithSecrets(s.mailpit.SMTPAddr, s.mailpit.APIURL, "e2e-secrets-model", func(c *config.Config) {
		c.TextAnalyzer, c.OpenAIBaseURL = "model", refusingModel.URL
	})

	var evidence []string // everything the runs left, as text
	res, err := s.run(t, good, "secrets-hello-world", workflows.Input{Program: helloWorld, UserID: "user_123"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got := itemStates(res, "send")["alice@example.com"]; got != "done" {
		t.Fatalf("alice: %q, want done: the run must authenticate and send (%s)", got, res.Summary)
	}
	if n := len(testenv.Messages(t, s.mailpit, "to:alice@example.com")); n == 0 {
		t.Fatal("no email reached Mailpit")
	}
	b, _ := json.Marshal(res)
	evidence = append(evidence, string(b))

	refused, err := s.run(t, bad, "secrets-refused", workflows.Input{Program: "Send 'Hi' to bob@example.com"})
	b, _ = json.Marshal(refused)
	said := string(b) + " " + fmt.Sprint(err)
	evidence = append(evidence, said)
	if !strings.Contains(said, "535") {
		t.Fatalf("the run with the wrong password does not report the server's refusal (535), so the error path was not taken: %s", said)
	}

	summaryPlan, err := plan.Parse([]byte(`{"version": 1, "steps": [{"id": "summarize", "command": "Summarize", "args": {"text": "The quarter went well. Revenue grew."}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	unauthorized, err := s.run(t, analysis, "secrets-model-refused", workflows.Input{Plan: summaryPlan})
	b, _ = json.Marshal(unauthorized)
	said = string(b) + " " + fmt.Sprint(err)
	evidence = append(evidence, said)
	if n := len(refusingModel.Requests()); n != 1 || !strings.Contains(said, "401") || !strings.Contains(said, "OPENAI_API_KEY") {
		t.Fatalf("the summary with the refused key made %d requests (want 1: a 401 is not retried) and reports %s; want the 401 and OPENAI_API_KEY named", n, said)
	}
	if !strings.Contains(refusingModel.Requests()[0], "Revenue grew.") {
		t.Fatal("the model was not sent the text, so the path under test was not taken")
	}

	for _, id := range []string{"secrets-hello-world", "secrets-refused", "secrets-model-refused"} {
		for _, ev := range history(t, s.temporal.Client(), id) {
			evidence = append(evidence, protojson.Format(ev))
		}
	}
	searchWhatTheRunsLeft(t, broker.Addr(), evidence, &log, []string{"alice@example.com", "SendEmail", "e2e-secrets"},
		map[string]string{"the SMTP password": plantedSMTPPassword, "the API key": plantedAPIKey})
}

// searchWhatTheRunsLeft adds every record on the broker at brokerAddr and the worker's log to evidence
// (what the runs left, as text, their histories and results) and searches it all: each of findable must
// be in it, so that the search can find things, and none of the secrets (by name).
func searchWhatTheRunsLeft(t *testing.T, brokerAddr string, evidence []string, log *syncBuffer, findable []string, secrets map[string]string) {
	t.Helper()
	time.Sleep(time.Second) // a heartbeat and the last logs reach Kafka
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records := 0
	err := kafka.Consume(ctx, kafka.Config{Brokers: []string{brokerAddr}}, nil, false, func(r bridge.Record) error {
		records++
		evidence = append(evidence, r.Topic+" "+r.Key+" "+string(r.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evidence = append(evidence, log.String())
	all := strings.Join(evidence, "\n")
	for _, there := range findable {
		if !strings.Contains(all, there) {
			t.Fatalf("%q is not in what the runs left (%d Kafka records, %d bytes of log): the search sees nothing", there, records, len(log.String()))
		}
	}
	for name, secret := range secrets {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("%s is in what the runs left: ...%s...", name, all[max(0, i-200):min(len(all), i+len(secret)+50)])
		}
	}
	t.Logf("searched %d bytes: 3 histories, 3 results, %d Kafka records, %d bytes of debug log", len(all), records, len(log.String()))
}
