package bridge

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

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
