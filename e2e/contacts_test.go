package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsfile"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// skipped returns what the RetrieveContacts step of a result says it left out.
func skipped(t *testing.T, res workflows.Result) []string {
	t.Helper()
	for _, s := range res.Steps {
		if s.Command != "RetrieveContacts" || len(s.Items) != 1 || s.Items[0].Task == nil {
			continue
		}
		var out []string
		list, _ := s.Items[0].Task.Output["skipped"].([]any)
		for _, v := range list {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	t.Fatalf("no RetrieveContacts task in %+v", res.Steps)
	return nil
}

// TestContactsFiles runs programs over contacts files with bad and repeated rows, on real parts.
func TestContactsFiles(t *testing.T) {
	s := newStack(t)

	// Issue 17 item 8: a row without an email stopped the whole program (nothing was sent). Now it is
	// skipped and reported with its file:line, as a row with an invalid address is, and the rest are sent to.
	t.Run("BadRowsAreSkippedAndReportedAndTheRestAreSent", func(t *testing.T) {
		csv := "name,email\nAnn,ann@example.com\nBob,bob@example.com\nCid,cid@example.com\nDee,dee@example.com\nEve,eve@example.com\nNoMail,\nBroken,broken@\nFay,fay@example.com\n"
		st := s.worker(t, testenv.WriteFile(t, "broken.csv", csv), nil)
		res, err := s.run(t, st, "contacts-bad-rows", workflows.Input{Program: "Send 'Bad rows test' to all my contacts"})
		if err != nil {
			t.Fatalf("program: %v (%s)", err, res.Summary)
		}
		got := skipped(t, res)
		if len(got) != 2 || got[0] != "broken.csv:7: row has no email" || !strings.HasPrefix(got[1], `broken.csv:8: "broken@" is not a valid email address`) {
			t.Fatalf("skipped = %q, want broken.csv:7 (no email) and broken.csv:8 (invalid)", got)
		}
		for _, to := range []string{"ann", "bob", "cid", "dee", "eve", "fay"} {
			if n := len(testenv.Messages(t, s.mailpit, "to:"+to+"@example.com subject:\"Bad rows test\"")); n != 1 {
				t.Errorf("%s got %d emails, want 1", to, n)
			}
		}
		if n := len(testenv.Messages(t, s.mailpit, "subject:\"Bad rows test\"")); n != 6 {
			t.Errorf("%d emails sent, want 6", n)
		}
	})

	// Issue 14 item 6: one address listed three ways got 5 emails. Recipients are one per normalised
	// address, and the repeats are reported as duplicates of the first line.
	t.Run("ARepeatedAddressGetsOneEmail", func(t *testing.T) {
		csv := "name,email\nAnn,ann@example.com\nDup,dup@example.com\nDup Upper,DUP@EXAMPLE.COM\nDup Spaced,\" dup@example.com \"\nDup Again,dup@example.com\nDup Named,Dup <dup@example.com>\n"
		st := s.worker(t, testenv.WriteFile(t, "dup.csv", csv), nil)
		res, err := s.run(t, st, "contacts-duplicates", workflows.Input{Program: "Send 'Dup test' to all my contacts"})
		if err != nil {
			t.Fatalf("program: %v (%s)", err, res.Summary)
		}
		if n := len(testenv.Messages(t, s.mailpit, "to:dup@example.com subject:\"Dup test\"")); n != 1 {
			t.Errorf("dup@example.com got %d emails, want 1", n)
		}
		if n := len(testenv.Messages(t, s.mailpit, "subject:\"Dup test\"")); n != 2 {
			t.Errorf("%d emails sent, want 2 (ann and dup)", n)
		}
		got := skipped(t, res)
		if len(got) != 4 {
			t.Fatalf("skipped = %q, want the 4 repeats", got)
		}
		for i, line := range []int{4, 5, 6, 7} {
			if want := fmt.Sprintf("dup.csv:%d: ", line); !strings.HasPrefix(got[i], want) || !strings.HasSuffix(got[i], "is a duplicate of line 3") {
				t.Errorf("skipped[%d] = %q, want %s… is a duplicate of line 3", i, got[i], want)
			}
		}
	})

	// Issue 17 item 8: when many rows are bad, the program asks before anyone is emailed; continue goes on.
	t.Run("ManyBadRowsAskFirst", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("name,email\n")
		for i := range 10 {
			fmt.Fprintf(&b, "P%d,many%d@example.com\n", i, i)
		}
		for i := range 6 {
			fmt.Fprintf(&b, "Bad%d,\n", i)
		}
		st := s.worker(t, testenv.WriteFile(t, "many.csv", b.String()), nil)
		const id = "contacts-many-bad-rows"
		res := s.runAnswering(t, st, id, workflows.Input{Program: "Send 'Many bad' to all my contacts"}, func(q workflows.Question) {
			if !strings.Contains(q.Text, "6 of the 16 rows of your contacts file are not contacts") || !strings.Contains(q.Text, "many.csv:12: row has no email") {
				t.Errorf("question = %q", q.Text)
			}
			if n := len(testenv.Messages(t, s.mailpit, "subject:\"Many bad\"")); n != 0 {
				t.Errorf("%d emails sent before the answer, want none", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := st.Answer(ctx, id, q.ID, "continue"); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
		})
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		if n := len(testenv.Messages(t, s.mailpit, "subject:\"Many bad\"")); n != 10 {
			t.Errorf("%d emails sent after continue, want 10", n)
		}
		if got := skipped(t, res); len(got) != 6 {
			t.Errorf("skipped = %q, want the 6 bad rows", got)
		}
	})
}

// heartbeatSizes records the size of every heartbeat's details an activity of the worker records.
type heartbeatSizes struct {
	interceptor.WorkerInterceptorBase
	mu    sync.Mutex
	sizes []int
}

func (h *heartbeatSizes) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &heartbeatInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, h: h}
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	h *heartbeatSizes
}

func (i *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&heartbeatOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, h: i.h})
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	h *heartbeatSizes
}

func (o *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	p, err := converter.GetDefaultDataConverter().ToPayloads(details...)
	size := -1
	if err == nil {
		size = 0
		for _, pl := range p.Payloads {
			size += len(pl.Data)
		}
	}
	o.h.mu.Lock()
	o.h.sizes = append(o.h.sizes, size)
	o.h.mu.Unlock()
	o.Next.RecordHeartbeat(ctx, details...)
}

// retrieveOnly runs RetrieveContacts as a program's step does (its catalog timeouts and retries) and
// returns the count of its output.
func retrieveOnly(ctx workflow.Context) (int, error) {
	spec, _ := catalog.Get("RetrieveContacts")
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(spec.Timeout),
		HeartbeatTimeout:    time.Duration(spec.HeartbeatTimeout),
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1}, // a failure must show, not be retried away
	})
	// Only the count: decoding 200,000 contacts into maps, as the program workflow holds outputs, takes
	// over a second on a loaded machine, and the SDK's deadlock detector fails the workflow task.
	var res struct {
		Output struct {
			Count int `json:"count"`
		} `json:"output"`
	}
	if err := workflow.ExecuteActivity(ctx, "RetrieveContacts", catalog.Task{TaskID: "contacts", Command: "RetrieveContacts"}).Get(ctx, &res); err != nil {
		return 0, err
	}
	return res.Output.Count, nil
}

// Issue 16 item 2: a 200,000-row contacts file could not be read (each heartbeat carried every contact
// read so far, far over Temporal's payload limit). Read by the real RetrieveContacts on a real Temporal
// dev server, every heartbeat is now the small checkpoint. The output itself (about 15 MB) is still one
// payload: it travels through internal/content's external storage here, as the list type has no content
// reference yet.
func TestRetrieveContactsReads200000Rows(t *testing.T) {
	const n = 200_000
	path := filepath.Join(t.TempDir(), "big.csv")
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := range n {
		fmt.Fprintf(&b, "Person %d,person%d@example.com\n", i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := testenv.Temporal(t)
	store, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{
		HostPort:        srv.FrontendHostPort(),
		Logger:          sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		ExternalStorage: content.ExternalStorage(store, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const queue = "e2e-contacts-200000"
	beats := &heartbeatSizes{}
	w := sdkworker.New(c, queue, sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{beats}})
	w.RegisterWorkflow(retrieveOnly)
	(&activities.Commands{Deps: catalog.Deps{contacts.Deps{Source: contactsfile.FileContacts{Path: path}}}, WorkerID: "e2e"}).Register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "contacts-200000", TaskQueue: queue}, retrieveOnly)
	if err != nil {
		t.Fatal(err)
	}
	var count int
	if err := run.Get(ctx, &count); err != nil {
		t.Fatalf("RetrieveContacts over %d rows: %v", n, err)
	}
	if count != n {
		t.Fatalf("count = %d, want %d", count, n)
	}
	beats.mu.Lock()
	defer beats.mu.Unlock()
	if len(beats.sizes) < n/5000 {
		t.Fatalf("%d heartbeats, want one per page of 5,000 rows (%d)", len(beats.sizes), n/5000)
	}
	largest := 0
	for _, size := range beats.sizes {
		if size < 0 || size > 200 {
			t.Fatalf("a heartbeat's details are %d bytes, want a checkpoint of at most 200", size)
		}
		largest = max(largest, size)
	}
	t.Logf("%d rows (%d bytes) read in %s; %d heartbeats, the largest %d bytes", n, b.Len(), time.Since(start).Round(time.Millisecond), len(beats.sizes), largest)
}
