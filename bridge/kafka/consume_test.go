package kafka

import (
	"context"
	"errors"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/testenv/kafkatest"
	"strings"
	"testing"
	"time"
)

func TestConsumeWithoutFollowStopsAtTheEnd(t *testing.T) {
	b := startBroker(t, "", 0)
	cfg := Config{Brokers: []string{b.Addr()}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("EmptyTopics", func(t *testing.T) {
		calls := 0
		if err := Consume(ctx, cfg, nil, false, func(bridge.Record) error { calls++; return nil }); err != nil {
			t.Fatal(err)
		}
		if calls != 0 {
			t.Errorf("fn was called %d times on empty topics", calls)
		}
	})

	t.Run("TopicsWithRecords", func(t *testing.T) {
		p := newProducer(t, b.Addr())
		sent := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1), kafkatest.ResultEvent(t, "t-3", 1)}
		kafkatest.Publish(t, p, sent...)
		var got []bridge.Record
		if err := Consume(ctx, cfg, nil, false, func(r bridge.Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		kafkatest.AssertOrderPerKey(t, got, sent)
	})

	t.Run("IgnoresRecordsProducedWhileReading", func(t *testing.T) {
		p := newProducer(t, b.Addr())
		before := readAll(t, b.Addr())
		var got []bridge.Record
		err := Consume(ctx, cfg, nil, false, func(r bridge.Record) error {
			if len(got) == 0 { // records on the partitions being read, and on others
				kafkatest.Publish(t, p, kafkatest.ResultEvent(t, "t-1", 2), kafkatest.ResultEvent(t, "t-2", 2), kafkatest.ResultEvent(t, "t-3", 2), kafkatest.ResultEvent(t, "t-4", 1))
			}
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(before) {
			t.Errorf("read %d records, want the %d there at the start", len(got), len(before))
		}
	})
}

func TestConsumeWithFollowReturnsWhenCanceled(t *testing.T) {
	b := startBroker(t, "", 0)
	cfg := Config{Brokers: []string{b.Addr()}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	got := make(chan bridge.Record, 10)
	done := make(chan error, 1)
	go func() {
		done <- Consume(ctx, cfg, []string{bridge.TopicTaskResult}, true, func(r bridge.Record) error {
			got <- r
			return nil
		})
	}()

	// A record produced after Consume started reaches it.
	ev := kafkatest.ResultEvent(t, "t-1", 1)
	kafkatest.Publish(t, newProducer(t, b.Addr()), ev)
	select {
	case r := <-got:
		if r.EventID != ev.ID {
			t.Errorf("read event %s, want %s", r.EventID, ev.ID)
		}
	case err := <-done:
		t.Fatalf("Consume returned before it was canceled: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the record did not arrive")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Consume returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Consume did not return after cancel")
	}
}

func TestConsumeReturnsTheCallbacksError(t *testing.T) {
	b := startBroker(t, "", 0)
	kafkatest.Publish(t, newProducer(t, b.Addr()), kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-1", 2))
	errStop := errors.New("stop")
	calls := 0
	err := Consume(context.Background(), Config{Brokers: []string{b.Addr()}}, []string{bridge.TopicTaskResult}, false, func(bridge.Record) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Consume returned %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("fn was called %d times after failing, want 1", calls)
	}
}

func TestConsumeSaysATopicDoesNotExist(t *testing.T) {
	b := startBroker(t, "", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Consume(ctx, Config{Brokers: []string{b.Addr()}}, []string{"task.resutl"}, false, func(bridge.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "topic task.resutl does not exist") {
		t.Errorf("error %v, want one saying the topic does not exist", err)
	}
}

func TestConsumeNeedsBrokers(t *testing.T) {
	if err := Consume(context.Background(), Config{}, nil, false, func(bridge.Record) error { return nil }); err == nil {
		t.Error("Consume without brokers succeeded")
	}
}
