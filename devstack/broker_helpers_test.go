package devstack

import (
	"context"
	"testing"
	"time"

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
