package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"
)

// ModelAnswer is one recorded answer of an OpenAI-compatible server: the HTTP status and body, and how long
// the server takes to send it.
type ModelAnswer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
	Delay  string          `json:"delay,omitempty"` // Go duration text
	// Header is sent with the answer, e.g. {"Retry-After": "2"}.
	Header map[string]string `json:"header,omitempty"`
}

// ChatAnswer is a 200 answer whose message is content, with a token count.
func ChatAnswer(content string) ModelAnswer {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": 1795642800, "model": "fake-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}},
		"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	})
	return ModelAnswer{Status: http.StatusOK, Body: b}
}

// FakeModel is an OpenAI-compatible chat completions server (net/http/httptest) that answers from recorded
// answers, in order, and records every request it receives, so that a test can see exactly what a model
// would have been told. Past the last answer it answers 500.
type FakeModel struct {
	URL string // the base URL, as OPENAI_BASE_URL: http://127.0.0.1:port/v1

	mu       sync.Mutex
	answers  []ModelAnswer
	requests []string
}

// NewFakeModel starts a fake model server answering with the given answers; it stops when the test ends.
func NewFakeModel(tb testing.TB, answers ...ModelAnswer) *FakeModel {
	tb.Helper()
	f := &FakeModel{answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL + "/v1"
	return f
}

// ReadModelAnswers reads recorded answers from a JSON file: a list of ModelAnswer.
func ReadModelAnswers(tb testing.TB, path string) []ModelAnswer {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var answers []ModelAnswer
	if err := json.Unmarshal(b, &answers); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return answers
}

func (f *FakeModel) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, string(body))
	n := len(f.requests)
	var a ModelAnswer
	if n <= len(f.answers) {
		a = f.answers[n-1]
	} else {
		a = ModelAnswer{Status: http.StatusInternalServerError, Body: json.RawMessage(`{"error":{"message":"the fake model has no more recorded answers","type":"server_error"}}`)}
	}
	f.mu.Unlock()
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, fmt.Sprintf(`{"error":{"message":"no route %s %s","type":"invalid_request_error"}}`, r.Method, r.URL.Path), http.StatusNotFound)
		return
	}
	if d, err := time.ParseDuration(a.Delay); err == nil {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.Status)
	w.Write(a.Body)
}

// Requests returns the bodies of the requests received so far.
func (f *FakeModel) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}
