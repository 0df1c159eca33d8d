// Package cluster_test runs EaaPL the way a production deployment does, from real binaries: PostgreSQL from
// Debian's packages; the Temporal server (go.temporal.io/server/cmd/server, pinned in the Makefile) with its
// schema set up by the server's SQL tool, its frontend, internal frontend, history, matching and worker
// services each a separate process joined through the server's membership protocol, the frontend requiring
// mutual TLS and a JWT its own authorizer accepts (auth_test.go); two `eaapl worker` processes configured
// only through environment variables, their token in EAAPL_TEMPORAL_TOKEN_FILE; Mailpit. It shows that the
// server itself refuses a client without a valid token, runs the Hello World program over 100 contacts and
// a program from the `eaapl run` CLI, then kills a worker in the middle of a second program.
//
// `make test` builds and installs what it needs (`make cluster-tools`). Run on its own, without them, the
// test fails and says so: a skipped test would look like a passing one in CI.
package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/internal/testenv/tools"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

const (
	namespace  = "eaapl"
	contacts   = 100
	helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"
	helloAgain = "Send an email to each of my contacts that says 'Hello again!'"
)

func TestProgramOnAClusterOfSeparateProcesses(t *testing.T) {
	server, sqlTool := clusterBin(t, "temporal-server"), clusterBin(t, "temporal-sql-tool")
	temporalCLI := testenv.Bin(t, "temporal")
	logDir := t.TempDir()
	eaapl := buildEaapl(t)

	began := time.Now()
	pg := startPostgres(t, logDir)
	setUpSchema(t, sqlTool, schemaDir(t, temporalVersion(t, server)), pg)
	iss := newIssuer(t, "eaapl-test-1", true)
	c := startCluster(t, logDir, server, temporalCLI, pg, iss)
	// EaaPL's workers and CLI may read and write the eaapl namespace, and nothing else.
	eaaplToken := tokenFile(t, iss.token(t, "eaapl-worker", time.Hour, namespace+":write"))
	if out, err := c.cli(temporalCLI, "", "operator", "namespace", "create", "--namespace", namespace, "--retention", "24h"); err != nil {
		t.Fatalf("temporal operator namespace create: %v\n%s", err, out)
	}
	// The frontend learns of a new namespace when it refreshes its cache (every second here).
	waitFor(t, "the new namespace is usable", time.Minute, func() error {
		if out, err := c.cli(temporalCLI, namespace, "workflow", "list", "--limit", "1"); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	t.Logf("PostgreSQL, schema and a five-process Temporal cluster with namespace %q ready in %s", namespace, time.Since(began).Round(time.Second))

	mailpit := testenv.Mailpit(t)
	book := writeContacts(t, contacts)
	relay := startSMTPRelay(t, mailpit.SMTPAddr) // worker-a's way to Mailpit, cut when the test says so
	workers, workerEnv := map[string]*process{}, map[string][]string{}
	for id, smtp := range map[string]string{"worker-a": relay.addr, "worker-b": mailpit.SMTPAddr} {
		workerEnv[id] = cleanEnv(append(c.clientEnv(namespace),
			"EAAPL_WORKER_ID="+id,
			"EAAPL_CONTACTS="+book,
			"EAAPL_SMTP_ADDR="+smtp,
			"EAAPL_MAILBOX_URL="+mailpit.APIURL,
			"EAAPL_TEMPORAL_TOKEN_FILE="+eaaplToken,
		)...)
		workers[id] = start(t, logDir, id, nil, workerEnv[id], eaapl, "worker")
	}
	for _, w := range workers {
		waitForLine(t, w, "Worker started", 2*time.Minute)
	}

	st := &starter.Starter{Client: dialCluster(t, c, iss.token(t, "eaapl-test", time.Hour, namespace+":write")), TaskQueue: "eaapl"}

	t.Run("TheServerRefusesAClientWithoutAValidToken", func(t *testing.T) {
		stranger := newIssuer(t, "eaapl-test-1", false) // the same key ID, another key: a forged token
		for _, c2 := range []struct{ name, token string }{
			{"NoToken", ""},
			{"NotAJWT", "not-a-token"},
			{"Expired", iss.token(t, "eaapl-worker", -time.Minute, namespace+":write")},
			{"SignedByAnUnknownKey", stranger.token(t, "eaapl-worker", time.Hour, "temporal-system:admin")},
			{"ForAnotherNamespace", iss.token(t, "eaapl-worker", time.Hour, "other:write")},
			{"ReadOnly", iss.token(t, "eaapl-reader", time.Hour, namespace+":read")},
		} {
			t.Run(c2.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				id := "refused-" + c2.name
				// Dialing asks for GetSystemInfo, which the authorizer allows anyone; the claim mapper
				// refuses a token it cannot verify before that, a valid one without the role at the start.
				cl, err := dial(ctx, c, c2.token)
				if err == nil {
					defer cl.Close()
					_, err = (&starter.Starter{Client: cl, TaskQueue: "eaapl"}).Start(ctx, id, workflows.Input{Program: helloWorld})
				}
				var denied *serviceerror.PermissionDenied
				if !errors.As(err, &denied) {
					t.Fatalf("dialing and starting a program with this token: %v, want the server's PermissionDenied", err)
				}
				t.Logf("refused: %v", err)
				if _, err := st.Client.DescribeWorkflowExecution(ctx, id, ""); !errors.As(err, new(*serviceerror.NotFound)) {
					t.Errorf("the refused program %s exists: %v", id, err)
				}
			})
		}
		t.Run("ReadOnlyMayRead", func(t *testing.T) {
			cl := dialCluster(t, c, iss.token(t, "eaapl-reader", time.Hour, namespace+":read"))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := cl.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace}); err != nil {
				t.Fatalf("listing programs with a read token: %v", err)
			}
		})
	})

	t.Run("HelloWorldOver100ContactsRunsOnBothWorkers", func(t *testing.T) {
		res := runProgram(t, st, "hello-world-cluster", workflows.Input{Program: helloWorld})
		send := sendItems(t, res)
		if got := len(send); got != contacts {
			t.Fatalf("%d send tasks, want %d", got, contacts)
		}
		by := map[string]int{}
		for _, it := range send {
			if it.State != "done" || it.Task == nil {
				t.Fatalf("%s: %s (%s), want done", it.Label, it.State, it.Reason)
			}
			by[it.Task.WorkerID]++
		}
		t.Logf("send tasks by worker: %v", by)
		if by["worker-a"] == 0 || by["worker-b"] == 0 || len(by) != 2 {
			t.Errorf("send tasks by worker = %v, want both worker-a and worker-b, and no one else", by)
		}
		assertOneEmailEach(t, mailpit, "Hello World!")

		// The history is the server's, in PostgreSQL: the temporal CLI reads it through the frontend.
		out, err := c.cli(temporalCLI, namespace, "workflow", "show", "--workflow-id", "hello-world-cluster", "--output", "json")
		if err != nil {
			t.Fatalf("temporal workflow show: %v\n%s", err, out)
		}
		var history struct {
			Events []struct {
				EventType                          string `json:"eventType"`
				ActivityTaskStartedEventAttributes *struct {
					Identity string `json:"identity"`
				} `json:"activityTaskStartedEventAttributes"`
			} `json:"events"`
		}
		if err := json.Unmarshal([]byte(out), &history); err != nil || len(history.Events) == 0 {
			t.Fatalf("temporal workflow show printed no history (%v):\n%.500s", err, out)
		}
		if got, want := history.Events[len(history.Events)-1].EventType, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"; got != want {
			t.Errorf("last event = %s, want %s", got, want)
		}
		identities := map[string]bool{}
		for _, e := range history.Events {
			if e.ActivityTaskStartedEventAttributes != nil {
				identities[e.ActivityTaskStartedEventAttributes.Identity] = true
			}
		}
		if !identities["worker-a"] || !identities["worker-b"] {
			t.Errorf("activities in the history were started by %v, want worker-a and worker-b", identities)
		}
	})

	t.Run("TheCLIRunsAProgramWithItsTokenAndIsRefusedWithout", func(t *testing.T) {
		const program = "Send 'Token checked' to token.check@example.com"
		eaaplRun := func(id string, extra ...string) (string, error) {
			cmd := exec.Command(eaapl, "run", "--id", id, program)
			cmd.Env = cleanEnv(append(c.clientEnv(namespace), extra...)...)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, err := eaaplRun("cli-without-token")
		if err == nil || !strings.Contains(out, "Request unauthorized") {
			t.Errorf("eaapl run without a token: %v\n%s\nwant it refused by the server (Request unauthorized)", err, out)
		}
		out, err = eaaplRun("cli-with-token", "EAAPL_TEMPORAL_TOKEN_FILE="+eaaplToken)
		if err != nil {
			t.Fatalf("eaapl run with the token: %v\n%s", err, out)
		}
		if n := len(messagesSaying(t, mailpit, "Token checked")); n != 1 {
			t.Errorf("%d emails saying 'Token checked', want 1:\n%s", n, out)
		}
	})

	t.Run("AWorkerKilledMidRunLeavesTheProgramToTheOtherAndNoOneIsEmailedTwice", func(t *testing.T) {
		// worker-a is killed at the worst moment: in the middle of a batch, it has sent an email, and
		// Mailpit has it, but the item has not been reported. 10s later (the heartbeat timeout) Temporal
		// retries the batch on worker-b, which resumes after the items worker-a's heartbeats recorded and
		// must find that email in the mailbox and not send it again. With one batch at a time, all 100
		// items are one batch; worker-b is away while the program starts so that worker-a takes it, and is
		// back before worker-a is killed.
		before := mailCount(t, mailpit)
		workers["worker-b"].stop(30 * time.Second)
		relay.held.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		run, err := st.Start(ctx, "hello-again-cluster", workflows.Input{Program: helloAgain, MaxConcurrency: 1})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "worker-a takes the batch", 2*time.Minute, func() error {
			if relay.holding.Load() == 0 {
				return errors.New("it has not connected to the SMTP server")
			}
			return nil
		})
		workers["worker-b"] = start(t, logDir, "worker-b-again", nil, workerEnv["worker-b"], eaapl, "worker")
		waitForLine(t, workers["worker-b"], "Worker started", 2*time.Minute)
		relay.cutAt.Store(10)
		relay.held.Store(false)
		select {
		case <-relay.delivered:
		case <-time.After(3 * time.Minute):
			t.Fatal("worker-a sent no 10th email of the second program within 3 minutes")
		}
		if err := workers["worker-a"].cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-workers["worker-a"].done
		desc, err := st.Client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			t.Fatal(err)
		}
		if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Fatalf("the program is %s when worker-a is killed, want running", got)
		}
		// What worker-a sent before it died: the email to relay.cutTo is the last, the server's reply to it
		// lost, and Mailpit holds it once it has stored it.
		sentByA := map[string]bool{}
		waitFor(t, "the email worker-a sent last is in the mailbox", time.Minute, func() error {
			for _, m := range messagesSaying(t, mailpit, "Hello again!") {
				for _, to := range m.To {
					sentByA[to] = true
				}
			}
			if !sentByA[relay.cutTo] {
				return fmt.Errorf("no email to %s among %d", relay.cutTo, len(sentByA))
			}
			return nil
		})
		t.Logf("killed worker-a right after it sent the email to %s; %d of the second program's emails are in the mailbox", relay.cutTo, mailCount(t, mailpit)-before)

		res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
		if err != nil {
			t.Fatalf("the program did not complete on worker-b: %v", err)
		}
		by, alreadySent := map[string]int{}, map[string]string{}
		for _, it := range sendItems(t, res) {
			if it.State != "done" || it.Task == nil {
				t.Fatalf("%s: %s (%s), want done", it.Label, it.State, it.Reason)
			}
			by[it.Task.WorkerID]++
			if it.Task.Output["already_sent"] == true {
				to, _ := it.Task.Output["recipient"].(string)
				alreadySent[to] = it.Task.WorkerID
			}
		}
		t.Logf("send tasks by worker: %v; %d found their email already sent by worker-a's attempt of the batch, which did not report them", by, len(alreadySent))
		if by["worker-b"] == 0 {
			t.Errorf("send tasks by worker = %v, want worker-b to have finished the program", by)
		}
		// The batch resumed after its last heartbeat, which came before the email cut: worker-b checked
		// that email and those after the heartbeat, all of them sent by worker-a before it died.
		if got := alreadySent[relay.cutTo]; got != "worker-b" {
			t.Errorf("the item of %s, whose email worker-a sent before it was killed: already sent found by %q, want worker-b", relay.cutTo, got)
		}
		for to, w := range alreadySent {
			if !sentByA[to] || w != "worker-b" {
				t.Errorf("the item of %s: already sent, found by %s, but worker-a had not sent it before it died, or worker-b did not find it", to, w)
			}
		}
		assertOneEmailEach(t, mailpit, "Hello again!")
	})
}

// clusterBin returns a binary that `make cluster-tools` builds into bin/, failing with what to run when
// it is missing.
func clusterBin(t *testing.T, name string) string {
	t.Helper()
	return tools.Path(t, name)
}

// buildEaapl builds the eaapl binary of this checkout, which the worker processes run.
func buildEaapl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eaapl")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/eaapl")
	cmd.Dir = testenv.Root(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/eaapl: %v\n%s", err, out)
	}
	return bin
}

// writeContacts writes a vCard file of n contacts, c000@example.com and on.
func writeContacts(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "BEGIN:VCARD\nVERSION:3.0\nFN:Contact %03d\nEMAIL:c%03d@example.com\nEND:VCARD\n", i, i)
	}
	return testenv.WriteFile(t, "contacts.vcf", b.String())
}

// envMap is an environment for envconfig, so that the test's client reads the same TEMPORAL_* variables
// the workers are given, through the same code.
type envMap map[string]string

func (m envMap) Environ() []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func (m envMap) LookupEnv(k string) (string, bool) { v, ok := m[k]; return v, ok }

// dialCluster connects a client to the cluster's frontend with the client certificate and, unless it is
// empty, the token, which the SDK sends as "Authorization: Bearer <token>" (TEMPORAL_API_KEY).
func dialCluster(t *testing.T, c *cluster, token string) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := dial(ctx, c, token)
	if err != nil {
		t.Fatalf("dial the cluster: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// dial is dialCluster that returns the error.
func dial(ctx context.Context, c *cluster, token string) (client.Client, error) {
	env := envMap{}
	for _, kv := range c.clientEnv(namespace) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if token != "" {
		env["TEMPORAL_API_KEY"] = token
	}
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{DisableFile: true, EnvLookup: env})
	if err != nil {
		return nil, err
	}
	return client.DialContext(ctx, opts)
}

// runProgram starts a program and waits for it to complete.
func runProgram(t *testing.T, st *starter.Starter, id string, in workflows.Input) workflows.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run, err := st.Start(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
	var failed *starter.FailedError
	if errors.As(err, &failed) {
		t.Fatalf("program failed: %s", failed.Result.Summary)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sendItems are the items of the program's SendEmail step.
func sendItems(t *testing.T, res workflows.Result) []workflows.ItemResult {
	t.Helper()
	for _, s := range res.Steps {
		if s.Command == "SendEmail" {
			return s.Items
		}
	}
	t.Fatalf("no SendEmail step in the result: %+v", res)
	return nil
}

// assertOneEmailEach checks that every contact got exactly one email with this body, each with its own
// Message-ID.
func assertOneEmailEach(t *testing.T, m *devstack.Mailpit, body string) {
	t.Helper()
	perContact, ids := map[string]int{}, map[string]bool{}
	for _, msg := range messagesSaying(t, m, body) {
		for _, to := range msg.To {
			perContact[to]++
		}
		if ids[msg.MessageID] {
			t.Errorf("Message-ID %s is in the mailbox twice", msg.MessageID)
		}
		ids[msg.MessageID] = true
	}
	for i := range contacts {
		addr := fmt.Sprintf("c%03d@example.com", i)
		if n := perContact[addr]; n != 1 {
			t.Errorf("%s got %d emails saying %q, want 1", addr, n, body)
		}
	}
	if got := len(ids); got != contacts {
		t.Errorf("%d emails saying %q, want %d", got, body, contacts)
	}
	if len(perContact) != contacts {
		t.Errorf("emails saying %q went to %d addresses, want %d", body, len(perContact), contacts)
	}
}

// messagesSaying returns the mailbox's messages whose text is body.
func messagesSaying(t *testing.T, m *devstack.Mailpit, body string) []testenv.Message {
	t.Helper()
	var out []testenv.Message
	for _, msg := range testenv.Messages(t, m, "") {
		if strings.TrimSpace(msg.Text) == body {
			out = append(out, msg)
		}
	}
	return out
}

// mailCount is how many messages the mailbox holds.
func mailCount(t *testing.T, m *devstack.Mailpit) int {
	t.Helper()
	resp, err := http.Get(m.APIURL + "/api/v1/messages?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list.Total
}
