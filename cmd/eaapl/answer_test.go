//go:build linux

package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestQuestionsOnTheCLI runs programs that ask on a real dev stack, and answers them with `eaapl answer`.
func TestQuestionsOnTheCLI(t *testing.T) {
	t.Parallel()
	d := newDevEnv(t)
	const owner = "ann@example.com" // who runs the programs (and the dev stack)
	d.env = append(d.env, "EAAPL_USER_ID="+owner)
	// The approval threshold is the worker's: the dev stack's worker asks above 2 emails a step.
	d.startInBackground(t, "EAAPL_APPROVAL_THRESHOLD=2")

	t.Run("RunShowsTheQuestionAndAnswerTakesIt", func(t *testing.T) {
		const id = "program-cli-ask-body"
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var stdout, stderr syncBuffer
		run := d.command(ctx, nil, "run", "--id", id, "Send it to dave@example.com")
		run.Stdout, run.Stderr = &stdout, &stderr
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		// The question shows in `eaapl status` while the program waits.
		var status result
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			if status = d.eaapl(t, "status", id); strings.Contains(status.stdout, "Question q1") && strings.Contains(stderr.String(), "Question q1") {
				break // eaapl status and eaapl run both show it
			}
		}
		for _, want := range []string{"Question q1 (step compose): The program does not say what the email should say", "answer with the text, or:", "skip", "abort", "eaapl answer " + id + " q1 '<answer>'"} {
			if !strings.Contains(status.stdout, want) {
				t.Fatalf("eaapl status does not show %q:\n%s", want, status)
			}
		}
		for _, bad := range []struct{ qid, answer, reason string }{
			{"q9", "Hi", `answer to q9 rejected: there is no question "q9"; the open questions are q1`},
			{"q1", " ", "answer to q1 rejected: the answer to q1 is empty"},
		} {
			r := d.eaapl(t, "answer", id, bad.qid, bad.answer)
			if r.code != 1 || !strings.Contains(r.stderr, bad.reason) {
				t.Errorf("eaapl answer %s %q: %s\nwant exit code 1 and %q", bad.qid, bad.answer, r, bad.reason)
			}
		}
		// Another user may not answer: the worker's EAAPL_APPROVERS is empty, and the owner is who ran it.
		if r := d.eaaplWith(t, []string{"EAAPL_USER_ID=mallory@attacker"}, "answer", id, "q1", "Hi from mallory"); r.code != 1 || !strings.Contains(r.stderr, "mallory@attacker may not answer this program") {
			t.Errorf("mallory's eaapl answer: %s, want it refused", r)
		}
		// An answer too large is refused before it is sent, quoting only its start.
		if r := d.eaapl(t, "answer", id, "q1", strings.Repeat("x", 70000)); r.code != 1 || !strings.Contains(r.stderr, "…(70,000 bytes) is too long") || len(r.stderr) > 400 {
			t.Errorf("a 70,000-byte answer: %s, want it refused with an excerpt", r)
		}
		r := d.eaapl(t, "answer", id, "q1", "Lunch at noon?")
		if r.code != 0 || !strings.Contains(r.stdout, "q1 answered: Lunch at noon?") {
			t.Fatalf("eaapl answer: %s", r)
		}
		if err := run.Wait(); err != nil {
			t.Fatalf("eaapl run: %v\n--- stdout:\n%s--- stderr:\n%s", err, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "Question q1 (step compose)") {
			t.Errorf("eaapl run did not show the question while it waited:\n%s", stderr.String())
		}
		if !sentTo("dave@example.com").MatchString(stdout.String()) {
			t.Errorf("eaapl run did not send to dave:\n%s", stdout.String())
		}
		if r := d.eaapl(t, "answer", id, "q1", "Again"); r.code != 1 || !strings.Contains(r.stderr, "already completed") {
			t.Errorf("an answer to a finished program: %s, want it refused", r)
		}
		// eaapl audit: who started it and who answered what, and no mallory among them.
		a := d.eaapl(t, "audit", id)
		for _, want := range []string{"Program  " + id + " (completed)", "Text     sha256 ", "Plan     sha256 ", `q1       The program does not say`, `"Lunch at noon?", ` + owner + ` by update at `} {
			if !strings.Contains(a.stdout, want) {
				t.Errorf("eaapl audit does not show %q:\n%s", want, a)
			}
		}
		if a.code != 0 || !strings.Contains(a.stdout, "Owner    "+owner+", started ") || strings.Contains(a.stdout, "mallory") {
			t.Errorf("eaapl audit: %s, want owner %s and no mallory (an update refused by the validator is in no history)", a, owner)
		}
		// The ID of a program that has ended is refused, and --allow-reuse runs it without sending twice.
		if r := d.eaapl(t, "run", "--id", id, "Send 'Again' to dave@example.com"); r.code != 1 || !strings.Contains(r.stderr, "not started: a program with the ID "+id+" exists already") {
			t.Errorf("eaapl run with a used --id: %s, want it refused", r)
		}
	})

	// Three contacts, an approval threshold of 2.
	gate := []string{"EAAPL_APPROVAL_THRESHOLD=2", "EAAPL_QUESTION_TIMEOUT=2s"}
	t.Run("YesApprovesInAdvance", func(t *testing.T) {
		r := d.eaaplWith(t, gate, "run", "--yes", "Send 'Approved' to all my contacts")
		if r.code != 0 || strings.Contains(r.stderr, "Question") {
			t.Fatalf("eaapl run --yes: %s, want no question", r)
		}
		for _, who := range []string{"alice@example.com", "bob@example.com", "carol@example.com"} {
			if !sentTo(who).MatchString(r.stdout) {
				t.Errorf("not sent to %s:\n%s", who, r.stdout)
			}
		}
	})
	t.Run("WithoutYesNothingIsSentWhenNobodyApproves", func(t *testing.T) {
		r := d.eaaplWith(t, gate, "run", "Send 'Not approved' to all my contacts")
		if r.code != 0 {
			t.Fatalf("eaapl run: %s", r)
		}
		for _, want := range []string{"would run SendEmail 3 times", "Without an answer within 2s: skip."} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("eaapl run did not show %q:\n%s", want, r.stderr)
			}
		}
		if !strings.Contains(r.stdout, "not approved: q1 had no answer within 2s") || sentTo("alice@example.com").MatchString(r.stdout) {
			t.Errorf("want the send step skipped as not approved, nothing sent:\n%s", r.stdout)
		}
	})
}
