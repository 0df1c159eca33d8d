package kafka

import (
	"context"
	"github.com/eaapl/eaapl/bridge"
	"github.com/twmb/franz-go/pkg/kfake"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// testBroker is a kfake broker with every topic of bridge.Topics, for these tests: the dev stack's
// broker (devstack.StartBroker) uses this package, so its tests cannot use it.
type testBroker struct {
	cluster *kfake.Cluster
	once    *sync.Once
}

func (b testBroker) Addr() string { return b.cluster.ListenAddrs()[0] }

// Close stops the broker, writing its records to its data directory; again, it does nothing.
func (b testBroker) Close() { b.once.Do(b.cluster.Close) }

// startBroker starts a broker on 127.0.0.1:port (0: a free one), keeping its records under dataDir when
// set, that the test closes when it ends.
func startBroker(tb testing.TB, dataDir string, port int) testBroker {
	tb.Helper()
	opts := []kfake.Opt{kfake.Ports(port), kfake.SeedTopics(DefaultPartitions, bridge.TopicNames()...)}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	b := testBroker{cluster: c, once: new(sync.Once)}
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

// readAll reads topics from addr up to their current ends.
func readAll(tb testing.TB, addr string, topics ...string) []bridge.Record {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []bridge.Record
	err := Consume(ctx, Config{Brokers: []string{addr}}, topics, false, func(r bridge.Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
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

// byEventID indexes records by event ID, failing on a record without one.
func byEventID(tb testing.TB, records []bridge.Record) map[string]bridge.Record {
	tb.Helper()
	out := make(map[string]bridge.Record, len(records))
	for _, r := range records {
		if r.EventID == "" {
			tb.Fatalf("record %s/%d/%d has no event ID header", r.Topic, r.Partition, r.Offset)
		}
		out[r.EventID] = r
	}
	return out
}

func taskForTest(id string) catalog.Task {
	return catalog.Task{TaskID: id, Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: catalog.TaskContext{WorkflowID: "wf-1", Step: "send", Item: 2, UserID: "me", IdempotencyKey: "wf-1/send/2"}}
}
