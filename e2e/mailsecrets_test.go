package e2e_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/mailtest"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestSecretsStaySecretOnARealMailSystem plants the credentials of a user's own mail system in the
// worker: the SMTP and CardDAV password, an OAuth2 access token for IMAP (XOAUTH2, read from a file and
// checked by Dovecot at the test's introspection endpoint), and, in two runs that are refused, a wrong
// token and a wrong SMTP password. It runs Hello World with contacts from Radicale, history from Dovecot's
// Sent and delivery by Postfix, then the refused runs, and looks for every secret in every place a run
// leaves something: the histories, the results and errors, the workers' debug logs and every record on
// every Kafka topic.
func TestSecretsStaySecretOnARealMailSystem(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{Contacts: []mailtest.User{mailtest.Alice}})
	temporal := testenv.Temporal(t)
	broker := testenv.Broker(t, t.TempDir(), 0)
	stamp := time.Now().UnixNano()
	token := fmt.Sprintf("planted-token-%d-ok", stamp)
	wrongToken := fmt.Sprintf("planted-token-%d-wrong", stamp)
	wrongSMTPPassword := fmt.Sprintf("planted-smtp-pw-%d-wrong", stamp)
	sys.AddToken(token, mailtest.Me.Address)

	var log syncBuffer
	start := func(t *testing.T, name, imapToken string, edit func(*config.Config)) *starter.Starter {
		t.Helper()
		cfg := mailSystemConfig(t, sys, "")
		cfg.TaskQueue, cfg.WorkerID = "e2e-mail-secrets-"+name, "e2e-mail-secrets-"+name
		cfg.Contacts = sys.Env()["EAAPL_CONTACTS"] // Radicale, with EAAPL_CONTACTS_PASSWORD
		cfg.IMAPPassword, cfg.IMAPAuth = "", "xoauth2"
		cfg.IMAPTokenFile = testenv.WriteFile(t, "token-"+name, imapToken+"\n")
		cfg.Kafka.Brokers = []string{broker.Addr()}
		cfg.HeartbeatInterval = 500 * time.Millisecond
		cfg.LogLevel, cfg.EventsLogLevel = "debug", "debug"
		cfg.ApprovalThreshold = 0
		if edit != nil {
			edit(&cfg)
		}
		logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		startWorkerLogging(t, temporal.Client(), cfg, logger)
		return &starter.Starter{Client: temporal.Client(), TaskQueue: cfg.TaskQueue, Identity: testOwner}
	}
	var evidence []string // everything the runs left, as text
	run := func(t *testing.T, st *starter.Starter, id, program string) workflows.Result {
		t.Helper()
		res, err := runProgram(t, st, id, workflows.Input{Program: program})
		b, _ := json.Marshal(res)
		evidence = append(evidence, string(b)+" "+fmt.Sprint(err), string(historyBytes(t, temporal.Client(), id)))
		return res
	}
	failure := func(res workflows.Result) string {
		for _, s := range res.Steps {
			for _, it := range s.Items {
				if it.State == "failed" {
					return it.Reason
				}
			}
		}
		return res.Summary
	}

	good := run(t, start(t, "good", token, nil), "mail-secrets-hello-world", helloWorld)
	if got := itemStates(good, "send")[mailtest.Alice.Address]; got != "done" {
		t.Fatalf("Alice: %q, want done: the run must log in with the token and the passwords and send (%s)", got, good.Summary)
	}
	sys.WaitFor(t, mailtest.Alice, "INBOX", messageIDs(good, "send")[mailtest.Alice.Address], 1)

	refusedToken := run(t, start(t, "wrong-token", wrongToken, nil), "mail-secrets-wrong-token", helloWorld)
	if reason := failure(refusedToken); !strings.Contains(reason, "EAAPL_IMAP_TOKEN") || !strings.Contains(reason, sys.IMAPAddr) {
		t.Fatalf("the run with a wrong token reports %q; want the IMAP server and EAAPL_IMAP_TOKEN_* named, so the refusal path was taken", reason)
	}
	refusedSMTP := run(t, start(t, "wrong-smtp", token, func(c *config.Config) { c.SMTPPassword = wrongSMTPPassword }),
		"mail-secrets-wrong-smtp-password", "Send 'Hi' to "+mailtest.Bob.Address)
	if reason := failure(refusedSMTP); !strings.Contains(reason, "535") {
		t.Fatalf("the run with a wrong SMTP password reports %q; want Postfix's refusal (535), so the refusal path was taken", reason)
	}

	searchWhatTheRunsLeft(t, broker.Addr(), evidence, &log,
		[]string{mailtest.Alice.Address, "SendEmail", "CheckEmailHistory", "e2e-mail-secrets-good", "535"},
		map[string]string{
			"the SMTP, IMAP and CardDAV password": mailtest.Me.Password,
			"the OAuth token":                     token,
			"the refused OAuth token":             wrongToken,
			"the refused SMTP password":           wrongSMTPPassword,
		})
}
