//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/starter"
)

// TestWhatPeopleReachFor runs, on a real dev stack (Temporal, Mailpit, the broker, a worker), the commands
// a person reaches for around `eaapl run`: a dry run that sends nothing, inbox, list, status of a finished
// program, cancel, events of one program, and a program refused before it starts.
func TestWhatPeopleReachFor(t *testing.T) {
	t.Parallel()
	d := newDevEnv(t)
	d.startInBackground(t)
	inbox := func(t *testing.T) []inboxMessage {
		t.Helper()
		r := d.eaapl(t, "inbox", "--json")
		var msgs []inboxMessage
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &msgs) != nil {
			t.Fatalf("eaapl inbox --json: %s", r)
		}
		return msgs
	}
	list := func(t *testing.T, args ...string) map[string]starter.Program {
		t.Helper()
		r := d.eaapl(t, append([]string{"list", "--json"}, args...)...)
		var programs []starter.Program
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &programs) != nil {
			t.Fatalf("eaapl list --json %q: %s", args, r)
		}
		byID := map[string]starter.Program{}
		for _, p := range programs {
			byID[p.WorkflowID] = p
		}
		return byID
	}

	t.Run("ADryRunSendsNothingAndSaysWhatItWouldSend", func(t *testing.T) {
		before := len(inbox(t))
		r := d.eaapl(t, "run", "--dry-run", "--id", "prog-dry", helloWorld)
		if r.code != 0 {
			t.Fatalf("eaapl run --dry-run: %s", r)
		}
		want := "would send 'Hello World!' to alice@example.com and carol@example.com; would not send to bob@example.com (you emailed them since"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the dry run does not say %q:\n%s", want, r)
		}
		for _, line := range []string{"alice@example.com  would send 'Hello World!' to alice@example.com", "bob@example.com    would not send"} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("the result table has no line %q:\n%s", line, r.stdout)
			}
		}
		if sentTo("alice@example.com").MatchString(r.stdout) {
			t.Errorf("the dry run says it sent:\n%s", r.stdout)
		}
		if got := len(inbox(t)); got != before {
			t.Errorf("the mailbox went from %d to %d messages in a dry run", before, got)
		}
		if entries, err := os.ReadDir(d.workDir); err != nil || len(entries) != 0 {
			t.Errorf("the dry run wrote into its working folder: %v %v", entries, err)
		}
		// Its status afterwards reads as a dry run too.
		if st := d.eaapl(t, "status", "prog-dry"); st.code != 0 || !strings.Contains(st.stdout, want) {
			t.Errorf("eaapl status of the dry run: %s", st)
		}
	})

	t.Run("InboxListsWhatARealRunSentNewestFirst", func(t *testing.T) {
		r := d.eaapl(t, "run", "--id", "prog-real", helloWorld)
		if r.code != 0 || !sentTo("alice@example.com").MatchString(r.stdout) {
			t.Fatalf("eaapl run: %s", r)
		}
		msgs := inbox(t)
		if len(msgs) < 3 {
			t.Fatalf("the inbox holds %d messages, want the seeded one and two Hello Worlds: %+v", len(msgs), msgs)
		}
		var to []string
		for _, m := range msgs[:2] {
			if m.Subject != "Hello World!" {
				t.Errorf("newest message %+v, want a Hello World", m)
			}
			to = append(to, m.To...)
		}
		slices.Sort(to)
		if got, want := strings.Join(to, ","), "alice@example.com,carol@example.com"; got != want {
			t.Errorf("the newest two went to %s, want %s", got, want)
		}
		if !slices.IsSortedFunc(msgs, func(a, b inboxMessage) int { return b.Received.Compare(a.Received) }) {
			t.Errorf("the inbox is not newest first: %+v", msgs)
		}
		text := d.eaapl(t, "inbox")
		if text.code != 0 || !strings.Contains(text.stdout, "alice@example.com  Hello World!") {
			t.Errorf("eaapl inbox: %s", text)
		}
	})

	t.Run("ARefusedProgramLeavesNoWorkflowAndJSONSaysWhy", func(t *testing.T) {
		r := d.eaapl(t, "run", "--json", "--id", "prog-refused", "Send an email to Ann Lee that says hi")
		var out struct{ Error string }
		if r.code != 1 || json.Unmarshal([]byte(r.stdout), &out) != nil || !strings.Contains(out.Error, `not started: cannot understand "to Ann Lee"`) {
			t.Fatalf("eaapl run --json of a program it cannot plan: %s, want exit code 1 and {\"error\": ...} on stdout", r)
		}
		if st := d.eaapl(t, "status", "prog-refused"); st.code == 0 {
			t.Errorf("a refused program has a workflow: %s", st)
		}
	})

	t.Run("StatusOfAFailedProgramShowsTheAnswersAndExitsNonZero", func(t *testing.T) {
		// Who answers is the caller's identity (EAAPL_USER_ID): the owner here, who started it.
		env := d.env
		d.env = append(append([]string{}, d.env...), "EAAPL_USER_ID=ann@example.com")
		defer func() { d.env = env }()
		run := runAskingAboutZed(t, d, "prog-failed")
		if r := d.eaapl(t, "answer", "prog-failed", "q1", "abort"); r.code != 0 {
			t.Fatalf("eaapl answer: %s", r)
		}
		_ = run.Wait() // it fails: the answer was abort
		r := d.eaapl(t, "status", "prog-failed")
		if r.code != 1 {
			t.Errorf("eaapl status of a failed program: exit code %d, want 1\n%s", r.code, r)
		}
		for _, want := range []string{"Result:   failed", "3. send     SendEmail     skipped", "Questions:", `q1 (find): No contact is named Zed. What is Zed's email address?: answered "abort" (by ann@example.com)`} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("eaapl status does not show %q:\n%s", want, r)
			}
		}
		js := d.eaapl(t, "status", "--json", "prog-failed")
		var fs finishedStatus
		if js.code != 1 || json.Unmarshal([]byte(js.stdout), &fs) != nil || fs.Ended != "failed" || fs.State != "failed" || len(fs.Asked) != 1 || fs.Asked[0].Answer != "abort" {
			t.Errorf("eaapl status --json of a failed program: %s", js)
		}
	})

	t.Run("CancelStopsAWaitingProgram", func(t *testing.T) {
		run := runAskingAboutZed(t, d, "prog-cancel")
		if r := d.eaapl(t, "cancel", "prog-cancel"); r.code != 0 || !strings.Contains(r.stdout, "Asked prog-cancel to stop") {
			t.Fatalf("eaapl cancel: %s", r)
		}
		_ = run.Wait()
		waitFor(t, "prog-cancel to be listed as canceled", func() bool { return list(t, "--status", "canceled")["prog-cancel"].Status == "canceled" })
		if r := d.eaapl(t, "status", "prog-cancel"); r.code != 1 {
			t.Errorf("eaapl status of a canceled program: %s, want exit code 1", r)
		}
		if r := d.eaapl(t, "cancel", "prog-cancel"); r.code != 1 {
			t.Errorf("eaapl cancel of a finished program: %s, want exit code 1", r)
		}
	})

	t.Run("ListShowsTextStatusAndStartAndFilters", func(t *testing.T) {
		all := list(t)
		for _, id := range []string{"prog-dry", "prog-real", "prog-failed", "prog-cancel"} {
			if _, ok := all[id]; !ok {
				t.Errorf("eaapl list does not list %s: %+v", id, all)
			}
		}
		if _, ok := all["prog-refused"]; ok {
			t.Errorf("eaapl list lists the refused program")
		}
		real := all["prog-real"]
		if real.Text != helloWorld || real.Status != "completed" || time.Since(real.Started) > 5*time.Minute {
			t.Errorf("prog-real is listed as %+v", real)
		}
		if got := list(t, "--status", "failed"); len(got) != 1 || got["prog-failed"].Status != "failed" {
			t.Errorf("eaapl list --status failed: %+v, want prog-failed alone", got)
		}
		if got := list(t, "--text", "CONTACT ZED"); len(got) != 2 || got["prog-real"].WorkflowID != "" {
			t.Errorf("eaapl list --text 'CONTACT ZED': %+v, want prog-failed and prog-cancel", got)
		}
		if got := list(t, "--limit", "1"); len(got) != 1 || got["prog-cancel"].WorkflowID == "" {
			t.Errorf("eaapl list --limit 1: %+v, want the newest, prog-cancel", got)
		}
		text := d.eaapl(t, "list", "--status", "completed")
		if text.code != 0 || !strings.Contains(text.stdout, "prog-real") || !strings.Contains(text.stdout, helloWorld) {
			t.Errorf("eaapl list: %s", text)
		}
		if r := d.eaapl(t, "list", "--status", "done"); r.code != 2 || !strings.Contains(r.stderr, "it must be one of running, completed, failed") {
			t.Errorf("eaapl list --status done: %s, want a usage error naming the statuses", r)
		}
	})

	t.Run("EventsOfOneProgramInTimeOrderAndFollowFromNow", func(t *testing.T) {
		records := func(out string) []bridge.Record {
			var rs []bridge.Record
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var r bridge.Record
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("eaapl events --json printed %q: %v", sc.Text(), err)
				}
				rs = append(rs, r)
			}
			return rs
		}
		r := d.eaapl(t, "events", "--json", "--program", "prog-real")
		rs := records(r.stdout)
		if r.code != 0 || len(rs) < 10 {
			t.Fatalf("eaapl events --program prog-real: %d events, %s", len(rs), r)
		}
		topics := map[string]bool{}
		for _, rec := range rs {
			topics[rec.Topic] = true
			if !strings.HasPrefix(rec.EventID, "prog-real/") {
				t.Errorf("an event of another program: %+v", rec)
			}
		}
		if len(topics) < 2 || !slices.IsSortedFunc(rs, func(a, b bridge.Record) int { return a.Timestamp.Compare(b.Timestamp) }) {
			t.Errorf("want events of several topics in time order, got %d topics: %+v", len(topics), rs)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out syncBuffer
		follow := d.command(ctx, nil, "events", "--json", "--follow")
		follow.Stdout = &out
		if err := follow.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second) // it has read the topics' history by now, and printed none of it
		if run := d.eaapl(t, "run", "--id", "prog-follow", "Send 'Followed' to dave@example.com"); run.code != 0 {
			t.Fatalf("eaapl run: %s", run)
		}
		waitFor(t, "prog-follow's events", func() bool { return strings.Contains(out.String(), `"event_id":"prog-follow/`) })
		cancel()
		_ = follow.Wait()
		for _, rec := range records(out.String()) {
			for _, earlier := range []string{"prog-dry/", "prog-real/", "prog-failed/", "prog-cancel/"} {
				if strings.HasPrefix(rec.EventID, earlier) {
					t.Errorf("eaapl events --follow printed an event from before it started: %+v", rec)
				}
			}
		}
	})
}

// runAskingAboutZed starts `eaapl run` of a program that asks who Zed is, as the program id, and waits until
// eaapl status shows the question; the run is killed if it is still going when the test ends.
func runAskingAboutZed(t *testing.T, d *devEnv, id string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	run := d.command(ctx, nil, "run", "--id", id, "Send 'Hi' to my contact Zed")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the question about Zed", func() bool { return strings.Contains(d.eaapl(t, "status", id).stdout, "Question q1") })
	return run
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}
