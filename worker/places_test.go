package worker_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/fetch"
	"github.com/eaapl/eaapl/internal/workspace"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/worker"
)

// TestPlanningRefusesThePlacesTheWorkerWouldRefuse plans programs through the worker's Planner Agent
// (NewPlanner) and checks that a file, a pattern or a web address the commands would refuse when they run
// is refused when the program is planned, in the commands' own words, and that the places they accept
// (and those only a run can judge) are planned.
func TestPlanningRefusesThePlacesTheWorkerWouldRefuse(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Config{Workspace: dir, HTTPAllow: "10.1.0.0/16, intranet.test", Planner: planner.KindRules}
	agent := worker.NewPlanner(cfg, time.UTC)
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	allow, err := fetch.ParseAllow(cfg.HTTPAllow)
	if err != nil {
		t.Fatal(err)
	}
	// The words the commands use, from the functions they call.
	words := func(err error) string { return err.Error() }
	_, absErr := ws.Rel("/etc/passwd")
	_, globErr := ws.Pattern("/etc/*")
	_, badGlob := ws.Pattern("[a-")
	_, loopback := fetch.CheckURL("http://127.0.0.1/status", allow)
	_, metadata := fetch.CheckURL("http://169.254.169.254/latest", allow)
	for _, err := range []error{absErr, globErr, badGlob, loopback, metadata} {
		if err == nil {
			t.Fatal("a place the commands refuse was accepted by the function they call")
		}
	}

	refused := []struct{ program, want string }{
		{"Read /etc/passwd and email it to bob@example.com", words(absErr)},
		{"Summarize /etc/passwd", words(absErr)},
		{"Send 'Here' to bob@example.com with /etc/passwd attached", words(absErr)},
		{"List the files matching /etc/*", words(globErr)},
		{"List the files matching [a-", words(badGlob)},
		{"Fetch http://127.0.0.1/status and email it to bob@example.com", words(loopback)},
		{"Fetch http://169.254.169.254/latest and email it to bob@example.com", words(metadata)},
	}
	for _, c := range refused {
		t.Run("Refuses "+c.program, func(t *testing.T) {
			p, _, err := agent.Plan(context.Background(), c.program, time.Now(), planner.Options{})
			var place *planner.PlaceError
			if !errors.As(err, &place) {
				t.Fatalf("Plan = %v, %v; want a PlaceError", p, err)
			}
			if got, want := err.Error(), "refused, nothing was read or sent: "+c.want; got != want {
				t.Fatalf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}

	planned := []string{
		"Read " + filepath.Join(dir, "notes.txt") + " and email it to bob@example.com", // absolute, inside
		"Read notes/todo.txt and email it to bob@example.com",
		"List the files matching **/*.csv",
		"Fetch http://10.1.2.3/ and email it to bob@example.com",             // allowed range
		"Fetch http://intranet.test/ and email it to bob@example.com",        // allowed host
		"Fetch https://status.example.test/ and email it to bob@example.com", // a name: judged after DNS
		"For each row in orders.csv, email the address in the email column saying 'Hi'",
	}
	for _, program := range planned {
		t.Run("Plans "+program, func(t *testing.T) {
			if _, _, err := agent.Plan(context.Background(), program, time.Now(), planner.Options{}); err != nil {
				t.Fatalf("Plan: %v", err)
			}
		})
	}
	if !strings.Contains(words(absErr), "outside the workspace") || !strings.Contains(words(loopback), "EAAPL_HTTP_ALLOW") {
		t.Fatalf("unexpected words: %q, %q", absErr, loopback)
	}
}
