package model_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/model"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/internal/usage"
)

const key = "sk-test-0123456789abcdef"

func client(f *testenv.FakeModel, timeout time.Duration) *model.Client {
	return model.New(model.Settings{APIKey: key, BaseURL: f.URL, Model: "gpt-x", Timeout: timeout})
}

func apiError(status int, msg string) testenv.ModelAnswer {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "error"}})
	return testenv.ModelAnswer{Status: status, Body: b}
}

func TestComplete(t *testing.T) {
	ctx := context.Background()
	t.Run("ReturnsTheAnswerAndSendsTheQuestion", func(t *testing.T) {
		f := testenv.NewFakeModel(t, testenv.ChatAnswer(`{"ok": true}`))
		got, err := client(f, 5*time.Second).Complete(ctx, model.Request{System: "task", User: "the data", MaxTokens: 50, JSON: true})
		if err != nil || got != `{"ok": true}` {
			t.Fatalf("Complete = %q, %v", got, err)
		}
		req := f.Requests()[0]
		for _, want := range []string{`"model":"gpt-x"`, "the data", `"max_tokens":50`, `"json_object"`} {
			if !strings.Contains(req, want) {
				t.Errorf("request %s lacks %s", req, want)
			}
		}
	})
	t.Run("RateLimitIsTemporaryWithTheServersRetryAfter", func(t *testing.T) {
		a := apiError(http.StatusTooManyRequests, "Rate limit reached")
		a.Header = map[string]string{"Retry-After": "7"}
		f := testenv.NewFakeModel(t, a)
		_, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x"})
		var me *model.Error
		if !errors.As(err, &me) || !me.Temporary || me.RetryAfter != 7*time.Second || me.Status != 429 {
			t.Fatalf("error %#v, want a temporary 429 to retry after 7s", err)
		}
	})
	t.Run("ServerErrorIsTemporary", func(t *testing.T) {
		f := testenv.NewFakeModel(t, apiError(http.StatusBadGateway, "upstream"))
		_, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x"})
		var me *model.Error
		if !errors.As(err, &me) || !me.Temporary || me.RetryAfter != 0 {
			t.Fatalf("error %#v, want a temporary 502", err)
		}
	})
	t.Run("ABadKeyIsNotRetriedAndTheKeyIsNotInTheError", func(t *testing.T) {
		// OpenAI's 401 echoes the key, part masked; a proxy may echo all of it.
		f := testenv.NewFakeModel(t, apiError(http.StatusUnauthorized, "Incorrect API key provided: "+key+" (sk-te************cdef)"))
		_, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x"})
		var me *model.Error
		if !errors.As(err, &me) || me.Temporary || me.Status != 401 {
			t.Fatalf("error %#v, want a permanent 401", err)
		}
		if strings.Contains(err.Error(), "sk-te") || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
			t.Errorf("error %q must not hold the key and must name OPENAI_API_KEY", err)
		}
	})
	t.Run("AnUnknownModelSaysWhichSetting", func(t *testing.T) {
		f := testenv.NewFakeModel(t, apiError(http.StatusNotFound, "The model `gpt-x` does not exist"))
		_, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x"})
		var me *model.Error
		if !errors.As(err, &me) || me.Temporary || !strings.Contains(err.Error(), "EAAPL_TEXT_MODEL") {
			t.Fatalf("error %v, want a permanent error naming EAAPL_TEXT_MODEL", err)
		}
	})
	t.Run("ASlowServerTimesOutAsTemporary", func(t *testing.T) {
		a := testenv.ChatAnswer("late")
		a.Delay = "2s"
		f := testenv.NewFakeModel(t, a)
		start := time.Now()
		_, err := client(f, 200*time.Millisecond).Complete(ctx, model.Request{User: "x"})
		var me *model.Error
		if !errors.As(err, &me) || !me.Temporary || time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("error %v after %s, want a temporary timeout within the 200ms", err, time.Since(start))
		}
	})
	t.Run("AServerWithoutJSONModeIsAskedAgainWithoutIt", func(t *testing.T) {
		f := testenv.NewFakeModel(t, apiError(http.StatusBadRequest, "response_format is not supported"), testenv.ChatAnswer("{}"))
		got, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x", JSON: true})
		if err != nil || got != "{}" || len(f.Requests()) != 2 || strings.Contains(f.Requests()[1], "response_format") {
			t.Fatalf("Complete = %q, %v after %d requests", got, err, len(f.Requests()))
		}
	})
	t.Run("AHugeAnswerIsCut", func(t *testing.T) {
		f := testenv.NewFakeModel(t, testenv.ChatAnswer(strings.Repeat("a", model.MaxAnswerBytes+100)))
		got, err := client(f, 5*time.Second).Complete(ctx, model.Request{User: "x"})
		if err != nil || len(got) != model.MaxAnswerBytes {
			t.Fatalf("answer of %d bytes, %v; want %d", len(got), err, model.MaxAnswerBytes)
		}
	})
}

func TestHost(t *testing.T) {
	for base, want := range map[string]string{"": "api.openai.com", "http://127.0.0.1:11434/v1": "127.0.0.1:11434", "https://x.openai.azure.com/": "x.openai.azure.com"} {
		if got := (model.Settings{BaseURL: base}).Host(); got != want {
			t.Errorf("Host of %q = %q, want %q", base, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "soon": 0, now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second} {
		if got := model.ParseRetryAfter(v, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

// TestCompleteAddsTheTokensToTheTask: the tokens each answer reports go to the measure of the task whose
// context the request had, a JSON-mode retry's refusal adds none, and a request outside a task is fine.
func TestCompleteAddsTheTokensToTheTask(t *testing.T) {
	refused := apiError(http.StatusBadRequest, "response_format is not supported")
	f := testenv.NewFakeModel(t, testenv.ChatAnswer(`{"a": 1}`), refused, testenv.ChatAnswer(`{"b": 2}`), testenv.ChatAnswer(`{}`))
	c := client(f, 5*time.Second)
	var m usage.Meter
	span := m.Start()
	ctx := usage.WithSpan(context.Background(), span)
	for _, jsonMode := range []bool{false, true} { // the second is refused its JSON mode, then answered
		if _, err := c.Complete(ctx, model.Request{User: "x", JSON: jsonMode}); err != nil {
			t.Fatal(err)
		}
	}
	if used := span.Stop(); used.ModelPromptTokens != 200 || used.ModelCompletionTokens != 40 {
		t.Errorf("the task spent %d/%d tokens, want 200/40: two answers of 100/20", used.ModelPromptTokens, used.ModelCompletionTokens)
	}
	if _, err := c.Complete(context.Background(), model.Request{User: "x"}); err != nil {
		t.Fatalf("a request outside a task: %v", err)
	}
}
