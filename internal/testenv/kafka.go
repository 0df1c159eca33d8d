package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv/tools"
)

// Broker starts the dev stack's Kafka-protocol broker for the test, with every topic, on 127.0.0.1:port
// (0 for a free port) and its data under dataDir ("" keeps it in memory). It is closed when the test ends;
// closing it earlier, to stop it mid-test, is harmless.
func Broker(tb testing.TB, dataDir string, port int) *devstack.Broker {
	tb.Helper()
	b, err := devstack.StartBroker(dataDir, port)
	if err != nil {
		tb.Fatalf("start the Kafka broker: %v", err)
	}
	tb.Cleanup(b.Close)
	return b
}

// Kcat returns the path of kcat (the Debian package kcat, librdkafka's command-line client), failing the
// test with what to run when it is missing.
func Kcat(tb testing.TB) string {
	tb.Helper()
	return tools.Path(tb, "kcat")
}

// kcatLine is a line of `kcat -J`.
type kcatLine struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Timestamp int64    `json:"ts"`      // milliseconds since the epoch
	Headers   []string `json:"headers"` // name, value, name, value, ...
	Key       *string  `json:"key"`
	Payload   *string  `json:"payload"`
}

// ReadTopic reads every record of a topic on the broker at addr with kcat, as a consumer outside EaaPL
// would, in order within each partition. A record's EventID is its bridge.HeaderEventID header, empty when
// it has none; its Value is the payload as kcat printed it, which need not be JSON.
func ReadTopic(tb testing.TB, addr, topic string) []bridge.Record {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// -e: stop at the end of every partition; -J: one JSON object per record, headers included.
	cmd := exec.CommandContext(ctx, Kcat(tb), "-b", addr, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q",
		"-X", "fetch.wait.max.ms=10") // kcat waits 500ms on every empty partition otherwise
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("kcat -b %s -C -t %s: %v\n%s", addr, topic, err, stderr.Bytes())
	}
	var records []bridge.Record
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l kcatLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("kcat printed %q for %s, which is not a record: %v", sc.Bytes(), topic, err)
		}
		r := bridge.Record{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Timestamp: time.UnixMilli(l.Timestamp).UTC()}
		if l.Key != nil {
			r.Key = *l.Key
		}
		if l.Payload != nil {
			r.Value = json.RawMessage(*l.Payload)
		}
		for i := 0; i+1 < len(l.Headers); i += 2 {
			if l.Headers[i] == bridge.HeaderEventID {
				r.EventID = l.Headers[i+1]
			}
		}
		records = append(records, r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read kcat's output for %s: %v", topic, err)
	}
	return records
}
