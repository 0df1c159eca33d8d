package carddav_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// A large address book is listed with one REPORT addressbook-query (Radicale answers the PROPFIND of
// depth 1 it replaced in 30 s for 5,000 cards, the query in under a second) and read a page at a time,
// each page one multiget. The requests are counted by a proxy in front of Radicale; the times are logged.
func TestLargeAddressBookOnRadicale(t *testing.T) {
	const n = 3000
	var cards []mailtest.User
	for i := range n {
		cards = append(cards, mailtest.User{Name: fmt.Sprintf("Person %05d", i), Address: fmt.Sprintf("person%05d@example.com", i)})
	}
	sys := mailtest.Start(t, mailtest.Options{Contacts: cards})
	target, err := url.Parse(sys.CardDAVURL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path+" depth "+r.Header.Get("Depth"))
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	bookURL := strings.Replace(srv.URL, "http://", "http://me%40example.com@", 1) + target.Path

	// The first read is the server's first of these cards: Radicale then parses each card and writes its
	// item cache; the second finds them cached.
	for _, read := range []string{"first", "second"} {
		mu.Lock()
		requests = nil
		mu.Unlock()
		book, err := carddav.Open(carddav.Config{URL: bookURL, Password: mailtest.Me.Password, Timeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		var cp carddav.Checkpoint
		got, pages := 0, 0
		for ; !cp.Done; pages++ {
			at := time.Now()
			p, err := book.ReadPage(context.Background(), cp, carddav.MaxPage)
			if err != nil {
				t.Fatal(err)
			}
			got += len(p.Contacts)
			cp = p.Next
			t.Logf("%s read, page %d: %d cards in %s", read, pages, len(p.Contacts), time.Since(at).Round(time.Millisecond))
		}
		t.Logf("%s read: %d cards in %s", read, got, time.Since(began).Round(time.Millisecond))
		if got != n || pages != n/carddav.MaxPage {
			t.Fatalf("%s read: %d cards in %d pages, want %d in %d", read, got, pages, n, n/carddav.MaxPage)
		}
		mu.Lock()
		reports := 0
		for _, r := range requests {
			switch {
			case strings.HasPrefix(r, "PROPFIND "+target.Path):
				t.Errorf("%s read: %q lists the book with a PROPFIND", read, r)
			case strings.HasPrefix(r, "REPORT "+target.Path):
				reports++
			}
		}
		if want := 1 + n/carddav.MaxPage; reports != want {
			t.Errorf("%s read: %d REPORTs of the book, want %d (one listing, one multiget a page): %q", read, reports, want, requests)
		}
		mu.Unlock()
	}
}
