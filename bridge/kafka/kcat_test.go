package kafka

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/eaapl/eaapl/bridge"
	"os/exec"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv/kafkatest"
	"github.com/eaapl/eaapl/internal/testenv/tools"
)

// kcatRecord is a line of `kcat -J`.
type kcatRecord struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Headers   []string `json:"headers"` // name, value, name, value, ...
	Key       string   `json:"key"`
	Payload   string   `json:"payload"`
}

// TestKcatReadsPublishedRecords checks that a standard Kafka client (librdkafka's kcat) reads what the
// Producer wrote to the dev broker. kcat is the Debian package kcat: apt-get install -y kcat.
func TestKcatReadsPublishedRecords(t *testing.T) {
	kcat := tools.Path(t, "kcat")
	b := startBroker(t, "", 0)
	sent := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1), kafkatest.ResultEvent(t, "t-1", 2)}
	kafkatest.Publish(t, newProducer(t, b.Addr()), sent...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-C", "-t", bridge.TopicTaskResult, "-e", "-J")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}

	var records []bridge.Record
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var kr kcatRecord
		if err := json.Unmarshal(sc.Bytes(), &kr); err != nil {
			t.Fatalf("kcat line %s: %v", sc.Bytes(), err)
		}
		r := bridge.Record{Topic: kr.Topic, Key: kr.Key, Partition: kr.Partition, Offset: kr.Offset, Value: json.RawMessage(kr.Payload)}
		for i := 0; i+1 < len(kr.Headers); i += 2 {
			if kr.Headers[i] == bridge.HeaderEventID {
				r.EventID = kr.Headers[i+1]
			}
		}
		records = append(records, r)
	}
	kafkatest.AssertOrderPerKey(t, records, sent)
	// Each value is the event's bytes, which bridge's schema tests validate.
	got := byEventID(t, records)
	for _, ev := range sent {
		if r := got[ev.ID]; !bytes.Equal(r.Value, ev.Value) {
			t.Errorf("kcat read %s for %s, want %s", r.Value, ev.ID, ev.Value)
		}
	}
}
