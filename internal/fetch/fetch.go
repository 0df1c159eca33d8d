// Package fetch gets a web page over HTTP(S) for FetchURL: one GET with a timeout, a cap on the body, at
// most a few redirects, the text of HTML pages and the value of JSON ones. It refuses to reach addresses
// that are not public (loopback, private, link-local, cloud metadata and other special ranges) unless
// EAAPL_HTTP_ALLOW names them; the check is made on each address actually dialled, after DNS, for the
// first request and every redirect, so neither a name that resolves inward nor a redirect slips past it.
// Environment proxies are not used: through a proxy the dialled address would be the proxy's.
//
// Errors say whether a retry may help (Retryable): 429 and 5xx may, with the server's Retry-After; 4xx,
// a refused address, a bad URL or too many redirects may not.
package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/eaapl/eaapl/internal/document"
	"github.com/eaapl/eaapl/internal/workspace"
)

// Config shapes a Client. Zero fields take the defaults.
type Config struct {
	Allow        Allow         // from EAAPL_HTTP_ALLOW (ParseAllow)
	Timeout      time.Duration // the whole exchange, body included; DefaultTimeout
	MaxBytes     int64         // of the body, after decompression; DefaultMaxBytes
	MaxRedirects int           // DefaultMaxRedirects; negative for none
	UserAgent    string        // DefaultUserAgent
}

// The defaults for Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 10 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "EaaPL-FetchURL/1"
)

// Client fetches pages. Make one per worker; it is safe for concurrent use and keeps connections alive.
type Client struct {
	cfg  Config
	http *http.Client
}

// New makes a Client.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	} else if cfg.MaxRedirects < 0 {
		cfg.MaxRedirects = 0
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	g := &guardedDialer{allow: cfg.Allow, dialer: net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}}
	transport := &http.Transport{
		Proxy:                  nil, // see the package doc
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           32,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 1 << 20,
	}
	c := &Client{cfg: cfg}
	c.http = &http.Client{Transport: transport, Timeout: cfg.Timeout, CheckRedirect: c.checkRedirect}
	return c
}

// Page is what a GET brought back.
type Page struct {
	URL         string   `json:"url"`                 // the page's own address, after redirects
	Redirects   []string `json:"redirects,omitempty"` // the addresses that redirected, in order
	Status      int      `json:"status"`
	ContentType string   `json:"content_type"` // the media type, without parameters
	Title       string   `json:"title,omitempty"`
	Text        string   `json:"text"`           // HTML as text; JSON, plain text and XML as received (in UTF-8)
	JSON        any      `json:"json,omitempty"` // the parsed value of a JSON page
	Bytes       int64    `json:"bytes"`          // of the body read
	// Truncated is true when the body was longer than the cap and only its first MaxBytes were read;
	// Note then says so in a sentence for the user.
	Truncated bool   `json:"truncated,omitempty"`
	Note      string `json:"note,omitempty"`
}

// InvalidURLError is a URL that cannot be fetched: not http(s), no host, or not a URL. Retrying cannot fix it.
type InvalidURLError struct {
	URL string
	Msg string
}

func (e *InvalidURLError) Error() string { return fmt.Sprintf("cannot fetch %q: %s", e.URL, e.Msg) }

// RedirectError is a chain of redirects that went too far or to something that is not http(s).
type RedirectError struct {
	URL string
	Msg string
}

func (e *RedirectError) Error() string { return fmt.Sprintf("fetch %s: %s", e.URL, e.Msg) }

// StatusError is a reply that is not 2xx. RetryAfter is the server's Retry-After (0 when it sent none).
type StatusError struct {
	URL        string
	Code       int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("fetch %s: the server answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Retryable is true for 429 Too Many Requests and 5xx: the same request may succeed later.
func (e *StatusError) Retryable() bool { return e.Code == http.StatusTooManyRequests || e.Code >= 500 }

// TimeoutError is a fetch that took longer than the timeout. A retry may succeed.
type TimeoutError struct {
	URL   string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("fetch %s: no complete answer within %s", e.URL, e.After)
}

// ContentError is a page that is not text: an image, a PDF, an archive. Retrying cannot fix it.
type ContentError struct {
	URL         string
	ContentType string
	Msg         string
}

func (e *ContentError) Error() string { return fmt.Sprintf("fetch %s: %s", e.URL, e.Msg) }

// Retryable says whether a retry of the fetch that failed with err may succeed, and after how long at the
// least the server asked for (0 when it did not say). Network failures and timeouts are retryable; a
// refused address, a bad URL, a redirect loop, a page that is not text and a 4xx other than 429 are not.
func Retryable(err error) (bool, time.Duration) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Retryable(), se.RetryAfter
	}
	var (
		be *BlockedError
		ie *InvalidURLError
		re *RedirectError
		ce *ContentError
	)
	if errors.As(err, &be) || errors.As(err, &ie) || errors.As(err, &re) || errors.As(err, &ce) || errors.Is(err, context.Canceled) {
		return false, 0
	}
	return err != nil, 0
}

// CheckURL says whether rawURL is one that Get may fetch, as far as can be told without the network: an
// http or https URL with a host, and, when the host is an address, one the guard lets through (allow). A
// host name is judged only when it is dialled, after DNS. Get calls it first, and a program's plan is
// checked with it (worker.PlaceCheck), so both refuse with the same words.
func CheckURL(rawURL string, allow Allow) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, &InvalidURLError{URL: rawURL, Msg: "not a URL"}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &InvalidURLError{URL: rawURL, Msg: "only http and https addresses can be fetched"}
	}
	if u.Hostname() == "" {
		return nil, &InvalidURLError{URL: rawURL, Msg: "the address has no host"}
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := allow.judge(u.Hostname(), ip.Unmap()); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
	}
	return u, nil
}

// Get fetches rawURL. See Page and the errors above.
func (c *Client) Get(ctx context.Context, rawURL string) (Page, error) {
	u, err := CheckURL(rawURL, c.cfg.Allow)
	if err != nil {
		return Page{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, &InvalidURLError{URL: rawURL, Msg: err.Error()}
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "text/html, application/json;q=0.9, text/*;q=0.8, */*;q=0.1")
	var redirects []string
	req = req.WithContext(context.WithValue(ctx, redirectsKey{}, &redirects))

	resp, err := c.http.Do(req)
	if err != nil {
		return Page{}, c.doErr(rawURL, err)
	}
	defer resp.Body.Close()
	page := Page{URL: resp.Request.URL.String(), Redirects: redirects, Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return Page{}, &StatusError{URL: page.URL, Code: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return Page{}, c.doErr(page.URL, err)
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		body = body[:c.cfg.MaxBytes]
		page.Truncated = true
		limit := workspace.HumanSize(c.cfg.MaxBytes)
		if resp.ContentLength > 0 {
			page.Note = fmt.Sprintf("The page is %s, more than the limit of %s; only its first %s were read.",
				workspace.HumanSize(resp.ContentLength), limit, limit)
		} else {
			page.Note = fmt.Sprintf("The page is larger than the limit of %s; only its first %s were read.", limit, limit)
		}
	}
	page.Bytes = int64(len(body))
	if err := c.decode(&page, resp.Header.Get("Content-Type"), body); err != nil {
		return Page{}, err
	}
	return page, nil
}

// decode fills the page's text (and title, and JSON value) by its media type.
func (c *Client) decode(page *Page, contentType string, body []byte) error {
	media, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		media = http.DetectContentType(body) // the server did not say, or said nonsense: sniff as browsers do
		media, _, _ = mime.ParseMediaType(media)
	}
	page.ContentType = media
	switch {
	case media == "text/html" || media == "application/xhtml+xml":
		title, text, err := document.HTMLText(bytes.NewReader(body), contentType)
		if err != nil {
			return &ContentError{URL: page.URL, ContentType: media, Msg: err.Error()}
		}
		page.Title, page.Text = title, text
	case media == "application/json" || strings.HasSuffix(media, "+json"):
		page.Text = string(body)
		if page.Truncated {
			page.Note += " It was not parsed as JSON, since it was cut."
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // keeps large integers (IDs) exact
		if err := dec.Decode(&page.JSON); err != nil {
			return &ContentError{URL: page.URL, ContentType: media, Msg: fmt.Sprintf("the page says it is JSON but is not: %v", err)}
		}
	case strings.HasPrefix(media, "text/") || media == "application/xml" || strings.HasSuffix(media, "+xml"):
		r, err := charset.NewReader(bytes.NewReader(body), contentType)
		if err != nil {
			return &ContentError{URL: page.URL, ContentType: media, Msg: err.Error()}
		}
		text, err := io.ReadAll(r)
		if err != nil {
			return &ContentError{URL: page.URL, ContentType: media, Msg: err.Error()}
		}
		page.Text = strings.ToValidUTF8(string(text), "\uFFFD")
	default:
		return &ContentError{URL: page.URL, ContentType: media, Msg: fmt.Sprintf("the page is %s, not text, HTML or JSON", media)}
	}
	return nil
}

type redirectsKey struct{}

// checkRedirect follows at most MaxRedirects redirects, to http(s) only. Where each one leads is judged
// by the dialer like the first address.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return &RedirectError{URL: via[0].URL.String(), Msg: fmt.Sprintf("more than %d redirects (the last to %s)", c.cfg.MaxRedirects, req.URL)}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &RedirectError{URL: via[0].URL.String(), Msg: fmt.Sprintf("redirected to %s, which is not http or https", req.URL)}
	}
	if list, ok := req.Context().Value(redirectsKey{}).(*[]string); ok {
		*list = append(*list, via[len(via)-1].URL.String())
	}
	return nil
}

// doErr turns the http package's error into one of this package's, keeping the cause.
func (c *Client) doErr(rawURL string, err error) error {
	var (
		be *BlockedError
		re *RedirectError
	)
	switch {
	case errors.As(err, &be):
		var ue *url.Error
		if errors.As(err, &ue) && ue.URL != rawURL {
			return fmt.Errorf("fetch %s: redirected to %s: %w", rawURL, ue.URL, be)
		}
		return fmt.Errorf("fetch %s: %w", rawURL, be)
	case errors.As(err, &re):
		return re
	case errors.Is(err, context.Canceled):
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &TimeoutError{URL: rawURL, After: c.cfg.Timeout}
	}
	return fmt.Errorf("fetch %s: %w", rawURL, err)
}

// retryAfter reads a Retry-After header: a number of seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}
