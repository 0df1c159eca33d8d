//go:build unix

package devstack_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eaapl/eaapl/internal/testenv"
)

// TestMailpitWebPage opens Mailpit's web page, where the README sends people to see their emails, in a
// real browser: Mailpit built without its front end serves a blank page (its /dist/app.js is a 404).
func TestMailpitWebPage(t *testing.T) {
	t.Parallel()
	m := testenv.Mailpit(t)

	t.Run("ServesItsScript", func(t *testing.T) {
		resp, err := http.Get(m.APIURL + "/dist/app.js")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /dist/app.js: %s; bin/mailpit was built without its web page: run `make tools`", resp.Status)
		}
		if len(body) < 10_000 {
			t.Errorf("GET /dist/app.js: %d bytes, too few for Mailpit's front end", len(body))
		}
	})

	t.Run("ListsAnEmail", func(t *testing.T) {
		subject := "Page test " + randomWord(t)
		from, to := "me@example.com", "alice@example.com"
		msg := fmt.Sprintf("From: EaaPL Demo <%s>\r\nTo: %s\r\nSubject: %s\r\n\r\nHello from the page test.\r\n", from, to, subject)
		if err := smtp.SendMail(m.SMTPAddr, nil, from, []string{to}, []byte(msg)); err != nil {
			t.Fatalf("send an email to Mailpit: %v", err)
		}

		browser := testenv.Browser(t)
		ctx, cancel := context.WithTimeout(browser, 2*time.Minute) // a loaded machine loads the page slowly
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(m.APIURL), testenv.WaitForText(subject)); err != nil {
			t.Fatalf("Mailpit's page at %s does not list %q: %v; it shows:\n%s", m.APIURL, subject, err, testenv.PageText(browser))
		}
		text := testenv.PageText(browser)
		for _, want := range []string{"EaaPL Demo", to} {
			if !strings.Contains(text, want) {
				t.Errorf("Mailpit's message list does not show %q; it shows:\n%s", want, text)
			}
		}
		// Opening the message shows its text: the page is a working mail client, not only a list.
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.Search(fmt.Sprintf(`//*[contains(text(), %q)]`, subject))),
			testenv.WaitForText("Hello from the page test"),
		); err != nil {
			t.Fatalf("open the message in Mailpit's page: %v; it shows:\n%s", err, testenv.PageText(browser))
		}
	})
}

func randomWord(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
