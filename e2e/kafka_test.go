package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// The Kafka bridge on real parts: a worker set up as `eaapl worker` is, with KAFKA_BROKERS pointing at the
// embedded broker of `eaapl dev`, runs programs on the Temporal dev server and Mailpit; what it mirrored is
// read back with kcat, as any consumer outside EaaPL would read it.

// kafkaWorker starts a worker whose bridge publishes to the broker at addr, with a heartbeat fast enough
// for a test to see.
func (s *stack) kafkaWorker(t *testing.T, contactsFile, addr, workerID string, edit func(*config.Config)) *starter.Starter {
	t.Helper()
	return s.worker(t, contactsFile, func(c *config.Config) {
		c.Kafka.Brokers = []string{addr}
		c.HeartbeatInterval = 500 * time.Millisecond
		c.WorkerID = workerID
		if edit != nil {
			edit(c)
		}
	})
}

func TestKafkaHelloWorld(t *testing.T) {
	broker := testenv.Broker(t, t.TempDir(), 0)
	addr := broker.Addr()
	s := newStack(t)
	const workerID, id = "e2e-kafka-worker", "kafka-hello-world"
	keyFile := planCacheKey(t) // the worker seals contact data and message text with it
	st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), addr, workerID, func(c *config.Config) { c.KeyFile = keyFile })
	user := "me@example.com"
	if _, err := devstack.SeedHistory(context.Background(), s.mailpit, user, "bob@example.com", startOfWeek(time.Now())); err != nil {
		t.Fatal(err)
	}

	res, err := s.run(t, st, id, workflows.Input{Program: helloWorld, UserID: "user_123"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	completed := time.Now()
	if got, want := res.State, workflows.StateCompleted; got != want {
		t.Fatalf("state = %q, want %q (%s)", got, want, res.Summary)
	}
	// The tasks that ran: bob, emailed this week, has no send task.
	tasks := []string{"compose", "contacts", "history", "send_1", "send_3"}
	steps := []string{"compose", "contacts", "history", "send"}

	t.Run("TheProgramsEventsAreThereWhenItCompletes", func(t *testing.T) {
		awaitEvents(t, addr, 5*time.Second, func(got map[string][]bridge.Record) bool {
			return len(got[bridge.TopicTaskDispatch]) >= len(tasks) && len(got[bridge.TopicTaskResult]) >= len(tasks) &&
				len(got[bridge.TopicTaskDependency]) >= 3*len(steps)
		}, bridge.TopicTaskDispatch, bridge.TopicTaskResult, bridge.TopicTaskDependency)
		// The program waits for its events before it completes; reading them back takes the rest.
		if took := time.Since(completed); took > 3*time.Second {
			t.Errorf("the program's events were readable %v after it completed, want at most 3s", took)
		}
	})
	// The worker's own events come on its own clock: the first at start, then every heartbeat.
	awaitEvents(t, addr, 10*time.Second, func(got map[string][]bridge.Record) bool {
		for _, topic := range []string{bridge.TopicWorkerHeartbeat, bridge.TopicMonitoringMetrics, bridge.TopicResourceAllocation} {
			if !slices.ContainsFunc(got[topic], func(r bridge.Record) bool { return r.Key == workerID }) {
				return false
			}
		}
		return len(got[bridge.TopicLogsDebug]) > 0
	}, bridge.TopicWorkerHeartbeat, bridge.TopicMonitoringMetrics, bridge.TopicResourceAllocation, bridge.TopicLogsDebug)

	sealed := readEveryTopic(t, addr)

	t.Run("NoContactAddressNameOrMessageIsInAnyRecordsBytes", func(t *testing.T) {
		// Every byte kcat gets, keys and headers included, as a consumer without the key reads them.
		for _, topic := range bridge.TopicNames() {
			raw := readTopicRaw(t, addr, topic)
			for _, secret := range []string{"@example.com", "Alice", "Carol", "Bob Example", "Hello World", helloWorld} {
				if i := bytes.Index(raw, []byte(secret)); i >= 0 {
					t.Errorf("%s holds %q in the clear: ...%s...", topic, secret, raw[max(0, i-200):min(len(raw), i+100)])
				}
			}
		}
		if !bytes.Contains(readTopicRaw(t, addr, bridge.TopicTaskDispatch), []byte(bridge.SealedPrefix)) {
			t.Errorf("task.dispatch has no sealed value")
		}
	})

	t.Run("EaaplEventsShowsThemDecryptedWithTheKeyAndSaysWhenItCannot", func(t *testing.T) {
		bin := buildEaapl(t)
		events := func(keyFile string) (stdout, stderr string) {
			cmd := exec.Command(bin, "events", "--json", "--program", id, "--topic", bridge.TopicTaskDispatch+","+bridge.TopicTaskResult, "--brokers", addr)
			cmd.Env = append(os.Environ(), "EAAPL_KEY_FILE="+keyFile, "EAAPL_DATA_DIR="+t.TempDir())
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("eaapl events: %v\n%s", err, errOut.Bytes())
			}
			return out.String(), errOut.String()
		}
		out, errOut := events(keyFile)
		for _, want := range []string{`"to":{"email":"carol@example.com"`, `"body":"Hello World!"`} {
			if !strings.Contains(out, want) {
				t.Errorf("eaapl events with the key does not show %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, bridge.SealedPrefix) || errOut != "" {
			t.Errorf("eaapl events with the key left values sealed: stderr %q", errOut)
		}
		out, errOut = events("")
		if strings.Contains(out, "carol@example.com") || !strings.Contains(out, bridge.SealedPrefix) {
			t.Errorf("eaapl events without a key printed plain values:\n%s", out)
		}
		if !strings.Contains(errOut, "could not be opened") || !strings.Contains(errOut, "EAAPL_KEY_FILE") {
			t.Errorf("eaapl events without a key says %q, want how many values it could not open and EAAPL_KEY_FILE", errOut)
		}
	})

	all := openEveryTopic(t, sealed, keyFile)

	t.Run("EveryRecordCarriesAnEventIDAndValidatesAgainstItsTopicsSchema", func(t *testing.T) {
		schemas := compileSchemas(t)
		for _, topic := range bridge.TopicNames() {
			seen := map[string]bool{}
			for _, r := range sealed[topic] { // as published: sealed values validate too
				if r.EventID == "" {
					t.Errorf("%s offset %d (key %q) has no %s header", topic, r.Offset, r.Key, bridge.HeaderEventID)
				} else if seen[r.EventID] {
					t.Errorf("%s: event %s is there twice in a run without broker trouble", topic, r.EventID)
				}
				seen[r.EventID] = true
				if err := validate(schemas[topic], r.Value); err != nil {
					t.Errorf("%s offset %d: %s does not validate: %v", topic, r.Offset, r.Value, err)
				}
			}
		}
	})

	dispatch, result := all[bridge.TopicTaskDispatch], all[bridge.TopicTaskResult]

	t.Run("DispatchAndResultHaveOneRecordPerTaskKeyedByTaskID", func(t *testing.T) {
		for _, c := range []struct {
			topic   string
			records []bridge.Record
		}{{bridge.TopicTaskDispatch, dispatch}, {bridge.TopicTaskResult, result}} {
			if got, want := keys(c.records), tasks; !slices.Equal(got, want) {
				t.Errorf("%s keys = %v, want %v: one record per task executed", c.topic, got, want)
			}
			for _, r := range c.records {
				if got := field[string](t, r, "task_id"); got != r.Key {
					t.Errorf("%s: key %q, task_id %q", c.topic, r.Key, got)
				}
			}
		}
		commands := map[string]string{"contacts": "RetrieveContacts", "history": "CheckEmailHistory", "compose": "ComposeEmail", "send_1": "SendEmail", "send_3": "SendEmail"}
		for _, r := range dispatch {
			if got, want := field[string](t, r, "command"), commands[r.Key]; got != want {
				t.Errorf("task.dispatch %s: command %q, want %q", r.Key, got, want)
			}
		}
		for _, r := range result {
			if got, want := field[string](t, r, "status"), "success"; got != want {
				t.Errorf("task.result %s: status %q, want %q", r.Key, got, want)
			}
			if got, want := field[string](t, r, "worker_id"), workerID; got != want {
				t.Errorf("task.result %s: worker_id %q, want %q", r.Key, got, want)
			}
		}
		if to := field[map[string]any](t, byKey(dispatch)["send_3"], "parameters")["to"]; !strings.Contains(fmt.Sprint(to), "carol@example.com") {
			t.Errorf("task.dispatch send_3 sends to %v, want carol", to)
		}
	})

	t.Run("TaskChainHasTheSendsTheForEachCreated", func(t *testing.T) {
		chain := all[bridge.TopicTaskChain]
		if got, want := keys(chain), []string{"send_1", "send_3"}; !slices.Equal(got, want) {
			t.Fatalf("task.chain keys = %v, want %v", got, want)
		}
		for _, r := range chain {
			if got, want := field[string](t, r, "parent_task_id"), "send"; got != want {
				t.Errorf("task.chain %s: parent %q, want %q", r.Key, got, want)
			}
			// send reads the contacts (its for_each list), the history (its if) and the message.
			deps := field[[]any](t, r, "dependencies")
			slices.SortFunc(deps, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			if got, want := fmt.Sprint(deps), "[compose contacts history]"; got != want {
				t.Errorf("task.chain %s: dependencies %v, want %v", r.Key, got, want)
			}
		}
	})

	t.Run("TaskDependencyFollowsEveryStepFromPendingToCompletedInOrder", func(t *testing.T) {
		dep := all[bridge.TopicTaskDependency]
		for _, step := range steps {
			if got, want := stepStates(t, dep, step), []string{"pending", "in_progress", "completed"}; !slices.Equal(got, want) {
				t.Errorf("task.dependency %s: %v, want %v", step, got, want)
			}
		}
		if got, want := len(dep), 3*len(steps); got != want {
			t.Errorf("task.dependency has %d records, want %d", got, want)
		}
		if got := field[[]any](t, firstWith(dep, "history", "status", "pending"), "dependent_tasks"); !slices.Equal(got, []any{"send"}) {
			t.Errorf("history's dependent_tasks = %v, want [send]", got)
		}
	})

	t.Run("AnalyticsHasOneDataPointPerTask", func(t *testing.T) {
		var got []string
		for _, r := range all[bridge.TopicAnalyticsData] {
			got = append(got, field[string](t, r, "task_id"))
			if r.Key != field[string](t, r, "data_point_id") {
				t.Errorf("analytics.data: key %q is not the data_point_id", r.Key)
			}
		}
		slices.Sort(got)
		if want := tasks; !slices.Equal(got, want) {
			t.Errorf("analytics.data tasks = %v, want %v", got, want)
		}
	})

	t.Run("TheWorkerReportsItsHeartbeatMetricsResourcesAndLogs", func(t *testing.T) {
		for _, topic := range []string{bridge.TopicWorkerHeartbeat, bridge.TopicMonitoringMetrics, bridge.TopicResourceAllocation} {
			if !slices.ContainsFunc(all[topic], func(r bridge.Record) bool { return r.Key == workerID }) {
				t.Errorf("%s has no record keyed %s: %v", topic, workerID, keys(all[topic]))
			}
		}
		if !slices.ContainsFunc(all[bridge.TopicLogsDebug], func(r bridge.Record) bool {
			return field[string](t, r, "worker_id") == workerID && field[string](t, r, "message") == "Worker started"
		}) {
			t.Errorf("logs.debug does not have the worker's start: %d records", len(all[bridge.TopicLogsDebug]))
		}
	})

	t.Run("ACleanRunHasNoErrorsRetriesPrioritiesOrAlerts", func(t *testing.T) {
		for _, topic := range []string{bridge.TopicErrorsReport, bridge.TopicTaskRetry, bridge.TopicTaskPriority, bridge.TopicSystemAlerts, bridge.TopicFeedbackHITL} {
			if n := len(all[topic]); n > 0 {
				t.Errorf("%s has %d records: %s", topic, n, all[topic][0].Value)
			}
		}
		// security.events holds the audit trail's start of the program, and nothing else.
		for _, r := range all[bridge.TopicSecurityEvents] {
			if typ := field[string](t, r, "event_type"); typ != "program_started" {
				t.Errorf("security.events has a %s record in a clean run: %s", typ, r.Value)
			}
		}
	})
}

func TestKafkaReportsRejectionsAndFailures(t *testing.T) {
	broker := testenv.Broker(t, "", 0)
	addr := broker.Addr()
	s := newStack(t)
	schemas := compileSchemas(t)

	t.Run("AProgramTheGrammarDoesNotCoverIsASecurityEvent", func(t *testing.T) {
		const workerID, id = "e2e-kafka-rejecting", "kafka-rejected"
		st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), addr, workerID, nil)
		if _, err := s.run(t, st, id, workflows.Input{Program: "Send an email to each of my contacts if it rains that says 'Hi'", UserID: "user_rain"}); err == nil {
			t.Fatal("the program must be rejected")
		}
		awaitEvents(t, addr, 10*time.Second, func(got map[string][]bridge.Record) bool {
			return len(program(got[bridge.TopicSecurityEvents], id)) > 0
		}, bridge.TopicSecurityEvents)

		events := program(testenv.ReadTopic(t, addr, bridge.TopicSecurityEvents), id)
		if len(events) != 1 {
			t.Fatalf("security.events has %d records of %s, want 1", len(events), id)
		}
		r := events[0]
		if err := validate(schemas[bridge.TopicSecurityEvents], r.Value); err != nil {
			t.Errorf("%s does not validate: %v", r.Value, err)
		}
		for name, want := range map[string]string{"event_type": "program_rejected", "user_id": testOwner, "worker_id": workerID, "event_id": r.Key} {
			if got := field[string](t, r, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if d := field[string](t, r, "description"); !strings.Contains(d, "if it rains") {
			t.Errorf("description %q does not quote what was not understood", d)
		}
		if r.EventID == "" {
			t.Errorf("the record has no %s header", bridge.HeaderEventID)
		}
		if n := len(program(testenv.ReadTopic(t, addr, bridge.TopicTaskDispatch), id)); n != 0 {
			t.Errorf("a rejected program dispatched %d tasks", n)
		}
	})

	t.Run("EveryFailedAttemptIsAnErrorReportAndEveryRetryATaskRetry", func(t *testing.T) {
		const workerID, id = "e2e-kafka-smtp-down", "kafka-smtp-down"
		port, err := devstack.FreePort() // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		smtp := "127.0.0.1:" + strconv.Itoa(port)
		st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), addr, workerID, func(c *config.Config) { c.SMTPAddr = smtp })
		ctx := context.Background()
		if _, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Are you there?' to carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		// The retries would go on for a minute; two failed attempts and one retry are enough to see.
		t.Cleanup(func() { _ = s.temporal.Client().TerminateWorkflow(ctx, id, "", "the test has seen what it needs") })
		awaitEvents(t, addr, 15*time.Second, func(got map[string][]bridge.Record) bool {
			return len(ofErrors(got[bridge.TopicErrorsReport], id)) >= 2 && len(ofRetries(t, got[bridge.TopicTaskRetry], id)) >= 1
		}, bridge.TopicErrorsReport, bridge.TopicTaskRetry)
		if err := s.temporal.Client().TerminateWorkflow(ctx, id, "", "the test has seen what it needs"); err != nil {
			t.Fatal(err)
		}

		reports := ofErrors(testenv.ReadTopic(t, addr, bridge.TopicErrorsReport), id)
		ids := map[string]bool{}
		for _, r := range reports {
			if err := validate(schemas[bridge.TopicErrorsReport], r.Value); err != nil {
				t.Errorf("errors.report %s does not validate: %v", r.Value, err)
			}
			for name, want := range map[string]string{"task_id": "send", "worker_id": workerID, "error_id": r.Key} {
				if got := field[string](t, r, name); got != want {
					t.Errorf("errors.report %s: %s = %q, want %q", r.Key, name, got, want)
				}
			}
			if msg := field[string](t, r, "error_message"); !strings.Contains(msg, smtp) {
				t.Errorf("errors.report %s: message %q does not name the SMTP server %s", r.Key, msg, smtp)
			}
			if field[string](t, r, "error_type") == "" {
				t.Errorf("errors.report %s has no error_type", r.Key)
			}
			ids[r.Key] = true
		}
		if len(reports) < 2 || len(ids) != len(reports) {
			t.Errorf("errors.report has %d records (%d ids) of %s, want one per failed attempt, at least 2", len(reports), len(ids), id)
		}

		retries := ofRetries(t, testenv.ReadTopic(t, addr, bridge.TopicTaskRetry), id)
		if len(retries) == 0 {
			t.Fatal("task.retry has nothing")
		}
		for i, r := range retries {
			if err := validate(schemas[bridge.TopicTaskRetry], r.Value); err != nil {
				t.Errorf("task.retry %s does not validate: %v", r.Value, err)
			}
			if got, want := r.Key, "send"; got != want {
				t.Errorf("task.retry key %q, want %q", got, want)
			}
			if got, want := field[float64](t, r, "retry_count"), float64(i+1); got != want {
				t.Errorf("task.retry %d: retry_count %v, want %v (attempt %d)", i, got, want, i+2)
			}
			if got, want := field[string](t, r, "command"), "SendEmail"; got != want {
				t.Errorf("task.retry: command %q, want %q", got, want)
			}
		}
		// The first retry says why the first attempt failed: what errors.report said about it.
		last := field[map[string]any](t, retries[0], "last_error")
		if got, want := last["message"], field[string](t, reports[0], "error_message"); got != want {
			t.Errorf("task.retry last_error %v, want the first attempt's error %q", last, want)
		}
	})
}

const restartContacts = 20

func TestKafkaBrokerRestartMidRun(t *testing.T) {
	dir := t.TempDir()
	broker := testenv.Broker(t, dir, 0)
	addr := broker.Addr()
	_, portText, _ := net.SplitHostPort(addr)
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	// The broker that comes back is closed after the worker stops, as the first one would have been,
	// so that the worker's last events find it.
	var restarted *devstack.Broker
	t.Cleanup(func() {
		if restarted != nil {
			restarted.Close()
		}
	})
	s := newStack(t)
	const workerID, id = "e2e-kafka-restart", "kafka-broker-restart"
	var vcf strings.Builder
	for i := 1; i <= restartContacts; i++ {
		fmt.Fprintf(&vcf, "BEGIN:VCARD\nVERSION:3.0\nFN:Contact %d\nEMAIL:contact%d@example.com\nEND:VCARD\n", i, i)
	}
	st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", vcf.String()), addr, workerID, nil)
	// What the broker took before it stopped must be there after it restarts.
	var before bridge.Record
	awaitEvents(t, addr, 10*time.Second, func(got map[string][]bridge.Record) bool {
		if len(got[bridge.TopicResourceAllocation]) == 0 {
			return false
		}
		before = got[bridge.TopicResourceAllocation][0]
		return true
	}, bridge.TopicResourceAllocation)

	// The broker stops before the program's first event. The program runs its tasks and waits, up to a
	// minute, for its events; the bridge activity fails and is retried. Then the broker comes back on
	// the same port and data.
	broker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: helloWorld, EventsTimeout: "60s"})
	if err != nil {
		t.Fatal(err)
	}
	awaitPublishRetry(t, s.temporal.Client(), id, 30*time.Second)
	if restarted, err = devstack.StartBroker(dir, port); err != nil {
		t.Fatalf("restart the broker: %v", err)
	}

	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.State, workflows.StateCompleted; got != want {
		t.Fatalf("state = %q, want %q (%s)", got, want, res.Summary)
	}

	tasks := []string{"compose", "contacts", "history"}
	for i := 1; i <= restartContacts; i++ {
		tasks = append(tasks, "send_"+strconv.Itoa(i))
	}
	slices.Sort(tasks)
	awaitEvents(t, addr, 30*time.Second, func(got map[string][]bridge.Record) bool {
		return len(program(got[bridge.TopicTaskDispatch], id)) >= len(tasks) && len(program(got[bridge.TopicTaskResult], id)) >= len(tasks)
	}, bridge.TopicTaskDispatch, bridge.TopicTaskResult)

	read := map[string][]bridge.Record{}
	for _, topic := range []string{bridge.TopicTaskDispatch, bridge.TopicTaskResult, bridge.TopicTaskDependency, bridge.TopicSystemAlerts} {
		read[topic] = testenv.ReadTopic(t, addr, topic)
	}
	dispatch, result := dedup(t, read[bridge.TopicTaskDispatch]), dedup(t, read[bridge.TopicTaskResult])
	t.Logf("read %d task.dispatch and %d task.result records, %d and %d of them distinct events",
		len(read[bridge.TopicTaskDispatch]), len(read[bridge.TopicTaskResult]), len(dispatch), len(result))

	t.Run("EveryRecordValidatesAgainstItsTopicsSchema", func(t *testing.T) {
		schemas := compileSchemas(t)
		for topic, records := range read {
			for _, r := range records {
				if err := validate(schemas[topic], r.Value); err != nil {
					t.Errorf("%s offset %d: %s does not validate: %v", topic, r.Offset, r.Value, err)
				}
			}
		}
	})

	t.Run("EveryTaskHasExactlyOneDispatchAndOneResult", func(t *testing.T) {
		if got := keys(dispatch); !slices.Equal(got, tasks) {
			t.Errorf("task.dispatch keys (without duplicates) = %v, want %v", got, tasks)
		}
		if got := keys(result); !slices.Equal(got, tasks) {
			t.Errorf("task.result keys (without duplicates) = %v, want %v", got, tasks)
		}
	})

	t.Run("EachTasksDispatchComesBeforeItsResult", func(t *testing.T) {
		// Different topics have no common offsets; the producer's timestamps, set as each record is
		// handed to it, order them.
		results := byKey(result)
		for _, d := range dispatch {
			if d.Timestamp.Before(time.Now().Add(-time.Hour)) {
				t.Fatalf("%s: dispatch timestamp %v is not when it was produced", d.Key, d.Timestamp)
			}
			if r, ok := results[d.Key]; ok && r.Timestamp.Before(d.Timestamp) {
				t.Errorf("%s: result produced at %v, before its dispatch at %v", d.Key, r.Timestamp, d.Timestamp)
			}
		}
	})

	t.Run("TheStepsStatesStayInOrderPerKey", func(t *testing.T) {
		dep := dedup(t, read[bridge.TopicTaskDependency])
		for _, step := range []string{"compose", "contacts", "history", "send"} {
			if got, want := stepStates(t, dep, step), []string{"pending", "in_progress", "completed"}; !slices.Equal(got, want) {
				t.Errorf("task.dependency %s: %v, want %v", step, got, want)
			}
		}
	})

	t.Run("RecordsFromBeforeTheRestartAreStillThere", func(t *testing.T) {
		if !slices.ContainsFunc(testenv.ReadTopic(t, addr, bridge.TopicResourceAllocation), func(r bridge.Record) bool { return r.EventID == before.EventID }) {
			t.Errorf("resource.allocation lost %s, taken before the restart", before.EventID)
		}
	})

	t.Run("SystemAlertsSaysTheEventsWereLate", func(t *testing.T) {
		alerts := read[bridge.TopicSystemAlerts]
		// The bridge activity's attempt that got through says so; the program's own "events-late" alert
		// is for a broker that stays away longer than its events timeout, which it did not.
		if !slices.ContainsFunc(alerts, func(r bridge.Record) bool {
			return strings.HasPrefix(r.Key, id+"/") && strings.Contains(field[string](t, r, "message"), "arrive late") &&
				slices.Contains(field[[]any](t, r, "affected_components"), any("kafka"))
		}) {
			var got []string
			for _, r := range alerts {
				got = append(got, string(r.Value))
			}
			t.Errorf("system.alerts has no alert about %s's late events: %v", id, got)
		}
	})
}

// TestKafkaFeedbackHITL runs a program that asks its user which John they meant: the question and its
// answer reach feedback.hitl through the real worker and broker, read back with kcat, valid.
func TestKafkaFeedbackHITL(t *testing.T) {
	broker := testenv.Broker(t, "", 0)
	addr := broker.Addr()
	s := newStack(t)
	const workerID, id = "e2e-kafka-asking", "kafka-which-john"
	st := s.kafkaWorker(t, testenv.WriteFile(t, "contacts.vcf", johnsAndAnn), addr, workerID, nil)
	res := s.runAnswering(t, st, id, workflows.Input{Program: "Send 'Lunch?' to my contact John", UserID: "user_john"}, func(q workflows.Question) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := st.Answer(ctx, id, q.ID, "2"); err != nil {
			t.Fatal(err)
		}
	})
	if res.State != workflows.StateCompleted {
		t.Fatalf("state %q: %s", res.State, res.Summary)
	}
	awaitEvents(t, addr, 15*time.Second, func(got map[string][]bridge.Record) bool {
		return len(program(got[bridge.TopicFeedbackHITL], id)) >= 2
	}, bridge.TopicFeedbackHITL)

	got := program(testenv.ReadTopic(t, addr, bridge.TopicFeedbackHITL), id)
	if len(got) != 2 {
		t.Fatalf("feedback.hitl has %d records of %s, want the question and its answer", len(got), id)
	}
	schema := compileSchemas(t)[bridge.TopicFeedbackHITL]
	for i, r := range got {
		if err := validate(schema, r.Value); err != nil {
			t.Errorf("%s does not validate: %v", r.Value, err)
		}
		var v bridge.FeedbackHITL
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		if r.Key != v.FeedbackID || r.EventID != v.FeedbackID || v.TaskID != "find" || v.UserID != testOwner || v.WorkerID != workerID ||
			v.Question != "2 contacts are named John. Which one?" {
			t.Errorf("record %d: key %q, event ID %q, value %+v", i, r.Key, r.EventID, v)
		}
		if want := map[int]string{0: "open", 1: "answered"}[i]; v.Context["state"] != want {
			t.Errorf("record %d: state %v, want %s", i, v.Context["state"], want)
		}
	}
	// A question is not an error: the worker reports none for the task that asked.
	for _, r := range ofErrors(testenv.ReadTopic(t, addr, bridge.TopicErrorsReport), id) {
		t.Errorf("errors.report has %s, want nothing of %s", r.Value, id)
	}
}

// awaitPublishRetry waits until the program's bridge activity is being retried: the broker refused it
// once at least.
func awaitPublishRetry(t *testing.T, c client.Client, workflowID string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
		if err != nil {
			t.Fatalf("describe %s: %v", workflowID, err)
		}
		for _, a := range d.GetPendingActivities() {
			if a.GetActivityType().GetName() == "PublishEvents" && a.GetAttempt() >= 2 {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the bridge activity of %s was not retried within %v with the broker down", workflowID, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// errEnough stops a Consume that has seen what it waited for.
var errEnough = errors.New("enough")

// awaitEvents follows topics on the broker at addr until enough says the records read so far (each event
// once, by event ID) are enough, and fails the test if that takes longer than timeout.
func awaitEvents(t *testing.T, addr string, timeout time.Duration, enough func(map[string][]bridge.Record) bool, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := map[string][]bridge.Record{}
	var seen bridge.Dedup
	err := kafka.Consume(ctx, kafka.Config{Brokers: []string{addr}}, topics, true, func(r bridge.Record) error {
		if seen.Seen(r.EventID) {
			return nil
		}
		got[r.Topic] = append(got[r.Topic], r)
		if enough(got) {
			return errEnough
		}
		return nil
	})
	switch {
	case errors.Is(err, errEnough):
	case err != nil:
		t.Fatal(err)
	default:
		counts := map[string]int{}
		for topic, rs := range got {
			counts[topic] = len(rs)
		}
		t.Fatalf("the events awaited on %v did not arrive within %v; records per topic: %v", topics, timeout, counts)
	}
}

// readEveryTopic reads every topic with kcat.
func readEveryTopic(t *testing.T, addr string) map[string][]bridge.Record {
	t.Helper()
	all := map[string][]bridge.Record{}
	for _, topic := range bridge.TopicNames() {
		all[topic] = testenv.ReadTopic(t, addr, topic)
	}
	return all
}

// readTopicRaw is everything kcat prints of a topic: each record's key, headers and value.
func readTopicRaw(t *testing.T, addr, topic string) []byte {
	t.Helper()
	out, err := exec.Command(testenv.Kcat(t), "-b", addr, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q",
		"-X", "fetch.wait.max.ms=10").Output()
	if err != nil {
		t.Fatalf("kcat -C -t %s: %v", topic, err)
	}
	return out
}

// openEveryTopic opens the sealed values of the records with the key file, failing on one it cannot open.
func openEveryTopic(t *testing.T, sealed map[string][]bridge.Record, keyFile string) map[string][]bridge.Record {
	t.Helper()
	keys, err := crypt.LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]bridge.Record{}
	for topic, records := range sealed {
		for _, r := range records {
			v, o := bridge.OpenValue(topic, r.Value, keys)
			if o.Err != nil {
				t.Fatalf("%s offset %d: %v", topic, r.Offset, o.Err)
			}
			r.Value = v
			out[topic] = append(out[topic], r)
		}
	}
	return out
}

// compileSchemas compiles the checked-in schema of every topic, timestamps' format included.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := map[string]*jsonschema.Schema{}
	for _, topic := range bridge.TopicNames() {
		sch, err := c.Compile(filepath.Join(testenv.Root(t), "schemas", topic+".json"))
		if err != nil {
			t.Fatalf("compile the schema of %s: %v", topic, err)
		}
		out[topic] = sch
	}
	return out
}

func validate(sch *jsonschema.Schema, value []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(value))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// dedup drops the records whose event ID came before, as a consumer of the bridge does, failing the test
// on a record without one.
func dedup(t *testing.T, records []bridge.Record) []bridge.Record {
	t.Helper()
	var d bridge.Dedup
	var out []bridge.Record
	for _, r := range records {
		if r.EventID == "" {
			t.Fatalf("%s offset %d (key %q) has no %s header", r.Topic, r.Offset, r.Key, bridge.HeaderEventID)
		}
		if !d.Seen(r.EventID) {
			out = append(out, r)
		}
	}
	return out
}

// program keeps the records of one program: those whose event ID starts with its workflow ID.
func program(records []bridge.Record, workflowID string) []bridge.Record {
	var out []bridge.Record
	for _, r := range records {
		if strings.HasPrefix(r.EventID, workflowID+"/") {
			out = append(out, r)
		}
	}
	return out
}

// ofErrors keeps the errors.report records of one program's tasks, whose error IDs start with its
// workflow ID. (Their event IDs are the worker's, which produces them.)
func ofErrors(records []bridge.Record, workflowID string) []bridge.Record {
	var out []bridge.Record
	for _, r := range records {
		if strings.HasPrefix(r.Key, workflowID+"/") {
			out = append(out, r)
		}
	}
	return out
}

// ofRetries keeps the task.retry records of one program's tasks.
func ofRetries(t *testing.T, records []bridge.Record, workflowID string) []bridge.Record {
	t.Helper()
	var out []bridge.Record
	for _, r := range records {
		if field[map[string]any](t, r, "context")["workflow_id"] == workflowID {
			out = append(out, r)
		}
	}
	return out
}

// stepStates are the statuses task.dependency gave a step, in the order of its records. They are keyed by
// the step, so they must all be in one partition, where the order is the order they were produced in.
func stepStates(t *testing.T, records []bridge.Record, step string) []string {
	t.Helper()
	var states []string
	partitions := map[int32]bool{}
	for _, r := range records {
		if r.Key == step {
			states = append(states, field[string](t, r, "status"))
			partitions[r.Partition] = true
		}
	}
	if len(partitions) > 1 {
		t.Errorf("task.dependency %s is spread over %d partitions", step, len(partitions))
	}
	return states
}

// keys are the records' keys, sorted.
func keys(records []bridge.Record) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		out = append(out, r.Key)
	}
	slices.Sort(out)
	return out
}

func byKey(records []bridge.Record) map[string]bridge.Record {
	out := make(map[string]bridge.Record, len(records))
	for _, r := range records {
		out[r.Key] = r
	}
	return out
}

// firstWith is the first record with the key whose field has the value.
func firstWith(records []bridge.Record, key, name, value string) bridge.Record {
	for _, r := range records {
		var m map[string]any
		if r.Key == key && json.Unmarshal(r.Value, &m) == nil && m[name] == value {
			return r
		}
	}
	return bridge.Record{Value: json.RawMessage("{}")}
}

// field is a field of a record's JSON value, failing the test when it is not a T.
func field[T any](t *testing.T, r bridge.Record, name string) T {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Value, &m); err != nil {
		t.Fatalf("%s offset %d: %s is not a JSON object: %v", r.Topic, r.Offset, r.Value, err)
	}
	v, ok := m[name].(T)
	if !ok {
		t.Errorf("%s offset %d: %s is %#v, not a %T", r.Topic, r.Offset, name, m[name], v)
	}
	return v
}
