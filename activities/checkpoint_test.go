package activities

import (
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/catalog"
)

// heartbeatEnv is an activity test environment that records the activity's heartbeats, and their sizes.
func heartbeatEnv(a *testWorker) (*testsuite.TestActivityEnvironment, *[]ContactsCheckpoint, *[]int) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	a.commands().Register(env)
	var (
		beats []ContactsCheckpoint
		sizes []int
	)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var cp ContactsCheckpoint
		if err := details.Get(&cp); err == nil {
			beats = append(beats, cp)
		}
		if p, err := converter.GetDefaultDataConverter().ToPayloads(cp); err == nil {
			sizes = append(sizes, len(p.Payloads[0].Data))
		}
	})
	return env, &beats, &sizes
}

// Issue 16 item 2: RetrieveContacts heartbeats contactfile's checkpoint (an offset and a line), a few
// dozen bytes whatever the file's size; before, each heartbeat carried every contact read so far.
func TestRetrieveContactsHeartbeatsSmallCheckpoints(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Email\n")
	const n = 12000 // three pages
	for i := range n {
		fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
	}
	path := writeFile(t, "contacts.csv", b.String())
	a := &testWorker{Contacts: FileContacts{Path: path}, WorkerID: "w"}

	env, beats, sizes := heartbeatEnv(a)
	res, err := runActivityIn(t, env, a.RetrieveContacts, catalog.Task{TaskID: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output["count"] != float64(n) {
		t.Fatalf("count = %v, want %d", res.Output["count"], n)
	}
	if len(*beats) == 0 {
		t.Fatal("no heartbeat")
	}
	first := (*beats)[0]
	if first.Line != 5001 || first.Offset <= 0 || first.Done {
		t.Errorf("first heartbeat = %+v, want the checkpoint after the first page (line 5001)", first)
	}
	for i, size := range *sizes {
		if size > 200 {
			t.Errorf("heartbeat %d is %d bytes, want a checkpoint of at most 200", i, size)
		}
	}

	t.Run("AnyEarlierDetailsMeanAFreshRead", func(t *testing.T) {
		// A later attempt reads the file again from the start: its output holds every contact, and the
		// duplicates of rows before a checkpoint are found only by a read that saw those rows.
		for _, details := range []any{"not a checkpoint", first} {
			env, _, _ := heartbeatEnv(a)
			env.SetHeartbeatDetails(details)
			res, err := runActivityIn(t, env, a.RetrieveContacts, catalog.Task{TaskID: "contacts"})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Output["count"]; got != float64(n) {
				t.Fatalf("with details %v: count = %v, want %d", details, got, n)
			}
		}
	})
}
