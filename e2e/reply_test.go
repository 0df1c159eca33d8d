package e2e_test

import (
	"context"
	"net/smtp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// askQuery finds the "Are you coming?" emails to Bob in Mailpit.
const askQuery = `to:bob@example.com subject:"Are you coming?"`

// TestAwaitReply runs "if he doesn't reply within ..., send it again" on the dev stack: Bob's reply, sent
// into Mailpit over SMTP with In-Reply-To, ends the wait and nothing is sent again; without a reply the
// email goes again once the deadline passes.
func TestAwaitReply(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)

	t.Run("BobRepliesAndIsNotAskedAgain", func(t *testing.T) {
		const id = "reply-replied"
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// The English, planned by the worker; 2 minutes polls every 6 seconds.
		wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Are you coming?' to bob@example.com and if he doesn't reply within 2 minutes, send it again", UserID: "user_123"})
		if err != nil {
			t.Fatal(err)
		}
		asked := waitForMatching(t, s, askQuery, 1, time.Minute)
		during := waitForStep(t, s, ctx, id, "wait_for_reply_2", workflows.StateWaiting)
		if !strings.HasPrefix(during.Reason, "waiting for a reply from bob@example.com until ") {
			t.Errorf("the wait's status is %q, want it to say whose reply it waits for and until when", during.Reason)
		}
		replied := time.Now()
		reply := "From: Bob <bob@example.com>\r\nTo: me@example.com\r\nSubject: Re: Are you coming?\r\nMessage-ID: <bob-reply@example.com>\r\n" +
			"In-Reply-To: <" + asked[0].MessageID + ">\r\nReferences: <" + asked[0].MessageID + ">\r\n\r\nYes, see you there.\r\n"
		if err := smtp.SendMail(s.mailpit.SMTPAddr, nil, "bob@example.com", []string{"me@example.com"}, []byte(reply)); err != nil {
			t.Fatal(err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		s.recordHistory(t, id)
		if err != nil {
			t.Fatalf("program failed: %v", err)
		}
		if took := time.Since(replied); took > 30*time.Second {
			t.Errorf("the program ended %s after the reply; want within a poll or two (6 s each)", took)
		}
		if n := len(testenv.Messages(t, s.mailpit, askQuery)); n != 1 {
			t.Errorf("Bob got %d emails, want 1: he replied (%s)", n, res.Summary)
		}
		if got, want := resultStep(t, res, "wait_for_reply_2").Reason, "bob@example.com replied (its In-Reply-To names the email)"; got != want {
			t.Errorf("the wait ended with %q, want %q", got, want)
		}
		if got := resultStep(t, res, "send_2"); got.State != workflows.StateSkipped || got.Reason != "bob@example.com replied" {
			t.Errorf("send_2 is %s (%q), want skipped as Bob replied", got.State, got.Reason)
		}
	})

	t.Run("NoReplyWithin20SecondsSendsItAgainOnce", func(t *testing.T) {
		const id = "reply-no-reply"
		// The grammar's deadlines are minutes and longer: its plan, shortened to 20 seconds.
		p, err := (&planner.Rules{}).Plan(context.Background(), "Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if p.Steps[2].AwaitReply == nil {
			t.Fatalf("the third step is not a wait for a reply: %+v", p.Steps[2])
		}
		p.Steps[2].AwaitReply.Within = "20s"
		before := len(testenv.Messages(t, s.mailpit, askQuery))
		// Carol's email, and Bob's to someone else, are not replies to it.
		if err := smtp.SendMail(s.mailpit.SMTPAddr, nil, "carol@example.com", []string{"me@example.com"}, []byte("From: carol@example.com\r\nTo: me@example.com\r\nSubject: Coming?\r\n\r\nAre you?\r\n")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		wr, err := st.Start(ctx, id, workflows.Input{Plan: p, UserID: "user_123"})
		if err != nil {
			t.Fatal(err)
		}
		waitForMatching(t, s, askQuery, before+1, time.Minute)
		if err := smtp.SendMail(s.mailpit.SMTPAddr, nil, "bob@example.com", []string{"carol@example.com"}, []byte("From: bob@example.com\r\nTo: carol@example.com\r\nSubject: Lunch\r\n\r\nLunch?\r\n")); err != nil {
			t.Fatal(err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		s.recordHistory(t, id)
		if err != nil {
			t.Fatalf("program failed: %v", err)
		}
		if took := time.Since(start); took < 20*time.Second {
			t.Errorf("the program ended %s after it started, before its 20 seconds' wait", took)
		}
		if n := len(testenv.Messages(t, s.mailpit, askQuery)) - before; n != 2 {
			t.Errorf("Bob got %d emails, want 2: the first, and once again without a reply (%s)", n, res.Summary)
		}
		if got := resultStep(t, res, "wait_for_reply_2").Reason; !strings.HasPrefix(got, "no reply from bob@example.com by ") {
			t.Errorf("the wait ended with %q, want no reply by its deadline", got)
		}
	})
}

// waitForMatching waits until Mailpit holds at least n messages the query finds, and returns them.
func waitForMatching(t *testing.T, s *stack, query string, n int, within time.Duration) []testenv.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msgs := testenv.Messages(t, s.mailpit, query)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit holds %d messages for %s after %s, want %d", len(msgs), query, within, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitForStep waits until the program's status shows the step in the state, and returns its status.
func waitForStep(t *testing.T, s *stack, ctx context.Context, id, step, state string) workflows.StepStatus {
	t.Helper()
	var last workflows.StepStatus
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		v, err := s.temporal.Client().QueryWorkflow(ctx, id, "", workflows.QueryStatus)
		var st workflows.Status
		if err != nil || v.Get(&st) != nil {
			continue
		}
		for _, ss := range st.Steps {
			if ss.ID == step {
				last = ss
				if ss.State == state {
					return ss
				}
			}
		}
	}
	t.Fatalf("step %s of %s is %q (%q), want %q", step, id, last.State, last.Reason, state)
	return last
}

// resultStep is one step of a program's result.
func resultStep(t *testing.T, res workflows.Result, id string) workflows.StepResult {
	t.Helper()
	for _, s := range res.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in the result %+v", id, res)
	return workflows.StepResult{}
}

// TestKafkaMirrorsReplyPolls runs "if he doesn't reply within 20 seconds" in English with the Kafka
// bridge on: every poll of the wait is a task on task.dispatch and task.result, keyed by its id, with
// FindReply's parameters and output sealed like any task's; the last poll found Bob's reply.
func TestKafkaMirrorsReplyPolls(t *testing.T) {
	broker := testenv.Broker(t, t.TempDir(), 0)
	addr := broker.Addr()
	s := newStack(t)
	keyFile := planCacheKey(t)
	st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), addr, "e2e-reply-worker", func(c *config.Config) { c.KeyFile = keyFile })
	const id = "reply-kafka-polls"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Are you coming?' to bob@example.com and if he doesn't reply within 20 seconds, send it again", UserID: "user_123"})
	if err != nil {
		t.Fatal(err)
	}
	asked := waitForMatching(t, s, askQuery, 1, time.Minute)
	waitForStep(t, s, ctx, id, "wait_for_reply_2", workflows.StateWaiting)
	time.Sleep(6 * time.Second) // a poll or two without the reply (one every 5 seconds)
	reply := "From: Bob <bob@example.com>\r\nTo: me@example.com\r\nSubject: Re: Are you coming?\r\nMessage-ID: <bob-kafka-reply@example.com>\r\n" +
		"In-Reply-To: <" + asked[0].MessageID + ">\r\n\r\nYes.\r\n"
	if err := smtp.SendMail(s.mailpit.SMTPAddr, nil, "bob@example.com", []string{"me@example.com"}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	s.recordHistory(t, id)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got := resultStep(t, res, "wait_for_reply_2"); got.Command != "FindReply" || !strings.HasPrefix(got.Reason, "bob@example.com replied") {
		t.Fatalf("the wait is %q (%q), want FindReply's polls to have found Bob's reply", got.Command, got.Reason)
	}
	isPoll := func(r bridge.Record) bool { return strings.HasPrefix(r.Key, "wait_for_reply_2/poll-") }
	awaitEvents(t, addr, 10*time.Second, func(got map[string][]bridge.Record) bool {
		return slices.ContainsFunc(got[bridge.TopicTaskResult], isPoll)
	}, bridge.TopicTaskResult)
	sealed := readEveryTopic(t, addr)
	schemas := compileSchemas(t)
	for _, topic := range []string{bridge.TopicTaskDispatch, bridge.TopicTaskResult} {
		for _, r := range sealed[topic] {
			if !isPoll(r) {
				continue
			}
			if err := validate(schemas[topic], r.Value); err != nil {
				t.Errorf("%s %s: %s does not validate: %v", topic, r.Key, r.Value, err)
			}
			if strings.Contains(string(r.Value), "bob@example.com") || strings.Contains(string(r.Value), asked[0].MessageID) {
				t.Errorf("%s %s holds the address or the Message-ID in the clear: %s", topic, r.Key, r.Value)
			}
		}
	}
	all := openEveryTopic(t, sealed, keyFile)
	var dispatched, results []string
	for _, r := range all[bridge.TopicTaskDispatch] {
		if isPoll(r) {
			dispatched = append(dispatched, r.Key)
			if got := field[string](t, r, "command"); got != "FindReply" {
				t.Errorf("task.dispatch %s: command %q, want FindReply", r.Key, got)
			}
			if got := field[map[string]any](t, r, "parameters")["from"]; got != "bob@example.com" {
				t.Errorf("task.dispatch %s: from %v, want bob@example.com once opened", r.Key, got)
			}
		}
	}
	for _, r := range all[bridge.TopicTaskResult] {
		if isPoll(r) {
			results = append(results, r.Key)
		}
	}
	// The records' order is the partitions'; the polls' is their number.
	byPoll := func(a, b string) int {
		n := func(k string) int { v, _ := strconv.Atoi(strings.TrimPrefix(k, "wait_for_reply_2/poll-")); return v }
		return n(a) - n(b)
	}
	slices.SortFunc(dispatched, byPoll)
	slices.SortFunc(results, byPoll)
	if len(dispatched) < 2 || !slices.Equal(dispatched, results) {
		t.Fatalf("the polls on task.dispatch are %v and on task.result %v; want the same polls, at least one before the reply and the one that found it", dispatched, results)
	}
	last := byKey(all[bridge.TopicTaskResult])[dispatched[len(dispatched)-1]]
	if out := field[map[string]any](t, last, "output"); out["replied"] != true || out["matched"] != "in-reply-to" {
		t.Errorf("the last poll's output is %v, want the reply found by its In-Reply-To", out)
	}
}
