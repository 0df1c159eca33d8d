package crypt_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/internal/crypt"
)

func keyLine(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, crypt.KeySize)) + "\n"
}

func writeKeys(tb testing.TB, text string, mode os.FileMode) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "payload.keys")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is cut by the umask
		tb.Fatal(err)
	}
	return path
}

func mustKeys(tb testing.TB, text string) *crypt.Keys {
	tb.Helper()
	k, err := crypt.ParseKeys([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestCodec(t *testing.T) {
	const secret = "alice@example.com says Hello World!"
	dc := converter.GetDefaultDataConverter()
	plain, err := dc.ToPayload(secret)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("EncryptsWithTheNewestKeyAndLeavesNoPlaintext", func(t *testing.T) {
		keys := mustKeys(t, keyLine("old", 1)+keyLine("new", 2))
		enc, err := crypt.NewCodec(keys).Encode([]*commonpb.Payload{plain})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(enc[0].Metadata[crypt.MetadataKeyID]), "new"; got != want {
			t.Fatalf("key ID %q, want %q", got, want)
		}
		if got := string(enc[0].Metadata["encoding"]); got != crypt.EncodingEncrypted {
			t.Fatalf("encoding %q", got)
		}
		if bytes.Contains(enc[0].Data, []byte("alice")) || bytes.Contains(enc[0].Data, []byte("json/plain")) {
			t.Fatal("the encrypted payload holds plaintext")
		}
		dec, err := crypt.NewCodec(keys).Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := dc.FromPayload(dec[0], &got); err != nil || got != secret {
			t.Fatalf("decoded %q, %v; want %q", got, err, secret)
		}
	})

	t.Run("OldKeysStillDecryptAfterRotation", func(t *testing.T) {
		before := mustKeys(t, keyLine("k1", 1))
		enc, err := crypt.NewCodec(before).Encode([]*commonpb.Payload{plain})
		if err != nil {
			t.Fatal(err)
		}
		after := mustKeys(t, keyLine("k1", 1)+keyLine("k2", 2))
		if _, err := crypt.NewCodec(after).Decode(enc); err != nil {
			t.Fatalf("decrypt a k1 payload after rotating to k2: %v", err)
		}
		fresh, _ := crypt.NewCodec(after).Encode([]*commonpb.Payload{plain})
		if got := string(fresh[0].Metadata[crypt.MetadataKeyID]); got != "k2" {
			t.Fatalf("after rotation new payloads use %q, want k2", got)
		}
	})

	t.Run("RefusesAnUnknownKeyNamingIt", func(t *testing.T) {
		enc, _ := crypt.NewCodec(mustKeys(t, keyLine("gone", 1))).Encode([]*commonpb.Payload{plain})
		_, err := crypt.NewCodec(mustKeys(t, keyLine("other", 2))).Decode(enc)
		if err == nil || !strings.Contains(err.Error(), `"gone"`) {
			t.Fatalf("got %v, want an error naming key \"gone\"", err)
		}
	})

	t.Run("RefusesAnAlteredPayload", func(t *testing.T) {
		keys := mustKeys(t, keyLine("k1", 1))
		enc, _ := crypt.NewCodec(keys).Encode([]*commonpb.Payload{plain})
		enc[0].Data[len(enc[0].Data)-1] ^= 1
		if _, err := crypt.NewCodec(keys).Decode(enc); err == nil {
			t.Fatal("an altered payload decrypted")
		}
	})

	t.Run("PassesPlaintextPayloadsThrough", func(t *testing.T) {
		dec, err := crypt.NewCodec(mustKeys(t, keyLine("k1", 1))).Decode([]*commonpb.Payload{plain})
		if err != nil || dec[0] != plain {
			t.Fatalf("a payload from before encryption: %v", err)
		}
	})
}

func TestLoadKeyFile(t *testing.T) {
	t.Run("RefusesAFileOthersMayRead", func(t *testing.T) {
		path := writeKeys(t, keyLine("k1", 1), 0o644)
		_, err := crypt.LoadKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), "0644") || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("got %v, want a refusal naming the mode", err)
		}
	})
	t.Run("ReadsA0600File", func(t *testing.T) {
		keys, err := crypt.LoadKeyFile(writeKeys(t, "# comment\n\n"+keyLine("a", 1)+keyLine("b", 2), 0o600))
		if err != nil {
			t.Fatal(err)
		}
		if got := keys.CurrentID(); got != "b" {
			t.Fatalf("current key %q, want the last line's, b", got)
		}
	})
	for _, tc := range []struct{ name, text, want string }{
		{"NoColon", "abc\n", "line 1 is not `id:base64key`"},
		{"ShortKey", "k1:" + base64.StdEncoding.EncodeToString([]byte("short")) + "\n", "has 5 bytes"},
		{"NotBase64", "k1:***\n", "not base64"},
		{"DuplicateID", keyLine("k1", 1) + keyLine("k1", 2), `line 2: key ID "k1" appears twice`},
		{"BadID", keyLine("k 1", 1), "key ID"},
		{"Empty", "# nothing\n", "holds no key"},
	} {
		t.Run("Refuses"+tc.name, func(t *testing.T) {
			_, err := crypt.ParseKeys([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "AQEB") {
				t.Fatalf("the error quotes the key: %v", err)
			}
		})
	}
}

func TestEnsureKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payload.keys")
	made, err := crypt.EnsureKeyFile(path, time.Date(2026, 12, 1, 21, 30, 0, 0, time.UTC))
	if err != nil || !made {
		t.Fatalf("EnsureKeyFile: %v, %v", made, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Fatalf("mode %04o, want 0600", got)
	}
	keys, err := crypt.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys.CurrentID(), "k20261201T213000"; got != want {
		t.Fatalf("key ID %q, want %q", got, want)
	}
	before, _ := os.ReadFile(path)
	if made, err := crypt.EnsureKeyFile(path, time.Now()); err != nil || made {
		t.Fatalf("second EnsureKeyFile: %v, %v; want the file kept", made, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("EnsureKeyFile replaced an existing key")
	}
}

func TestSigner(t *testing.T) {
	keys := mustKeys(t, keyLine("k1", 1))
	sig := keys.Signer("plan-cache").Sign([]byte("plan"))
	if err := keys.Signer("plan-cache").Verify([]byte("plan"), sig); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	if err := keys.Signer("plan-cache").Verify([]byte("plan!"), sig); err == nil {
		t.Fatal("a changed content verified")
	}
	if err := keys.Signer("other").Verify([]byte("plan"), sig); err == nil {
		t.Fatal("a signature of another purpose verified")
	}
	rotated := mustKeys(t, keyLine("k1", 1)+keyLine("k2", 2))
	if err := rotated.Signer("plan-cache").Verify([]byte("plan"), sig); err != nil {
		t.Fatalf("a k1 signature after rotation: %v", err)
	}
}

// TestCodecServer talks to the server over loopback HTTP with the SDK's own remote codec, the client the
// temporal CLI's --codec-endpoint uses.
func TestCodecServer(t *testing.T) {
	keys := mustKeys(t, keyLine("k1", 1))
	const origin = "http://127.0.0.1:8233"
	srv, err := crypt.Listen("127.0.0.1:0", keys, origin, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	enc, _ := crypt.NewCodec(keys).Encode([]*commonpb.Payload{mustPayload(t, "Hello World!")})

	remote := func(token string) converter.PayloadCodec {
		return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
			Endpoint: srv.URL,
			ModifyRequest: func(r *http.Request) error {
				r.Header.Set("Authorization", "Bearer "+token)
				return nil
			},
		})
	}
	t.Run("DecodesWithTheToken", func(t *testing.T) {
		dec, err := remote("s3cret").Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &got); err != nil || got != "Hello World!" {
			t.Fatalf("decoded %q, %v", got, err)
		}
	})
	t.Run("RefusesAWrongToken", func(t *testing.T) {
		if _, err := remote("guess").Decode(enc); err == nil || !strings.Contains(err.Error(), "bearer token is required") {
			t.Fatalf("got %v, want a refusal asking for the token", err)
		}
	})
	t.Run("AnswersTheWebUIsPreflight", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, origin)
		}
		if !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") {
			t.Fatalf("Access-Control-Allow-Headers %q lacks X-Namespace", resp.Header.Get("Access-Control-Allow-Headers"))
		}
	})
	t.Run("GivesOtherOriginsNoCORS", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", "http://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("Access-Control-Allow-Origin %q for another origin", got)
		}
	})
	t.Run("BoundsTheRequest", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(make([]byte, crypt.MaxCodecRequestBytes+1)))
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d for an oversized request, want 400", resp.StatusCode)
		}
	})
}

func mustPayload(tb testing.TB, v any) *commonpb.Payload {
	tb.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestEventValues(t *testing.T) {
	keys := mustKeys(t, keyLine("k1", 1))
	sealed, err := keys.SealValue("to", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, crypt.ValuePrefix+"k1:") || strings.Contains(sealed, "alice") {
		t.Fatalf("sealed value %q", sealed)
	}
	rotated := mustKeys(t, keyLine("k1", 1)+keyLine("k2", 2))
	if got, err := rotated.OpenValue("to", sealed); err != nil || got != "alice@example.com" {
		t.Fatalf("OpenValue after rotation = %q, %v", got, err)
	}
	if _, err := keys.OpenValue("body", sealed); err == nil {
		t.Fatal("a value sealed for to opened as body")
	}
	if got, err := keys.OpenValue("to", "bob@example.com"); err != nil || got != "bob@example.com" {
		t.Fatalf("a plain value: %q, %v", got, err)
	}
}

// BenchmarkCodec measures what encryption adds to a payload: a task's arguments (1 KB) and a large
// result at Temporal's limit (2 MB).
func BenchmarkCodec(b *testing.B) {
	keys := mustKeys(b, keyLine("k1", 1))
	codec := crypt.NewCodec(keys)
	for _, size := range []int{1 << 10, 2 << 20} {
		p := mustPayload(b, strings.Repeat("a", size))
		b.Run(fmt.Sprintf("EncodeDecode%dB", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				enc, err := codec.Encode([]*commonpb.Payload{p})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := codec.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
