// Package kafkatest holds the test helpers that the Kafka producer's tests (bridge/kafka) and the dev
// stack broker's tests (devstack) share. It imports neither package, so that their in-package tests can
// import it; what needs the producer or the consumer themselves stays in those tests.
package kafkatest

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
)

// Publisher is what Publish needs of a producer (bridge/kafka's Producer).
type Publisher interface {
	Publish(ctx context.Context, events ...bridge.Event) error
}

// Publish publishes events and fails the test if that does not work within 30 seconds.
func Publish(tb testing.TB, p Publisher, events ...bridge.Event) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Publish(ctx, events...); err != nil {
		tb.Fatal(err)
	}
}

// ResultEvent is a task.result event for task, its ID made of the task and a sequence number so that a
// test can check the order per key.
func ResultEvent(tb testing.TB, task string, seq int) bridge.Event {
	tb.Helper()
	ev, err := bridge.NewEvent(fmt.Sprintf("%s/%d", task, seq), bridge.TaskResult{
		TaskID: task, WorkerID: "w-1", Status: "success", Output: map[string]any{"seq": seq}, ExecutionTime: float64(seq),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// AssertOrderPerKey checks that records hold exactly the events of want, each once (after dropping
// duplicates by event ID), every key in one partition and in want's order.
func AssertOrderPerKey(tb testing.TB, records []bridge.Record, want []bridge.Event) {
	tb.Helper()
	var d bridge.Dedup
	got := make(map[string][]string)
	partition := make(map[string]int32)
	for _, r := range records {
		if d.Seen(r.EventID) {
			continue
		}
		if p, ok := partition[r.Key]; ok && p != r.Partition {
			tb.Errorf("key %s is in partitions %d and %d", r.Key, p, r.Partition)
		}
		partition[r.Key] = r.Partition
		got[r.Key] = append(got[r.Key], r.EventID)
	}
	wantIDs := make(map[string][]string)
	for _, ev := range want {
		wantIDs[ev.Key] = append(wantIDs[ev.Key], ev.ID)
	}
	for k, ids := range wantIDs {
		if !slices.Equal(got[k], ids) {
			tb.Errorf("key %s: read %v, want %v", k, got[k], ids)
		}
	}
	if len(got) != len(wantIDs) {
		tb.Errorf("read keys %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(wantIDs)))
	}
}

// TopicPartitions is the number of partitions of every topic on the broker at addr.
func TopicPartitions(tb testing.TB, addr string) map[string]int {
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

// Port is the port of a host:port address, so that a test can start a broker again where one was.
func Port(tb testing.TB, addr string) int {
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
