//go:build unix

package devstack

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/eaapl/eaapl/internal/crypt"
)

// TestStartEncrypts: a stack with a data folder makes its payload key there (0600), keeps it across
// restarts, serves its codec to the Web UI, which is told where it is, and keeps the dev server's
// database private.
func TestStartEncrypts(t *testing.T) {
	t.Parallel()
	temporalBin, mailpitBin := repoBin(t, "temporal"), repoBin(t, "mailpit")
	ctx := context.Background()
	dataDir := t.TempDir()
	start := func() *Stack {
		s, err := Start(ctx, Options{TemporalBin: temporalBin, MailpitBin: mailpitBin, DataDir: dataDir, KafkaPort: -1, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stop := func(s *Stack) {
		stopCtx, cancel := context.WithTimeout(ctx, stopBudget)
		defer cancel()
		if err := s.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
	}

	s := start()
	keyFile := filepath.Join(dataDir, crypt.DefaultKeyFileName)
	if s.KeyFile != keyFile {
		t.Fatalf("KeyFile = %q, want %q", s.KeyFile, keyFile)
	}
	first, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("TheFilesArePrivate", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{
			keyFile:                            0o600,
			filepath.Join(dataDir, "temporal"): 0o700,
			filepath.Join(dataDir, "temporal", "temporal.db"): 0o600,
		} {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s: mode %04o, want %04o", path, got, want)
			}
		}
	})

	t.Run("TheWebUIIsToldTheCodecEndpoint", func(t *testing.T) {
		resp, err := http.Get(s.Temporal.UIURL + "/api/v1/settings")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var settings struct{ Codec struct{ Endpoint string } }
		if err := json.NewDecoder(resp.Body).Decode(&settings); err != nil {
			t.Fatal(err)
		}
		if got, want := settings.Codec.Endpoint, s.Codec.URL; got != want {
			t.Errorf("the Web UI's codec endpoint is %q, want %q", got, want)
		}
	})

	t.Run("TheCodecServerAllowsTheWebUIsOrigin", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, s.Codec.URL+"/decode", nil)
		req.Header.Set("Origin", s.Temporal.UIURL)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != s.Temporal.UIURL {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, s.Temporal.UIURL)
		}
	})

	stop(s)
	s = start()
	defer stop(s)
	if again, _ := os.ReadFile(keyFile); string(again) != string(first) {
		t.Error("a restart replaced the payload key: what the first key encrypted could no longer be read")
	}
}
