package catalog

// ErrNeedsInput is the error type of a task that cannot go on without the user: two contacts have the
// name it was given, the message has no text. It is non-retryable, and its details hold the InputRequest;
// the workflow asks the user and runs the task again with the answer in the parameter the request names.
const ErrNeedsInput = "NeedsInput"

// The kinds of answer an InputRequest takes.
const (
	InputChoice  = "choice"  // one of the Options
	InputText    = "text"    // any text that is not blank
	InputAddress = "address" // an email address
)

// InputRequest is a question a task asks the user, and how the answer goes back into the task.
type InputRequest struct {
	Question string   `json:"question"`          // one sentence for the user
	Kind     string   `json:"kind"`              // InputChoice, InputText or InputAddress
	Options  []Option `json:"options,omitempty"` // the answers of a choice
	Param    string   `json:"param"`             // the task parameter the answer sets when the task runs again
	WorkerID string   `json:"worker_id,omitempty"`
}

// Option is one answer of a choice.
type Option struct {
	Value string `json:"value"`           // what the user answers: "1", "yes", an address
	Label string `json:"label,omitempty"` // what it means, for people
	Arg   any    `json:"arg,omitempty"`   // the parameter's value when it is chosen; Value when nil
}
