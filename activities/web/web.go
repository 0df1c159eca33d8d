// Package web is the web command family: FetchURL, one guarded HTTP GET of a page (its text, its JSON),
// retried on 429 and 5xx after the server's Retry-After, never on 4xx. It reaches the network only
// through Fetcher, which the worker wires to the adapter in web/httpfetch (internal/fetch: a timeout, a
// size cap, at most 5 redirects, and the SSRF guard on every address dialled, EAAPL_HTTP_ALLOW).
package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec { return []*catalog.Spec{FetchURL} }

// Deps are what the family's commands use.
type Deps struct {
	Fetcher Fetcher
	Store   catalog.ContentStore // where a page's text over contentvalue.Threshold is kept
}

// Fetcher gets a page. Its errors are a *PermanentError (a retry cannot help: 4xx, a refused address, a
// bad URL, too many redirects, not text), a *LaterError (429 and 5xx: try again after its delay), or any
// other error, which is retried under the command's policy.
type Fetcher interface {
	Get(ctx context.Context, url string) (Page, error)
}

// Page is what a GET brought back.
type Page struct {
	URL         string
	Redirects   []string
	Status      int
	ContentType string
	Title       string
	Text        string
	JSON        any
	Bytes       int64
	Truncated   bool
	Note        string
}

// PermanentError is a fetch no retry can fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// LaterError is a fetch the server asked to try again (429, 5xx).
type LaterError = catalog.LaterError

// HTTPRetryLater is the error type of a fetch the server asked to retry (429, 5xx).
const HTTPRetryLater = "HTTPRetryLater"

type fetchArgs struct {
	URL string `json:"url" eaapl:"url,required" desc:"the http or https address of the page"`
}

type fetchOutput struct {
	URL         string          `json:"url" eaapl:"required" desc:"the page's own address, after redirects"`
	Status      int             `json:"status" eaapl:"required" desc:"the HTTP status"`
	ContentType string          `json:"content_type" eaapl:"required" desc:"the page's media type, e.g. text/html"`
	Title       string          `json:"title" desc:"the page's title (HTML)"`
	Text        catalog.Content `json:"text" eaapl:"required" desc:"the page's text: HTML as readable text, JSON and plain text as received (stored content when large)"`
	JSON        any             `json:"json" desc:"the parsed value of a JSON page, when it is small enough to carry"`
	Bytes       int64           `json:"bytes" eaapl:"required" desc:"how many bytes of body were read"`
	Truncated   bool            `json:"truncated" desc:"true when the body was longer than the cap and only its start was read"`
	Note        string          `json:"note" desc:"a sentence for the user when the page was cut"`
	Redirects   []string        `json:"redirects" desc:"the addresses that redirected here, in order"`
}

// FetchURL gets one web page.
var FetchURL = catalog.Define(catalog.Def[Deps, fetchArgs, fetchOutput]{
	Name:        "FetchURL",
	Description: "Get a web page over HTTP(S): its text (HTML as readable text), its JSON; addresses that are not public are refused unless EAAPL_HTTP_ALLOW allows them.",
	SideEffect:  catalog.Reads,
	Timeout:     time.Minute, // the fetch itself gives up after 30s
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "url", Verb: "Fetch", Items: "pages"},
	Run:              fetch,
	Hint: func(errType string) string {
		if errType == catalog.ErrInvalidArgument {
			return "check the address; a loopback or private address must be allowed in EAAPL_HTTP_ALLOW"
		}
		return "check that the site is up and reachable from the worker, then answer retry"
	},
	ReadBack: func(r catalog.Reading) string {
		u, ok := r.Text(r.Step().Args["url"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Fetch the page %s.", u)
	},
	Forms: catalog.Forms{
		Phrases:    []string{"fetch {url}", "fetch the page {url}", "get the page {url}", "download {url}", "open the page {url}"},
		Statements: []string{"fetch {url}", "fetch the page {url}", "get the page {url}", "download {url}", "download the page {url}", "open the page {url}"},
		Quiet:      true,
		Args:       map[string][]string{"url": {"the page", "the address", "from"}},
		Results: map[string]catalog.ResultWords{
			"text":         {Noun: "the page's text", Words: []string{"the page", "it"}, Subject: "{.title}"},
			"title":        {Noun: "the page's title"},
			"json":         {Noun: "the page's data"},
			"url":          {Noun: "the page's address"},
			"status":       {Noun: "the page's HTTP status"},
			"content_type": {Noun: "the page's media type"},
			"bytes":        {Noun: "the page's size"},
			"truncated":    {Noun: "whether the page was cut"},
			"note":         {Noun: "the note about the page"},
			"redirects":    {Noun: "the redirects followed"},
		},
	},
})

func fetch(ctx context.Context, d Deps, args fetchArgs) (fetchOutput, error) {
	if strings.TrimSpace(args.URL) == "" {
		return fetchOutput{}, catalog.Invalid("parameter %q must not be blank", "url")
	}
	if d.Fetcher == nil {
		return fetchOutput{}, fmt.Errorf("%w: Fetcher", catalog.ErrMissingDependency)
	}
	catalog.Heartbeat(ctx, "fetching "+args.URL)
	page, err := d.Fetcher.Get(ctx, args.URL)
	var (
		permanent *PermanentError
		later     *LaterError
	)
	switch {
	case errors.As(err, &permanent):
		return fetchOutput{}, catalog.Invalid("%v", err)
	case errors.As(err, &later):
		return fetchOutput{}, catalog.RetryLater(HTTPRetryLater, later)
	case err != nil:
		return fetchOutput{}, err
	}
	text, err := contentvalue.Text(ctx, d.Store, page.Text, "text/plain; charset=utf-8")
	if err != nil {
		return fetchOutput{}, err
	}
	out := fetchOutput{
		URL: page.URL, Status: page.Status, ContentType: page.ContentType, Title: page.Title, Text: text,
		Bytes: page.Bytes, Truncated: page.Truncated, Note: page.Note, Redirects: page.Redirects,
	}
	if text.Ref == nil {
		out.JSON = page.JSON // a large page's value stays in its text, out of the history
	}
	return out, nil
}
