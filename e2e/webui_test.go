package e2e_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestFollowAProgramInTheWebUI follows a program as a person does, in headless Chromium: its page in the
// Temporal Web UI shows what it planned, its steps named as the plan names them and the question it
// asks; the question is answered from the UI's own form; and the email it then sends is in Mailpit.
func TestFollowAProgramInTheWebUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv := testenv.TemporalWithUI(t, ctx)
	c := dialTemporal(t, srv.Address)
	mailpit := testenv.Mailpit(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TaskQueue = "e2e-webui"
	cfg.Contacts = testenv.WriteFile(t, "contacts.vcf", johnsAndAnn)
	cfg.SMTPAddr, cfg.MailboxURL = mailpit.SMTPAddr, mailpit.APIURL
	cfg.Planner = "rules"
	cfg.AnswersWithoutIdentity = true // the Web UI's update carries no eaapl-identity header
	startWorker(t, c, cfg)
	st := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}

	const id = "webui-which-john"
	run, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Lunch on Friday?' to my contact John"})
	if err != nil {
		t.Fatal(err)
	}
	waitForQuestion(t, ctx, c, run)

	browser := testenv.Browser(t)
	pageCtx, cancelPage := context.WithTimeout(browser, 3*time.Minute)
	defer cancelPage()
	page := srv.UIURL + "/namespaces/default/workflows/" + id
	if err := chromedp.Do(pageCtx, chromedp.Navigate(page), testenv.WaitForText(id)); err != nil {
		t.Fatalf("open %s: %v", page, err)
	}
	// Its page says what it planned and what it asks, and the timeline names each step as the plan does.
	if err := chromedp.Do(pageCtx, testenv.WaitForText("Plan the program"), testenv.WaitForText("Find your contact John"),
		testenv.WaitForText("Write the message \"Lunch on Friday?\""), testenv.WaitForText("Waiting for your answer to q1: 2 contacts are named John. Which one?")); err != nil {
		t.Fatalf("the program's timeline does not name its steps: %v; it shows:\n%s", err, testenv.PageText(browser))
	}
	if err := chromedp.Do(pageCtx, chromedp.Click(chromedp.Search(`//*[normalize-space(text())="User Metadata"]`)),
		testenv.WaitForText("The plan"), testenv.WaitForText("Open questions"),
		testenv.WaitForText("q1: 2 contacts are named John. Which one?"), testenv.WaitForText("John Doe <jd@example.com>")); err != nil {
		t.Fatalf("the program's current details do not show its plan and question: %v; they show:\n%s", err, testenv.PageText(browser))
	}
	testenv.Screenshot(t, browser, "question")

	// The answer, as the details say: More Actions, Send an Update, answer, and the JSON they give.
	answer := `{"question_id":"q1","answer":"jd@example.com"}`
	for _, step := range []struct{ what, js string }{
		{"open More Actions", clickJS(`button`, "More Actions")},
		{"choose Send an Update", clickJS(`[role=menuitem]`, "Send an Update")},
		{"open the update's names", `(() => { const b = document.querySelector('[data-testid=update-select-button]'); if (b) b.click(); return !!b })()`},
		{"choose answer", clickJS(`#update-select-select [role=option]`, "answer")},
		// A paste, as a person pastes the JSON the details show: typing would meet the editor's
		// closing of brackets and quotes.
		{"paste the answer", fmt.Sprintf(`(() => {
			const ed = document.querySelector('#update-confirmation-modal .cm-content'); if (!ed) return false;
			ed.focus(); const dt = new DataTransfer(); dt.setData('text/plain', %q);
			ed.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); return true })()`, answer)},
		{"submit", `(() => { const b = document.querySelector('#update-confirmation-modal [data-testid=confirm-modal-button]'); if (!b || b.disabled) return false; b.click(); return true })()`},
	} {
		if err := chromedp.Do(pageCtx, chromedp.Poll[chromedp.Void](step.js, chromedp.WithPollingInterval(300*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			testenv.Screenshot(t, browser, "answer")
			t.Fatalf("answering in the Web UI, %s: %v; the page shows:\n%s", step.what, err, testenv.PageText(browser))
		}
	}

	// The program goes on with the answer: one email, to the John chosen.
	var res workflows.Result
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("the program after the Web UI's answer: %v", err)
	}
	if res.State != workflows.StateCompleted {
		t.Fatalf("state %q: %s", res.State, res.Summary)
	}
	if got := testenv.Messages(t, mailpit, "to:jd@example.com subject:\"Lunch on Friday?\""); len(got) != 1 {
		t.Errorf("jd@example.com got %d emails, want 1", len(got))
	}
	if got := testenv.Messages(t, mailpit, "to:john.smith@example.com"); len(got) != 0 {
		t.Errorf("john.smith@example.com got %d emails, want none", len(got))
	}
	qs := questions(t, ctx, c, id)
	if len(qs) != 1 || qs[0].Answer != "jd@example.com" || qs[0].State != workflows.QuestionAnswered {
		t.Errorf("questions after the answer = %+v, want q1 answered jd@example.com", qs)
	}
	// And the send is named for what it did.
	if err := chromedp.Do(pageCtx, chromedp.Navigate(page), testenv.WaitForText("Send 'Lunch on Friday?' to jd@example.com")); err != nil {
		t.Errorf("the timeline does not name the send: %v; it shows:\n%s", err, testenv.PageText(browser))
	}
}

// clickJS is a script that clicks the first element matching selector whose text is text, and says
// whether there was one.
func clickJS(selector, text string) string {
	return fmt.Sprintf(`(() => { const b = Array.from(document.querySelectorAll(%q)).find(b => b.innerText.trim() === %q); if (b) b.click(); return !!b })()`, selector, text)
}

// questions returns the program's questions from its questions query.
func questions(t *testing.T, ctx context.Context, c client.Client, id string) []workflows.Question {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryQuestions)
	if err != nil {
		t.Fatalf("query questions: %v", err)
	}
	var qs []workflows.Question
	if err := v.Get(&qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

// waitForQuestion waits until the program has an open question.
func waitForQuestion(t *testing.T, ctx context.Context, c client.Client, run client.WorkflowRun) workflows.Question {
	t.Helper()
	for {
		v, err := c.QueryWorkflow(ctx, run.GetID(), "", workflows.QueryQuestions)
		if err == nil {
			var qs []workflows.Question
			if v.Get(&qs) == nil && len(qs) > 0 {
				return qs[0]
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no question was asked: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
