package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Record is one record read back from a topic. Value is the record's JSON; a value that is not JSON (from
// another producer) is given as a JSON string.
type Record struct {
	Topic     string          `json:"topic"`
	Key       string          `json:"key"`
	EventID   string          `json:"event_id"` // the HeaderEventID header; empty when absent
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Timestamp time.Time       `json:"timestamp"`
	Value     json.RawMessage `json:"value"`
}

// RecordValue is a record's value as JSON: b when it is JSON, null when it is empty (a tombstone), and
// otherwise b as a JSON string.
func RecordValue(b []byte) json.RawMessage {
	switch {
	case len(b) == 0:
		return json.RawMessage("null")
	case json.Valid(b):
		return b
	}
	s, _ := json.Marshal(string(b)) // a string always encodes
	return s
}

// PrintRecord writes r on one line: "topic key value" with the value as compact JSON, or with asJSON the
// whole record as a JSON object with the fields topic, key, event_id, partition, offset, timestamp
// (RFC 3339) and value. An empty key prints as "-".
func PrintRecord(w io.Writer, r Record, asJSON bool) {
	r.Value = RecordValue(r.Value)
	if asJSON {
		b, _ := json.Marshal(r) // valid JSON in, every field encodable
		b = append(b, '\n')
		_, _ = w.Write(b)
		return
	}
	var v bytes.Buffer
	if err := json.Compact(&v, r.Value); err != nil {
		v.Write(r.Value)
	}
	key := r.Key
	if key == "" {
		key = "-"
	}
	_, _ = fmt.Fprintf(w, "%s %s %s\n", r.Topic, key, v.Bytes())
}
