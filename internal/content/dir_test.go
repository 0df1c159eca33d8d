package content

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// randomBytes is n bytes that do not compress, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

func openDir(tb testing.TB, opts DirOptions) *Dir {
	tb.Helper()
	d, err := OpenDir(filepath.Join(tb.TempDir(), "content"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// files lists the regular files under root, relative to it.
func files(tb testing.TB, root string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestDirRoundTripsA50MBValue(t *testing.T) {
	d := openDir(t, DirOptions{})
	value := randomBytes(50<<20, 1)
	sum := sha256.Sum256(value)
	ctx := context.Background()

	ref, err := d.Put(ctx, bytes.NewReader(value), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Ref{Scheme: "sha256", Hash: hex.EncodeToString(sum[:]), Size: 50 << 20, MediaType: "text/plain"}); ref != want {
		t.Fatalf("ref = %+v, want %+v", ref, want)
	}
	js, err := json.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) > 160 {
		t.Errorf("the ref of 50 MB is %d bytes of JSON, want a small one: %s", len(js), js)
	}

	got, err := ReadAll(ctx, d, ref, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, value) {
		t.Fatalf("read back %d bytes that differ from the %d put", len(got), len(value))
	}

	t.Run("PuttingItAgainStoresNothingNew", func(t *testing.T) {
		again, err := d.Put(ctx, bytes.NewReader(value), "text/plain")
		if err != nil {
			t.Fatal(err)
		}
		if again != ref {
			t.Fatalf("second put = %+v, want %+v", again, ref)
		}
		if got, want := files(t, d.Root()), []string{filepath.Join("sha256", ref.Hash[:2], ref.Hash[2:])}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("store holds %v, want only %v", got, want)
		}
	})

	t.Run("ReadAllRefusesAValueOverItsLimitBeforeReading", func(t *testing.T) {
		_, err := ReadAll(ctx, d, ref, 1<<20)
		var tl *TooLargeError
		if !errors.As(err, &tl) || tl.Limit != 1<<20 {
			t.Fatalf("err = %v, want a *TooLargeError with the 1 MiB limit", err)
		}
	})
}

func TestDirErrors(t *testing.T) {
	ctx := context.Background()
	d := openDir(t, DirOptions{MaxSize: 1000})

	t.Run("AMissingRefIsNamed", func(t *testing.T) {
		sum := sha256.Sum256([]byte("never stored"))
		ref := Ref{Scheme: Scheme, Hash: hex.EncodeToString(sum[:]), Size: 12}
		_, err := d.Get(ctx, ref)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "sha256:"+ref.Hash[:8]) || !strings.Contains(msg, d.Root()) {
			t.Fatalf("error %q does not name the ref and the store", msg)
		}
	})

	t.Run("ARefThatNoStoreMadeIsRefused", func(t *testing.T) {
		for name, ref := range map[string]Ref{
			"PathInHash":   {Scheme: Scheme, Hash: "../../../../etc/passwd", Size: 1},
			"UpperCase":    {Scheme: Scheme, Hash: strings.Repeat("AB", 32), Size: 1},
			"ShortHash":    {Scheme: Scheme, Hash: "abcd", Size: 1},
			"OtherScheme":  {Scheme: "md5", Hash: strings.Repeat("ab", 32), Size: 1},
			"NegativeSize": {Scheme: Scheme, Hash: strings.Repeat("ab", 32), Size: -1},
		} {
			if _, err := d.Get(ctx, ref); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("%s: err = %v, want the ref refused", name, err)
			}
		}
	})

	t.Run("AValueOverTheLimitIsRefusedAndNotKept", func(t *testing.T) {
		_, err := d.Put(ctx, bytes.NewReader(make([]byte, 1001)), "")
		var tl *TooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), "limit of 1.0 kB") {
			t.Fatalf("err = %v, want a *TooLargeError naming the limit", err)
		}
		if got := files(t, d.Root()); len(got) != 0 {
			t.Fatalf("store holds %v after a refused put", got)
		}
		if _, err := d.Put(ctx, bytes.NewReader(make([]byte, 1000)), ""); err != nil {
			t.Fatalf("a value of exactly the limit: %v", err)
		}
	})

	t.Run("AStoredFileChangedOutsideTheStoreIsAnError", func(t *testing.T) {
		ref, err := d.Put(ctx, strings.NewReader("original text"), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.path(ref), []byte("tampered text"), 0o600); err != nil {
			t.Fatal(err)
		}
		rc, err := d.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "changed outside the store") {
			t.Fatalf("reading a tampered value: err = %v, want it reported", err)
		}

		if err := os.WriteFile(d.path(ref), []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Get(ctx, ref); err == nil || !strings.Contains(err.Error(), "has 5 bytes, not 13") {
			t.Fatalf("opening a truncated value: err = %v, want it reported", err)
		}
	})

	t.Run("ACancelledPutStops", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := d.Put(cctx, strings.NewReader("x"), ""); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("OpeningRemovesWhatDeadPutsLeft", func(t *testing.T) {
		stale, fresh := filepath.Join(d.Root(), "tmp", "put-1"), filepath.Join(d.Root(), "tmp", "put-2")
		for _, p := range []string{stale, fresh} {
			if err := os.WriteFile(p, []byte("half a value"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-25 * time.Hour)
		if err := os.Chtimes(stale, old, old); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenDir(d.Root(), DirOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a day-old temporary file is still there: %v", err)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Errorf("a recent temporary file (a put under way) was removed: %v", err)
		}
	})

	t.Run("NoDirectory", func(t *testing.T) {
		if _, err := OpenDir("", DirOptions{}); err == nil {
			t.Fatal("OpenDir(\"\") succeeded")
		}
	})
}

func TestDriverStoresAndRetrievesPayloads(t *testing.T) {
	d := openDir(t, DirOptions{})
	drv := NewDriver(d, 0)
	ctx := context.Background()
	big, err := converter.GetDefaultDataConverter().ToPayload(string(randomBytes(1<<20, 2)))
	if err != nil {
		t.Fatal(err)
	}
	small := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hi"`)}

	claims, err := drv.Store(converter.StorageDriverStoreContext{Context: ctx}, []*commonpb.Payload{big, small})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 2 || claims[0].ClaimData["hash"] == claims[1].ClaimData["hash"] {
		t.Fatalf("claims = %+v, want two different ones", claims)
	}
	got, err := drv.Retrieve(converter.StorageDriverRetrieveContext{Context: ctx}, claims)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !proto.Equal(got[0], big) || !proto.Equal(got[1], small) {
		t.Fatal("retrieved payloads differ from the stored ones")
	}

	t.Run("AClaimForAMissingValueNamesIt", func(t *testing.T) {
		gone := claims[1]
		if err := os.Remove(d.path(Ref{Hash: gone.ClaimData["hash"]})); err != nil {
			t.Fatal(err)
		}
		_, err := drv.Retrieve(converter.StorageDriverRetrieveContext{Context: ctx}, []converter.StorageDriverClaim{gone})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), gone.ClaimData["hash"][:8]) {
			t.Fatalf("err = %v, want ErrNotFound naming the hash", err)
		}
	})

	t.Run("AMalformedClaimIsRefused", func(t *testing.T) {
		for _, c := range []map[string]string{
			{"scheme": "sha256", "hash": "../x", "size": "1"},
			{"scheme": "sha256", "hash": claims[0].ClaimData["hash"]},
		} {
			if _, err := drv.Retrieve(converter.StorageDriverRetrieveContext{Context: ctx}, []converter.StorageDriverClaim{{ClaimData: c}}); err == nil {
				t.Errorf("claim %v was accepted", c)
			}
		}
	})
}
