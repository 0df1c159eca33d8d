package bridge

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eaapl/eaapl/catalog"
)

// specTopics is the "Kafka Topics" section of the design document (shared/spec/execution-workers.md),
// transcribed by hand: topic, message key, and the value's fields as "name:type", required and optional.
// Types are the document's: string, object, number, integer, boolean, array (of strings), and date-time
// for ISO 8601 timestamps. Renaming, dropping or retyping a field in a schema or a Go type fails a test.
var specTopics = []struct {
	topic    string
	key      string
	required []string
	optional []string
}{
	{TopicTaskDispatch, "task_id",
		[]string{"task_id:string", "command:string", "parameters:object", "context:object"},
		[]string{"priority:string"}},
	{TopicTaskResult, "task_id",
		[]string{"task_id:string", "worker_id:string", "status:string", "output:object", "execution_time:number"},
		[]string{"error:object"}},
	{TopicTaskPriority, "task_id", // "same structure as task.dispatch, with priority set to high"
		[]string{"task_id:string", "command:string", "parameters:object", "context:object", "priority:string"},
		nil},
	{TopicResourceAllocation, "worker_id",
		[]string{"worker_id:string", "allocated_resources:object", "timestamp:date-time"},
		[]string{"task_requirements:object"}},
	{TopicLogsDebug, "log_id", // the key is not among the document's value fields
		[]string{"timestamp:date-time", "worker_id:string", "task_id:string", "log_level:string", "message:string"},
		[]string{"details:object"}},
	{TopicErrorsReport, "error_id",
		[]string{"error_id:string", "timestamp:date-time", "worker_id:string", "task_id:string", "error_type:string", "error_message:string"},
		[]string{"stack_trace:string"}},
	{TopicTaskRetry, "task_id", // "same as task.dispatch, with additional fields"
		[]string{"task_id:string", "command:string", "parameters:object", "context:object", "retry_count:integer", "last_error:object"},
		[]string{"priority:string"}},
	{TopicFeedbackHITL, "feedback_id",
		[]string{"feedback_id:string", "timestamp:date-time", "worker_id:string", "task_id:string", "question:string", "context:object", "user_id:string"},
		nil},
	{TopicMonitoringMetrics, "worker_id",
		[]string{"timestamp:date-time", "worker_id:string", "cpu_usage:number", "memory_usage:number", "tasks_completed:integer", "tasks_failed:integer", "uptime:number"},
		nil},
	{TopicWorkerHeartbeat, "worker_id",
		[]string{"timestamp:date-time", "worker_id:string", "status:string", "load:number"},
		[]string{"current_task_id:string"}},
	{TopicTaskChain, "sub_task_id",
		[]string{"sub_task_id:string", "parent_task_id:string", "command:string", "parameters:object", "dependencies:array"},
		[]string{"priority:string"}},
	{TopicTaskDependency, "task_id",
		[]string{"task_id:string", "dependencies:array", "dependent_tasks:array", "status:string"},
		nil},
	{TopicSystemAlerts, "alert_id",
		[]string{"alert_id:string", "timestamp:date-time", "severity:string", "message:string", "affected_components:array", "action_required:boolean"},
		nil},
	{TopicSecurityEvents, "event_id",
		[]string{"event_id:string", "timestamp:date-time", "event_type:string", "user_id:string", "description:string", "severity:string"},
		[]string{"worker_id:string"}},
	{TopicAnalyticsData, "data_point_id",
		[]string{"data_point_id:string", "timestamp:date-time", "worker_id:string", "task_id:string", "metrics:object", "resource_usage:object"},
		nil},
}

const sampleTime = "2026-11-25T22:06:00Z"

var sampleContext = catalog.TaskContext{WorkflowID: "wf-1", Step: "send", Item: 2, UserID: "me", IdempotencyKey: "wf-1/send/2"}

// samples gives, per topic, a value with every field set and one with only the required fields set
// (and its maps and slices nil).
var samples = map[string]func() (full, minimal Value){
	TopicTaskDispatch: func() (Value, Value) {
		return TaskDispatch{TaskID: "t-1", Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: sampleContext, Priority: "normal"},
			TaskDispatch{TaskID: "t-1", Command: "send_email"}
	},
	TopicTaskResult: func() (Value, Value) {
		return TaskResult{TaskID: "t-1", WorkerID: "w-1", Status: catalog.StatusFailure, Output: map[string]any{"sent": false}, Error: map[string]any{"type": "SMTP", "message": "refused"}, ExecutionTime: 12.5},
			TaskResult{TaskID: "t-1", WorkerID: "w-1", Status: catalog.StatusSuccess}
	},
	TopicTaskPriority: func() (Value, Value) {
		return TaskPriority{TaskID: "t-1", Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: sampleContext, Priority: PriorityHigh},
			TaskPriority{TaskID: "t-1", Command: "send_email", Priority: PriorityHigh}
	},
	TopicResourceAllocation: func() (Value, Value) {
		return ResourceAllocation{WorkerID: "w-1", AllocatedResources: map[string]any{"activity_slots": 10}, TaskRequirements: map[string]any{"memory_mb": 64}, Timestamp: sampleTime},
			ResourceAllocation{WorkerID: "w-1", Timestamp: sampleTime}
	},
	TopicLogsDebug: func() (Value, Value) {
		return LogDebug{LogID: "l-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", LogLevel: "INFO", Message: "sent", Details: map[string]any{"to": "ada@example.com"}},
			LogDebug{LogID: "l-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", LogLevel: "INFO", Message: "sent"}
	},
	TopicErrorsReport: func() (Value, Value) {
		return ErrorReport{ErrorID: "e-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", ErrorType: "SMTP", ErrorMessage: "refused", StackTrace: "goroutine 1"},
			ErrorReport{ErrorID: "e-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", ErrorType: "SMTP", ErrorMessage: "refused"}
	},
	TopicTaskRetry: func() (Value, Value) {
		return TaskRetry{TaskDispatch: TaskDispatch{TaskID: "t-1", Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: sampleContext, Priority: "normal"}, RetryCount: 2, LastError: map[string]any{"type": "SMTP"}},
			TaskRetry{TaskDispatch: TaskDispatch{TaskID: "t-1", Command: "send_email"}, RetryCount: 1}
	},
	TopicFeedbackHITL: func() (Value, Value) {
		return FeedbackHITL{FeedbackID: "f-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", Question: "Which Ada?", Context: map[string]any{"candidates": 2}, UserID: "me"},
			FeedbackHITL{FeedbackID: "f-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", Question: "Which Ada?", UserID: "me"}
	},
	TopicMonitoringMetrics: func() (Value, Value) {
		return MonitoringMetrics{Timestamp: sampleTime, WorkerID: "w-1", CPUUsage: 3.5, MemoryUsage: 42, TasksCompleted: 7, TasksFailed: 1, Uptime: 60},
			MonitoringMetrics{Timestamp: sampleTime, WorkerID: "w-1"}
	},
	TopicWorkerHeartbeat: func() (Value, Value) {
		return WorkerHeartbeat{Timestamp: sampleTime, WorkerID: "w-1", Status: "busy", CurrentTaskID: "t-1", Load: 10},
			WorkerHeartbeat{Timestamp: sampleTime, WorkerID: "w-1", Status: "idle"}
	},
	TopicTaskChain: func() (Value, Value) {
		return TaskChain{SubTaskID: "t-1/2", ParentTaskID: "t-1", Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Dependencies: []string{"t-0"}, Priority: "normal"},
			TaskChain{SubTaskID: "t-1/2", ParentTaskID: "t-1", Command: "send_email"}
	},
	TopicTaskDependency: func() (Value, Value) {
		return TaskDependency{TaskID: "t-1", Dependencies: []string{"t-0"}, DependentTasks: []string{"t-2"}, Status: "completed"},
			TaskDependency{TaskID: "t-1", Status: "pending"}
	},
	TopicSystemAlerts: func() (Value, Value) {
		return SystemAlert{AlertID: "a-1", Timestamp: sampleTime, Severity: "HIGH", Message: "program failed", AffectedComponents: []string{"workflow"}, ActionRequired: true},
			SystemAlert{AlertID: "a-1", Timestamp: sampleTime, Severity: "LOW", Message: "events late"}
	},
	TopicSecurityEvents: func() (Value, Value) {
		return SecurityEvent{EventID: "s-1", Timestamp: sampleTime, EventType: "plan_rejected", UserID: "me", WorkerID: "w-1", Description: "unknown command", Severity: "MEDIUM"},
			SecurityEvent{EventID: "s-1", Timestamp: sampleTime, EventType: "plan_rejected", UserID: "me", Description: "unknown command", Severity: "MEDIUM"}
	},
	TopicAnalyticsData: func() (Value, Value) {
		return AnalyticsData{DataPointID: "d-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1", Metrics: map[string]any{"execution_time_ms": 12}, ResourceUsage: map[string]any{"cpu_ms": 3}},
			AnalyticsData{DataPointID: "d-1", Timestamp: sampleTime, WorkerID: "w-1", TaskID: "t-1"}
	},
}

// schemaDoc is the part of a schema file the tests read.
type schemaDoc struct {
	Schema               string                `json:"$schema"`
	Title                string                `json:"title"`
	Key                  string                `json:"x-key"`
	Sealed               []string              `json:"x-sealed"`
	Type                 string                `json:"type"`
	Required             []string              `json:"required"`
	Properties           map[string]schemaProp `json:"properties"`
	AdditionalProperties *bool                 `json:"additionalProperties"`
}

type schemaProp struct {
	Type   string `json:"type"`
	Format string `json:"format"`
	Const  any    `json:"const"`
	Items  *struct {
		Type string `json:"type"`
	} `json:"items"`
}

// schemasDir is the repository's schemas folder, found by walking up to go.mod.
func schemasDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "schemas")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func readSchemaDoc(tb testing.TB, topic string) schemaDoc {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(schemasDir(tb), topic+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc schemaDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("schema of %s: %v", topic, err)
	}
	return doc
}

// compileSchemas compiles every topic's schema, with "format" asserted so that timestamps are checked.
func compileSchemas(tb testing.TB) map[string]*jsonschema.Schema {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := make(map[string]*jsonschema.Schema, len(Topics))
	for _, t := range Topics {
		sch, err := c.Compile(filepath.Join(schemasDir(tb), t.Name+".json"))
		if err != nil {
			tb.Fatalf("compile schema of %s: %v", t.Name, err)
		}
		out[t.Name] = sch
	}
	return out
}

func validate(tb testing.TB, sch *jsonschema.Schema, value []byte) error {
	tb.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(value))
	if err != nil {
		tb.Fatalf("value %s: %v", value, err)
	}
	return sch.Validate(inst)
}

// splitFields turns "name:type" entries into a map.
func splitFields(fields []string) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		name, typ, _ := strings.Cut(f, ":")
		m[name] = typ
	}
	return m
}

// goField is a field of a Go type as JSON sees it.
type goField struct {
	omitempty bool
	typ       reflect.Type
}

// jsonFields lists the JSON fields of a struct type, those of embedded structs included.
func jsonFields(t reflect.Type) map[string]goField {
	out := make(map[string]goField)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if sf.Anonymous && tag == "" && sf.Type.Kind() == reflect.Struct {
			for name, f := range jsonFields(sf.Type) {
				out[name] = f
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		out[name] = goField{omitempty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: sf.Type}
	}
	return out
}

// goKindFits reports whether a Go type encodes as the spec's type.
func goKindFits(t reflect.Type, specType string) bool {
	switch specType {
	case "string", "date-time":
		return t.Kind() == reflect.String
	case "object":
		return t.Kind() == reflect.Map && t.Key().Kind() == reflect.String || t.Kind() == reflect.Struct
	case "number":
		return t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32
	case "integer":
		return t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64
	case "boolean":
		return t.Kind() == reflect.Bool
	case "array":
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String
	}
	return false
}

func TestSpecTableCoversEveryTopic(t *testing.T) {
	if got, want := len(specTopics), 15; got != want {
		t.Fatalf("the spec table has %d topics, want %d", got, want)
	}
	if got, want := len(Topics), len(specTopics); got != want {
		t.Fatalf("Topics has %d topics, the spec table %d", got, want)
	}
	for i, st := range specTopics {
		if got, want := Topics[i].Name, st.topic; got != want {
			t.Errorf("Topics[%d] is %s, the spec table says %s", i, got, want)
		}
		if got, want := Topics[i].KeyField, st.key; got != want {
			t.Errorf("key of %s is %s in Topics, %s in the spec", st.topic, got, want)
		}
		if samples[st.topic] == nil {
			t.Errorf("no sample value for %s", st.topic)
		}
	}
	entries, err := os.ReadDir(schemasDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			files = append(files, e.Name())
		}
	}
	var want []string
	for _, st := range specTopics {
		want = append(want, st.topic+".json")
	}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("schemas/ holds %v, want %v", files, want)
	}
}

func TestSchemasMatchSpec(t *testing.T) {
	for _, st := range specTopics {
		t.Run(st.topic, func(t *testing.T) {
			doc := readSchemaDoc(t, st.topic)
			if got, want := doc.Schema, "https://json-schema.org/draft/2020-12/schema"; got != want {
				t.Errorf("$schema is %q, want %q", got, want)
			}
			if got, want := doc.Title, st.topic; got != want {
				t.Errorf("title is %q, want %q", got, want)
			}
			if got, want := doc.Key, st.key; got != want {
				t.Errorf("x-key is %q, want %q", got, want)
			}
			if doc.Type != "object" {
				t.Errorf("type is %q, want object", doc.Type)
			}
			if doc.AdditionalProperties != nil && !*doc.AdditionalProperties {
				t.Error("additionalProperties is false; values may carry extra fields")
			}

			required, optional := splitFields(st.required), splitFields(st.optional)
			if got, want := sortedCopy(doc.Required), sortedKeys(required); !slices.Equal(got, want) {
				t.Errorf("required is %v, want %v", got, want)
			}
			for name, typ := range mergeFields(required, optional) {
				p, ok := doc.Properties[name]
				if !ok {
					t.Errorf("property %s is missing", name)
					continue
				}
				checkPropType(t, name, p, typ)
			}
			for name := range optional {
				if slices.Contains(doc.Required, name) {
					t.Errorf("optional field %s is required", name)
				}
			}
			for name := range doc.Properties {
				if _, ok := mergeFields(required, optional)[name]; !ok && name != st.key {
					t.Errorf("property %s is not in the spec", name)
				}
			}
		})
	}
}

func checkPropType(tb testing.TB, name string, p schemaProp, specType string) {
	tb.Helper()
	switch specType {
	case "date-time":
		if p.Type != "string" || p.Format != "date-time" {
			tb.Errorf("%s is %s (format %q), want a string with format date-time", name, p.Type, p.Format)
		}
	case "array":
		if p.Type != "array" || p.Items == nil || p.Items.Type != "string" {
			tb.Errorf("%s is %s, want an array of strings", name, p.Type)
		}
	default:
		if p.Type != specType {
			tb.Errorf("%s is %s, want %s", name, p.Type, specType)
		}
	}
}

func TestTaskPriorityAndRetryFollowTaskDispatch(t *testing.T) {
	dispatch := readSchemaDoc(t, TopicTaskDispatch)
	priority := readSchemaDoc(t, TopicTaskPriority)
	retry := readSchemaDoc(t, TopicTaskRetry)
	if got, want := priority.Properties["priority"].Const, any(PriorityHigh); got != want {
		t.Errorf("task.priority's priority const is %v, want %v", got, want)
	}
	for name, p := range dispatch.Properties {
		if q := priority.Properties[name]; q.Type != p.Type {
			t.Errorf("task.priority's %s is %q, task.dispatch's %q", name, q.Type, p.Type)
		}
		if q := retry.Properties[name]; q.Type != p.Type {
			t.Errorf("task.retry's %s is %q, task.dispatch's %q", name, q.Type, p.Type)
		}
	}
	if got, want := sortedKeys(priority.Properties), sortedKeys(dispatch.Properties); !slices.Equal(got, want) {
		t.Errorf("task.priority has %v, task.dispatch %v", got, want)
	}
}

func TestGoTypesMatchSpec(t *testing.T) {
	for _, st := range specTopics {
		t.Run(st.topic, func(t *testing.T) {
			full, _ := samples[st.topic]()
			if got, want := full.Topic(), st.topic; got != want {
				t.Errorf("Topic() is %s, want %s", got, want)
			}
			doc := readSchemaDoc(t, st.topic)
			fields := jsonFields(reflect.TypeOf(full))
			required, optional := splitFields(st.required), splitFields(st.optional)
			for name, typ := range required {
				f, ok := fields[name]
				switch {
				case !ok:
					t.Errorf("no field encodes as %s", name)
				case f.omitempty:
					t.Errorf("required field %s is omitempty", name)
				case !goKindFits(f.typ, typ):
					t.Errorf("field %s is a %s, the spec says %s", name, f.typ, typ)
				}
			}
			for name, typ := range optional {
				f, ok := fields[name]
				switch {
				case !ok:
					t.Errorf("no field encodes as %s", name)
				case !f.omitempty:
					t.Errorf("optional field %s is not omitempty", name)
				case !goKindFits(f.typ, typ):
					t.Errorf("field %s is a %s, the spec says %s", name, f.typ, typ)
				}
			}
			for name := range fields {
				if _, ok := doc.Properties[name]; !ok {
					t.Errorf("field %s is not in the schema", name)
				}
			}

			// The key is the value of the key field.
			ev, err := NewEvent("id-1", full)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(ev.Value, &m); err != nil {
				t.Fatal(err)
			}
			if got, want := ev.Key, m[st.key]; got != want {
				t.Errorf("key is %q, the value's %s is %v", got, st.key, want)
			}
			if got, want := ev.Topic, st.topic; got != want {
				t.Errorf("event topic is %s, want %s", got, want)
			}
		})
	}
}

func TestEventsValidateAgainstTheirSchemas(t *testing.T) {
	schemas := compileSchemas(t)
	for _, st := range specTopics {
		t.Run(st.topic, func(t *testing.T) {
			full, minimal := samples[st.topic]()
			for _, c := range []struct {
				name string
				v    Value
			}{{"Full", full}, {"RequiredOnly", minimal}} {
				ev, err := NewEvent("id-1", c.v)
				if err != nil {
					t.Fatal(err)
				}
				if err := validate(t, schemas[st.topic], ev.Value); err != nil {
					t.Errorf("%s: %s does not validate: %v", c.name, ev.Value, err)
				}
				var m map[string]any
				if err := json.Unmarshal(ev.Value, &m); err != nil {
					t.Fatal(err)
				}
				for name := range splitFields(st.optional) {
					if _, present := m[name]; present != (c.name == "Full") {
						t.Errorf("%s: optional field %s present is %v", c.name, name, present)
					}
				}
			}
		})
	}
}

func TestSchemasRejectBrokenValues(t *testing.T) {
	schemas := compileSchemas(t)
	wrong := map[string]any{"string": 1, "date-time": "last Tuesday", "object": "x", "number": "1", "integer": 1.5, "boolean": "yes", "array": []any{1}}
	for _, st := range specTopics {
		t.Run(st.topic, func(t *testing.T) {
			full, _ := samples[st.topic]()
			ev, err := NewEvent("id-1", full)
			if err != nil {
				t.Fatal(err)
			}
			for name, typ := range splitFields(st.required) {
				for _, c := range []struct {
					what   string
					change func(map[string]any)
				}{
					{"Missing", func(m map[string]any) { delete(m, name) }},
					{"WrongType", func(m map[string]any) { m[name] = wrong[typ] }},
				} {
					var m map[string]any
					if err := json.Unmarshal(ev.Value, &m); err != nil {
						t.Fatal(err)
					}
					c.change(m)
					b, _ := json.Marshal(m)
					if err := validate(t, schemas[st.topic], b); err == nil {
						t.Errorf("%s %s: %s validates", c.what, name, b)
					}
				}
			}
		})
	}
}

func TestSchemasAllowExtraFields(t *testing.T) {
	schemas := compileSchemas(t)
	full, _ := samples[TopicTaskResult]()
	ev, err := NewEvent("id-1", full)
	if err != nil {
		t.Fatal(err)
	}
	withAttempt := append(bytes.TrimSuffix(ev.Value, []byte("}")), []byte(`,"attempt":2}`)...)
	if err := validate(t, schemas[TopicTaskResult], withAttempt); err != nil {
		t.Errorf("%s does not validate: %v", withAttempt, err)
	}
}

func TestNewEventWritesEmptyCollectionsNotNull(t *testing.T) {
	ev, err := NewEvent("id-1", TaskRetry{TaskDispatch: TaskDispatch{TaskID: "t-1"}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(ev.Value, &m); err != nil {
		t.Fatal(err)
	}
	if got, ok := m["parameters"].(map[string]any); !ok || len(got) != 0 {
		t.Errorf("parameters is %v, want {}", m["parameters"])
	}
	if got, ok := m["last_error"].(map[string]any); !ok || len(got) != 0 {
		t.Errorf("last_error is %v, want {}", m["last_error"])
	}

	ev, err = NewEvent("id-2", TaskDependency{TaskID: "t-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(ev.Value), `{"task_id":"t-1","dependencies":[],"dependent_tasks":[],"status":""}`; got != want {
		t.Errorf("value is %s, want %s", got, want)
	}

	ev, err = NewEvent("id-3", TaskResult{TaskID: "t-1"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ev.Value, []byte(`"error"`)) {
		t.Errorf("value %s has the optional error field", ev.Value)
	}
}

func TestPriorityOfIsHighAndValidates(t *testing.T) {
	task := catalog.Task{TaskID: "t-1", Command: "send_email", Parameters: map[string]any{"to": "ada@example.com"}, Context: sampleContext}
	p := PriorityOf(task)
	if got, want := p.Priority, PriorityHigh; got != want {
		t.Errorf("priority is %q, want %q", got, want)
	}
	if got, want := TaskDispatch(p).TaskID, task.TaskID; got != want { // converts both ways
		t.Errorf("task_id is %q, want %q", got, want)
	}
	ev, err := NewEvent("id-1", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, compileSchemas(t)[TopicTaskPriority], ev.Value); err != nil {
		t.Errorf("%s does not validate: %v", ev.Value, err)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mergeFields(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
