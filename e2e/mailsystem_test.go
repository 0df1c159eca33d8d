package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

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
		return runProgram(t, st, id, workflows.Input{Program: helloWorld, UserID: "user_123"})
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
	cfg.Contacts = contacts // a vCard file; TestHelloWorldWithContactsFromRadicale reads Radicale
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
		if got, want := resultStep(t, res, "wait_for_reply_2").Reason, mailtest.Bob.Address+" replied (its In-Reply-To names the email)"; got != want {
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
		if got := resultStep(t, res, "wait_for_reply_2").Reason; !strings.HasPrefix(got, "no reply from "+mailtest.Bob.Address+" by ") {
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

// mailUsers are n contacts with mailboxes of their own, person001@example.com and on.
func mailUsers(n int) []mailtest.User {
	users := make([]mailtest.User, n)
	for i := range users {
		users[i] = mailtest.User{
			Name:     fmt.Sprintf("Person %03d", i+1),
			Address:  fmt.Sprintf("person%03d@%s", i+1, mailtest.Domain),
			Password: fmt.Sprintf("s3cret-Person-%03d", i+1),
		}
	}
	return users
}

// historyBytes is a program's history as the server keeps it (payloads as they are, not base64), for a
// search for what must not be there.
func historyBytes(t *testing.T, c client.Client, workflowID string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var all []byte
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatalf("history of %s is empty", workflowID)
	}
	return all
}

// assertOneEmailInEachMailbox checks that the program completed and that each user's INBOX holds exactly
// one email, the one its send reported, and Me's Sent folder one copy of each (besides the extra messages
// the test put there itself), none twice.
//
// Postfix itself may deliver an email twice when Dovecot stops after writing it and before confirming
// it (LMTP is at least once): with redelivery, an INBOX holding the email twice passes when Postfix
// accepted it once, and is logged. Whatever redelivery says, EaaPL must have submitted each email once.
func assertOneEmailInEachMailbox(t *testing.T, sys *mailtest.System, res workflows.Result, users []mailtest.User, extra int, redelivery bool) {
	t.Helper()
	if res.State != workflows.StateCompleted {
		t.Errorf("program %s: %s", res.State, res.Summary)
	}
	ids := messageIDs(res, "send")
	accepted := sys.Accepted(t)
	for _, u := range users {
		id := ids[u.Address]
		if id == "" {
			t.Errorf("no send reported a Message-ID for %s", u.Address)
			continue
		}
		if n := accepted[strings.Trim(id, "<>")]; n != 1 {
			t.Errorf("Postfix accepted the email to %s (%s) %d times, want once", u.Address, id, n)
		}
		deadline := time.Now().Add(time.Minute) // Postfix delivers in the background
		for {
			inbox := sys.Folder(t, u, "INBOX")
			if len(inbox) == 1 && "<"+inbox[0].MessageID+">" == id {
				break
			}
			if redelivery && len(inbox) == 2 && inbox[0].MessageID == inbox[1].MessageID && accepted[strings.Trim(id, "<>")] == 1 {
				t.Logf("Postfix delivered the email to %s twice (accepted once): Dovecot stopped mid-delivery", u.Address)
				break
			}
			if len(inbox) > 1 || time.Now().After(deadline) {
				t.Errorf("%s's INBOX holds %d emails, want exactly the one with %s: %+v", u.Address, len(inbox), id, inbox)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	sent := sys.Folder(t, mailtest.Me, "Sent")
	copies := map[string]int{}
	for _, m := range sent {
		copies["<"+m.MessageID+">"]++
	}
	for _, u := range users {
		if n := copies[ids[u.Address]]; n != 1 {
			t.Errorf("Sent holds %d copies of the email to %s (%s), want 1", n, u.Address, ids[u.Address])
		}
	}
	if len(sent) != len(users)+extra {
		t.Errorf("Sent holds %d messages, want %d", len(sent), len(users)+extra)
	}
}

// TestHelloWorldWithContactsFromRadicale runs the Hello World program with every part a user's own:
// contacts read from a CardDAV address book in Radicale (EAAPL_CONTACTS is its URL, the password
// EAAPL_CONTACTS_PASSWORD_FILE), history from Dovecot's Sent folder, delivery by Postfix. Bob has a
// message in Sent from this week, so he gets nothing; a card without an address is skipped and reported;
// each of the others' mailboxes gets exactly one email and Sent one copy of each. No password is in the
// program's history.
func TestHelloWorldWithContactsFromRadicale(t *testing.T) {
	users := mailUsers(3)
	cards := append([]mailtest.User{mailtest.Bob}, users...)
	cards = append(cards, mailtest.User{Name: "No Address"})
	sys := mailtest.Start(t, mailtest.Options{Contacts: cards, Mailboxes: users})
	temporal := testenv.Temporal(t)

	box, err := imapbox.New(imapbox.Config{URL: sys.Env()["EAAPL_IMAP_URL"], Password: mailtest.Me.Password, CAFile: sys.CAFile, SaveSent: "always"})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	now := time.Now()
	raw := fmt.Sprintf("From: %s <%s>\r\nTo: %s <%s>\r\nSubject: Lunch?\r\nDate: %s\r\nMessage-ID: <radicale-earlier@example.com>\r\n\r\nLunch on Friday?\r\n",
		mailtest.Me.Name, mailtest.Me.Address, mailtest.Bob.Name, mailtest.Bob.Address, now.Format(time.RFC1123Z))
	if _, err := box.SaveSent(context.Background(), "<radicale-earlier@example.com>", []byte(raw), now); err != nil {
		t.Fatal(err)
	}

	for name, value := range sys.Env() {
		if name != "SSL_CERT_FILE" && name != "EAAPL_CONTACTS_PASSWORD" {
			t.Setenv(name, value)
		}
	}
	t.Setenv("EAAPL_SMTP_CA_FILE", sys.CAFile)
	t.Setenv("EAAPL_CONTACTS", sys.CardDAVURL) // the user in EAAPL_CONTACTS_USER, not the URL
	t.Setenv("EAAPL_CONTACTS_USER", mailtest.Me.Address)
	t.Setenv("EAAPL_CONTACTS_PASSWORD_FILE", testenv.WriteFile(t, "dav-password", mailtest.Me.Password+"\n"))
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TaskQueue, cfg.WorkerID, cfg.Planner = "e2e-radicale", "e2e-radicale-worker", "rules"
	startWorker(t, temporal.Client(), cfg)
	st := &starter.Starter{Client: temporal.Client(), TaskQueue: cfg.TaskQueue}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, "radicale-hello-world", workflows.Input{Program: helloWorld, UserID: "user_123"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}

	states := itemStates(res, "send")
	if len(states) != len(users)+1 {
		t.Errorf("send items %v, want one per contact with an address (Bob and %d more)", states, len(users))
	}
	if ids := messageIDs(res, "send"); ids[mailtest.Bob.Address] != "" {
		t.Errorf("Bob, emailed this week according to Sent, was sent %s", ids[mailtest.Bob.Address])
	}
	var skipped string
	for _, s := range res.Steps {
		for _, it := range s.Items {
			if s.Command == "RetrieveContacts" && it.Task != nil {
				skipped = fmt.Sprint(it.Task.Output["skipped"])
			}
		}
	}
	if want := fmt.Sprintf("contacts/contact-%05d.vcf: card has no EMAIL", len(cards)-1); !strings.Contains(skipped, want) {
		t.Errorf("RetrieveContacts skipped %s, want %q", skipped, want)
	}
	assertOneEmailInEachMailbox(t, sys, res, users, 1, false)
	if got := sys.Folder(t, mailtest.Bob, "INBOX"); len(got) != 0 {
		t.Errorf("Bob's INBOX holds %+v", got)
	}
	if history := historyBytes(t, temporal.Client(), "radicale-hello-world"); bytes.Contains(history, []byte(mailtest.Me.Password)) {
		t.Error("the program's history holds the password")
	}
}

// TestKilledWorkerOnARealMailSystem kills `eaapl worker` processes with SIGKILL, one after another, at
// random moments in the middle of a Hello World send to 200 contacts read from Radicale, submitted to
// Postfix, delivered into Dovecot and copied to Sent over IMAP; after each kill another worker takes over.
// Each email's copy is saved in Sent, marked unconfirmed, before its submission, so a kill between the
// submission and the server's reply leaves a copy whose retry cannot know whether it went: it asks, and
// the test answers as the truth is (Postfix's log says whether it accepted the email). In the end each
// contact's mailbox holds exactly one email, Postfix accepted each once, and Sent holds one confirmed
// copy of each and nothing unconfirmed.
func TestKilledWorkerOnARealMailSystem(t *testing.T) {
	users := mailUsers(crashContacts)
	sys := mailtest.Start(t, mailtest.Options{Contacts: users, Mailboxes: users})
	bin := buildEaapl(t)
	srv := testenv.Temporal(t)
	queue := "mail-failover"
	env := func(smtpAddr string) []string {
		e := []string{"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "TEMPORAL_NAMESPACE=default", "EAAPL_TASK_QUEUE=" + queue, "KAFKA_BROKERS=", "EAAPL_PLANNER=rules",
			"EAAPL_APPROVAL_THRESHOLD=0"} // the worker's gate: this run is not asked for approval
		for name, value := range sys.Env() {
			e = append(e, name+"="+value)
		}
		return append(e, "EAAPL_SMTP_ADDR="+smtpAddr) // last: it wins
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 18))
	t.Logf("kill moments from seed %d", seed)
	// Each chunk to Postfix is held, so the send lasts long enough to be interrupted.
	slow := func(id string) *workerProcess {
		return startWorkerProcess(t, bin, env(testenv.DelaySMTP(t, sys.SubmissionAddr, smtpDelay).Addr), id)
	}
	current := slow("mail-worker-1")
	waitForPollers(t, srv.Client(), queue, current)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	st := &starter.Starter{Client: srv.Client(), TaskQueue: queue, Identity: testOwner} // the owner answers
	const id = "mail-failover"
	run, err := st.Start(ctx, id, workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency})
	if err != nil {
		t.Fatal(err)
	}
	answers := answerUnconfirmed(t, ctx, st, sys, id)

	const kills = 4
	for k := 1; k <= kills; k++ {
		target := k * crashContacts / (kills + 2) // 33, 66, 100, 133 copies in Sent
		deadline := time.Now().Add(2 * time.Minute)
		for {
			n, err := sys.Count(t, mailtest.Me, "Sent")
			if err == nil && n >= target {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Sent holds %d messages after two minutes, want %d (last error: %v)", n, target, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond) // a random moment, the window included
		current.kill(t)
		n, _ := sys.Count(t, mailtest.Me, "Sent")
		if n >= crashContacts {
			t.Fatalf("the send was over (%d in Sent) before kill %d; the test proves nothing", n, k)
		}
		t.Logf("kill %d: %s, with %d copies in Sent", k, current.id, n)
		if k < kills {
			current = slow(fmt.Sprintf("mail-worker-%d", k+1))
		} else {
			current = startWorkerProcess(t, bin, env(sys.SubmissionAddr), "mail-worker-last")
		}
	}

	res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	got := answers()
	byWorker, retried, alreadySent := sendStats(res)
	t.Logf("sends per worker %v, %d items retried, %d found already sent in Sent; questions answered %v",
		byWorker, retried, len(alreadySent), got)
	if got["send"]+got["sent"] == 0 {
		t.Errorf("%d kills and no email was left between its copy and the server's reply: the window was not hit", kills)
	}
	if got["other"] > 0 {
		t.Errorf("%d questions were not about an unconfirmed copy", got["other"])
	}
	assertOneEmailInEachMailbox(t, sys, res, users, 0, false)
	for _, m := range sys.Folder(t, mailtest.Me, "Sent") {
		if slices.Contains(m.Flags, imapbox.PendingKeyword) || !slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("Sent's copy of the email to %v is %v, want confirmed and seen", m.To, m.Flags)
		}
	}
}

// answerUnconfirmed answers, until the test ends, every "may have been sent before a crash" question of
// the program as the truth is: "sent" when Postfix accepted the email whose unconfirmed copy is in Sent
// (its log says so), else "send". The returned func counts the answers given (send, sent, and other for
// questions of another kind, which are answered abort).
func answerUnconfirmed(t *testing.T, ctx context.Context, st *starter.Starter, sys *mailtest.System, id string) func() map[string]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			time.Sleep(500 * time.Millisecond)
			qs, err := st.Questions(ctx, id)
			if err != nil {
				continue
			}
			for _, q := range qs {
				if q.State != "open" {
					continue
				}
				answer := "abort"
				if strings.Contains(q.Text, "may have been sent before a crash") {
					answer = truth(t, sys, q.Text)
				}
				if answer == "" {
					continue // the copy is not found yet: ask Sent again on the next round
				}
				if _, err := st.Answer(ctx, id, q.ID, answer); err != nil {
					t.Logf("answer %s %s: %v", q.ID, answer, err)
					continue
				}
				mu.Lock()
				if answer == "abort" {
					counts["other"]++
					t.Logf("question %s is not about an unconfirmed copy: %s", q.ID, q.Text)
				} else {
					counts[answer]++
				}
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(counts)
	}
}

// truth is the true answer to a question about the unconfirmed copy of the email to the address the
// question names: sent when Postfix accepted it, else send; "" when Sent holds no unconfirmed copy to it.
func truth(t *testing.T, sys *mailtest.System, question string) string {
	for _, m := range sys.Folder(t, mailtest.Me, "Sent") {
		if !slices.Contains(m.Flags, imapbox.PendingKeyword) || len(m.To) != 1 || !strings.Contains(question, " to "+m.To[0]+" ") {
			continue
		}
		if sys.Accepted(t)[m.MessageID] > 0 {
			return "sent"
		}
		return "send"
	}
	return ""
}

// pendingAttempt is the highest attempt of the workflow's open activities of the type: 2 once the first
// attempt failed and the next waits for its turn; 0 when none is open.
func pendingAttempt(t *testing.T, c client.Client, workflowID, activity string) int32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return 0
	}
	var attempt int32
	for _, a := range d.GetPendingActivities() {
		if a.GetActivityType().GetName() == activity {
			attempt = max(attempt, a.GetAttempt())
		}
	}
	return attempt
}

// TestDovecotOutageOnARealMailSystem stops Dovecot (IMAP, the SASL service Postfix authenticates
// submissions with, and delivery) twice in one Hello World program: as the program starts, until reading
// the history from Sent has failed (it is retried once Dovecot is back); and for 4 seconds in the middle
// of the send, so the Sent copies of the emails Postfix accepts meanwhile are
// saved once it is back. The program completes, each mailbox holds exactly one email and Sent one copy
// of each.
func TestDovecotOutageOnARealMailSystem(t *testing.T) {
	users := mailUsers(30)
	sys := mailtest.Start(t, mailtest.Options{Contacts: users, Mailboxes: users})
	temporal := testenv.Temporal(t)
	for name, value := range sys.Env() {
		if name != "SSL_CERT_FILE" {
			t.Setenv(name, value)
		}
	}
	t.Setenv("EAAPL_SMTP_CA_FILE", sys.CAFile)
	t.Setenv("EAAPL_SMTP_ADDR", testenv.DelaySMTP(t, sys.SubmissionAddr, smtpDelay).Addr)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TaskQueue, cfg.WorkerID, cfg.Planner = "e2e-dovecot-outage", "e2e-outage-worker", "rules"
	startWorker(t, temporal.Client(), cfg)
	st := &starter.Starter{Client: temporal.Client(), TaskQueue: cfg.TaskQueue}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // the whole e2e package runs beside it: 3 minutes ran out once (184 s)
	defer cancel()
	outage := func() {
		t.Helper()
		sys.StopDovecot(t)
		stopped := time.Now()
		time.Sleep(4 * time.Second)
		sys.StartDovecot(t)
		t.Logf("Dovecot was down for %s", time.Since(stopped).Round(100*time.Millisecond))
	}

	sys.StopDovecot(t)
	wr, err := st.Start(ctx, "dovecot-outage", workflows.Input{Program: helloWorld, UserID: "user_123", MaxConcurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Dovecot stays down until reading the history from Sent has failed and waits for its next attempt.
	waitUntil(t, "CheckEmailHistory fails for want of Dovecot", func() bool {
		return pendingAttempt(t, temporal.Client(), "dovecot-outage", "CheckEmailHistory") >= 2
	})
	sys.StartDovecot(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := sys.Count(t, mailtest.Me, "Sent")
		if err == nil && n >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sent holds %d messages after two minutes, want 5 (last error: %v)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	outage()

	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v (%s)", err, res.Summary)
	}
	for _, s := range res.Steps {
		if s.ID == "history" {
			if len(s.Items) != 1 || s.Items[0].Task == nil || s.Items[0].Task.Attempt < 2 {
				t.Errorf("history step %+v: want one task that succeeded on a later attempt, after Dovecot came back", s.Items)
			} else {
				t.Logf("the history was read on attempt %d", s.Items[0].Task.Attempt)
			}
		}
	}
	assertOneEmailInEachMailbox(t, sys, res, users, 0, true)
}
