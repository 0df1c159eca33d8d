package devstack

import (
	"context"
	"fmt"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/internal/testenv/kafkatest"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestBrokerStartsWithEveryTopic(t *testing.T) {
	b := startBroker(t, "", 0)
	parts := kafkatest.TopicPartitions(t, b.Addr())
	for _, name := range bridge.TopicNames() {
		if got, want := parts[name], int(kafka.DefaultPartitions); got != want {
			t.Errorf("%s has %d partitions, want %d", name, got, want)
		}
	}
	if got, want := len(parts), len(bridge.Topics); got != want {
		t.Errorf("the broker has %d topics, want %d", got, want)
	}
}

func TestBrokerKeepsRecordsAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir, 0)
	addr := b.Addr()
	p := newProducer(t, addr)
	sent := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1), kafkatest.ResultEvent(t, "t-1", 2)}
	kafkatest.Publish(t, p, sent...)
	p.Close()
	b.Close()

	b = startBroker(t, dir, kafkatest.Port(t, addr))
	if got, want := b.Addr(), addr; got != want {
		t.Errorf("restarted on %s, want %s", got, want)
	}
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), sent)

	// And it goes on taking records after the old ones.
	more := kafkatest.ResultEvent(t, "t-2", 2)
	kafkatest.Publish(t, newProducer(t, addr), more)
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), append(sent, more))
}

func TestBrokerInMemoryForgetsOnClose(t *testing.T) {
	b := startBroker(t, "", 0)
	addr := b.Addr()
	p := newProducer(t, addr)
	kafkatest.Publish(t, p, kafkatest.ResultEvent(t, "t-1", 1))
	b.Close()

	startBroker(t, "", kafkatest.Port(t, addr))
	if got := readAll(t, addr, bridge.TopicTaskResult); len(got) != 0 {
		t.Errorf("a new in-memory broker has %d records", len(got))
	}
	// The producer's idempotence state is unknown to the new broker; it must not be stuck on it.
	next := kafkatest.ResultEvent(t, "t-1", 2)
	kafkatest.Publish(t, p, next)
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), []bridge.Event{next})
}

func TestBrokerAddsTopicsMissingFromAnOlderDataDir(t *testing.T) {
	dir := t.TempDir()
	old, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir), kfake.SeedTopics(1, bridge.TopicTaskResult))
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	b := startBroker(t, dir, 0)
	parts := kafkatest.TopicPartitions(t, b.Addr())
	for _, name := range bridge.TopicNames() {
		want := int(kafka.DefaultPartitions)
		if name == bridge.TopicTaskResult {
			want = 1 // as it was made
		}
		if got := parts[name]; got != want {
			t.Errorf("%s has %d partitions, want %d", name, got, want)
		}
	}
}

func TestStartBrokerSaysThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	b, err := StartBroker("", port)
	if err == nil {
		b.Close()
		t.Fatal("started on a port in use")
	}
	if want := fmt.Sprintf("127.0.0.1:%d is already in use", port); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestStartBrokerRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	startBroker(t, dir, 0)
	b, err := StartBroker(dir, 0)
	if err == nil {
		b.Close()
		t.Fatal("two brokers started on one data directory")
	}
	if !strings.Contains(err.Error(), "in use by another broker") {
		t.Errorf("error %q does not say the directory is in use", err)
	}
}

func TestBrokerCloseTwiceIsHarmless(t *testing.T) {
	b := startBroker(t, t.TempDir(), 0)
	b.Close()
	b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := newProducer(t, b.Addr()).Ping(ctx); err == nil {
		t.Error("a closed broker answers")
	}
}
