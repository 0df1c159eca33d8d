package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/eaapl/eaapl/internal/model"
	"github.com/eaapl/eaapl/plan"
)

// ChatClient is the part of go-openai's *openai.Client the LLM planner uses.
type ChatClient = model.ChatClient

// LLMConfig configures the LLM planner: any server that speaks OpenAI's chat completions API (OpenAI,
// Azure OpenAI, Ollama, vLLM, a llama.cpp server).
type LLMConfig struct {
	APIKey  string        // empty for servers that need none (Ollama, vLLM, llama.cpp)
	BaseURL string        // e.g. http://127.0.0.1:11434/v1; OpenAI's when empty
	Model   string        // e.g. gpt-4o-mini
	Timeout time.Duration // per request to the model
	// APIVersion is the api-version of an Azure OpenAI endpoint (a BaseURL on *.openai.azure.com or
	// *.cognitiveservices.azure.com, where the model is the deployment's name).
	APIVersion string
}

// NewClient returns the go-openai client for the configuration: one per process, shared by every request
// (internal/model, which the model-backed text analysis uses too).
func NewClient(cfg LLMConfig) *openai.Client {
	return model.NewOpenAI(model.Settings{APIKey: cfg.APIKey, BaseURL: cfg.BaseURL, Model: cfg.Model, Timeout: cfg.Timeout, APIVersion: cfg.APIVersion})
}

// LLM plans with a language model. The model sees the program text and the command catalog, nothing
// else: never contacts, messages sent, mailbox contents or task outputs, so that data cannot steer a plan.
// Its answer is validated like a hand-written plan; an invalid answer gets one repair round that shows the
// model its error.
type LLM struct {
	Client   ChatClient
	Model    string
	Location *time.Location // zone of "start of this week"; nil means UTC
	Cache    *Cache         // nil: no cache

	// plainJSON is set once the server has refused a json_schema response format, so that later requests
	// go straight to plain JSON.
	plainJSON atomic.Bool
}

// Usage is the tokens a plan cost.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (u *Usage) add(o openai.Usage) {
	u.PromptTokens += o.PromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.TotalTokens += o.TotalTokens
}

// Report says how a plan was made: by which planner, with which model, from the cache or not, in how many
// model calls and for how many tokens.
type Report struct {
	Planner string `json:"planner"` // "rules" or "llm"
	Model   string `json:"model,omitempty"`
	Cached  bool   `json:"cached,omitempty"`
	Rounds  int    `json:"rounds,omitempty"` // model answers read: 1, or 2 after a repair round
	Usage   Usage  `json:"usage"`
	// CacheError says why the plan could not be written to the plan cache.
	CacheError string `json:"cache_error,omitempty"`
}

// ModelError is a failed call to the model. Temporary errors (rate limits, server errors, timeouts, a
// connection refused) are worth retrying later; the planning activity lets Temporal retry them with backoff.
type ModelError struct {
	Status    int // the HTTP status, 0 when there was no answer
	Err       error
	temporary bool
}

func (e *ModelError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("the model server answered %d %s: %v", e.Status, http.StatusText(e.Status), e.Err)
	}
	return fmt.Sprintf("the model server did not answer: %v", e.Err)
}

func (e *ModelError) Unwrap() error { return e.Err }

// Temporary says a later attempt may succeed.
func (e *ModelError) Temporary() bool { return e.temporary }

// InvalidPlanError is a model that did not produce a valid plan, even after it was shown its error.
type InvalidPlanError struct {
	Program string
	Err     error // the last round's error
}

func (e *InvalidPlanError) Error() string {
	return fmt.Sprintf("the model did not produce a valid plan after a repair round: %v", e.Err)
}

func (e *InvalidPlanError) Unwrap() error { return e.Err }

// CannotPlanError is a program the model says the catalog's commands cannot do.
type CannotPlanError struct {
	Program string
	Reason  string // the model's words
}

func (e *CannotPlanError) Error() string {
	return fmt.Sprintf("the program cannot be planned with the available commands: %s", e.Reason)
}

// Plan turns an English program into a plan, from the cache when it has one for this program, catalog and
// model (unless noCache), from the model otherwise. now resolves the plan's time phrases ("start of this
// week"), after the cache, so that a cached plan is right on any day.
func (l *LLM) Plan(ctx context.Context, program string, now time.Time, noCache bool) (*plan.Plan, Report, error) {
	rep := Report{Planner: KindLLM, Model: l.Model}
	if strings.TrimSpace(program) == "" {
		return nil, rep, errEmpty
	}
	if now.IsZero() {
		return nil, rep, errors.New("the program's start time (now) is not set")
	}
	loc := zoneFrom(ctx, l.Location)
	key := cacheKey(program, l.Model)
	if l.Cache != nil && !noCache {
		if tmpl, ok := l.Cache.Get(key); ok {
			if p, err := l.finish(tmpl, program, now, loc); err == nil {
				rep.Cached = true
				return p, rep, nil
			}
			// A cached plan that no longer validates is ignored and replaced below.
		}
	}
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: systemPrompt()},
		{Role: openai.ChatMessageRoleUser, Content: userPrompt(program)},
	}
	var lastErr error
	for round := 1; round <= 2; round++ {
		reply, usage, err := l.complete(ctx, msgs)
		rep.Usage.add(usage)
		if err != nil {
			return nil, rep, err
		}
		rep.Rounds = round
		tmpl, p, err := l.read(reply, program, now, loc)
		if err == nil {
			if l.Cache != nil {
				// A cache that cannot be written costs a model call next time, nothing more; the
				// report says why, for the log.
				if err := l.Cache.Put(key, tmpl); err != nil {
					rep.CacheError = err.Error()
				}
			}
			return p, rep, nil
		}
		var cannot *CannotPlanError
		if errors.As(err, &cannot) || errors.Is(err, errScheduleZone) { // no answer of the model's can fix these
			return nil, rep, err
		}
		lastErr = err
		msgs = append(msgs,
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: reply},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: repairPrompt(err)},
		)
	}
	return nil, rep, &InvalidPlanError{Program: program, Err: lastErr}
}

// complete asks the model once. A server that refuses the json_schema response format (400) is asked
// again, at once, for plain JSON, and is not offered the schema format again.
func (l *LLM) complete(ctx context.Context, msgs []openai.ChatCompletionMessage) (string, openai.Usage, error) {
	req := openai.ChatCompletionRequest{Model: l.Model, Messages: msgs}
	if !l.plainJSON.Load() {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   "eaapl_plan",
				Schema: json.RawMessage(responseSchema()),
				// Not strict: strict mode forbids optional fields, and every answer is validated anyway.
				Strict: false,
			},
		}
	}
	resp, formatRefused, err := model.Send(ctx, l.Client, req)
	if formatRefused {
		l.plainJSON.Store(true)
	}
	if err != nil {
		return "", resp.Usage, modelError(ctx, err)
	}
	if len(resp.Choices) == 0 {
		return "", resp.Usage, &ModelError{Err: errors.New("the answer has no choices"), temporary: true}
	}
	m := resp.Choices[0].Message
	if m.Refusal != "" {
		return "", resp.Usage, &CannotPlanError{Reason: m.Refusal}
	}
	return m.Content, resp.Usage, nil
}

// modelError classifies a failed call: 408, 409, 429 and 5xx, timeouts and network errors are temporary;
// other 4xx (a bad key, an unknown model) are not, and retrying would not help.
func modelError(ctx context.Context, err error) error {
	if code := model.Status(err); code != 0 {
		return &ModelError{Status: code, Err: err, temporary: model.TemporaryStatus(code)}
	}
	// No answer: a timeout, a connection refused, a reply cut short. Worth another try, unless the caller
	// gave up.
	return &ModelError{Err: err, temporary: ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded)}
}

// read turns the model's answer into a plan: the template as the model wrote it (time phrases unresolved,
// for the cache) and the plan with its times resolved from now, validated against the catalog.
func (l *LLM) read(reply, program string, now time.Time, loc *time.Location) ([]byte, *plan.Plan, error) {
	body := extractJSON(reply)
	if !json.Valid(body) {
		return nil, nil, fmt.Errorf("the answer is not a JSON object: %q", abbreviate(strings.TrimSpace(reply)))
	}
	var probe struct {
		CannotPlan *string `json:"cannot_plan"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, nil, fmt.Errorf("the answer is not a JSON object: %q", abbreviate(strings.TrimSpace(reply)))
	}
	if probe.CannotPlan != nil {
		return nil, nil, &CannotPlanError{Program: program, Reason: strings.TrimSpace(*probe.CannotPlan)}
	}
	p, err := l.finish(body, program, now, loc)
	if err != nil {
		return nil, nil, err
	}
	return body, p, nil
}

// finish parses a plan template, records the program, resolves its time phrases and validates it.
func (l *LLM) finish(tmpl []byte, program string, now time.Time, loc *time.Location) (*plan.Plan, error) {
	p, err := plan.Parse(tmpl)
	if err != nil {
		return nil, err
	}
	p.Program = program
	if err := resolveTimes(p, now.In(loc)); err != nil {
		return nil, err
	}
	if p.Schedule != nil && strings.TrimSpace(p.Schedule.TimeZone) == "" {
		// The model is not told the user's zone; a schedule runs in the configured one.
		if loc == time.UTC && l.Location == nil || loc.String() == "Local" {
			return nil, errScheduleZone
		}
		p.Schedule.TimeZone = loc.String()
	}
	if err := plan.Validate(p); err != nil {
		return nil, err
	}
	return p, nil
}

// errScheduleZone refuses a schedule when the zone its times are in is not named: the machine's own
// ("Local") is not a zone a Temporal Schedule can keep, and guessing one would run it at other hours.
var errScheduleZone = errors.New("a schedule needs a named time zone: set EAAPL_TIMEZONE to an IANA zone such as Europe/Berlin or UTC " +
	"(on Linux, `readlink /etc/localtime` names this machine's), then run the program again; nothing was scheduled")

// extractJSON takes the JSON object out of an answer that may wrap it in a Markdown code fence or a
// sentence, as models without a JSON mode do.
func extractJSON(reply string) []byte {
	s := strings.TrimSpace(reply)
	if i, j := strings.Index(s, "{"), strings.LastIndex(s, "}"); i >= 0 && j > i {
		s = s[i : j+1]
	}
	return bytes.TrimSpace([]byte(s))
}
