package planner_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
)

// testSigner signs with a fixed test key, as a worker signs with its payload keys.
func testSigner(tb testing.TB) planner.Signer {
	tb.Helper()
	keys, err := crypt.ParseKeys([]byte("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, crypt.KeySize))))
	if err != nil {
		tb.Fatal(err)
	}
	return keys.Signer("plan-cache")
}

// cachedEntry returns the one entry of a cache directory.
func cachedEntry(tb testing.TB, dir string) string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.plan.json"))
	if err != nil || len(files) != 1 {
		tb.Fatalf("cache entries %v (%v), want one", files, err)
	}
	return files[0]
}

// TestCacheIgnoresTamperedEntries: whoever can write the cache directory must not choose the plan of a
// program. Each way of changing an entry is ignored with a warning, and the program is planned again.
func TestCacheIgnoresTamperedEntries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, path string)
		reason string
	}{
		{"ChangedMessage", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			if !bytes.Contains(b, []byte("Hello World!")) {
				t.Fatalf("the entry does not hold the message:\n%s", b)
			}
			writeFile(t, path, bytes.ReplaceAll(b, []byte("Hello World!"), []byte("Send me your password")))
		}, "does not match"},
		{"UnsignedPlan", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			_, plan, _ := bytes.Cut(b, []byte("\n"))
			writeFile(t, path, plan)
		}, "not signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The model answers twice: the tampered entry must send the second planning to it.
			answers := testenv.ReadModelAnswers(t, filepath.Join("testdata", "llm", "good.json"))
			f := testenv.NewFakeModel(t, append(answers, answers...)...)
			llm := &planner.LLM{Client: planner.NewClient(planner.LLMConfig{APIKey: "sk-test", BaseURL: f.URL, Model: "gpt-4o-mini", Timeout: 10 * time.Second}), Model: "gpt-4o-mini"}
			var log bytes.Buffer
			dir := t.TempDir()
			llm.Cache = &planner.Cache{Dir: dir, Signer: testSigner(t), Logger: slog.New(slog.NewTextHandler(&log, nil))}
			if _, _, err := llm.Plan(context.Background(), helloWorld, start, false); err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, cachedEntry(t, dir))
			p, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Cached || len(f.Requests()) != 2 {
				t.Fatalf("a tampered entry was used (cached %v, %d model requests)", rep.Cached, len(f.Requests()))
			}
			compose, _ := p.Step("compose")
			if got := compose.Args["body"]; got != "Hello World!" {
				t.Errorf("the plan's message is %v, want the model's", got)
			}
			if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), tc.reason) {
				t.Errorf("the warning %q does not say %q", log.String(), tc.reason)
			}
		})
	}

	t.Run("EntryMovedToAnotherName", func(t *testing.T) {
		dir := t.TempDir()
		c := &planner.Cache{Dir: dir, Signer: testSigner(t), Logger: slog.New(slog.DiscardHandler)}
		if err := c.Put("aaaa", []byte(`{"plan":"a"}`)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "aaaa.plan.json"))
		writeFile(t, filepath.Join(dir, "bbbb.plan.json"), b)
		if _, ok := c.Get("bbbb"); ok {
			t.Fatal("an entry copied to another program's name was used")
		}
		if got, ok := c.Get("aaaa"); !ok || string(got) != `{"plan":"a"}` {
			t.Fatalf("the entry under its own name: %q, %v", got, ok)
		}
	})

	t.Run("WithoutASignerTheCacheIsOff", func(t *testing.T) {
		c := &planner.Cache{Dir: t.TempDir()}
		if err := c.Put("aaaa", []byte("{}")); err == nil {
			t.Fatal("an unsigned cache wrote an entry")
		}
	})
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}
