package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
		if err := Consume(ctx, cfg, nil, false, func(Record) error { calls++; return nil }); err != nil {
			t.Fatal(err)
		}
		if calls != 0 {
			t.Errorf("fn was called %d times on empty topics", calls)
		}
	})

	t.Run("TopicsWithRecords", func(t *testing.T) {
		p := newProducer(t, b.Addr())
		sent := []Event{resultEvent(t, "t-1", 1), resultEvent(t, "t-2", 1), resultEvent(t, "t-3", 1)}
		publish(t, p, sent...)
		var got []Record
		if err := Consume(ctx, cfg, nil, false, func(r Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		assertOrderPerKey(t, got, sent)
	})

	t.Run("IgnoresRecordsProducedWhileReading", func(t *testing.T) {
		p := newProducer(t, b.Addr())
		before := readAll(t, b.Addr())
		var got []Record
		err := Consume(ctx, cfg, nil, false, func(r Record) error {
			if len(got) == 0 { // records on the partitions being read, and on others
				publish(t, p, resultEvent(t, "t-1", 2), resultEvent(t, "t-2", 2), resultEvent(t, "t-3", 2), resultEvent(t, "t-4", 1))
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

	got := make(chan Record, 10)
	done := make(chan error, 1)
	go func() {
		done <- Consume(ctx, cfg, []string{TopicTaskResult}, true, func(r Record) error {
			got <- r
			return nil
		})
	}()

	// A record produced after Consume started reaches it.
	ev := resultEvent(t, "t-1", 1)
	publish(t, newProducer(t, b.Addr()), ev)
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
	publish(t, newProducer(t, b.Addr()), resultEvent(t, "t-1", 1), resultEvent(t, "t-1", 2))
	errStop := errors.New("stop")
	calls := 0
	err := Consume(context.Background(), Config{Brokers: []string{b.Addr()}}, []string{TopicTaskResult}, false, func(Record) error {
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
	err := Consume(ctx, Config{Brokers: []string{b.Addr()}}, []string{"task.resutl"}, false, func(Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "topic task.resutl does not exist") {
		t.Errorf("error %v, want one saying the topic does not exist", err)
	}
}

func TestConsumeNeedsBrokers(t *testing.T) {
	if err := Consume(context.Background(), Config{}, nil, false, func(Record) error { return nil }); err == nil {
		t.Error("Consume without brokers succeeded")
	}
}

func TestPrintRecord(t *testing.T) {
	r := Record{
		Topic: TopicTaskResult, Key: "t-1", EventID: "wf-1/send/1/result", Partition: 2, Offset: 7,
		Timestamp: time.Date(2026, 11, 25, 22, 6, 0, 0, time.UTC),
		Value:     json.RawMessage("{\n  \"task_id\": \"t-1\",\n  \"status\": \"success\"\n}"),
	}
	for _, c := range []struct {
		name   string
		r      Record
		asJSON bool
		want   string
	}{
		{"Human", r, false, `task.result t-1 {"task_id":"t-1","status":"success"}` + "\n"},
		{"JSON", r, true, `{"topic":"task.result","key":"t-1","event_id":"wf-1/send/1/result","partition":2,"offset":7,"timestamp":"2026-11-25T22:06:00Z","value":{"task_id":"t-1","status":"success"}}` + "\n"},
		{"HumanEmptyKeyNotJSONValue", Record{Topic: "other", Value: json.RawMessage("plain text")}, false, `other - "plain text"` + "\n"},
		{"JSONNoValue", Record{Topic: "other", Key: "k"}, true, `{"topic":"other","key":"k","event_id":"","partition":0,"offset":0,"timestamp":"0001-01-01T00:00:00Z","value":null}` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			PrintRecord(&buf, c.r, c.asJSON)
			if got := buf.String(); got != c.want {
				t.Errorf("printed\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestDedup(t *testing.T) {
	t.Run("DropsRepeatedIDs", func(t *testing.T) {
		var d Dedup
		for _, c := range []struct {
			id   string
			want bool
		}{{"a", false}, {"b", false}, {"a", true}, {"", false}, {"", false}, {"b", true}} {
			if got := d.Seen(c.id); got != c.want {
				t.Errorf("Seen(%q) = %v, want %v", c.id, got, c.want)
			}
		}
	})
	t.Run("ForgetsTheOldestBeyondMax", func(t *testing.T) {
		d := Dedup{Max: 2}
		for _, id := range []string{"a", "b", "c"} {
			d.Seen(id)
		}
		if d.Seen("a") {
			t.Error("a is remembered beyond Max")
		}
		if !d.Seen("c") {
			t.Error("c is forgotten")
		}
	})
}
