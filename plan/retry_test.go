package plan_test

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

func TestRetryPolicy(t *testing.T) {
	send, _ := catalog.Lookup("SendEmail")
	t.Run("KeepsTheCatalogsPolicyWithoutOverride", func(t *testing.T) {
		c := mustCompile(t, readFile(t, helloWorld))
		if got, want := c.RetryPolicy("send"), send.Retry; got != want {
			t.Fatalf("RetryPolicy = %+v, want the catalog's %+v", got, want)
		}
	})
	t.Run("OverridesOnlyTheFieldsGiven", func(t *testing.T) {
		src := edit(t, readFile(t, helloWorld), `"command": "SendEmail",`, `"command": "SendEmail", "retry": {"maximum_attempts": 9, "initial_interval": "250ms"},`)
		got := mustCompile(t, src).RetryPolicy("send")
		want := send.Retry
		want.MaximumAttempts, want.InitialInterval = 9, 250*time.Millisecond
		if got != want {
			t.Fatalf("RetryPolicy = %+v, want %+v", got, want)
		}
	})
}
