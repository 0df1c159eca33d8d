package contacts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsfile"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/internal/testenv"
)

// writeCSV writes n contacts, person1@example.com on, and one repeated address after the first 1,500.
func writeCSV(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Person %d,person%d@example.com\n", i, i)
		if i == 1500 {
			b.WriteString("Again,person1@example.com\n")
		}
	}
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func retrieve(t testing.TB, d contacts.Deps) catalog.TaskResult {
	t.Helper()
	res, err := contacts.RetrieveContacts.Run(context.Background(), catalog.Deps{d}, catalog.Call{Task: catalog.Task{TaskID: "contacts", Command: "RetrieveContacts"}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newStore(t testing.TB) catalog.ContentStore {
	t.Helper()
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return contentstore.FromStore(dir)
}

// Issue 16: with a content store, a contacts list longer than the output carries is stored, and its
// output is a reference of a few hundred bytes; read back it holds every contact in file order, once.
func TestRetrieveContactsStoresALongList(t *testing.T) {
	store := newStore(t)

	t.Run("ALongListIsStored", func(t *testing.T) {
		const n = 2500
		res := retrieve(t, contacts.Deps{Source: contactsfile.FileContacts{Path: writeCSV(t, n)}, Store: store})
		b, _ := json.Marshal(res.Output)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		list, ok := contentvalue.ListOf(out["contacts"])
		if !ok {
			t.Fatalf("output %s: contacts is not a stored list", b)
		}
		if len(b) > 1000 || out["count"] != float64(n) || list.Count != n || out["skipped_count"] != float64(1) {
			t.Errorf("output = %s (%d bytes), want count %d, 1 skipped, a few hundred bytes", b, len(b), n)
		}
		items, err := contentvalue.ReadRange(context.Background(), store, list, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		for i, raw := range items {
			var c catalog.ContactValue
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("person%d@example.com", i+1); c.Email != want || c.Name != fmt.Sprintf("Person %d", i+1) {
				t.Fatalf("contact %d = %+v, want %s", i+1, c, want)
			}
		}
	})

	t.Run("AShortListIsCarried", func(t *testing.T) {
		res := retrieve(t, contacts.Deps{Source: contactsfile.FileContacts{Path: writeCSV(t, 1000)}, Store: store})
		if got, ok := res.Output["contacts"].([]catalog.ContactValue); !ok || len(got) != 1000 {
			t.Errorf("contacts = %T, want the 1,000 contacts themselves", res.Output["contacts"])
		}
	})

	t.Run("WithoutAStoreEveryContactIsCarried", func(t *testing.T) {
		res := retrieve(t, contacts.Deps{Source: contactsfile.FileContacts{Path: writeCSV(t, 2500)}})
		if got, ok := res.Output["contacts"].([]catalog.ContactValue); !ok || len(got) != 2500 {
			t.Errorf("contacts = %T, want the 2,500 contacts themselves", res.Output["contacts"])
		}
	})
}

// Issue 16 item 2: with a store, RetrieveContacts holds a chunk of the list at a time (and the addresses
// it has seen, to drop repeats), not the list: its peak heap reading 200,000 contacts is well under that
// of the same read carrying every contact.
func TestRetrieveContactsHeapStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 200,000-row file")
	}
	const n = 200000
	path := writeCSV(t, n)
	store := newStore(t)
	var res catalog.TaskResult
	stored := testenv.PeakHeap(time.Millisecond, func() { res = retrieve(t, contacts.Deps{Source: contactsfile.FileContacts{Path: path}, Store: store}) })
	if res.Output["count"] != n {
		t.Fatalf("count = %v, want %d", res.Output["count"], n)
	}
	carried := testenv.PeakHeap(time.Millisecond, func() { res = retrieve(t, contacts.Deps{Source: contactsfile.FileContacts{Path: path}}) })
	t.Logf("peak heap in use reading %d contacts: %.1f MB into the store, %.1f MB carrying them", n, mb(stored), mb(carried))
	if stored > 48<<20 || stored > carried*2/3 {
		t.Errorf("peak heap %.1f MB reading %d contacts into the store (%.1f MB carrying them), want under 48 MB and well under", mb(stored), n, mb(carried))
	}
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }
