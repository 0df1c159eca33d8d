package bridge

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// startBroker starts a broker that the test closes when it ends.
func startBroker(tb testing.TB, dataDir string, port int) *Broker {
	tb.Helper()
	b, err := StartBroker(dataDir, port)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	return b
}

// newProducer makes a producer for addr that the test closes when it ends.
func newProducer(tb testing.TB, addr string) *Producer {
	tb.Helper()
	p, err := NewProducer(Config{Brokers: []string{addr}, ClientID: "eaapl-test"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// publish publishes events and fails the test if that does not work within 30 seconds.
func publish(tb testing.TB, p *Producer, events ...Event) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Publish(ctx, events...); err != nil {
		tb.Fatal(err)
	}
}

// readAll reads topics from addr up to their current ends.
func readAll(tb testing.TB, addr string, topics ...string) []Record {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []Record
	err := Consume(ctx, Config{Brokers: []string{addr}}, topics, false, func(r Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// resultEvent is a task.result event for task, its ID made of the task and a sequence number so that a
// test can check the order per key.
func resultEvent(tb testing.TB, task string, seq int) Event {
	tb.Helper()
	ev, err := NewEvent(fmt.Sprintf("%s/%d", task, seq), TaskResult{
		TaskID: task, WorkerID: "w-1", Status: "success", Output: map[string]any{"seq": seq}, ExecutionTime: float64(seq),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// freePort is a port nothing listens on (at the moment of the call).
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func portOf(tb testing.TB, addr string) int {
	tb.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// byEventID indexes records by event ID, failing on a record without one.
func byEventID(tb testing.TB, records []Record) map[string]Record {
	tb.Helper()
	out := make(map[string]Record, len(records))
	for _, r := range records {
		if r.EventID == "" {
			tb.Fatalf("record %s/%d/%d has no event ID header", r.Topic, r.Partition, r.Offset)
		}
		out[r.EventID] = r
	}
	return out
}

func taskForTest(id string) catalog.Task {
	return catalog.Task{TaskID: id, Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: sampleContext}
}
