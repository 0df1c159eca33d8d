// Package catalog is the registry of the commands a plan may use, and the definitions of their types.
// Each command family (activities/<family>) defines its commands with Define (the entry: name, English
// description, argument and output schemas derived from Go structs, side-effect class, timeouts and retry
// policy; the typed implementation; its batch capability, label, failure hint, read-back and English
// forms) and registers them with Register, in one place (activities/builtin). The planners (what they may
// emit), plan validation (what a plan may ask), the workflow (how to schedule and name each task), the
// runner (RunBatch) and the read-back look commands up here, by name, and never switch on one.
package catalog

import "time"

// Version changes whenever a command, argument or output changes in a way that affects plans.
const Version = "4" // 4: ReadLines, FindText, ReadTable's columns and stored rows

// Field is one argument or output field.
type Field struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Required bool   `json:"required,omitempty"`
	// Stored marks a list argument that also takes a stored list (contentvalue.List) as it is: the program
	// passes the reference, and the command reads the list a page at a time (eaapl:"stored").
	Stored      bool   `json:"stored,omitempty"`
	Description string `json:"description"`
}

// StoredListKey is the one key of a value that stands for a stored list, {"stored_list": ...}
// (activities/contentvalue): a long list kept in the content store and read a page at a time.
const StoredListKey = "stored_list"

// IsStoredList says whether v has the shape of a stored list's value; contentvalue.ListOf reads it.
func IsStoredList(v any) bool {
	m, ok := v.(map[string]any)
	_, stored := m[StoredListKey]
	return ok && len(m) == 1 && stored
}

// SideEffect says whether a command changes the world; writes must be idempotent per task.
type SideEffect string

// The side-effect classes.
const (
	Reads  SideEffect = "reads"
	Writes SideEffect = "writes"
)

// RetryPolicy is a command's default retry policy. Errors whose type is listed in NonRetryable, and every
// error raised as non-retryable by the activity, end the task at once.
type RetryPolicy struct {
	InitialInterval    time.Duration `json:"initial_interval"`
	BackoffCoefficient float64       `json:"backoff_coefficient"`
	MaximumInterval    time.Duration `json:"maximum_interval"`
	MaximumAttempts    int32         `json:"maximum_attempts"`
}

// Command is one entry of the catalog. Its Name is also the Temporal activity type that implements it.
type Command struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Args        []Field     `json:"args"`
	Output      []Field     `json:"output"`
	SideEffect  SideEffect  `json:"side_effect"`
	Timeout     Duration    `json:"timeout"` // start-to-close, per attempt
	Retry       RetryPolicy `json:"retry"`
	// HeartbeatTimeout is how long an attempt may go without a heartbeat before Temporal gives it up and
	// tries again, on any worker: how soon a dead worker's task moves on. Workers heartbeat every running
	// task well within it (see worker.Heartbeats).
	HeartbeatTimeout Duration `json:"heartbeat_timeout"`
	// Label says how its tasks are named: "SendEmail to alice@example.com".
	Label Label `json:"label"`
}

// Duration is a time.Duration that reads and writes as "30s" in JSON.
type Duration time.Duration

// MarshalText writes the duration as Go duration text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads Go duration text such as "30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Arg returns the argument field called name.
func (c Command) Arg(name string) (Field, bool) { return findField(c.Args, name) }

// OutputField returns the output field called name.
func (c Command) OutputField(name string) (Field, bool) { return findField(c.Output, name) }

func findField(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// HeartbeatTimeout is the heartbeat timeout of every command that heartbeats. A worker heartbeats a
// running task every 2.5s, and the SDK sends at most one heartbeat per 8s (0.8 of the timeout) whatever the
// activity records, so 10s leaves 2s for a heartbeat to reach the server on a loaded machine. A tighter
// figure would let Temporal give up on a live but slow attempt, and a second attempt racing the first is
// how an email could go twice.
const HeartbeatTimeout = 10 * time.Second

// DefaultRetry is the retry policy most commands have.
var DefaultRetry = RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    30 * time.Second,
	MaximumAttempts:    5,
}
