// Package carddav reads an address book from a CardDAV server (github.com/emersion/go-webdav), a page at
// a time, with the contact semantics of the vCard file reader: each card's contact is made by
// contactfile.CardContact (FN or N, the preferred EMAIL), and a card that is not a contact is reported as
// a bad row, with the card's name as its source, while the read goes on.
//
// A page is one REPORT addressbook-multiget of up to MaxPage cards, after one REPORT addressbook-query
// that lists the cards' names and ETags (not their data); the checkpoint is the name of the last card read, so a read resumes in
// name order, as small as the file reader's.
package carddav

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-webdav"
	webcarddav "github.com/emersion/go-webdav/carddav"

	"github.com/eaapl/eaapl/internal/contactfile"
)

// Limits that keep a read bounded.
const (
	// MaxPage is the most cards one multiget asks for.
	MaxPage = 1000
	// MaxCards is the largest address book read: its list of names is held while reading.
	MaxCards = 1_000_000
)

// IsURL reports whether EAAPL_CONTACTS names a CardDAV address book rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// Config says where the address book is.
type Config struct {
	// URL is the address book's collection, such as https://me%40example.com@dav.example.com/me/contacts/.
	// The user name may be in it, or in User; a password is refused (it would show wherever the URL does).
	URL      string
	User     string // the user, when the URL has none (EAAPL_CONTACTS_USER)
	Password string
	CAFile   string // PEM CAs to trust instead of the system's
	// Timeout bounds each request; 5 minutes when zero: a server's first read of a large book may be slow
	// (Radicale parses and caches every card on its first listing: 41 s for 5,000 on this machine).
	Timeout time.Duration
}

// RefusedError is a request the server refused for good: the credentials (401) or the permission (403).
type RefusedError struct {
	URL    string // without credentials
	Status string
	Fix    string
	Auth   bool // the credentials were refused (401), not the permission (403)
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("CardDAV address book %s: %s; %s", e.URL, e.Status, e.Fix)
}

// NotFoundError is an address book URL where there is nothing (404). It satisfies
// errors.Is(err, fs.ErrNotExist), as a missing contacts file does.
type NotFoundError struct{ URL string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("CardDAV address book %s does not exist (404): check EAAPL_CONTACTS", e.URL)
}

func (e *NotFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// Checkpoint is where a read got to: the zero Checkpoint is the start.
type Checkpoint struct {
	After string `json:"after,omitempty"` // the name of the last card read
	Done  bool   `json:"done,omitempty"`
}

// Page is what one ReadPage read, in card-name order.
type Page struct {
	Contacts []contactfile.Contact
	Bad      []contactfile.RowError
	Next     Checkpoint
}

// Book is one address book. It is not safe for concurrent use.
type Book struct {
	url    string // without credentials, for messages
	path   string // the collection's path on the server
	name   string // its last path element, the start of each card's source
	client *webcarddav.Client
	dav    *webdav.Client
	http   *statusClient
	origin string   // scheme://host of the server
	paths  []string // the cards' paths, sorted; listed on the first read
}

// Open checks cfg and returns the address book; it does not connect.
func Open(cfg Config) (*Book, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may hold a password
		}
		return nil, fmt.Errorf("CardDAV URL: %v", err)
	}
	var user string
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.User(u.User.Username())
			return nil, fmt.Errorf("CardDAV URL %s holds a password: put it in EAAPL_CONTACTS_PASSWORD instead", u.Redacted())
		}
		user = u.User.Username()
		u.User = nil
	}
	if cfg.User != "" {
		if user != "" && user != cfg.User {
			return nil, fmt.Errorf("CardDAV address book %s: the URL names user %s and EAAPL_CONTACTS_USER %s: set one", u.String(), user, cfg.User)
		}
		user = cfg.User
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("CardDAV URL %s: it must be an http or https URL of an address book", u.String())
	}
	if user != "" && cfg.Password == "" {
		return nil, fmt.Errorf("CardDAV address book %s: user %s has no password: set EAAPL_CONTACTS_PASSWORD or EAAPL_CONTACTS_PASSWORD_FILE", u.String(), user)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CardDAV CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CardDAV CA file %s holds no PEM certificate", cfg.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	b := &Book{url: u.String(), path: u.Path}
	if !strings.HasSuffix(b.path, "/") {
		b.path += "/"
	}
	b.name = path.Base(b.path)
	hc := &statusClient{http: &http.Client{Transport: transport, Timeout: timeout}, user: user, password: cfg.Password, book: b.url}
	endpoint := u.Scheme + "://" + u.Host
	b.http, b.origin = hc, endpoint
	if b.client, err = webcarddav.NewClient(hc, endpoint); err != nil {
		return nil, fmt.Errorf("CardDAV address book %s: %w", b.url, err)
	}
	if b.dav, err = webdav.NewClient(hc, endpoint); err != nil {
		return nil, fmt.Errorf("CardDAV address book %s: %w", b.url, err)
	}
	return b, nil
}

// URL is the address book's URL, without credentials.
func (b *Book) URL() string { return b.url }

// ReadPage reads up to max cards (at most MaxPage) after the checkpoint.
func (b *Book) ReadPage(ctx context.Context, from Checkpoint, max int) (Page, error) {
	if max < 1 {
		return Page{}, fmt.Errorf("read CardDAV address book %s: a page of %d cards", b.url, max)
	}
	if from.Done {
		return Page{Next: from}, nil
	}
	max = min(max, MaxPage)
	if b.paths == nil {
		if err := b.list(ctx); err != nil {
			return Page{}, err
		}
	}
	start, _ := slices.BinarySearch(b.paths, from.After)
	if start < len(b.paths) && b.paths[start] == from.After {
		start++
	}
	end := min(start+max, len(b.paths))
	page := Page{Next: Checkpoint{After: from.After, Done: end == len(b.paths)}}
	if start == end {
		page.Next.Done = true
		return page, nil
	}
	want := b.paths[start:end]
	objects, err := b.client.MultiGetAddressBook(ctx, b.path, &webcarddav.AddressBookMultiGet{
		Paths:       want,
		DataRequest: webcarddav.AddressDataRequest{AllProp: true},
	})
	if err != nil {
		if !isParseError(err) {
			return Page{}, b.wrap(err)
		}
		// One card go-vcard cannot read spoils the whole multiget: read this page's cards one by one,
		// so that the broken one is reported and the rest are read.
		objects = nil
		for _, p := range want {
			obj, err := b.client.GetAddressObject(ctx, p)
			if err != nil {
				if !isParseError(err) {
					return Page{}, b.wrap(err)
				}
				page.Bad = append(page.Bad, contactfile.RowError{Source: b.source(p), Reason: "card cannot be read: " + strings.TrimPrefix(err.Error(), "vcard: ")})
				continue
			}
			objects = append(objects, *obj)
		}
	}
	byPath := make(map[string]webcarddav.AddressObject, len(objects))
	for _, o := range objects {
		byPath[o.Path] = o
	}
	for _, p := range want {
		o, ok := byPath[p]
		if !ok {
			continue // deleted since the list, or reported as bad above
		}
		c, reason := contactfile.CardContact(o.Card, b.source(p))
		if reason != "" {
			page.Bad = append(page.Bad, contactfile.RowError{Source: c.Source, Reason: reason})
		} else {
			page.Contacts = append(page.Contacts, c)
		}
	}
	page.Next.After = want[len(want)-1]
	return page, nil
}

// ReadAll reads the whole address book, for callers that want every card at once.
func (b *Book) ReadAll(ctx context.Context) ([]contactfile.Contact, []contactfile.RowError, error) {
	var (
		contacts []contactfile.Contact
		bad      []contactfile.RowError
		cp       Checkpoint
	)
	for !cp.Done {
		p, err := b.ReadPage(ctx, cp, MaxPage)
		if err != nil {
			return nil, nil, err
		}
		contacts, bad, cp = append(contacts, p.Contacts...), append(bad, p.Bad...), p.Next
	}
	return contacts, bad, nil
}

// list finds the cards' paths with one PROPFIND of depth 1, after checking that the URL is an address
// book (a folder of them, or a principal, is a mistake worth naming).
func (b *Book) list(ctx context.Context) error {
	parent := path.Dir(strings.TrimSuffix(b.path, "/")) + "/"
	books, err := b.client.FindAddressBooks(ctx, parent)
	if err != nil {
		return b.wrap(err)
	}
	var names []string
	found := false
	for _, ab := range books {
		if strings.TrimSuffix(ab.Path, "/") == strings.TrimSuffix(b.path, "/") {
			found = true
		}
		names = append(names, ab.Path)
	}
	if !found {
		msg := "is not a CardDAV address book"
		if len(names) > 0 {
			msg += "; the address books beside it are " + strings.Join(names, ", ")
		}
		return &contactfile.FormatError{Path: b.url, Msg: msg}
	}
	paths, ok, err := b.queryNames(ctx)
	if err != nil {
		return err
	}
	if !ok { // a server that does not take the query: the PROPFIND every WebDAV server answers
		infos, err := b.dav.ReadDir(ctx, b.path, false)
		if err != nil {
			return b.wrap(err)
		}
		for _, fi := range infos {
			if !fi.IsDir {
				paths = append(paths, fi.Path)
			}
		}
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.TrimSuffix(p, "/") == strings.TrimSuffix(b.path, "/") })
	if len(paths) > MaxCards {
		return &contactfile.FormatError{Path: b.url, Msg: fmt.Sprintf("holds more than %d cards", MaxCards)}
	}
	slices.Sort(paths)
	b.paths = slices.Compact(paths)
	return nil
}

// queryNames lists the cards' paths with one REPORT addressbook-query (RFC 6352, 8.6) that asks for each
// card's ETag only: no card data, and an empty filter, which every card matches. Radicale answers it from
// its item cache: with 5,000 cards it took 0.7 s, where the PROPFIND of depth 1 (go-webdav's ReadDir) took
// 30 s, reading each card's properties one by one. ok is false when the server does not answer it with a
// multistatus (it does not support the report); a refusal or a failure to reach it is an error.
func (b *Book) queryNames(ctx context.Context) (paths []string, ok bool, err error) {
	const query = `<?xml version="1.0" encoding="utf-8"?>` +
		`<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` +
		`<D:prop><D:getetag/></D:prop><C:filter/></C:addressbook-query>`
	req, err := http.NewRequestWithContext(ctx, "REPORT", b.origin+(&url.URL{Path: b.path}).EscapedPath(), strings.NewReader(query))
	if err != nil {
		return nil, false, b.wrap(err)
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.Header.Set("Depth", "1")
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, false, b.wrap(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			return nil, false, b.wrap(fmt.Errorf("the server answered the listing with %s", resp.Status))
		}
		return nil, false, nil
	}
	// Streamed, so that a large book's answer is not held whole; bounded, as a card's entry is a few
	// hundred bytes.
	dec := xml.NewDecoder(io.LimitReader(resp.Body, MaxCards*1024))
	inHref := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return paths, true, nil
		}
		if err != nil {
			return nil, false, b.wrap(fmt.Errorf("read the list of cards: %w", err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inHref = t.Name.Space == "DAV:" && t.Name.Local == "href"
		case xml.EndElement:
			inHref = false
		case xml.CharData:
			if !inHref {
				continue
			}
			u, err := url.Parse(strings.TrimSpace(string(t)))
			if err != nil {
				return nil, false, b.wrap(fmt.Errorf("the list of cards has a bad href %q: %w", string(t), err))
			}
			if strings.HasSuffix(u.Path, "/") {
				continue // a collection, not a card
			}
			if paths = append(paths, u.Path); len(paths) > MaxCards {
				return nil, false, &contactfile.FormatError{Path: b.url, Msg: fmt.Sprintf("holds more than %d cards", MaxCards)}
			}
		}
	}
}

// source names a card in a contact or a bad row: the address book's name and the card's, such as
// contacts/alice.vcf.
func (b *Book) source(p string) string { return b.name + "/" + path.Base(p) }

// wrap names the address book in an error; refusals and 404 keep their types.
func (b *Book) wrap(err error) error {
	var refused *RefusedError
	var missing *NotFoundError
	if errors.As(err, &refused) || errors.As(err, &missing) {
		return err
	}
	return fmt.Errorf("read CardDAV address book %s: %w", b.url, err)
}

// isParseError reports whether err is a card that does not parse, not a failure to reach the server.
func isParseError(err error) bool {
	var refused *RefusedError
	var missing *NotFoundError
	var ne net.Error
	var ue *url.Error
	return !errors.As(err, &refused) && !errors.As(err, &missing) && !errors.As(err, &ne) && !errors.As(err, &ue) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, io.ErrUnexpectedEOF) &&
		(strings.Contains(err.Error(), "vcard") || strings.Contains(err.Error(), "carddav: expected Content-Type"))
}

// statusClient adds the credentials to each request and turns the statuses retrying cannot fix into typed
// errors before go-webdav reads them (its own HTTP error type is internal).
type statusClient struct {
	http           *http.Client
	user, password string
	book           string
}

func (c *statusClient) Do(req *http.Request) (*http.Response, error) {
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		resp.Body.Close()
		fix := "set the user in EAAPL_CONTACTS_USER (or the URL: https://me%40example.com@host/...) and the password in EAAPL_CONTACTS_PASSWORD or EAAPL_CONTACTS_PASSWORD_FILE"
		if c.user != "" {
			fix = "check EAAPL_CONTACTS_PASSWORD for " + c.user + " (an app password where the provider requires one)"
		}
		return nil, &RefusedError{URL: c.book, Status: "the server refused the credentials (" + resp.Status + ")", Fix: fix, Auth: true}
	case http.StatusForbidden:
		resp.Body.Close()
		return nil, &RefusedError{URL: c.book, Status: "permission denied (" + resp.Status + ")", Fix: "use an address book " + c.user + " may read"}
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, &NotFoundError{URL: c.book}
	}
	return resp, nil
}
