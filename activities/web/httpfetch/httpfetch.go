// Package httpfetch is the web family's Fetcher over internal/fetch: one guarded GET (timeout, size cap,
// at most 5 redirects, the SSRF guard on every address dialled, EAAPL_HTTP_ALLOW). It sorts the errors
// into what a retry may fix and what it cannot.
package httpfetch

import (
	"context"
	"errors"

	"github.com/eaapl/eaapl/activities/web"
	"github.com/eaapl/eaapl/internal/fetch"
)

// Fetcher is web.Fetcher over a fetch.Client.
type Fetcher struct {
	Client *fetch.Client
}

var _ web.Fetcher = Fetcher{}

// Get fetches the page at url.
func (f Fetcher) Get(ctx context.Context, url string) (web.Page, error) {
	p, err := f.Client.Get(ctx, url)
	if err != nil {
		retry, after := fetch.Retryable(err)
		switch {
		case !retry:
			return web.Page{}, &web.PermanentError{Err: err}
		case after > 0 || isStatus(err):
			return web.Page{}, &web.LaterError{Err: err, After: after}
		}
		return web.Page{}, err
	}
	return web.Page{
		URL: p.URL, Redirects: p.Redirects, Status: p.Status, ContentType: p.ContentType, Title: p.Title,
		Text: p.Text, JSON: p.JSON, Bytes: p.Bytes, Truncated: p.Truncated, Note: p.Note,
	}, nil
}

func isStatus(err error) bool {
	var se *fetch.StatusError
	return errors.As(err, &se)
}
