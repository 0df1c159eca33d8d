package catalog

// Task is one unit of work the Execution Agent hands a worker: the input of every command's activity, and
// the value of a task.dispatch event.
type Task struct {
	TaskID     string         `json:"task_id"`
	Command    string         `json:"command"`
	Parameters map[string]any `json:"parameters"`
	Context    TaskContext    `json:"context"`
	Priority   string         `json:"priority,omitempty"`
	// DryRun asks for a preview: a command that writes (SideEffect Writes) says what it would do and does
	// nothing; one that only reads runs as usual (`eaapl run --dry-run`).
	DryRun bool `json:"dry_run,omitempty"`
}

// TaskContext is what a worker may know about where its task comes from. IdempotencyKey is the same on
// every attempt of a task, so a command with side effects can recognise work an earlier attempt did.
type TaskContext struct {
	WorkflowID     string `json:"workflow_id"`
	Step           string `json:"step"`
	Item           int    `json:"item"` // 1-based position in the step's for_each list; 0 when the step has none
	UserID         string `json:"user_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
}

// The task result statuses.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// TaskResult is what a worker returns for a task: the output of every command's activity, and the value of
// a task.result event.
type TaskResult struct {
	TaskID        string         `json:"task_id"`
	WorkerID      string         `json:"worker_id"`
	Status        string         `json:"status"`
	Output        map[string]any `json:"output"`
	Error         *TaskError     `json:"error,omitempty"`
	ExecutionTime int64          `json:"execution_time"` // milliseconds
	Attempt       int32          `json:"attempt,omitempty"`
	// Preview is what the task would have done, for a task of a dry run whose command writes: "would send
	// 'Hello World!' to alice@example.com". Nothing was done when it is set.
	Preview string `json:"preview,omitempty"`
	// Resources is what the worker used while the attempt that produced this result ran.
	Resources *ResourceUsage `json:"resource_usage,omitempty"`
}

// ResourceUsage is what one attempt of a task used, as far as its worker can tell. A worker runs many tasks
// at once in one process, and Go accounts neither CPU time nor memory per goroutine (getrusage per thread
// does not follow a goroutine from thread to thread), so the figures are the whole worker process's while
// the attempt ran. With OverlappingTasks 0 they are the task's own, plus the Go runtime's background work;
// otherwise they are an upper bound, shared with those other tasks.
type ResourceUsage struct {
	CPUTimeMs        float64 `json:"cpu_time_ms"`       // user and system CPU time of the worker process
	AllocatedBytes   uint64  `json:"allocated_bytes"`   // heap memory the worker process allocated
	OverlappingTasks int64   `json:"overlapping_tasks"` // other activities (tasks, event publishing) that ran on the worker during the attempt
	// The tokens the attempt's requests to a language model spent (Summarize, Extract, Classify with a
	// model), as the model server counted them: the task's own, whatever else ran.
	ModelPromptTokens     int64 `json:"model_prompt_tokens,omitempty"`
	ModelCompletionTokens int64 `json:"model_completion_tokens,omitempty"`
}

// TaskError describes why a task failed.
type TaskError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// The error types of non-retryable failures, used as Temporal application error types. Callers and tests
// switch on these, never on messages.
const (
	ErrInvalidArgument = "InvalidArgument" // the input can never succeed: a bad address, a malformed file
	ErrNotFound        = "NotFound"        // something named by the input does not exist
	ErrUnauthorized    = "Unauthorized"    // credentials were refused
)
