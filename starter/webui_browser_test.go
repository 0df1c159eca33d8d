package starter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestWebUIListShowsTheProgram opens the Temporal Web UI of a dev server started as `eaapl dev` starts
// it, in headless Chromium, and finds a program by its English text in the workflow list, where before
// there were only program-20261201-... IDs.
func TestWebUIListShowsTheProgram(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := testenv.TemporalWithUI(t, ctx)
	c := dialTemporal(t, srv.Address)
	s := &Starter{Client: c, TaskQueue: "nobody", Warn: func(w string) { t.Errorf("unexpected warning: %s", w) }}
	program := "Send an email to my contact Ann Lee that says 'Lunch on Friday?'"
	run, err := s.Start(ctx, NewWorkflowID(time.Now()), workflows.Input{Program: program})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()

	browser := testenv.Browser(t)
	pageCtx, cancelPage := context.WithTimeout(browser, 2*time.Minute) // the UI is a big page for a loaded machine
	defer cancelPage()
	// The column a person adds once with the list's "Configure Columns" (the UI keeps the choice in the
	// browser's local storage, under the key set here), the first after the pinned Status and Workflow ID.
	list := srv.UIURL + "/namespaces/default/workflows"
	columns := `{"default":[{"label":"Status","pinned":true},{"label":"Workflow ID","pinned":true},{"label":"` + ProgramAttributeName +
		`","pinned":false},{"label":"Type","pinned":false},{"label":"Start","pinned":false},{"label":"End","pinned":false}]}`
	if err := chromedp.Do(pageCtx, chromedp.Navigate(list), testenv.WaitForText(run.GetID()),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("localStorage.setItem('namespace-workflow-table-columns', %q)", columns)),
		chromedp.Reload(), testenv.WaitForText(program)); err != nil {
		t.Fatalf("the Web UI's workflow list (%s) does not show the program's text: %v; it shows:\n%s", list, err, testenv.PageText(browser))
	}

	// The program's own page shows it too: its summary and details are under User Metadata.
	page := srv.UIURL + "/namespaces/default/workflows/" + run.GetID()
	if err := chromedp.Do(pageCtx, chromedp.Navigate(page), testenv.WaitForText(run.GetID()),
		chromedp.Click(chromedp.Search(`//*[normalize-space(text())="User Metadata"]`)), testenv.WaitForText("Program "+program)); err != nil {
		t.Fatalf("the program's page (%s) does not show its text: %v; it shows:\n%s", page, err, testenv.PageText(browser))
	}
}

func dialTemporal(tb testing.TB, addr string) client.Client {
	tb.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}
