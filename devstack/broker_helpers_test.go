package devstack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
)

// The broker's tests go through the real producer and consumer (bridge/kafka), as the dev stack does.

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
func newProducer(tb testing.TB, addr string) *kafka.Producer {
	tb.Helper()
	p, err := kafka.NewProducer(kafka.Config{Brokers: []string{addr}, ClientID: "eaapl-test"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// publish publishes events and fails the test if that does not work within 30 seconds.
func publish(tb testing.TB, p *kafka.Producer, events ...bridge.Event) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Publish(ctx, events...); err != nil {
		tb.Fatal(err)
	}
}

// readAll reads topics from addr up to their current ends.
func readAll(tb testing.TB, addr string, topics ...string) []bridge.Record {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []bridge.Record
	err := kafka.Consume(ctx, kafka.Config{Brokers: []string{addr}}, topics, false, func(r bridge.Record) error {
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
func resultEvent(tb testing.TB, task string, seq int) bridge.Event {
	tb.Helper()
	ev, err := bridge.NewEvent(fmt.Sprintf("%s/%d", task, seq), bridge.TaskResult{
		TaskID: task, WorkerID: "w-1", Status: "success", Output: map[string]any{"seq": seq}, ExecutionTime: float64(seq),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// assertOrderPerKey checks that records hold the want events, each key's in order in one partition.
func assertOrderPerKey(tb testing.TB, records []bridge.Record, want []bridge.Event) {
	tb.Helper()
	var d bridge.Dedup
	got := make(map[string][]string)
	for _, r := range records {
		if !d.Seen(r.EventID) {
			got[r.Key] = append(got[r.Key], r.EventID)
		}
	}
	wantIDs := make(map[string][]string)
	for _, ev := range want {
		wantIDs[ev.Key] = append(wantIDs[ev.Key], ev.ID)
	}
	if !maps.EqualFunc(got, wantIDs, slices.Equal) {
		tb.Errorf("read %v, want %v", got, wantIDs)
	}
}

func brokerPort(tb testing.TB, addr string) int {
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

// topicPartitions is the number of partitions of each topic on addr.
func topicPartitions(tb testing.TB, addr string) map[string]int {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	details, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]int, len(details))
	for name, d := range details {
		out[name] = len(d.Partitions)
	}
	return out
}
