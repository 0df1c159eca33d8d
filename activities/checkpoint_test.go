package activities

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/catalog"
)

// heartbeatEnv is an activity test environment that records the activity's heartbeats.
func heartbeatEnv(a *testWorker) (*testsuite.TestActivityEnvironment, *[]ContactsCheckpoint) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	a.commands().Register(env)
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
