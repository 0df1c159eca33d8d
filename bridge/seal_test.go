package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/crypt"
)

func testKeys(tb testing.TB, lines ...string) *crypt.Keys {
	tb.Helper()
	var text string
	for i, id := range lines {
		text += id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(i + 1)}, crypt.KeySize)) + "\n"
	}
	k, err := crypt.ParseKeys([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustSeal(tb testing.TB, v Value, s ValueSealer) (plain, sealed Event) {
	tb.Helper()
	plain, err := NewEvent("wf-1/"+v.Topic()+"/x", v)
	if err != nil {
		tb.Fatal(err)
	}
	sealed, err = SealEvent(plain, s)
	if err != nil {
		tb.Fatal(err)
	}
	return plain, sealed
}

func decode(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("%s: %v", b, err)
	}
	return m
}

func TestSealedPrefixIsCryptsFormat(t *testing.T) {
	if SealedPrefix != crypt.ValuePrefix {
		t.Fatalf("SealedPrefix %q, crypt.ValuePrefix %q", SealedPrefix, crypt.ValuePrefix)
	}
}

// A send's recipient, subject and body leave the worker sealed; the task's id, command and context stay
// readable, and the key file opens the value back to exactly what it was.
func TestSealEventHidesParametersAndKeepsTheEnvelope(t *testing.T) {
	keys := testKeys(t, "k1")
	task := catalog.Task{TaskID: "wf-1/send#2", Command: "SendEmail",
		Parameters: map[string]any{"to": "alice@example.com", "subject": "Hello", "body": "Dear Alice, hello world", "attempts": 3, "cc": []any{"carol@example.com"}},
		Context:    catalog.TaskContext{WorkflowID: "wf-1", Step: "send", Item: 2, UserID: "me", IdempotencyKey: "wf-1/send/2"}}
	plain, sealed := mustSeal(t, DispatchOf(task), keys)
	for _, secret := range []string{"alice@example.com", "carol@example.com", "Hello", "Dear Alice"} {
		if bytes.Contains(sealed.Value, []byte(secret)) {
			t.Errorf("sealed value holds %q: %s", secret, sealed.Value)
		}
	}
	got := decode(t, sealed.Value)
	if got["task_id"] != "wf-1/send#2" || got["command"] != "SendEmail" {
		t.Errorf("envelope not readable: %s", sealed.Value)
	}
	ctx, _ := got["context"].(map[string]any)
	if ctx["workflow_id"] != "wf-1" || ctx["step"] != "send" || ctx["item"] != float64(2) {
		t.Errorf("context not readable: %v", ctx)
	}
	params, _ := got["parameters"].(map[string]any)
	for name := range task.Parameters {
		if s, _ := params[name].(string); !strings.HasPrefix(s, SealedPrefix+"k1:") {
			t.Errorf("parameter %s = %v, want a sealed string", name, params[name])
		}
	}
	if sealed.ID != plain.ID || sealed.Key != plain.Key || sealed.Topic != plain.Topic {
		t.Errorf("sealing changed the record's id, key or topic: %+v", sealed)
	}

	rotated := testKeys(t, "k1", "k2") // a newer key encrypts; the old one still opens
	opened, o := OpenValue(sealed.Topic, sealed.Value, rotated)
	if o.Err != nil || o.Sealed != len(task.Parameters) || o.Opened != o.Sealed {
		t.Fatalf("OpenValue = %+v", o)
	}
	if want := decode(t, plain.Value); !reflect.DeepEqual(decode(t, opened), want) {
		t.Fatalf("opened %s\nwant   %s", opened, plain.Value)
	}
}

func TestOpenValueSaysWhyAValueStaysSealed(t *testing.T) {
	keys := testKeys(t, "k1")
	_, sealed := mustSeal(t, TaskResult{TaskID: "t-1", WorkerID: "w-1", Status: "success", Output: map[string]any{"to": "bob@example.com"}}, keys)
	t.Run("NoKeyFile", func(t *testing.T) {
		out, o := OpenValue(sealed.Topic, sealed.Value, nil)
		if o.Sealed != 1 || o.Opened != 0 || o.Err == nil || !bytes.Equal(out, sealed.Value) {
			t.Fatalf("OpenValue without keys = %s, %+v", out, o)
		}
	})
	t.Run("AnotherKeyFile", func(t *testing.T) {
		other := testKeys(t, "other")
		_, o := OpenValue(sealed.Topic, sealed.Value, other)
		if o.Opened != 0 || o.Err == nil || !strings.Contains(o.Err.Error(), `key "k1" is not in the key file`) {
			t.Fatalf("OpenValue with another key file = %+v", o)
		}
	})
	t.Run("MovedToAnotherField", func(t *testing.T) {
		moved := bytes.Replace(sealed.Value, []byte(`"to":`), []byte(`"name":`), 1)
		_, o := OpenValue(sealed.Topic, moved, keys)
		if o.Opened != 0 || o.Err == nil || !strings.Contains(o.Err.Error(), "sealed for another field") {
			t.Fatalf("OpenValue of a value moved to another field = %+v", o)
		}
	})
	t.Run("MovedToAnotherTopic", func(t *testing.T) {
		_, o := OpenValue(TopicLogsDebug, sealed.Value, keys)
		if o.Opened != 0 || o.Err == nil {
			t.Fatalf("OpenValue of a value moved to another topic = %+v", o)
		}
	})
	t.Run("PlainValue", func(t *testing.T) {
		plain := json.RawMessage(`{"task_id":"t-1","output":{"to":"bob@example.com"}}`)
		out, o := OpenValue(TopicTaskResult, plain, keys)
		if o != (Opened{}) || !bytes.Equal(out, plain) {
			t.Fatalf("OpenValue of an unsealed value = %s, %+v", out, o)
		}
	})
}

// Every topic's sample seals into a value that still validates against its schema, keeps its key and
// timestamp, hides each sealed field, and opens back to the original.
func TestSealedEventsValidateAndOpen(t *testing.T) {
	keys := testKeys(t, "k1")
	schemas := compileSchemas(t)
	for _, topic := range Topics {
		t.Run(topic.Name, func(t *testing.T) {
			full, _ := samples[topic.Name]()
			plain, sealed := mustSeal(t, full, keys)
			if err := validate(t, schemas[topic.Name], sealed.Value); err != nil {
				t.Errorf("sealed %s does not validate: %v", sealed.Value, err)
			}
			got, want := decode(t, sealed.Value), decode(t, plain.Value)
			if got[topic.KeyField] != want[topic.KeyField] || got["timestamp"] != want["timestamp"] {
				t.Errorf("key or timestamp sealed: %s", sealed.Value)
			}
			_, sealRule := sealRules[topic.Name]
			if sealRule != bytes.Contains(sealed.Value, []byte(SealedPrefix)) {
				t.Errorf("topic sealed: %v, but the value is %s", sealRule, sealed.Value)
			}
			opened, o := OpenValue(topic.Name, sealed.Value, keys)
			if o.Err != nil || !reflect.DeepEqual(decode(t, opened), want) {
				t.Errorf("opened %s (%+v), want %s", opened, o, plain.Value)
			}
		})
	}
}

func TestSecurityEventsAreSealedWhole(t *testing.T) {
	keys := testKeys(t, "k1")
	_, sealed := mustSeal(t, SecurityEvent{EventID: "s-1", Timestamp: "2026-12-01T10:00:00Z", EventType: "authorization_failure", UserID: "mallory", WorkerID: "w-1", Description: "mallory answered alice's question", Severity: "HIGH"}, keys)
	got := decode(t, sealed.Value)
	for name, v := range got {
		s, _ := v.(string)
		sealedField := strings.HasPrefix(s, SealedPrefix)
		if readable := name == "event_id" || name == "timestamp"; readable == sealedField {
			t.Errorf("%s = %v", name, v)
		}
	}
	if len(got) != 7 {
		t.Errorf("fields %v", got)
	}
}

func TestFeedbackKeepsTheQuestionsStateReadable(t *testing.T) {
	keys := testKeys(t, "k1")
	_, sealed := mustSeal(t, FeedbackHITL{FeedbackID: "f-1", Timestamp: "2026-12-01T10:00:00Z", WorkerID: "w-1", TaskID: "t-1",
		Question: "Which Ada: ada@example.com or ada@work.example?", UserID: "me",
		Context: map[string]any{"workflow_id": "wf-1", "state": "open", "kind": "choice", "step": "find", "options": []any{"ada@example.com", "ada@work.example"}, "answer": "ada@example.com"}}, keys)
	if bytes.Contains(sealed.Value, []byte("ada@")) {
		t.Fatalf("an address in %s", sealed.Value)
	}
	ctx := decode(t, sealed.Value)["context"].(map[string]any)
	if ctx["workflow_id"] != "wf-1" || ctx["state"] != "open" || ctx["kind"] != "choice" || ctx["step"] != "find" {
		t.Fatalf("state not readable: %v", ctx)
	}
}

type recordingPublisher struct{ got []Event }

func (p *recordingPublisher) Publish(_ context.Context, events ...Event) error {
	p.got = append(p.got, events...)
	return nil
}

func TestSealingPublisherSealsBeforePublishing(t *testing.T) {
	rec := &recordingPublisher{}
	ev, err := NewEvent("e-1", ErrorReport{ErrorID: "e-1", Timestamp: "2026-12-01T10:00:00Z", WorkerID: "w-1", TaskID: "t-1", ErrorType: "SMTP", ErrorMessage: "550 no such user bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := NewSealing(rec, testKeys(t, "k1")).Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || bytes.Contains(rec.got[0].Value, []byte("bob@")) || !bytes.Contains(rec.got[0].Value, []byte(`"error_type":"SMTP"`)) {
		t.Fatalf("published %s", rec.got)
	}
}

// The schemas say which fields are sealed (x-sealed), as the table here does.
func TestSchemasNameTheSealedFields(t *testing.T) {
	for _, topic := range Topics {
		if got, want := readSchemaDoc(t, topic.Name).Sealed, SealedFields(topic.Name); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: schema x-sealed %q, bridge seals %q", topic.Name, got, want)
		}
	}
}
