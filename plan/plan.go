// Package plan is the plan document: the JSON a planner produces from English and the workflow interprets.
// A plan is a list of steps; each step runs one catalog command, once or once per item of a list, when its
// dependencies are done and its condition holds. Arguments and conditions may refer to earlier steps'
// outputs through CEL expressions written as "${...}".
package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Version is the plan document version this package reads and writes.
const Version = 1

// Plan is an English program turned into steps.
type Plan struct {
	Version int    `json:"version"`
	Program string `json:"program,omitempty"` // the English text it came from, if any
	Steps   []Step `json:"steps"`
	// Schedule, when set, makes the plan a schedule of runs (constructs.go).
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Step is one command of a plan.
//
// Args values are JSON literals or strings holding expressions: a string that is exactly "${expr}" takes
// the expression's value and type; a string with "${expr}" inside it interpolates the values as text.
// Expressions see `steps.<id>` (an earlier step's output), `now` (the program's start time) and, in a
// for_each step, the item under the name ForEach.As.
type Step struct {
	ID          string         `json:"id"`
	Command     string         `json:"command"`
	Description string         `json:"description,omitempty"` // one English sentence, for people
	Args        map[string]any `json:"args,omitempty"`
	DependsOn   []string       `json:"depends_on,omitempty"`
	// After lists steps this one only comes after, for order: it does not read them, and it runs when
	// one of them was skipped by a condition (its own "if", or a step it reads that was), which skips a
	// step in depends_on. A failure still stops it, as in depends_on.
	After      []string `json:"after,omitempty"`
	ForEach    *ForEach `json:"for_each,omitempty"`
	If         string   `json:"if,omitempty"`          // CEL condition, without ${ }
	SkipReason string   `json:"skip_reason,omitempty"` // why an item is skipped when If is false, in English
	Priority   string   `json:"priority,omitempty"`    // "normal" (default) or "high"
	Retry      *Retry   `json:"retry,omitempty"`       // overrides the command's retry policy
	// A step with no command is one construct (constructs.go).
	Wait       *Wait       `json:"wait,omitempty"`
	AwaitReply *AwaitReply `json:"await_reply,omitempty"`
	Check      *Check      `json:"check,omitempty"`
	Answer     *Answer     `json:"answer,omitempty"`
}

// ForEach runs a step once per item of a list.
type ForEach struct {
	Items string `json:"items"` // an expression yielding a list, "${steps.contacts.contacts}"
	As    string `json:"as"`    // the name the item has in args and the condition
}

// The priorities.
const (
	PriorityNormal = "normal"
	PriorityHigh   = "high"
)

// Parse reads a plan document, rejecting unknown fields so that a misspelt key is an error, not ignored.
// It does not validate the plan against the catalog; call Validate for that. Its errors are *Error.
func Parse(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, &Error{Err: describeJSONError(data, err)}
	}
	// dec.More would accept a stray "}" or "]" after the plan; only the end of the input will do.
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Err: fmt.Errorf("line %d: unexpected data after the plan object", lineOf(data, dec.InputOffset()))}
	}
	if err := normalizeNumbers(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Step returns the step with the given id.
func (p *Plan) Step(id string) (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

// Commands returns the names of the commands the plan's steps run, each once, in plan order.
func (p *Plan) Commands() []string {
	var names []string
	for _, s := range p.Steps {
		if !slices.Contains(names, s.Command) {
			names = append(names, s.Command)
		}
		if s.AwaitReply != nil && !slices.Contains(names, ReplyFinder) { // the command the wait asks
			names = append(names, ReplyFinder)
		}
	}
	return names
}

// describeJSONError turns a JSON decoding error into one that names the line and column.
func describeJSONError(data []byte, err error) error {
	var offset int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		offset = e.Offset
	case *json.UnmarshalTypeError:
		offset = e.Offset
		if e.Field != "" {
			return fmt.Errorf("line %d: field %q must be %s, not a JSON %s", lineOf(data, offset), e.Field, e.Type, e.Value)
		}
		// No field: the document itself is not an object.
		return fmt.Errorf("line %d: the plan must be a JSON object {\"version\": 1, \"steps\": [...]}, not a JSON %s", lineOf(data, offset), e.Value)
	}
	switch {
	case err == io.EOF:
		return errors.New("the plan is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: the plan ends too soon; is a closing } or ] missing?", lineOf(data, int64(len(data))))
	case offset < 0:
		return err
	}
	return fmt.Errorf("line %d: %w", lineOf(data, offset), err)
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// normalizeNumbers turns json.Number args into int64 or float64 so that plans read from files and plans
// built in code compare and evaluate alike. A number too large for a float64 is an error: it would become
// an infinity that cannot be written back as JSON.
func normalizeNumbers(p *Plan) error {
	for i := range p.Steps {
		for k, v := range p.Steps[i].Args {
			n, err := normalizeValue(v)
			if err != nil {
				return &Error{Step: p.Steps[i].ID, Field: "args." + k, Err: err}
			}
			p.Steps[i].Args[k] = n
		}
	}
	return nil
}

func normalizeValue(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("the number %s is too large", x)
		}
		return f, nil
	case []any:
		for i := range x {
			if x[i], err = normalizeValue(x[i]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for k := range x {
			if x[k], err = normalizeValue(x[k]); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}
