package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserTimeout bounds everything a test does in the browser that Browser starts, so a page that never
// shows what the test waits for fails the test instead of hanging it.
const BrowserTimeout = 3 * time.Minute

// chromiumNames are the names Chromium's binary goes by: Debian's package installs /usr/bin/chromium.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// Browser starts a headless Chromium (Debian's chromium package, which `make chromium` installs) with a
// fresh profile and returns a chromedp context for its first tab, bounded by BrowserTimeout. Run actions
// with chromedp.Do(ctx, chromedp.Navigate(url), WaitForText("...")) or, for one that returns a value,
// chromedp.Run(ctx, chromedp.Evaluate[string](js)) (chromedp v0.2x: actions are generic, Action[T]); a
// context derived from it with a shorter timeout may be cancelled freely, the tab stays.
// When the test fails, a screenshot of the tab is written to a folder the test's log names, which is kept
// after the test; Screenshot writes one on demand. The browser is stopped when the test ends.
func Browser(tb testing.TB) context.Context {
	tb.Helper()
	exe := chromium(tb)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1400, 900),
		// Nothing but the page under test: no updates, sync, field trials or QUIC probes, which reach for
		// the internet these machines do not have and slow the start.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // a container's /dev/shm is often 64 MB
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	timeoutCtx, cancelTimeout := context.WithTimeout(allocCtx, BrowserTimeout)
	// The browser's protocol chatter (events it does not know) is not the test's business.
	ctx, cancelTab := chromedp.NewContext(timeoutCtx, chromedp.WithErrorf(func(string, ...any) {}))
	tb.Cleanup(func() {
		cancelTab()
		cancelTimeout()
		cancelAlloc() // stops Chromium and waits for it
	})
	// Starting the browser now makes a Chromium that cannot start fail here, with its reason. It is
	// started with the tab's own context: the first Do's context is the browser's lifetime.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start %s: %v", exe, err)
	}
	// Registered after the stop above, so it runs first, while the tab is still there.
	tb.Cleanup(func() {
		if tb.Failed() {
			Screenshot(tb, ctx, "failure")
		}
	})
	return ctx
}

// chromium finds Chromium's binary, failing the test with what to run when there is none.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	tb.Fatalf("Chromium is missing (looked for %v): run `make chromium` (make test does it)", chromiumNames)
	return ""
}

// Screenshot writes a PNG of the whole page in the tab ctx to name.png in the test's screenshot folder,
// eaapl-screenshots/<test>-<pid> under the system's temporary folder, which is kept after the test, and
// logs its path. A screenshot that cannot be taken is logged, not fatal: it is evidence, not the test.
func Screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "eaapl-screenshots", fmt.Sprintf("%s-%d", safeName(tb.Name()), os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Logf("screenshot %s: %v", name, err)
		return
	}
	// The tab's own context may be past its deadline when a wait timed out; the screenshot gets a short
	// bound of its own within the browser's lifetime.
	shotCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Logf("screenshot %s: %v", name, err)
		return
	}
	tb.Logf("screenshot of the page: %s", path)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// pageTextJS is the page's visible text and that of the frames it can read (the Temporal Web UI shows
// markdown, such as a workflow's details, in frames of its own).
const pageTextJS = `(() => {
	const texts = [document.body ? document.body.innerText : ""];
	for (const f of document.querySelectorAll("iframe")) {
		try { if (f.contentDocument && f.contentDocument.body) texts.push(f.contentDocument.body.innerText); } catch (e) {}
	}
	return texts.join("\n");
})()`

// WaitForText waits until the page's visible text (document.body.innerText, and that of its frames)
// contains text, with every run of white space (line breaks between blocks) taken as one space. It suits
// pages built by scripts (Mailpit's, the Temporal Web UI), whose markup changes between versions while
// what they show a person does not. The wait is bounded by the context chromedp.Do is given.
func WaitForText(text string) chromedp.Action[chromedp.Void] {
	quoted, _ := json.Marshal(strings.Join(strings.Fields(text), " ")) // a string always marshals
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`%s.replace(/\s+/g, " ").includes(%s)`, pageTextJS, quoted),
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// PageText returns the page's visible text, with its frames', for a failure message that says what the
// page showed instead.
func PageText(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageTextJS))
	if err != nil {
		return fmt.Sprintf("(could not read the page's text: %v)", err)
	}
	return text
}
