// Package bridge is what EaaPL mirrors onto the Kafka topics of the design document: the topic names and
// message keys, a Go type per topic whose JSON has exactly the documented fields, the events of a task,
// and the one buffered publisher a worker process sends them through. It speaks no Kafka itself (that is
// bridge/kafka), so the workflows can build their events with it. Temporal's history stays the source of
// truth; the topics are the mirror other systems consume.
package bridge

import (
	"encoding/json"
	"fmt"

	"github.com/eaapl/eaapl/catalog"
)

// The topics, as the design document names them.
const (
	TopicTaskDispatch       = "task.dispatch"
	TopicTaskResult         = "task.result"
	TopicTaskPriority       = "task.priority"
	TopicResourceAllocation = "resource.allocation"
	TopicLogsDebug          = "logs.debug"
	TopicErrorsReport       = "errors.report"
	TopicTaskRetry          = "task.retry"
	TopicFeedbackHITL       = "feedback.hitl"
	TopicMonitoringMetrics  = "monitoring.metrics"
	TopicWorkerHeartbeat    = "worker.heartbeat"
	TopicTaskChain          = "task.chain"
	TopicTaskDependency     = "task.dependency"
	TopicSystemAlerts       = "system.alerts"
	TopicSecurityEvents     = "security.events"
	TopicAnalyticsData      = "analytics.data"
)

// Topic describes one topic: its name, the field of the value that is the message key, and the maturity
// level the design document gives it.
type Topic struct {
	Name     string
	KeyField string
	Level    string
}

// Topics lists the 15 topics in the design document's order.
var Topics = []Topic{
	{TopicTaskDispatch, "task_id", "Functional"},
	{TopicTaskResult, "task_id", "Functional"},
	{TopicTaskPriority, "task_id", "Performant"},
	{TopicResourceAllocation, "worker_id", "Performant"},
	{TopicLogsDebug, "log_id", "Performant"},
	{TopicErrorsReport, "error_id", "Resilient"},
	{TopicTaskRetry, "task_id", "Resilient"},
	{TopicFeedbackHITL, "feedback_id", "Resilient"},
	{TopicMonitoringMetrics, "worker_id", "Resilient"},
	{TopicWorkerHeartbeat, "worker_id", "Resilient"},
	{TopicTaskChain, "sub_task_id", "Complete"},
	{TopicTaskDependency, "task_id", "Complete"},
	{TopicSystemAlerts, "alert_id", "Complete"},
	{TopicSecurityEvents, "event_id", "Complete"},
	{TopicAnalyticsData, "data_point_id", "Complete"},
}

// TopicNames returns the names of all topics.
func TopicNames() []string {
	names := make([]string, len(Topics))
	for i, t := range Topics {
		names[i] = t.Name
	}
	return names
}

// Value is the value of a record: it knows its topic and its message key.
type Value interface {
	Topic() string
	Key() string
}

// Event is one record to produce. ID is deterministic, so that a record produced again by a retried
// publish carries the same ID and a consumer can drop it; it travels as the HeaderEventID header.
type Event struct {
	Topic string          `json:"topic"`
	Key   string          `json:"key"`
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
}

// HeaderEventID is the record header that carries an Event's ID.
const HeaderEventID = "eaapl-event-id"

// NewEvent encodes a value as an event with the given ID. Nil maps and slices in fields the schemas
// require are written as {} and [], not null, so that a value built without them still validates.
//
// Workflows call it: it is deterministic (encoding/json sorts map keys; the reflection only reads and
// copies the value), which workflowcheck cannot see through encoding/json and reflect.
//
//workflowcheck:ignore
func NewEvent(id string, v Value) (Event, error) {
	b, err := json.Marshal(withEmptyCollections(v))
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event %s: %w", v.Topic(), id, err)
	}
	return Event{Topic: v.Topic(), Key: v.Key(), ID: id, Value: b}, nil
}

// TaskDispatch is a task handed to a worker (task.dispatch), and a high-priority one (task.priority).
type TaskDispatch struct {
	TaskID     string              `json:"task_id"`
	Command    string              `json:"command"`
	Parameters map[string]any      `json:"parameters"`
	Context    catalog.TaskContext `json:"context"`
	Priority   string              `json:"priority,omitempty"`
}

func (v TaskDispatch) Topic() string { return TopicTaskDispatch }
func (v TaskDispatch) Key() string   { return v.TaskID }

// TaskPriority is a high-priority task (task.priority): the task.dispatch value with priority "high".
// Its fields are TaskDispatch's, so TaskPriority(d) converts; unlike task.dispatch, priority is required.
type TaskPriority struct {
	TaskID     string              `json:"task_id"`
	Command    string              `json:"command"`
	Parameters map[string]any      `json:"parameters"`
	Context    catalog.TaskContext `json:"context"`
	Priority   string              `json:"priority"` // always PriorityHigh
}

func (v TaskPriority) Topic() string { return TopicTaskPriority }
func (v TaskPriority) Key() string   { return v.TaskID }

// PriorityHigh is the priority of the tasks that also go to task.priority.
const PriorityHigh = "high"

// PriorityOf is the task.priority value of a task: its task.dispatch value with priority "high".
func PriorityOf(t catalog.Task) TaskPriority {
	p := TaskPriority(DispatchOf(t))
	p.Priority = PriorityHigh
	return p
}

// DispatchOf is the task.dispatch value of a task.
func DispatchOf(t catalog.Task) TaskDispatch {
	return TaskDispatch{TaskID: t.TaskID, Command: t.Command, Parameters: t.Parameters, Context: t.Context, Priority: t.Priority}
}

// TaskResult is how a task ended (task.result).
type TaskResult struct {
	TaskID        string         `json:"task_id"`
	WorkerID      string         `json:"worker_id"`
	Status        string         `json:"status"`
	Output        map[string]any `json:"output"`
	Error         map[string]any `json:"error,omitempty"`
	ExecutionTime float64        `json:"execution_time"` // milliseconds
}

func (v TaskResult) Topic() string { return TopicTaskResult }
func (v TaskResult) Key() string   { return v.TaskID }

// ResultOf is the task.result value of a task's result.
func ResultOf(r catalog.TaskResult) TaskResult {
	out := TaskResult{TaskID: r.TaskID, WorkerID: r.WorkerID, Status: r.Status, Output: r.Output, ExecutionTime: float64(r.ExecutionTime)}
	if out.Output == nil {
		out.Output = map[string]any{}
	}
	if r.Error != nil {
		out.Error = map[string]any{"type": r.Error.Type, "message": r.Error.Message}
	}
	return out
}

// ResourceAllocation is a worker's slots and limits (resource.allocation).
type ResourceAllocation struct {
	WorkerID           string         `json:"worker_id"`
	AllocatedResources map[string]any `json:"allocated_resources"`
	TaskRequirements   map[string]any `json:"task_requirements,omitempty"`
	Timestamp          string         `json:"timestamp"`
}

func (v ResourceAllocation) Topic() string { return TopicResourceAllocation }
func (v ResourceAllocation) Key() string   { return v.WorkerID }

// LogDebug is one log entry of a worker (logs.debug). LogID is the key; the document lists it as the key
// but not among the value's fields, so it is carried in the key and the value alike.
type LogDebug struct {
	LogID     string         `json:"log_id"`
	Timestamp string         `json:"timestamp"`
	WorkerID  string         `json:"worker_id"`
	TaskID    string         `json:"task_id"`
	LogLevel  string         `json:"log_level"`
	Message   string         `json:"message"`
	Details   map[string]any `json:"details,omitempty"`
}

func (v LogDebug) Topic() string { return TopicLogsDebug }
func (v LogDebug) Key() string   { return v.LogID }

// ErrorReport is a failed attempt of a task (errors.report).
type ErrorReport struct {
	ErrorID      string `json:"error_id"`
	Timestamp    string `json:"timestamp"`
	WorkerID     string `json:"worker_id"`
	TaskID       string `json:"task_id"`
	ErrorType    string `json:"error_type"`
	ErrorMessage string `json:"error_message"`
	StackTrace   string `json:"stack_trace,omitempty"`
}

func (v ErrorReport) Topic() string { return TopicErrorsReport }
func (v ErrorReport) Key() string   { return v.ErrorID }

// TaskRetry is a task being tried again (task.retry): the task.dispatch value and the retry's details.
type TaskRetry struct {
	TaskDispatch
	RetryCount int            `json:"retry_count"`
	LastError  map[string]any `json:"last_error"`
}

func (v TaskRetry) Topic() string { return TopicTaskRetry }
func (v TaskRetry) Key() string   { return v.TaskID }

// FeedbackHITL is a question to the user (feedback.hitl).
type FeedbackHITL struct {
	FeedbackID string         `json:"feedback_id"`
	Timestamp  string         `json:"timestamp"`
	WorkerID   string         `json:"worker_id"`
	TaskID     string         `json:"task_id"`
	Question   string         `json:"question"`
	Context    map[string]any `json:"context"`
	UserID     string         `json:"user_id"`
}

func (v FeedbackHITL) Topic() string { return TopicFeedbackHITL }
func (v FeedbackHITL) Key() string   { return v.FeedbackID }

// MonitoringMetrics is a worker's health (monitoring.metrics).
type MonitoringMetrics struct {
	Timestamp      string  `json:"timestamp"`
	WorkerID       string  `json:"worker_id"`
	CPUUsage       float64 `json:"cpu_usage"`    // percent of one core
	MemoryUsage    float64 `json:"memory_usage"` // MB
	TasksCompleted int64   `json:"tasks_completed"`
	TasksFailed    int64   `json:"tasks_failed"`
	Uptime         float64 `json:"uptime"` // seconds
}

func (v MonitoringMetrics) Topic() string { return TopicMonitoringMetrics }
func (v MonitoringMetrics) Key() string   { return v.WorkerID }

// WorkerHeartbeat says a worker is alive (worker.heartbeat).
type WorkerHeartbeat struct {
	Timestamp     string  `json:"timestamp"`
	WorkerID      string  `json:"worker_id"`
	Status        string  `json:"status"` // online, idle, busy, offline
	CurrentTaskID string  `json:"current_task_id,omitempty"`
	Load          float64 `json:"load"` // percent of the worker's task slots in use
}

func (v WorkerHeartbeat) Topic() string { return TopicWorkerHeartbeat }
func (v WorkerHeartbeat) Key() string   { return v.WorkerID }

// TaskChain is a sub-task a step creates, one per for_each item (task.chain).
type TaskChain struct {
	SubTaskID    string         `json:"sub_task_id"`
	ParentTaskID string         `json:"parent_task_id"`
	Command      string         `json:"command"`
	Parameters   map[string]any `json:"parameters"`
	Dependencies []string       `json:"dependencies"`
	Priority     string         `json:"priority,omitempty"`
}

func (v TaskChain) Topic() string { return TopicTaskChain }
func (v TaskChain) Key() string   { return v.SubTaskID }

// TaskDependency is a step whose dependencies changed state (task.dependency).
type TaskDependency struct {
	TaskID         string   `json:"task_id"`
	Dependencies   []string `json:"dependencies"`
	DependentTasks []string `json:"dependent_tasks"`
	Status         string   `json:"status"` // pending, in_progress, completed, failed, skipped, canceled, not_run
}

func (v TaskDependency) Topic() string { return TopicTaskDependency }
func (v TaskDependency) Key() string   { return v.TaskID }

// SystemAlert is an alert that needs attention (system.alerts).
type SystemAlert struct {
	AlertID            string   `json:"alert_id"`
	Timestamp          string   `json:"timestamp"`
	Severity           string   `json:"severity"` // CRITICAL, HIGH, MEDIUM, LOW
	Message            string   `json:"message"`
	AffectedComponents []string `json:"affected_components"`
	ActionRequired     bool     `json:"action_required"`
}

func (v SystemAlert) Topic() string { return TopicSystemAlerts }
func (v SystemAlert) Key() string   { return v.AlertID }

// SecurityEvent is a security or policy decision (security.events), such as a rejected plan.
type SecurityEvent struct {
	EventID     string `json:"event_id"`
	Timestamp   string `json:"timestamp"`
	EventType   string `json:"event_type"`
	UserID      string `json:"user_id"`
	WorkerID    string `json:"worker_id,omitempty"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
}

func (v SecurityEvent) Topic() string { return TopicSecurityEvents }
func (v SecurityEvent) Key() string   { return v.EventID }

// AnalyticsData is a task's metrics (analytics.data).
type AnalyticsData struct {
	DataPointID   string         `json:"data_point_id"`
	Timestamp     string         `json:"timestamp"`
	WorkerID      string         `json:"worker_id"`
	TaskID        string         `json:"task_id"`
	Metrics       map[string]any `json:"metrics"`
	ResourceUsage map[string]any `json:"resource_usage"`
}

func (v AnalyticsData) Topic() string { return TopicAnalyticsData }
func (v AnalyticsData) Key() string   { return v.DataPointID }
