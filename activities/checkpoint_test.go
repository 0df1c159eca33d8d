package activities

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/catalog"
)

// checkpointFiles are address books with the awkward parts a resumed read must get right: folded lines,
// CRLF, blank lines, a byte-order mark, quoted line breaks.
var checkpointFiles = []struct{ name, content string }{
	{"book.vcf", "\uFEFFBEGIN:VCARD\r\nFN:Ann\r\n  Example\r\nEMAIL:ann@exa\r\n\tmple.com\r\nEND:VCARD\r\n\r\n" +
		"BEGIN:VCARD\nFN:Ben\nEMAIL:ben@example.com\nEND:VCARD\n" +
		"BEGIN:VCARD\nFN:Cat\nEMAIL;PREF=1:cat@example.com\nEND:VCARD\n" +
		"BEGIN:VCARD\nFN:Dov\nEMAIL:dov@example.com\nEND:VCARD"},
	{"book.csv", "\uFEFFName,Email\r\nAnn,ann@example.com\r\n\"Ben\nBenson\",ben@example.com\n\n" +
		"Cat,\"cat@example.com\"\nDov,dov@example.com"},
}

// readWithCheckpoints reads the file, collecting a checkpoint after every contact.
func readWithCheckpoints(tb testing.TB, f FileContacts) ([]Contact, []ContactsCheckpoint) {
	tb.Helper()
	f.CheckpointEvery = -1
	var cps []ContactsCheckpoint
	contacts, err := f.ContactsFrom(context.Background(), nil, func(cp ContactsCheckpoint) { cps = append(cps, cp) })
	if err != nil {
		tb.Fatal(err)
	}
	return contacts, cps
}

func TestContactsResumeFromCheckpoint(t *testing.T) {
	for _, file := range checkpointFiles {
		t.Run(file.name, func(t *testing.T) {
			f := FileContacts{Path: writeFile(t, file.name, file.content)}
			want, err := f.Contacts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 4 {
				t.Fatalf("read %d contacts, want 4: %+v", len(want), want)
			}
			got, cps := readWithCheckpoints(t, f)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("with checkpoints the read gives %+v, want %+v", got, want)
			}
			if len(cps) != len(want) {
				t.Fatalf("%d checkpoints, want one per contact: %d", len(cps), len(want))
			}
			if last := cps[len(cps)-1]; last.Offset != int64(len(file.content)) || !reflect.DeepEqual(last.Contacts, want) {
				t.Errorf("last checkpoint is at %d of %d bytes with %d contacts", last.Offset, len(file.content), len(last.Contacts))
			}

			t.Run("FromEveryCheckpointTheResultIsTheSame", func(t *testing.T) {
				for i, cp := range cps {
					got, err := f.ContactsFrom(context.Background(), &cp, nil)
					if err != nil {
						t.Fatalf("from checkpoint %d: %v", i, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("from checkpoint %d (offset %d, line %d): %+v, want %+v", i, cp.Offset, cp.Line, got, want)
					}
				}
			})

			t.Run("TheContactsBeforeTheCheckpointAreNotReadAgain", func(t *testing.T) {
				cp := cps[1] // after two contacts
				cp.Contacts = []Contact{{Name: "From the checkpoint", Email: "checkpoint@example.com"}}
				got, err := f.ContactsFrom(context.Background(), &cp, nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := append(cp.Contacts, want[2:]...); !reflect.DeepEqual(got, want) {
					t.Fatalf("resumed read = %+v, want %+v", got, want)
				}
			})

			t.Run("AChangedFileIsReadFromTheStart", func(t *testing.T) {
				stale := cps[1]
				stale.Contacts = []Contact{{Name: "Stale", Email: "stale@example.com"}}
				for name, change := range map[string]func(*ContactsCheckpoint){
					"Size":    func(cp *ContactsCheckpoint) { cp.Size++ },
					"ModTime": func(cp *ContactsCheckpoint) { cp.ModTime = cp.ModTime.Add(-time.Second) },
					"Path":    func(cp *ContactsCheckpoint) { cp.Path += ".old" },
				} {
					cp := stale
					change(&cp)
					got, err := f.ContactsFrom(context.Background(), &cp, nil)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("checkpoint with another %s: %+v, want a fresh read %+v", name, got, want)
					}
				}
			})
		})
	}
}

// heartbeatEnv is an activity test environment that records the activity's heartbeats.
func heartbeatEnv(a *testWorker) (*testsuite.TestActivityEnvironment, *[]ContactsCheckpoint) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var beats []ContactsCheckpoint
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var cp ContactsCheckpoint
		if err := details.Get(&cp); err == nil {
			beats = append(beats, cp)
		}
	})
	return env, &beats
}

func TestRetrieveContactsHeartbeatsAndResumes(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Email\n")
	for i := range 50 {
		fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
	}
	path := writeFile(t, "contacts.csv", b.String())
	a := &testWorker{Contacts: FileContacts{Path: path, CheckpointEvery: -1}, WorkerID: "w"}

	// A first attempt reads the whole file, recording a checkpoint after every contact; the SDK sends the
	// first at once and batches the rest, so the server (here the test environment) sees at least one.
	env, beats := heartbeatEnv(a)
	val, err := env.ExecuteActivity(a.RetrieveContacts, catalog.Task{TaskID: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	var full catalog.TaskResult
	if err := val.Get(&full); err != nil {
		t.Fatal(err)
	}
	if len(*beats) == 0 {
		t.Fatal("no heartbeat")
	}
	cp := (*beats)[0]
	n := len(cp.Contacts)
	if n == 0 || n >= 50 || cp.Contacts[n-1].Email != fmt.Sprintf("p%d@example.com", n-1) || cp.Line != n+1 {
		t.Fatalf("the first heartbeat holds %d contacts up to line %d: %+v", n, cp.Line, cp.Contacts)
	}

	// A second attempt, given that heartbeat with its contacts replaced by a marker, must return the
	// marker and the file's contacts after the checkpoint, which proves it read only those.
	cp.Contacts = []Contact{{Name: "Marker", Email: "marker@example.com", Source: "heartbeat"}}
	env, _ = heartbeatEnv(a)
	env.SetHeartbeatDetails(cp)
	val, err = env.ExecuteActivity(a.RetrieveContacts, catalog.Task{TaskID: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	var resumed catalog.TaskResult
	if err := val.Get(&resumed); err != nil {
		t.Fatal(err)
	}
	contacts := resumed.Output["contacts"].([]any)
	if got, want := len(contacts), 1+50-n; got != want {
		t.Fatalf("resumed attempt returned %d contacts, want %d (the marker and %d more)", got, want, 50-n)
	}
	if got := contacts[0].(map[string]any)["email"]; got != "marker@example.com" {
		t.Fatalf("first contact is %v, want the checkpoint's marker", got)
	}
	if got, want := contacts[1:], full.Output["contacts"].([]any)[n:]; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the marker come %v, want the file's contacts after the checkpoint %v", got, want)
	}
	if got := resumed.Output["count"]; got != float64(1+50-n) {
		t.Errorf("count = %v, want %d", got, 1+50-n)
	}

	t.Run("UnreadableDetailsMeanAFreshRead", func(t *testing.T) {
		env, _ := heartbeatEnv(a)
		env.SetHeartbeatDetails("not a checkpoint")
		val, err := env.ExecuteActivity(a.RetrieveContacts, catalog.Task{TaskID: "contacts"})
		if err != nil {
			t.Fatal(err)
		}
		var res catalog.TaskResult
		if err := val.Get(&res); err != nil {
			t.Fatal(err)
		}
		if got := res.Output["count"]; got != 50.0 {
			t.Fatalf("count = %v, want 50", got)
		}
	})
}

func TestContactsCheckpointsAreTimed(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Email\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
	}
	path := writeFile(t, "big.csv", b.String())
	var cps []ContactsCheckpoint
	contacts, err := FileContacts{Path: path, CheckpointEvery: time.Hour}.ContactsFrom(context.Background(), nil, func(cp ContactsCheckpoint) { cps = append(cps, cp) })
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints encode every contact so far: one per contact would take quadratic time.
	if len(contacts) != 20_000 || len(cps) != 0 {
		t.Fatalf("%d contacts and %d checkpoints, want 20000 and none within the hour", len(contacts), len(cps))
	}
}
