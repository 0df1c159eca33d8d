// Package catalog declares the commands a plan may use: their names, English descriptions, argument and
// output schemas, side-effect class, timeouts and retry policies. It is pure data shared by the planner
// (what it may emit), plan validation (what a plan may ask), the workflow (how to schedule each task) and
// the activities (which implement each command under the same name).
package catalog

import (
	"fmt"
	"strings"
	"time"
)

// Version changes whenever a command, argument or output changes in a way that affects plans.
const Version = "1"

// Type names a value's type in argument and output schemas.
type Type string

// The types of the schemas. A list type is written "list<elem>".
const (
	String  Type = "string"
	Bool    Type = "bool"
	Int     Type = "int"
	Time    Type = "time"    // RFC 3339 timestamp string
	Address Type = "address" // an email address string
	Contact Type = "contact" // object: name, email, source
	Any     Type = "any"
)

// ListOf returns the list type whose elements are elem.
func ListOf(elem Type) Type { return Type("list<" + string(elem) + ">") }

// Elem returns the element type of a list type, and false for any other type.
func (t Type) Elem() (Type, bool) {
	s := string(t)
	if strings.HasPrefix(s, "list<") && strings.HasSuffix(s, ">") {
		return Type(s[len("list<") : len(s)-1]), true
	}
	return "", false
}

// Fields returns the fields of an object type, and false for any other type.
func (t Type) Fields() ([]Field, bool) {
	f, ok := objects[t]
	return f, ok
}

// objects holds the fields of the object types.
var objects = map[Type][]Field{
	Contact: {
		{Name: "name", Type: String, Description: "display name, may be empty"},
		{Name: "email", Type: Address, Required: true, Description: "email address"},
		{Name: "source", Type: String, Description: "where the contact came from, file:line"},
	},
}

// Field is one argument or output field.
type Field struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description"`
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
	// SummaryArg names the argument that the one-line activity summary shows ("SendEmail to alice@...").
	SummaryArg string `json:"-"`
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

// Summary is the one-line description of a task shown in the Temporal Web UI and in progress output.
func (c Command) Summary(params map[string]any) string {
	if c.SummaryArg == "" {
		return c.Name
	}
	v, ok := params[c.SummaryArg]
	if !ok {
		return c.Name
	}
	if m, ok := v.(map[string]any); ok {
		if email, ok := m["email"].(string); ok {
			v = email
		}
	}
	return fmt.Sprintf("%s to %v", c.Name, v)
}

// heartbeatTimeout is every command's heartbeat timeout. A worker heartbeats a running task every 2.5s,
// and the SDK sends at most one heartbeat per 8s (0.8 of the timeout) whatever the activity records, so
// 10s leaves 2s for a heartbeat to reach the server on a loaded machine. A tighter figure would let Temporal
// give up on a live but slow attempt, and a second attempt racing the first is how an email could go twice.
const heartbeatTimeout = Duration(10 * time.Second)

var defaultRetry = RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    30 * time.Second,
	MaximumAttempts:    5,
}

// Commands is the catalog, in the order the documentation lists it.
var Commands = []Command{
	{
		Name:        "RetrieveContacts",
		Description: "Get the user's contacts from their address book (a vCard or CSV file).",
		Output: []Field{
			{Name: "contacts", Type: ListOf(Contact), Required: true, Description: "the contacts, in file order"},
			{Name: "count", Type: Int, Required: true, Description: "how many contacts"},
		},
		SideEffect: Reads,
		Timeout:    Duration(time.Minute),
		Retry:      defaultRetry,
		// a dead worker's task is retried elsewhere within seconds
		HeartbeatTimeout: heartbeatTimeout,
	},
	{
		Name:        "CheckEmailHistory",
		Description: "Find which of the given contacts the user emailed within a time range.",
		Args: []Field{
			{Name: "contacts", Type: ListOf(Contact), Required: true, Description: "the contacts to look for"},
			{Name: "since", Type: Time, Required: true, Description: "start of the range, inclusive"},
			{Name: "until", Type: Time, Description: "end of the range, exclusive; now when empty"},
		},
		Output: []Field{
			{Name: "emailed", Type: ListOf(Address), Required: true, Description: "addresses the user emailed in the range"},
			{Name: "not_emailed", Type: ListOf(Contact), Required: true, Description: "contacts the user did not email in the range"},
			{Name: "since", Type: Time, Required: true, Description: "start of the range searched"},
			{Name: "until", Type: Time, Required: true, Description: "end of the range searched"},
		},
		SideEffect: Reads,
		Timeout:    Duration(2 * time.Minute),
		Retry:      defaultRetry,
		// a dead worker's task is retried elsewhere within seconds
		HeartbeatTimeout: heartbeatTimeout,
	},
	{
		Name:        "ComposeEmail",
		Description: "Write an email message with the given text; the subject defaults to its first line.",
		Args: []Field{
			{Name: "body", Type: String, Required: true, Description: "the message text"},
			{Name: "subject", Type: String, Description: "the subject; the body's first line when empty"},
		},
		Output: []Field{
			{Name: "subject", Type: String, Required: true, Description: "the subject line"},
			{Name: "body", Type: String, Required: true, Description: "the message text"},
		},
		SideEffect: Reads,
		Timeout:    Duration(10 * time.Second),
		Retry:      defaultRetry,
		// a dead worker's task is retried elsewhere within seconds
		HeartbeatTimeout: heartbeatTimeout,
	},
	{
		Name:        "FindContact",
		Description: "Find the contact a name refers to; ask the user when several contacts or none have it.",
		Args: []Field{
			{Name: "name", Type: String, Required: true, Description: "a contact's name (full or first), or an email address"},
			{Name: "email", Type: Address, Description: "the address to use, found or confirmed by the user; set by an answer"},
		},
		Output: []Field{
			{Name: "contact", Type: Contact, Required: true, Description: "the contact"},
		},
		SideEffect: Reads,
		Timeout:    Duration(time.Minute),
		Retry:      defaultRetry,
	},
	{
		Name:        "SendEmail",
		Description: "Send an email to one recipient, at most once per task.",
		Args: []Field{
			{Name: "to", Type: Contact, Required: true, Description: "the recipient"},
			{Name: "subject", Type: String, Required: true, Description: "the subject line"},
			{Name: "body", Type: String, Required: true, Description: "the message text"},
		},
		Output: []Field{
			{Name: "recipient", Type: Address, Required: true, Description: "the address the email went to"},
			{Name: "message_id", Type: String, Required: true, Description: "the Message-ID header, deterministic per task"},
			{Name: "already_sent", Type: Bool, Description: "true when an earlier attempt had sent it"},
		},
		SideEffect: Writes,
		Timeout:    Duration(time.Minute),
		Retry:      defaultRetry,
		SummaryArg: "to",
		// a dead worker's task is retried elsewhere within seconds
		HeartbeatTimeout: heartbeatTimeout,
	},
}

// Lookup returns the command called name.
func Lookup(name string) (Command, bool) {
	for _, c := range Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Names returns the command names, in catalog order.
func Names() []string {
	names := make([]string, len(Commands))
	for i, c := range Commands {
		names[i] = c.Name
	}
	return names
}
