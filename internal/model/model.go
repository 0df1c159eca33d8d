// Package model is the adapter to a language model on an OpenAI-compatible chat completions server
// (OpenAI, Azure OpenAI, Ollama, vLLM, a llama.cpp server), through github.com/sashabaranov/go-openai. The
// LLM planner and the model-backed text analysis share its client settings. Complete asks one question
// with bounds: a timeout per request, a cap on the answer's length, and errors that say whether a retry
// helps and after how long (the server's Retry-After), with the API key taken out of every message.
package model

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/eaapl/eaapl/internal/usage"
)

// Settings are a model server's: the same variables configure the planner and the text analysis.
type Settings struct {
	APIKey  string        // empty for servers that need none (Ollama, vLLM, llama.cpp)
	BaseURL string        // e.g. http://127.0.0.1:11434/v1; OpenAI's when empty
	Model   string        // e.g. gpt-4o-mini, or an Azure deployment's name
	Timeout time.Duration // per request to the model
	// APIVersion is the api-version of an Azure OpenAI endpoint (a BaseURL on *.openai.azure.com or
	// *.cognitiveservices.azure.com).
	APIVersion string
}

// OpenAIHost is the host a request goes to when no BaseURL is set.
const OpenAIHost = "api.openai.com"

// Host is where requests go, for people: "api.openai.com", "127.0.0.1:11434".
func (s Settings) Host() string {
	if u, err := url.Parse(strings.TrimRight(s.BaseURL, "/")); err == nil && u.Host != "" {
		return u.Host
	}
	return OpenAIHost
}

// NewOpenAI returns the go-openai client for the settings: one per process, shared by every request.
// Its HTTP client records each answer's Retry-After for Complete.
func NewOpenAI(s Settings) *openai.Client {
	c := openai.DefaultConfig(s.APIKey)
	base := strings.TrimRight(s.BaseURL, "/")
	if u, err := url.Parse(base); err == nil && (strings.HasSuffix(u.Hostname(), ".openai.azure.com") || strings.HasSuffix(u.Hostname(), ".cognitiveservices.azure.com")) {
		c = openai.DefaultAzureConfig(s.APIKey, base)
		if s.APIVersion != "" {
			c.APIVersion = s.APIVersion
		}
	} else if base != "" {
		c.BaseURL = base
	}
	c.HTTPClient = retryAfterDoer{&http.Client{Timeout: s.Timeout}}
	return openai.NewClientWithConfig(c)
}

// ChatClient is the part of go-openai's *openai.Client a Client uses.
type ChatClient interface {
	CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
}

// Client asks one model questions about data: the text analysis's model.
type Client struct {
	Chat     ChatClient
	Settings Settings // the model asked, where, and the key to take out of errors
}

// New returns a Client on its own go-openai client.
func New(s Settings) *Client { return &Client{Chat: NewOpenAI(s), Settings: s} }

// MaxAnswerBytes bounds an answer's text: a summary or a few fields, never a document.
const MaxAnswerBytes = 64 << 10

// Request is one question: the instructions, the data, and the most tokens the answer may have.
type Request struct {
	System    string
	User      string
	MaxTokens int
	JSON      bool // ask for a JSON object (response_format json_object)
}

// Complete asks the model once and returns its answer's text. Its errors are *Error.
func (c *Client) Complete(ctx context.Context, r Request) (string, error) {
	req := openai.ChatCompletionRequest{
		Model: c.Settings.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: r.System},
			{Role: openai.ChatMessageRoleUser, Content: r.User},
		},
		MaxTokens: r.MaxTokens,
	}
	if r.JSON {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	if c.Settings.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Settings.Timeout)
		defer cancel()
	}
	after := new(retryAfter)
	// A server without a JSON mode refuses the format; the answer is parsed leniently anyway.
	resp, _, err := Send(context.WithValue(ctx, retryAfterKey{}, after), c.Chat, req)
	if err != nil {
		return "", c.classify(ctx, err, after.d)
	}
	// Spent whatever the answer says, even a refusal: the task's figures and analytics.data report it.
	usage.AddModelTokens(ctx, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	if len(resp.Choices) == 0 {
		return "", &Error{Msg: "the model's answer has no choices", Temporary: true}
	}
	m := resp.Choices[0].Message
	if m.Refusal != "" {
		return "", &Error{Msg: "the model refused: " + c.redact(m.Refusal)}
	}
	text := m.Content
	if len(text) > MaxAnswerBytes {
		text = text[:MaxAnswerBytes]
	}
	return text, nil
}

// Send asks chat once, and at once again without req's response format when the server refuses that
// format (400, as servers without a JSON mode or without json_schema do); formatRefused says it did, so
// that a caller can stop offering it.
func Send(ctx context.Context, chat ChatClient, req openai.ChatCompletionRequest) (resp openai.ChatCompletionResponse, formatRefused bool, err error) {
	resp, err = chat.CreateChatCompletion(ctx, req)
	if Status(err) == http.StatusBadRequest && req.ResponseFormat != nil {
		req.ResponseFormat = nil
		resp, err = chat.CreateChatCompletion(ctx, req)
		return resp, true, err
	}
	return resp, false, err
}

// Error is a failed request. Temporary errors (429, 408, 409, 5xx, a timeout, no answer) may succeed
// later, after RetryAfter when the server sent one; the others (a bad key, an unknown model, a request
// too large) will not.
type Error struct {
	Status     int // HTTP status, 0 when there was no answer
	Msg        string
	Temporary  bool
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }

// classify turns a go-openai error into an *Error whose message names the server and never the key.
func (c *Client) classify(ctx context.Context, err error, after time.Duration) error {
	host, name := c.Settings.Host(), c.Settings.Model
	code := Status(err)
	if code == 0 {
		// No answer (refused connection, timeout, a task cancelled as its worker stops): another attempt,
		// perhaps on another worker, may get one.
		temp := true
		msg := fmt.Sprintf("the model server at %s did not answer: %v", host, err)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("the model server at %s did not answer within %s (EAAPL_TEXT_MODEL_TIMEOUT)", host, c.Settings.Timeout)
		}
		return &Error{Msg: c.redact(msg), Temporary: temp}
	}
	temp := TemporaryStatus(code)
	msg := fmt.Sprintf("the model server at %s answered %d %s: %s", host, code, http.StatusText(code), detail(err))
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		msg += "; check OPENAI_API_KEY"
	case code == http.StatusNotFound:
		msg += fmt.Sprintf("; check that the server has the model %q (EAAPL_TEXT_MODEL) and that OPENAI_BASE_URL ends in /v1", name)
	case !temp:
		msg += "; retrying would not help"
	}
	return &Error{Status: code, Msg: c.redact(msg), Temporary: temp, RetryAfter: after}
}

// detail is the server's own message, shortened.
func detail(err error) string {
	var apiErr *openai.APIError
	s := err.Error()
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		s = apiErr.Message
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// keyLike is what API keys look like, so that a server that echoes part of one (OpenAI's 401 does) does
// not put it in a history.
var keyLike = regexp.MustCompile(`\b(sk|key)-[A-Za-z0-9_*\-]{4,}`)

// redact takes the API key, and anything shaped like one, out of a message.
func (c *Client) redact(s string) string {
	if k := c.Settings.APIKey; k != "" {
		s = strings.ReplaceAll(s, k, "[API key]")
	}
	return keyLike.ReplaceAllString(s, "[API key]")
}

// TemporaryStatus says whether a later request may succeed where the server answered code: 408, 409,
// 429 and 5xx; a bad key, an unknown model or a request too large will not.
func TemporaryStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict || code == http.StatusTooManyRequests || code >= 500
}

// Status is the HTTP status of a go-openai error, 0 when there is none.
func Status(err error) int {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		return reqErr.HTTPStatusCode
	}
	return 0
}

// retryAfter is where retryAfterDoer puts the Retry-After of a request's answer; go-openai's errors do
// not carry the answer's headers.
type retryAfter struct{ d time.Duration }

type retryAfterKey struct{}

type retryAfterDoer struct{ c *http.Client }

func (d retryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if err == nil && resp.StatusCode >= 400 {
		if ra, ok := req.Context().Value(retryAfterKey{}).(*retryAfter); ok {
			ra.d = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
	}
	return resp, err
}

// ParseRetryAfter reads a Retry-After header: seconds, or an HTTP date; 0 when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
