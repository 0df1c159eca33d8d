package modelled_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/text/modelled"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/model"
	"github.com/eaapl/eaapl/internal/testenv"
)

const apiKey = "sk-modelled-test-0123456789"

// run runs a text command on the model-backed analyzer, against a fake OpenAI-compatible server on
// loopback that gives the answers, through the real go-openai client.
func run(t *testing.T, maxInput int, command string, params map[string]any, answers ...testenv.ModelAnswer) (map[string]any, *testenv.FakeModel, error) {
	t.Helper()
	f := testenv.NewFakeModel(t, answers...)
	a := modelled.Analyzer{Model: model.New(model.Settings{APIKey: apiKey, BaseURL: f.URL, Model: "gpt-x", Timeout: 5 * time.Second}), Name: "gpt-x", MaxInput: maxInput}
	c := &activities.Commands{Deps: catalog.Deps{text.Deps{Analyzer: a}}}
	res, err := c.Run(context.Background(), catalog.Task{TaskID: "t1", Command: command, Parameters: params})
	return res.Output, f, err
}

// userMessage is the data part of the request the fake model received.
func userMessage(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		Messages []struct{ Role, Content string } `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Messages) != 2 {
		t.Fatalf("request %s: %v", body, err)
	}
	return r.Messages[1].Content
}

func apiError(status int, msg string, header map[string]string) testenv.ModelAnswer {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "error"}})
	return testenv.ModelAnswer{Status: status, Body: b, Header: header}
}

const doc = "# Q3\n\nRevenue grew in every month of the quarter. The team hired two engineers. Costs were flat.\n"

func TestSummarizeWithTheModel(t *testing.T) {
	out, f, err := run(t, 10000, "Summarize", map[string]any{"text": doc, "sentences": 2},
		testenv.ChatAnswer(`{"sentences": ["Revenue rose all quarter.", "Two engineers joined."]}`))
	if err != nil {
		t.Fatal(err)
	}
	if out["summary"] != "Revenue rose all quarter. Two engineers joined." || out["method"] != "model:gpt-x" || out["of"] != 3 {
		t.Errorf("output %v, want the model's two sentences, method model:gpt-x, of 3", out)
	}
	if got := userMessage(t, f.Requests()[0]); !strings.Contains(got, "<document>\n"+doc) {
		t.Errorf("the model was sent %q, want the document between the marks", got)
	}
	if out["note"] != "" {
		t.Errorf("note %q for a text that was not cut", out["note"])
	}
}

func TestALongTextIsCutWithANote(t *testing.T) {
	long := strings.Repeat("é word. ", 2000) // 18,000 bytes, two-byte characters
	out, f, err := run(t, 1001, "Summarize", map[string]any{"text": long}, testenv.ChatAnswer(`{"sentences": ["Words."]}`))
	if err != nil {
		t.Fatal(err)
	}
	sent := userMessage(t, f.Requests()[0])
	body := strings.TrimSuffix(strings.TrimPrefix(sent, "<document>\n"), "\n</document>")
	if len(body) > 1001 || len(body) < 990 || !strings.HasPrefix(long, body) {
		t.Errorf("sent %d bytes, want the first 1001 or fewer, cut at a character", len(body))
	}
	if note, _ := out["note"].(string); !strings.Contains(note, "EAAPL_TEXT_MODEL_MAX_BYTES") || !strings.Contains(note, "18000") {
		t.Errorf("note %q, want one naming the size and the setting", note)
	}
}

func TestExtractKeepsTheNamedFieldsAsStrings(t *testing.T) {
	out, _, err := run(t, 10000, "Extract", map[string]any{"text": "Invoice 7, total $40, due May 3", "fields": []any{"total", "due date", "customer"}},
		testenv.ChatAnswer(`{"fields": {"total": 40, "due date": "May 3", "customer": null, "password": "hunter2", "steps": {"x": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	values := out["values"].(map[string]string)
	if len(values) != 2 || values["total"] != "40" || values["due date"] != "May 3" || out["found"] != 2 {
		t.Errorf("values %v, want total and due date only, as strings", values)
	}
	if fields := out["fields"].([]text.Field); len(fields) != 3 || fields[2].Found {
		t.Errorf("fields %+v, want the three asked for, customer not found", fields)
	}
}

func TestClassifyTakesAGivenLabelOnly(t *testing.T) {
	labels := []any{"invoice", "complaint"}
	t.Run("OneOfTheLabels", func(t *testing.T) {
		out, _, err := run(t, 10000, "Classify", map[string]any{"text": "Please pay", "labels": labels}, testenv.ChatAnswer(`{"label": "Invoice", "reason": "asks for payment"}`))
		if err != nil || out["label"] != "invoice" || out["method"] != "model:gpt-x" {
			t.Fatalf("output %v, %v; want the label invoice, as given", out, err)
		}
	})
	t.Run("NoneIsNoLabel", func(t *testing.T) {
		out, _, err := run(t, 10000, "Classify", map[string]any{"text": "Hello", "labels": labels}, testenv.ChatAnswer(`{"label": null, "reason": "a greeting"}`))
		if err != nil || out["label"] != "" || out["reason"] != "a greeting" {
			t.Fatalf("output %v, %v; want no label with the model's reason", out, err)
		}
	})
	t.Run("AMadeUpLabelIsAnError", func(t *testing.T) {
		_, _, err := run(t, 10000, "Classify", map[string]any{"text": "x", "labels": labels}, testenv.ChatAnswer(`{"label": "urgent; also email everyone"}`))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != text.ModelRefused || !ae.NonRetryable() || !strings.Contains(err.Error(), "not one of invoice, complaint") {
			t.Fatalf("error %v, want a non-retryable ModelRefused naming the labels", err)
		}
	})
}

func TestModelFailures(t *testing.T) {
	params := map[string]any{"text": doc}
	t.Run("RateLimitIsRetriedAfterTheServersRetryAfter", func(t *testing.T) {
		_, _, err := run(t, 10000, "Summarize", params, apiError(http.StatusTooManyRequests, "slow down", map[string]string{"Retry-After": "3"}))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != text.ModelRetryLater || ae.NonRetryable() || ae.NextRetryDelay() != 3*time.Second {
			t.Fatalf("error %#v, want a retryable ModelRetryLater with NextRetryDelay 3s", err)
		}
	})
	t.Run("AHugeRetryAfterIsBounded", func(t *testing.T) {
		_, _, err := run(t, 10000, "Summarize", params, apiError(http.StatusServiceUnavailable, "down", map[string]string{"Retry-After": "86400"}))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.NextRetryDelay() != 5*time.Minute {
			t.Fatalf("error %#v, want NextRetryDelay bounded to 5m", err)
		}
	})
	t.Run("ABadKeyIsNotRetriedAndNotShown", func(t *testing.T) {
		_, _, err := run(t, 10000, "Extract", map[string]any{"text": doc, "fields": []any{"total"}}, apiError(http.StatusUnauthorized, "Incorrect API key provided: "+apiKey, nil))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrUnauthorized || !ae.NonRetryable() {
			t.Fatalf("error %#v, want a non-retryable Unauthorized", err)
		}
		if strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), "sk-mod") {
			t.Errorf("error %q holds the key", err)
		}
	})
	t.Run("AnotherClientErrorIsNotRetried", func(t *testing.T) {
		_, _, err := run(t, 10000, "Classify", map[string]any{"text": doc, "labels": []any{"a", "b"}}, apiError(http.StatusRequestEntityTooLarge, "too large", nil))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != text.ModelRefused || !ae.NonRetryable() || !strings.Contains(err.Error(), "413") {
			t.Fatalf("error %v, want a non-retryable ModelRefused naming the 413", err)
		}
	})
	t.Run("AnAnswerThatIsNotJSONIsRetried", func(t *testing.T) {
		_, _, err := run(t, 10000, "Summarize", params, testenv.ChatAnswer("Sure! Here is a summary."))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != text.ModelRetryLater || ae.NonRetryable() {
			t.Fatalf("error %v, want a retryable ModelRetryLater", err)
		}
	})
}

func TestTrends(t *testing.T) {
	t.Run("ATableIsComputedWithoutTheModel", func(t *testing.T) {
		out, f, err := run(t, 10000, "AnalyzeTrends", map[string]any{"text": "Jan: 10\nFeb: 20\nMar: 30\n"})
		if err != nil || len(f.Requests()) != 0 || out["count"] != 1 {
			t.Fatalf("output %v, %v after %d requests; want one series, no request", out, err, len(f.Requests()))
		}
	})
	prose := "Revenue was 120 in July, rose to 150 in August and reached 190 in September."
	t.Run("TheModelFindsTheSeriesInProseAndTheyAreComputed", func(t *testing.T) {
		out, _, err := run(t, 10000, "AnalyzeTrends", map[string]any{"text": prose},
			testenv.ChatAnswer(`{"series": [{"name": "Revenue", "points": [{"label": "July", "value": 120}, {"label": "August", "value": 150}, {"label": "September", "value": 190}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		tr := out["trends"].([]text.Trend)
		if len(tr) != 1 || tr[0].Direction != "up" || tr[0].Change != 70 || tr[0].Slope != 35 || tr[0].Method != "model:gpt-x+least-squares" {
			t.Errorf("trends %+v, want revenue up 70, slope 35, found by the model", tr)
		}
	})
	t.Run("ANumberTheTextDoesNotHaveDropsTheSeries", func(t *testing.T) {
		out, _, err := run(t, 10000, "AnalyzeTrends", map[string]any{"text": prose},
			testenv.ChatAnswer(`{"series": [{"name": "Revenue", "points": [{"label": "July", "value": 120}, {"label": "August", "value": 999}]}]}`))
		if err != nil || out["count"] != 0 {
			t.Fatalf("output %v, %v; want no series: 999 is not in the text", out, err)
		}
	})
}
