package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The values of an event that carry contact data or message text are sealed (encrypted) on their way to
// Kafka: a sealed value is a JSON string "eaapl-enc:v1:<key id>:<base64url(nonce+ciphertext)>" (the
// SealedPrefix) in place of the value, whatever its JSON type was; the plaintext sealed is the value's
// JSON, so opening it gives back the same number, list or object. The rest of an event (its key, the
// workflow, step, command, type, status, timestamps and counts) stays readable, so a consumer without
// the key can still route records, count them and run `eaapl stats`. docs/events.md lists the fields.

// SealedPrefix starts every sealed value: crypt.ValuePrefix, the format of internal/crypt's SealValue.
const SealedPrefix = "eaapl-enc:v1:"

// ValueSealer encrypts and decrypts one value of an event: *crypt.Keys. field is where the value goes
// (topic/path): the sealed value is bound to it, so it cannot be moved into another field or topic.
type ValueSealer interface {
	SealValue(field, value string) (string, error)
	OpenValue(field, value string) (string, error)
}

// sealRule says which values of a topic's events are sealed: paths of members, "." between the names
// of nested objects' members; "*" stands for every member of an object, except those named in readable.
// An event's key field and its "timestamp" are never sealed.
type sealRule struct {
	seal     []string
	readable []string
}

// sealRules are the sealed values of each topic; a topic not listed is not sealed (its values are
// counts, names of workers and states). security.events is sealed whole: the design document names it
// sensitive.
var sealRules = map[string]sealRule{
	TopicTaskDispatch: {seal: []string{"parameters.*"}},
	TopicTaskPriority: {seal: []string{"parameters.*"}},
	TopicTaskChain:    {seal: []string{"parameters.*"}},
	TopicTaskRetry:    {seal: []string{"parameters.*", "last_error.message"}},
	TopicTaskResult:   {seal: []string{"output.*", "error.message"}},
	// A log's message is the constant of its log call; what varies (addresses, errors) is in its details.
	TopicLogsDebug:    {seal: []string{"details.*"}},
	TopicErrorsReport: {seal: []string{"error_message", "stack_trace"}},
	TopicSystemAlerts: {seal: []string{"message"}},
	TopicFeedbackHITL: {
		seal:     []string{"question", "context.*"},
		readable: []string{"context.workflow_id", "context.question_id", "context.state", "context.kind", "context.step", "context.item", "context.timeout"},
	},
	TopicSecurityEvents: {seal: []string{"*"}},
}

// SealedFields lists the sealed paths of a topic's events (those of sealRules), for the documentation
// and the schemas; nil when the topic is not sealed.
func SealedFields(topic string) []string { return slices.Clone(sealRules[topic].seal) }

// SealEvent returns ev with the values its topic seals sealed by s. An event whose value is not a JSON
// object is returned as it is.
func SealEvent(ev Event, s ValueSealer) (Event, error) {
	rule, ok := sealRules[ev.Topic]
	if !ok {
		return ev, nil
	}
	keep := []string{"timestamp"}
	for _, t := range Topics {
		if t.Name == ev.Topic {
			keep = append(keep, t.KeyField)
		}
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(ev.Value, &top) != nil {
		return ev, nil
	}
	for _, path := range rule.seal {
		if err := sealPath(top, ev.Topic, "", strings.Split(path, "."), rule.readable, keep, s); err != nil {
			return Event{}, fmt.Errorf("seal %s event %s: %w", ev.Topic, ev.ID, err)
		}
	}
	b, err := json.Marshal(top)
	if err != nil {
		return Event{}, fmt.Errorf("seal %s event %s: %w", ev.Topic, ev.ID, err)
	}
	ev.Value = b
	return ev, nil
}

// sealPath seals the members of obj that path names; at is the path of obj in the event ("" at the top).
func sealPath(obj map[string]json.RawMessage, topic, at string, path, readable, keep []string, s ValueSealer) error {
	names := []string{path[0]}
	if path[0] == "*" {
		names = names[:0]
		for name := range obj {
			names = append(names, name)
		}
	}
	for _, name := range names {
		raw, ok := obj[name]
		full := join(at, name)
		if !ok || (at == "" && slices.Contains(keep, name)) || (path[0] == "*" && slices.Contains(readable, full)) {
			continue
		}
		if len(path) > 1 {
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) != nil { // absent, null, or not an object: nothing to seal
				continue
			}
			if err := sealPath(inner, topic, full, path[1:], readable, keep, s); err != nil {
				return err
			}
			b, err := json.Marshal(inner)
			if err != nil {
				return err
			}
			obj[name] = b
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		sealed, err := s.SealValue(topic+"/"+full, string(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
		b, err := json.Marshal(sealed)
		if err != nil {
			return err
		}
		obj[name] = b
	}
	return nil
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// Opened is what OpenValue did with a record's value.
type Opened struct {
	Sealed int   // sealed values found
	Opened int   // of those, opened
	Err    error // why the first value that stayed sealed did (no key, another key, altered); nil when all opened
}

// OpenValue returns a record's value with its sealed values opened by s, and counts them. A value that
// cannot be opened (s is nil, lacks its key, or the value was altered) stays sealed, and Opened.Err says
// why; a value that is not a JSON object is returned as it is.
func OpenValue(topic string, value json.RawMessage, s ValueSealer) (json.RawMessage, Opened) {
	var o Opened
	if !bytes.Contains(value, []byte(SealedPrefix)) {
		return value, o
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(value, &top) != nil {
		return value, o
	}
	openObject(top, topic, "", s, &o)
	b, err := json.Marshal(top)
	if err != nil {
		return value, Opened{Sealed: o.Sealed, Err: err}
	}
	return b, o
}

// openObject opens the sealed values in obj and the objects inside it, each with the path it has in the
// event, which is what it was sealed for.
func openObject(obj map[string]json.RawMessage, topic, at string, s ValueSealer, o *Opened) {
	for name, raw := range obj {
		full := join(at, name)
		var str string
		if json.Unmarshal(raw, &str) == nil {
			if !strings.HasPrefix(str, SealedPrefix) {
				continue
			}
			o.Sealed++
			if s == nil {
				if o.Err == nil {
					o.Err = fmt.Errorf("no key file to open them")
				}
				continue
			}
			plain, err := s.OpenValue(topic+"/"+full, str)
			if err == nil && !json.Valid([]byte(plain)) {
				err = fmt.Errorf("event value of %s: not JSON once opened", full)
			}
			if err != nil {
				if o.Err == nil {
					o.Err = err
				}
				continue
			}
			obj[name] = json.RawMessage(plain)
			o.Opened++
			continue
		}
		var inner map[string]json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &inner) == nil {
			openObject(inner, topic, full, s, o)
			if b, err := json.Marshal(inner); err == nil {
				obj[name] = b
			}
		}
	}
}

// Sealing is a Publisher that seals the events it is given (SealEvent) before pub publishes them: it
// sits between the Buffer and the Kafka producer, so that the workflows build plain events (sealing is
// random, and they are deterministic) and only the worker, which holds the key, encrypts.
type Sealing struct {
	pub Publisher
	s   ValueSealer
}

// NewSealing returns pub behind a Sealing with s.
func NewSealing(pub Publisher, s ValueSealer) *Sealing { return &Sealing{pub: pub, s: s} }

// Publish seals the events and publishes them. An event that cannot be sealed is not published in the
// clear: the call fails.
func (p *Sealing) Publish(ctx context.Context, events ...Event) error {
	sealed := make([]Event, len(events))
	for i, ev := range events {
		s, err := SealEvent(ev, p.s)
		if err != nil {
			return err
		}
		sealed[i] = s
	}
	return p.pub.Publish(ctx, sealed...)
}
