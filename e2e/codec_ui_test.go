package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// encryptedStack is the dev stack as `eaapl dev` starts it, with its data in a folder: a payload key made
// there, its codec server wired to the Web UI, and a worker and client that encrypt with the key.
type encryptedStack struct {
	*devstack.Stack
	dataDir string
	cfg     config.Config // the worker's
	client  client.Client
	starter *starter.Starter
}

func startEncryptedStack(t *testing.T, contacts string, edit func(*config.Config)) *encryptedStack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	st, err := devstack.Start(ctx, devstack.Options{
		TemporalBin: testenv.Bin(t, "temporal"), MailpitBin: testenv.Bin(t, "mailpit"),
		DataDir: dataDir, KafkaPort: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = st.Stop(ctx)
	})
	if st.KeyFile == "" || st.Codec == nil {
		t.Fatalf("the dev stack made no payload key (%q) or codec server (%v)", st.KeyFile, st.Codec)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.KeyFile = dataDir, ""
	keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir) // as every EaaPL process finds the dev stack's key
	if err != nil || keys == nil {
		t.Fatalf("load the dev stack's key: %v", err)
	}
	opts := client.Options{HostPort: st.Temporal.Address, Namespace: st.Temporal.Namespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	crypt.ClientOptions(&opts, keys)
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	cfg.TaskQueue = "e2e-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Contacts = testenv.WriteFile(t, "contacts.vcf", contacts)
	cfg.SMTPAddr, cfg.MailboxURL = st.Mailpit.SMTPAddr, st.Mailpit.APIURL
	cfg.WorkerID = "e2e-worker"
	cfg.Planner = "rules"
	if edit != nil {
		edit(&cfg)
	}
	startWorker(t, c, cfg)
	return &encryptedStack{Stack: st, dataDir: dataDir, cfg: cfg, client: c, starter: &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Encrypted: true}}
}

func (s *encryptedStack) run(t *testing.T, id string, in workflows.Input) workflows.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := s.starter.Start(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.starter.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program %s: %v", id, err)
	}
	return res
}

// grepData returns the files under dir whose bytes contain s.
func grepData(t *testing.T, dir, s string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a journal the server removed meanwhile
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEncryptedHelloWorld runs the Hello World program on the dev stack with its payload key: the dev
// server's database must hold no contact address and no message, the Web UI (in real headless Chromium)
// must still show the program decoded through the codec server, and the temporal CLI must decode it with
// --codec-endpoint.
func TestEncryptedHelloWorld(t *testing.T) {
	s := startEncryptedStack(t, threeContacts, nil)
	const id = "encrypted-hello-world"
	res := s.run(t, id, workflows.Input{Program: helloWorld, UserID: "user_123"})
	if got, want := itemStates(res, "send")["alice@example.com"], "done"; got != want {
		t.Fatalf("alice: %q, want %q (%s)", got, want, res.Summary)
	}

	t.Run("TheDatabaseHoldsNoContactOrMessage", func(t *testing.T) {
		temporalDir := filepath.Join(s.dataDir, "temporal")
		// The search sees the database: the workflow ID is not a payload and is stored as it is.
		if found := grepData(t, temporalDir, id); len(found) == 0 {
			t.Fatalf("the workflow ID %q is nowhere under %s: the search does not see the database", id, temporalDir)
		}
		for _, secret := range []string{"alice@example.com", "carol@example.com", "Alice Example", "Hello World!", "emailed them this week"} {
			if found := grepData(t, temporalDir, secret); len(found) > 0 {
				t.Errorf("%q is in plaintext in %v", secret, found)
			}
		}
	})

	t.Run("TheDataIsPrivate", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{
			filepath.Join(s.dataDir, crypt.DefaultKeyFileName):  0o600,
			filepath.Join(s.dataDir, "temporal"):                0o700,
			filepath.Join(s.dataDir, "temporal", "temporal.db"): 0o600,
		} {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s has mode %04o, want %04o", path, got, want)
			}
		}
	})

	t.Run("TheWebUIShowsTheDecodedProgram", func(t *testing.T) {
		text := browserText(t, s.Temporal.UIURL+"/namespaces/"+s.Temporal.Namespace+"/workflows/"+id, "Hello World!")
		if !strings.Contains(text, "each of my contacts") || !strings.Contains(text, "alice@example.com") {
			t.Errorf("the workflow's page shows the message but not the program and its result:\n%s", tail(text, 60))
		}
	})

	t.Run("TheTemporalCLIDecodesWithTheCodecEndpoint", func(t *testing.T) {
		show := func(args ...string) string {
			out, err := exec.Command(testenv.Bin(t, "temporal"), append([]string{"workflow", "show", "--workflow-id", id,
				"--address", s.Temporal.Address, "--output", "json"}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("temporal workflow show: %v\n%s", err, out)
			}
			return string(out)
		}
		without, with := payloads(t, show()), payloads(t, show("--codec-endpoint", s.Codec.URL))
		if len(without) == 0 || len(without) != len(with) {
			t.Fatalf("%d payloads without the codec endpoint, %d with it", len(without), len(with))
		}
		for _, p := range without {
			if p.encoding != crypt.EncodingEncrypted {
				t.Errorf("without the codec endpoint a payload is %s: %.80s", p.encoding, p.data)
			}
		}
		var decoded strings.Builder
		for _, p := range with {
			if p.encoding == crypt.EncodingEncrypted {
				t.Errorf("with --codec-endpoint %s a payload is still encrypted", s.Codec.URL)
			}
			decoded.WriteString(p.data)
		}
		for _, want := range []string{helloWorld, "alice@example.com"} {
			if !strings.Contains(decoded.String(), want) {
				t.Errorf("the history decoded with --codec-endpoint does not hold %q", want)
			}
		}
	})
	t.Run("ErrorsAreEncryptedToo", func(t *testing.T) {
		// A worker whose contacts file is missing: the error names the file, here named after an address.
		cfg := s.cfg
		cfg.TaskQueue += "-missing"
		cfg.Contacts = filepath.Join(t.TempDir(), "zed-secret@example.com.vcf")
		startWorker(t, s.client, cfg)
		st := &starter.Starter{Client: s.client, TaskQueue: cfg.TaskQueue, Encrypted: true}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		wr, err := st.Start(ctx, "encrypted-error", workflows.Input{Program: helloWorld})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		said := fmt.Sprintf("%v %+v", err, res)
		if !strings.Contains(said, "zed-secret@example.com") {
			t.Fatalf("the failed program does not name the missing file, so this checks nothing: %s", said)
		}
		if found := grepData(t, filepath.Join(s.dataDir, "temporal"), "zed-secret@example.com"); len(found) > 0 {
			t.Errorf("the error's text is in plaintext in %v", found)
		}
	})

	t.Run("TheTemporalCLIStartsAProgramThroughTheCodec", func(t *testing.T) {
		temporal := func(args ...string) string {
			// The codec endpoint from the environment, as the README sets it.
			cmd := exec.Command(testenv.Bin(t, "temporal"), append(args, "--address", s.Temporal.Address)...)
			cmd.Env = append(os.Environ(), "TEMPORAL_CODEC_ENDPOINT="+s.Codec.URL)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("temporal %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		temporal("workflow", "start", "--task-queue", s.starter.TaskQueue, "--type", "Program", "--workflow-id", "cli-encrypted",
			"--input", `"Send 'Hi Dave' to dave@example.com"`)
		if out := temporal("workflow", "result", "--workflow-id", "cli-encrypted", "--output", "json"); !strings.Contains(out, "dave@example.com") || !strings.Contains(out, `"completed"`) {
			t.Fatalf("the result, decoded, does not show the completed send to dave@example.com:\n%s", tail(out, 20))
		}
		for _, secret := range []string{"dave@example.com", "Hi Dave"} {
			if found := grepData(t, filepath.Join(s.dataDir, "temporal"), secret); len(found) > 0 {
				t.Errorf("%q, sent by the temporal CLI through the codec, is in plaintext in %v", secret, found)
			}
		}
	})
}

type payload struct{ encoding, data string }

// payloads returns the payloads of a history that `temporal workflow show -o json` printed, with their
// metadata's encoding and their data decoded from base64. Search attributes are left out: the server
// indexes them, so no codec touches them (EaaPL's hold only workflow.GetVersion's change IDs).
func payloads(t *testing.T, historyJSON string) []payload {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(historyJSON), &doc); err != nil {
		t.Fatalf("temporal workflow show -o json: %v", err)
	}
	var out []payload
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if md, ok := x["metadata"].(map[string]any); ok {
				if enc, ok := md["encoding"].(string); ok {
					e, _ := base64.StdEncoding.DecodeString(enc)
					d, _ := x["data"].(string)
					data, _ := base64.StdEncoding.DecodeString(d)
					out = append(out, payload{encoding: string(e), data: string(data)})
					return
				}
			}
			for k, e := range x {
				if k != "searchAttributes" {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

// browserText opens url in headless Chromium and returns the page's text once it contains want, failing
// the test if it does not within a minute. Chromium runs with a fresh profile and nothing that reaches the
// network on its own.
func browserText(t *testing.T, url, want string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: `apt-get install chromium` (Debian)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
	var text string
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil {
			text = got
		}
		if err == nil && strings.Contains(text, want) {
			return text
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the page %s never showed %q (last error %v); its text:\n%s", url, want, err, tail(text, 60))
		case <-time.After(500 * time.Millisecond):
		}
	}
}
