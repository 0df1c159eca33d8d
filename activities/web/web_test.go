package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/web"
	"github.com/eaapl/eaapl/activities/web/httpfetch"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/fetch"
)

// FetchURL runs as a worker runs it, through the real adapter, against a real server on loopback.
func TestFetchURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<title>Status</title><p>All good.</p>")
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	run := func(allow, url string) (catalog.TaskResult, error) {
		a, err := fetch.ParseAllow(allow)
		if err != nil {
			t.Fatal(err)
		}
		c := &activities.Commands{Deps: catalog.Deps{web.Deps{Fetcher: httpfetch.Fetcher{Client: fetch.New(fetch.Config{Allow: a})}}}}
		return c.Run(context.Background(), catalog.Task{TaskID: "t1", Command: web.FetchURL.Name, Parameters: map[string]any{"url": url}})
	}
	appErr := func(t *testing.T, err error) *temporal.ApplicationError {
		t.Helper()
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v is not an application error", err)
		}
		return ae
	}

	t.Run("APageAllowedThroughTheGuard", func(t *testing.T) {
		res, err := run("127.0.0.1", srv.URL+"/status")
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["title"] != "Status" || !strings.Contains(res.Output["text"].(catalog.Content).Text, "All good.") {
			t.Errorf("output %v", res.Output)
		}
	})
	t.Run("LoopbackNotAllowedIsRefusedForGood", func(t *testing.T) {
		_, err := run("", srv.URL+"/status")
		if ae := appErr(t, err); ae.Type() != catalog.ErrInvalidArgument || !ae.NonRetryable() || !strings.Contains(err.Error(), "EAAPL_HTTP_ALLOW") {
			t.Errorf("error %v, want a non-retryable refusal naming EAAPL_HTTP_ALLOW", err)
		}
	})
	t.Run("429WaitsTheServersRetryAfter", func(t *testing.T) {
		_, err := run("127.0.0.1", srv.URL+"/busy")
		ae := appErr(t, err)
		if ae.Type() != web.HTTPRetryLater || ae.NonRetryable() || ae.NextRetryDelay() != 7*time.Second {
			t.Errorf("error %v (%s, retry in %s), want a retryable %s after 7s", err, ae.Type(), ae.NextRetryDelay(), web.HTTPRetryLater)
		}
	})
	t.Run("5xxIsRetried", func(t *testing.T) {
		_, err := run("127.0.0.1", srv.URL+"/down")
		if ae := appErr(t, err); ae.NonRetryable() || ae.Type() != web.HTTPRetryLater {
			t.Errorf("error %v, want retryable", err)
		}
	})
	t.Run("4xxIsNotRetried", func(t *testing.T) {
		_, err := run("127.0.0.1", srv.URL+"/gone")
		if ae := appErr(t, err); !ae.NonRetryable() || ae.Type() != catalog.ErrInvalidArgument {
			t.Errorf("error %v, want non-retryable", err)
		}
	})
}
