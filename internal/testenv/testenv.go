// Package testenv starts the real parts that integration tests run against: the Temporal CLI's dev server
// and Mailpit, from the binaries `make tools` builds into bin/, each on free loopback ports with throwaway
// data, stopped when the test ends.
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/testenv/tools"
)

// Root returns the module's root folder, where go.mod is.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := tools.Root()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Bin returns the path of a tool the Makefile provides (see package tools), failing the test at once with
// the make target to run when it is missing.
func Bin(tb testing.TB, name string) string {
	tb.Helper()
	return tools.Path(tb, name)
}

// Temporal starts a Temporal dev server (the official CLI) for the test and returns it; it is stopped when
// the test ends.
func Temporal(tb testing.TB) *testsuite.DevServer {
	tb.Helper()
	// A free port is only free until someone takes it: the server's UI port (its port + 1000) may be
	// taken by a test running beside this one, and then the server never listens. One more try, on
	// other ports, ends that; its output says what went wrong when both fail.
	bin := Bin(tb, "temporal")
	var lastErr error
	var logPath string
	for try := range 2 {
		logPath = filepath.Join(tb.TempDir(), fmt.Sprintf("temporal-%d.log", try))
		srv, err := startTemporal(bin, logPath)
		if err == nil {
			tb.Cleanup(func() { _ = srv.Stop() })
			return srv
		}
		lastErr = err
		tb.Logf("start the Temporal dev server: %v; trying again on other ports", err)
	}
	out, _ := os.ReadFile(logPath)
	tb.Fatalf("start the Temporal dev server: %v\n%s", lastErr, out)
	return nil
}

// TemporalWithUI starts a Temporal dev server with its Web UI, as `eaapl dev` starts it (devstack), for
// the test; it is stopped when the test ends. ctx bounds the start.
func TemporalWithUI(tb testing.TB, ctx context.Context) *devstack.Temporal {
	tb.Helper()
	srv, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{Bin: Bin(tb, "temporal")})
	if err != nil {
		tb.Fatalf("start the Temporal dev server with its Web UI: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	return srv
}

// startTemporal starts the dev server on free ports, its output going to the file at logPath.
func startTemporal(bin, logPath string) (*testsuite.DevServer, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the server has its own copy of the descriptor
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: bin,
		ClientOptions: &client.Options{
			HostPort: "", // a free port
			Logger:   sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
			// As the CLI's clients: starts and answers carry the caller's identity, and workers read it.
			ContextPropagators: []workflow.ContextPropagator{identity.Propagator()},
		},
		LogLevel:  "error",
		ExtraArgs: devstack.SearchAttributeArgs(), // as the dev stack's server has them
		Stdout:    log,
		Stderr:    log,
	})
}

// Mailpit starts Mailpit for the test with an empty mailbox, with extra command-line arguments if any; it
// is stopped when the test ends.
func Mailpit(tb testing.TB, extraArgs ...string) *devstack.Mailpit {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := devstack.StartMailpit(ctx, devstack.MailpitOptions{Bin: Bin(tb, "mailpit"), DataDir: tb.TempDir(), ExtraArgs: extraArgs})
	if err != nil {
		tb.Fatalf("start Mailpit: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
	})
	return m
}

// Message is an email as Mailpit holds it.
type Message struct {
	ID        string
	MessageID string
	From      string
	To        []string
	Subject   string
	Text      string
}

// Messages returns every message in the mailbox that matches a Mailpit search query ("" for all), with
// its text.
func Messages(tb testing.TB, m *devstack.Mailpit, query string) []Message {
	tb.Helper()
	var list struct {
		Messages []struct {
			ID        string
			MessageID string
			From      struct{ Address string }
			To        []struct{ Address string }
			Subject   string
		} `json:"messages"`
	}
	path := "/api/v1/messages?limit=10000"
	if query != "" {
		path = "/api/v1/search?limit=10000&query=" + url.QueryEscape(query)
	}
	getJSON(tb, m.APIURL+path, &list)
	var out []Message
	for _, msg := range list.Messages {
		var full struct{ Text string }
		getJSON(tb, m.APIURL+"/api/v1/message/"+msg.ID, &full)
		to := make([]string, len(msg.To))
		for i, a := range msg.To {
			to[i] = a.Address
		}
		out = append(out, Message{ID: msg.ID, MessageID: msg.MessageID, From: msg.From.Address, To: to, Subject: msg.Subject, Text: full.Text})
	}
	return out
}

func getJSON(tb testing.TB, u string, v any) {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("GET %s: %s: %s", u, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
}

// WriteFile writes a file in a temporary folder and returns its path.
func WriteFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(fmt.Errorf("write %s: %w", name, err))
	}
	return path
}
