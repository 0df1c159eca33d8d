package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/mailtest"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// TestHelloWorldOnARealMailSystem runs the Hello World program on Postfix and Dovecot, as a user with
// their own mailbox would: the worker is configured by the mail system's EAAPL_* settings (submission
// with STARTTLS and SASL, the CA trusted through EAAPL_SMTP_CA_FILE, history and the already-sent check
// in Dovecot's Sent folder over IMAP). Bob has a message in Sent from this week, so he gets nothing;
// Alice's INBOX gets exactly one email, and Sent holds one copy of it.
func TestHelloWorldOnARealMailSystem(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	temporal := testenv.Temporal(t)
	contacts := testenv.WriteFile(t, "contacts.vcf", vcard(mailtest.Alice, mailtest.Bob))
	start := func(t *testing.T, edit func(*config.Config)) *starter.Starter {
		t.Helper()
		cfg := mailSystemConfig(t, sys, contacts)
		if edit != nil {
			edit(&cfg)
		}
		startWorker(t, temporal.Client(), cfg)
		return &starter.Starter{Client: temporal.Client(), TaskQueue: cfg.TaskQueue}
	}
	run := func(t *testing.T, st *starter.Starter, id string) (workflows.Result, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		wr, err := st.Start(ctx, id, workflows.Input{Program: helloWorld, UserID: "user_123"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		var failed *starter.FailedError
		if errors.As(err, &failed) {
			res = failed.Result
		}
		return res, err
	}

	t.Run("SentThisWeekIsRespected", func(t *testing.T) {
		// Bob was emailed this week: a message the user sent, in Sent as their mail client would leave it.
		box, err := imapbox.New(imapbox.Config{URL: sys.Env()["EAAPL_IMAP_URL"], Password: mailtest.Me.Password, CAFile: sys.CAFile, SaveSent: "always"})
		if err != nil {
			t.Fatal(err)
		}
		defer box.Close()
		now := time.Now()
		const earlierID = "earlier-to-bob@example.com"
		raw := fmt.Sprintf("From: %s <%s>\r\nTo: %s <%s>\r\nSubject: Lunch?\r\nDate: %s\r\nMessage-ID: <%s>\r\n\r\nLunch on Friday?\r\n",
			mailtest.Me.Name, mailtest.Me.Address, mailtest.Bob.Name, mailtest.Bob.Address, now.Format(time.RFC1123Z), earlierID)
		if saved, err := box.SaveSent(context.Background(), "<"+earlierID+">", []byte(raw), now); err != nil || saved != imapbox.SavedAppended {
			t.Fatalf("append Bob's message to Sent: %v, %v", saved, err)
		}

		st := start(t, nil)
		res, err := run(t, st, "mail-system-hello-world")
		if err != nil {
			t.Fatalf("program failed: %v (%s)", err, res.Summary)
		}
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		ids := messageIDs(res, "send")
		if len(ids) != 1 || ids[mailtest.Alice.Address] == "" {
			t.Fatalf("sends reported %v, want one, to %s (%s)", ids, mailtest.Alice.Address, res.Summary)
		}
		aliceID := ids[mailtest.Alice.Address]
		sys.WaitFor(t, mailtest.Alice, "INBOX", aliceID, 1)
		for _, m := range sys.Folder(t, mailtest.Alice, "INBOX") {
			if "<"+m.MessageID+">" != aliceID {
				t.Errorf("Alice's INBOX holds another message: %+v", m)
			} else if m.From != mailtest.Me.Address || len(m.To) != 1 || m.To[0] != mailtest.Alice.Address {
				t.Errorf("Alice's email is %+v, want from %s to her", m, mailtest.Me.Address)
			}
		}
		if got := sys.Folder(t, mailtest.Bob, "INBOX"); len(got) != 0 {
			t.Errorf("Bob, emailed this week, got %+v", got)
		}
		// Sent: Bob's earlier message and one copy of Alice's, the bytes the server was given.
		sys.WaitFor(t, mailtest.Me, "Sent", aliceID, 1)
		sent := sys.Folder(t, mailtest.Me, "Sent")
		if len(sent) != 2 {
			t.Errorf("Sent holds %d messages, want Bob's earlier one and Alice's: %+v", len(sent), sent)
		}
		for _, m := range sent {
			if "<"+m.MessageID+">" == aliceID && (m.Subject == "" || len(m.To) != 1 || m.To[0] != mailtest.Alice.Address) {
				t.Errorf("Sent copy %+v: want Alice's email with its subject", m)
			}
		}

		// Run again: Alice is now in this week's history (read from Sent), so nobody gets a second email.
		res, err = run(t, st, "mail-system-hello-world-again")
		if err != nil {
			t.Fatalf("second run failed: %v (%s)", err, res.Summary)
		}
		if ids := messageIDs(res, "send"); len(ids) != 0 {
			t.Errorf("second run sent %v; both contacts were emailed this week", ids)
		}
		time.Sleep(2 * time.Second) // Postfix delivers in the background: give a stray email time to land
		if got := sys.Folder(t, mailtest.Alice, "INBOX"); len(got) != 1 {
			t.Errorf("after the second run Alice's INBOX holds %d messages, want 1: %+v", len(got), got)
		}
		if got := sys.Folder(t, mailtest.Me, "Sent"); len(got) != 2 {
			t.Errorf("after the second run Sent holds %d messages, want 2: %+v", len(got), got)
		}
	})

	t.Run("WrongIMAPPasswordFailsForGoodNamingTheServer", func(t *testing.T) {
		const planted = "planted-Imap-Pw-9182"
		st := start(t, func(c *config.Config) { c.IMAPPassword = planted })
		began := time.Now()
		res, err := run(t, st, "mail-system-wrong-imap-password")
		if err == nil {
			t.Fatalf("the program succeeded with a wrong IMAP password: %s", res.Summary)
		}
		var reason string
		var attempts int32
		for _, s := range res.Steps {
			for _, it := range s.Items {
				if it.State == "failed" {
					reason = it.Reason
					if it.Task != nil {
						attempts = it.Task.Attempt
					}
				}
			}
		}
		if !strings.Contains(reason, sys.IMAPAddr) || !strings.Contains(reason, "IMAP") {
			t.Errorf("reason %q does not name the IMAP server %s (%s)", reason, sys.IMAPAddr, res.Summary)
		}
		if attempts != 1 {
			t.Errorf("the failed task ran %d times; a refused password must not be retried", attempts)
		}
		if strings.Contains(reason, planted) || strings.Contains(res.Summary, planted) {
			t.Errorf("the password is in the result")
		}
		if d := time.Since(began); d > 30*time.Second {
			t.Errorf("the program took %s to fail", d)
		}
		if got := sys.Folder(t, mailtest.Alice, "INBOX"); len(got) > 1 {
			t.Errorf("Alice's INBOX holds %d messages after a run that could not read the history", len(got))
		}
	})
}

// mailSystemConfig is a worker's configuration on the mail system: its EAAPL_* settings (submission with
// STARTTLS and SASL, the CA trusted through EAAPL_SMTP_CA_FILE, the mailbox over IMAP), the contacts file.
func mailSystemConfig(t *testing.T, sys *mailtest.System, contacts string) config.Config {
	t.Helper()
	for name, value := range sys.Env() {
		if name != "SSL_CERT_FILE" { // EAAPL_SMTP_CA_FILE below trusts the CA instead
			t.Setenv(name, value)
		}
	}
	t.Setenv("EAAPL_SMTP_CA_FILE", sys.CAFile)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TaskQueue = "e2e-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Contacts = contacts // a vCard file: the CardDAV reader is not wired into the worker yet
	cfg.WorkerID = "e2e-mail-worker"
	cfg.Planner = "rules"
	return cfg
}

// TestAwaitReplyOnARealMailSystem runs "if he doesn't reply within a day, send it again" on the Temporal
// test suite's clock, which skips the day's timers, with the worker's real activities on Postfix and
// Dovecot: the email goes through submission into Bob's INBOX, Bob's reply is delivered by Postfix into
// the user's INBOX, and FindReply finds it there over IMAP.
func TestAwaitReplyOnARealMailSystem(t *testing.T) {
	sys := mailtest.Start(t, mailtest.Options{})
	cfg := mailSystemConfig(t, sys, testenv.WriteFile(t, "contacts.vcf", vcard(mailtest.Alice, mailtest.Bob)))
	deps, err := worker.NewDependencies(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	program := "Send 'Are you coming?' to " + mailtest.Bob.Address + " and if he doesn't reply within a day, send it again"
	newEnv := func(t *testing.T, id string) *testsuite.TestWorkflowEnvironment {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		// The real activities reach real servers while the workflow's clock waits: a slow poll is no deadlock.
		env.SetWorkerOptions(sdkworker.Options{DeadlockDetectionTimeout: time.Minute})
		env.SetTestTimeout(5 * time.Minute)
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id}) // the Message-IDs are made from it
		worker.Register(env, deps)
		return env
	}
	bobsAsks := func(t *testing.T) []mailtest.Message {
		var out []mailtest.Message
		for _, m := range sys.Folder(t, mailtest.Bob, "INBOX") {
			if m.Subject == "Are you coming?" {
				out = append(out, m)
			}
		}
		return out
	}
	waitForAsks := func(t *testing.T, n int) []mailtest.Message {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if got := bobsAsks(t); len(got) >= n || time.Now().After(deadline) {
				return got
			}
		}
	}
	result := func(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.Result {
		t.Helper()
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("program failed: %v", err)
		}
		var res workflows.Result
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("BobsReplyDeliveredByPostfixEndsTheWait", func(t *testing.T) {
		env := newEnv(t, "mail-system-reply")
		start := env.Now()
		var repliedAt time.Duration
		env.RegisterDelayedCallback(func() {
			// Three hours in (on the test clock), Bob answers the email in his INBOX from his mail client.
			asks := waitForAsks(t, 1)
			if len(asks) != 1 {
				t.Errorf("three hours in, Bob's INBOX holds %+v, want the one email", asks)
				return
			}
			repliedAt = env.Now().Sub(start)
			sys.SendMX(t, mailtest.Bob.Address, []string{mailtest.Me.Address}, fmt.Sprintf("From: %s <%s>\nTo: %s\nSubject: Re: Are you coming?\nDate: %s\n"+
				"Message-ID: <bob-reply@example.com>\nIn-Reply-To: <%s>\nReferences: <%s>\n\nYes!\n",
				mailtest.Bob.Name, mailtest.Bob.Address, mailtest.Me.Address, time.Now().Format(time.RFC1123Z), asks[0].MessageID, asks[0].MessageID))
			sys.WaitFor(t, mailtest.Me, "INBOX", "bob-reply@example.com", 1)
		}, 3*time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: program, UserID: "user_123"})
		res := result(t, env)
		took := env.Now().Sub(start)
		if repliedAt == 0 || took < repliedAt || took > repliedAt+15*time.Minute {
			t.Errorf("the program ended %s in (test clock), Bob replied %s in; want it to end within a poll (12 minutes) of the reply", took, repliedAt)
		}
		if got, want := resultStep(t, res, "await_reply_2").Reason, mailtest.Bob.Address+" replied (its In-Reply-To names the email)"; got != want {
			t.Errorf("the wait ended with %q, want %q", got, want)
		}
		time.Sleep(2 * time.Second) // Postfix delivers in the background: give a stray email time to land
		if got := bobsAsks(t); len(got) != 1 {
			t.Errorf("Bob's INBOX holds %d emails asking, want 1: he replied", len(got))
		}
	})

	t.Run("NoReplyInADaySendsItAgainOnce", func(t *testing.T) {
		env := newEnv(t, "mail-system-no-reply")
		before := len(bobsAsks(t))
		start := env.Now()
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: program, UserID: "user_123"})
		res := result(t, env)
		if took := env.Now().Sub(start); took < 24*time.Hour || took > 25*time.Hour {
			t.Errorf("the program ended %s in (test clock), want just after the day", took)
		}
		if got := len(waitForAsks(t, before+2)) - before; got != 2 {
			t.Errorf("Bob got %d emails asking, want 2: the first and once again (%s)", got, res.Summary)
		}
		// Bob's reply to the first run is an earlier message from him, not a reply to this one.
		if got := resultStep(t, res, "await_reply_2").Reason; !strings.HasPrefix(got, "no reply from "+mailtest.Bob.Address+" by ") {
			t.Errorf("the wait ended with %q, want no reply", got)
		}
	})
}

// vcard is a vCard file of the users.
func vcard(users ...mailtest.User) string {
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nEMAIL:%s\r\nEND:VCARD\r\n", u.Name, u.Address)
	}
	return b.String()
}
