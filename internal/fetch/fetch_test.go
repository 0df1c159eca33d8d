package fetch

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server is a real HTTP server on 127.0.0.1 with the pages the tests fetch, counting the requests it got.
func server(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><head><title>Status</title></head><body><h1>All good</h1><p>API up</p></body></html>")
	})
	mux.HandleFunc("/data.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id": 12345678901234567890, "ok": true}`)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
		w.Write([]byte("caf\xe9"))
	})
	mux.HandleFunc("/image.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n"))
	})
	// /r/N redirects to /r/N-1; /r/0 is a page.
	mux.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(50<<20))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 50 {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up at its cap
			}
		}
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		zeros := make([]byte, 1<<20)
		for range 50 { // 50 MB of text in about 50 KB on the wire
			if _, err := gz.Write(zeros); err != nil {
				return
			}
		}
		gz.Close()
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
			fmt.Fprint(w, "late")
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv, &hits
}

func allow(tb testing.TB, list string) Allow {
	tb.Helper()
	a, err := ParseAllow(list)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestGet(t *testing.T) {
	srv, _ := server(t)
	c := New(Config{Allow: allow(t, "127.0.0.1")})
	ctx := context.Background()

	t.Run("HTMLAsText", func(t *testing.T) {
		p, err := c.Get(ctx, srv.URL+"/status")
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != "Status" || p.Text != "All good\nAPI up" || p.ContentType != "text/html" || p.Status != 200 {
			t.Fatalf("page = %+v", p)
		}
	})
	t.Run("JSONParsed", func(t *testing.T) {
		p, err := c.Get(ctx, srv.URL+"/data.json")
		if err != nil {
			t.Fatal(err)
		}
		m, ok := p.JSON.(map[string]any)
		if !ok || fmt.Sprint(m["id"]) != "12345678901234567890" || m["ok"] != true {
			t.Fatalf("JSON = %#v", p.JSON)
		}
	})
	t.Run("TextInItsCharset", func(t *testing.T) {
		p, err := c.Get(ctx, srv.URL+"/plain")
		if err != nil || p.Text != "café" {
			t.Fatalf("page = %+v, %v; want café", p, err)
		}
	})
	t.Run("RefusesWhatIsNotText", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/image.png")
		var ce *ContentError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "the page is image/png, not text") {
			t.Fatalf("Get(image.png) = %v", err)
		}
		if ok, _ := Retryable(err); ok {
			t.Fatal("a page that is not text is retryable")
		}
	})
	t.Run("FollowsFiveRedirects", func(t *testing.T) {
		p, err := c.Get(ctx, srv.URL+"/r/5")
		if err != nil || p.Text != "arrived" || len(p.Redirects) != 5 || p.URL != srv.URL+"/r/0" {
			t.Fatalf("Get(/r/5) = %+v, %v", p, err)
		}
		if p.Redirects[0] != srv.URL+"/r/5" || p.Redirects[4] != srv.URL+"/r/1" {
			t.Fatalf("redirects = %v", p.Redirects)
		}
	})
	t.Run("RefusesASixthRedirect", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/r/6")
		var re *RedirectError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "more than 5 redirects") {
			t.Fatalf("Get(/r/6) = %v, want more than 5 redirects", err)
		}
		if ok, _ := Retryable(err); ok {
			t.Fatal("a redirect loop is retryable")
		}
	})
	t.Run("RefusesARedirectToAnotherScheme", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/to?u="+url.QueryEscape("file:///etc/passwd"))
		if err == nil || !strings.Contains(err.Error(), "not http or https") {
			t.Fatalf("Get(redirect to file:) = %v", err)
		}
	})
	t.Run("CutsA50MBBodyAtTheCap", func(t *testing.T) {
		start := time.Now()
		p, err := c.Get(ctx, srv.URL+"/big")
		if err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || p.Bytes != DefaultMaxBytes || int64(len(p.Text)) != DefaultMaxBytes {
			t.Fatalf("page of %d bytes, truncated %v; want %d bytes, truncated", p.Bytes, p.Truncated, DefaultMaxBytes)
		}
		if want := "The page is 50.0 MB, more than the limit of 10.0 MB; only its first 10.0 MB were read."; p.Note != want {
			t.Fatalf("note = %q, want %q", p.Note, want)
		}
		t.Logf("a 50 MB page cut at 10 MB in %s", time.Since(start))
	})
	t.Run("CutsADecompressedBodyAtTheCap", func(t *testing.T) {
		p, err := c.Get(ctx, srv.URL+"/gzip-bomb")
		if err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || p.Bytes != DefaultMaxBytes || !strings.Contains(p.Note, "larger than the limit of 10.0 MB") {
			t.Fatalf("gzip bomb: %d bytes, truncated %v, note %q", p.Bytes, p.Truncated, p.Note)
		}
	})
	t.Run("429IsRetryableAfterRetryAfter", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/busy")
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != 7*time.Second {
			t.Fatalf("Get(/busy) = %v, want 429 with Retry-After 7s", err)
		}
		if ok, after := Retryable(err); !ok || after != 7*time.Second {
			t.Fatalf("Retryable = %v, %s; want true, 7s", ok, after)
		}
	})
	t.Run("503WithADateIsRetryable", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/down")
		ok, after := Retryable(err)
		if !ok || after < 80*time.Second || after > 91*time.Second {
			t.Fatalf("Get(/down) = %v: Retryable = %v, %s; want true, about 90s", err, ok, after)
		}
	})
	t.Run("404IsNotRetryable", func(t *testing.T) {
		_, err := c.Get(ctx, srv.URL+"/missing")
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 404 {
			t.Fatalf("Get(/missing) = %v", err)
		}
		if ok, _ := Retryable(err); ok {
			t.Fatal("a 404 is retryable")
		}
	})
	t.Run("ASlowServerTimesOut", func(t *testing.T) {
		slow := New(Config{Allow: allow(t, "127.0.0.1"), Timeout: 300 * time.Millisecond})
		start := time.Now()
		_, err := slow.Get(ctx, srv.URL+"/slow")
		took := time.Since(start)
		var te *TimeoutError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "no complete answer within 300ms") {
			t.Fatalf("Get(/slow) = %v, want a timeout", err)
		}
		if took > 4*time.Second { // the server would answer after 5s
			t.Fatalf("the timeout of 300ms took %s", took)
		}
		if ok, _ := Retryable(err); !ok {
			t.Fatal("a timeout is not retryable")
		}
	})
	t.Run("BadURLs", func(t *testing.T) {
		for _, u := range []string{"ftp://example.com/x", "file:///etc/passwd", "http://", "::nope"} {
			_, err := c.Get(ctx, u)
			var ie *InvalidURLError
			if !errors.As(err, &ie) {
				t.Fatalf("Get(%q) = %v, want an *InvalidURLError", u, err)
			}
		}
	})
}

func TestGuard(t *testing.T) {
	srv, hits := server(t)
	ctx := context.Background()
	port := srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]

	t.Run("RefusesLoopbackByDefaultBeforeSendingAnything", func(t *testing.T) {
		c := New(Config{})
		before := hits.Load()
		for _, u := range []string{srv.URL + "/status", "http://localhost:" + port + "/status", "http://[::ffff:127.0.0.1]:" + port + "/status"} {
			_, err := c.Get(ctx, u)
			var be *BlockedError
			if !errors.As(err, &be) || be.Reason != "a loopback address" || !strings.Contains(err.Error(), "EAAPL_HTTP_ALLOW") {
				t.Fatalf("Get(%s) = %v, want refused as loopback", u, err)
			}
			if ok, _ := Retryable(err); ok {
				t.Fatal("a refused address is retryable")
			}
		}
		if hits.Load() != before {
			t.Fatalf("the server got %d requests", hits.Load()-before)
		}
	})
	t.Run("RefusesARedirectTo127001WhenOnlyTheNameIsAllowed", func(t *testing.T) {
		c := New(Config{Allow: allow(t, "localhost")})
		before := hits.Load()
		target := srv.URL + "/status" // http://127.0.0.1:port
		_, err := c.Get(ctx, "http://localhost:"+port+"/to?u="+url.QueryEscape(target))
		var be *BlockedError
		if !errors.As(err, &be) || be.Addr != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("redirect to %s = %v, want refused", target, err)
		}
		if got := hits.Load() - before; got != 1 {
			t.Fatalf("the server got %d requests, want 1 (the redirect, not its target)", got)
		}
		// The same redirect within the allowed name goes through.
		p, err := c.Get(ctx, "http://localhost:"+port+"/to?u=/status")
		if err != nil || p.Title != "Status" {
			t.Fatalf("redirect within localhost = %+v, %v", p, err)
		}
	})
	t.Run("RefusesMetadataAndPrivateAddresses", func(t *testing.T) {
		// Judged by the dialer's Control function alone: a test must never send a packet to these.
		g := &guardedDialer{allow: allow(t, "10.1.0.0/16")}
		for addr, reason := range map[string]string{
			"169.254.169.254:80":   "a cloud metadata address",
			"100.100.100.200:80":   "a cloud metadata address",
			"[fd00:ec2::254]:80":   "a cloud metadata address",
			"10.0.0.1:80":          "a private address",
			"172.16.5.4:443":       "a private address",
			"192.168.1.1:80":       "a private address",
			"[fc00::1]:80":         "a private address",
			"169.254.1.1:80":       "a link-local address",
			"[fe80::1]:80":         "a link-local address",
			"0.0.0.0:80":           "an unspecified address",
			"[::]:80":              "an unspecified address",
			"224.0.0.1:80":         "a multicast address",
			"100.64.0.1:80":        "a shared (carrier-grade NAT) address",
			"[::ffff:10.0.0.1]:80": "a private address",
			"[64:ff9b::7f00:1]:80": "a loopback address",
			"[::1]:80":             "a loopback address",
			"127.9.9.9:80":         "a loopback address",
		} {
			err := g.control("example.test")("tcp", addr, nil)
			var be *BlockedError
			if !errors.As(err, &be) || be.Reason != reason {
				t.Fatalf("dial %s = %v, want refused as %s", addr, err, reason)
			}
		}
		if err := g.control("example.test")("tcp", "10.1.2.3:80", nil); err != nil {
			t.Fatalf("dial 10.1.2.3, inside the allowed 10.1.0.0/16 = %v", err)
		}
		if err := g.control("example.test")("tcp", "93.184.215.14:443", nil); err != nil {
			t.Fatalf("dial a public address = %v", err)
		}
	})
	t.Run("ACIDRAllows", func(t *testing.T) {
		c := New(Config{Allow: allow(t, "127.0.0.0/8")})
		if _, err := c.Get(ctx, "http://localhost:"+port+"/status"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseAllow(t *testing.T) {
	a, err := ParseAllow(" status.example.test, 127.0.0.1,10.1.0.0/16, ::1 ,")
	if err != nil {
		t.Fatal(err)
	}
	if !a.host("Status.Example.Test.") || a.host("example.test") {
		t.Fatal("host matching is not exact, case aside")
	}
	for ip, want := range map[string]bool{"127.0.0.1": true, "127.0.0.2": false, "10.1.200.3": true, "10.2.0.1": false, "::1": true} {
		if got := a.addr(netip.MustParseAddr(ip)); got != want {
			t.Fatalf("allowed(%s) = %v, want %v", ip, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "http://x", "a b"} {
		if _, err := ParseAllow(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("ParseAllow(%q) = %v, want an error naming it", bad, err)
		}
	}
}

func TestPublicAddressesPass(t *testing.T) {
	for _, ip := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111"} {
		if r := blockedReason(netip.MustParseAddr(ip)); r != "" {
			t.Fatalf("%s is refused as %s", ip, r)
		}
	}
}

// TestCheckURLJudgesWhatItCanWithoutTheNetwork checks the plan-time half of the guard: the URL's form, and
// a host that is an address, by the dialer's own rule (allow, then the blocked ranges); a host name
// passes (it is judged after DNS, when dialled).
func TestCheckURLJudgesWhatItCanWithoutTheNetwork(t *testing.T) {
	allow, err := ParseAllow("10.1.0.0/16, 127.0.0.2, intranet.test")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ url, want string }{
		{"http://127.0.0.1/x", "fetch http://127.0.0.1/x: refused to connect to 127.0.0.1: it is a loopback address; add it to EAAPL_HTTP_ALLOW if this is meant"},
		{"http://[::1]:8080/", "fetch http://[::1]:8080/: refused to connect to ::1: it is a loopback address; add it to EAAPL_HTTP_ALLOW if this is meant"},
		{"http://192.168.1.1/", "it is a private address"},
		{"http://169.254.169.254/latest", "it is a cloud metadata address"},
		{"ftp://example.com/", `cannot fetch "ftp://example.com/": only http and https addresses can be fetched`},
		{"http:///path", "the address has no host"},
		{"http://10.1.2.3/", ""},
		{"http://127.0.0.2/", ""},
		{"http://intranet.test/", ""},
		{"https://localhost.example/", ""},
		{"https://93.184.216.34/", ""},
	}
	for _, c := range cases {
		_, err := CheckURL(c.url, allow)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckURL(%s) = %v, want it accepted", c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckURL(%s) = %v, want %q", c.url, err, c.want)
		}
	}
	// Get refuses a blocked address with the same words, before dialling.
	_, err = New(Config{}).Get(context.Background(), "http://127.0.0.1:1/x")
	var be *BlockedError
	if !errors.As(err, &be) || err.Error() != "fetch http://127.0.0.1:1/x: refused to connect to 127.0.0.1: it is a loopback address; add it to EAAPL_HTTP_ALLOW if this is meant" {
		t.Fatalf("Get = %v", err)
	}
}
