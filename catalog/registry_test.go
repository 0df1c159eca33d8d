package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	_ "github.com/eaapl/eaapl/activities/builtin"
	"github.com/eaapl/eaapl/catalog"
)

// TestEveryRegisteredCommandIsComplete checks each registered command for every part the rest of the
// system looks up: a command that lacks one fails here, not at run time.
func TestEveryRegisteredCommandIsComplete(t *testing.T) {
	specs := catalog.Specs()
	if len(specs) == 0 {
		t.Fatal("no command is registered")
	}
	for _, s := range specs {
		t.Run(s.Name, func(t *testing.T) {
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			if s.Retry.MaximumAttempts <= 0 || s.Timeout <= 0 {
				t.Errorf("entry %+v has no timeout or retry policy", s.Command)
			}
			for _, f := range append(append([]catalog.Field{}, s.Args...), s.Output...) {
				if !catalog.Known(f.Type) || f.Description == "" {
					t.Errorf("field %s: type %q, description %q", f.Name, f.Type, f.Description)
				}
			}
			// Every part answers: the read-back of a bare step, the hint, the label.
			_ = s.Hint("Timeout")
			if got := s.TaskLabel(nil); got != s.Name {
				t.Errorf("label of a task without arguments = %q, want %q", got, s.Name)
			}
		})
	}
}

type echoArgs struct {
	Text string `json:"text" eaapl:"required" desc:"what to say"`
}

type echoOutput struct {
	Text string `json:"text" eaapl:"required" desc:"what was said"`
}

func echoDef() catalog.Def[catalog.NoDeps, echoArgs, echoOutput] {
	return catalog.Def[catalog.NoDeps, echoArgs, echoOutput]{
		Name:        "EchoForCheck",
		Description: "Say the text back.",
		SideEffect:  catalog.Reads,
		Timeout:     time.Second,
		Retry:       catalog.DefaultRetry,
		Label:       catalog.Label{Arg: "text"},
		Run: func(_ context.Context, _ catalog.NoDeps, a echoArgs) (echoOutput, error) {
			return echoOutput(a), nil
		},
		Hint:     func(string) string { return "" },
		ReadBack: func(catalog.Reading) string { return "" },
		Forms:    catalog.Forms{Phrases: []string{"echo {text}"}},
	}
}

// TestCheckRefusesAnIncompleteCommand takes each part away from a complete command in turn.
func TestCheckRefusesAnIncompleteCommand(t *testing.T) {
	if err := catalog.Define(echoDef()).Check(); err != nil {
		t.Fatalf("the complete command is refused: %v", err)
	}
	for _, tc := range []struct {
		name    string
		without func(*catalog.Def[catalog.NoDeps, echoArgs, echoOutput])
		want    string
	}{
		{"Description", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Description = "" }, "no description"},
		{"SideEffect", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.SideEffect = "" }, "side-effect"},
		{"Timeout", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Timeout = 0 }, "no timeout"},
		{"Retry", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Retry = catalog.RetryPolicy{} }, "retry policy"},
		{"Implementation", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Run = nil }, "implementation"},
		{"Label", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Label = catalog.Label{} }, "no label"},
		{"LabelArgument", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Label = catalog.Label{Arg: "nope"} }, `names "nope"`},
		{"Hint", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Hint = nil }, "failure hint"},
		{"ReadBack", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.ReadBack = nil }, "read-back"},
		{"Forms", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) { d.Forms = catalog.Forms{} }, "English forms"},
		{"FormsArgument", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) {
			d.Forms.Args = map[string][]string{"nope": {"x"}}
		}, `argument "nope"`},
		{"ResultPhraseArgument", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) {
			d.Forms.Results = map[string]catalog.ResultWords{"text": {Phrases: []string{"an echo of {nope}"}}}
		}, `names the argument "nope"`},
		{"ResultPhraseWithoutSlot", func(d *catalog.Def[catalog.NoDeps, echoArgs, echoOutput]) {
			d.Forms.Results = map[string]catalog.ResultWords{"text": {Phrases: []string{"an echo"}}}
		}, "argument slot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := echoDef()
			tc.without(&d)
			err := catalog.Define(d).Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestSchemasAreDerivedFromTheStructs checks the fields of a registered command against its Go struct's
// tags: names, types (from the Go type or the tag), required and descriptions.
func TestSchemasAreDerivedFromTheStructs(t *testing.T) {
	s := catalog.Define(echoDef())
	if got := s.Args; len(got) != 1 || got[0] != (catalog.Field{Name: "text", Type: catalog.String, Required: true, Description: "what to say"}) {
		t.Fatalf("args = %+v", got)
	}
	send, ok := catalog.Lookup("SendEmail")
	if !ok {
		t.Fatal("SendEmail is not registered")
	}
	to, _ := send.Arg("to")
	recipient, _ := send.OutputField("recipient")
	if to.Type != catalog.Contact || !to.Required || recipient.Type != catalog.Address {
		t.Fatalf("to = %+v, recipient = %+v", to, recipient)
	}
	history, _ := catalog.Lookup("CheckEmailHistory")
	emailed, _ := history.OutputField("emailed")
	if emailed.Type != catalog.ListOf(catalog.Address) {
		t.Fatalf("emailed = %+v, want a list<address>", emailed)
	}
}

// TestSchemaRefusesAnUntypedField checks that a struct field without a catalog type, or without a
// description, cannot become part of a schema.
func TestSchemaRefusesAnUntypedField(t *testing.T) {
	type untyped struct {
		When time.Duration `json:"when" desc:"a duration"`
	}
	type undescribed struct {
		Text string `json:"text"`
	}
	for name, define := range map[string]func(){
		"untyped": func() {
			catalog.Define(catalog.Def[catalog.NoDeps, untyped, echoOutput]{Name: "X"})
		},
		"undescribed": func() {
			catalog.Define(catalog.Def[catalog.NoDeps, undescribed, echoOutput]{Name: "X"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("Define accepted the field")
				}
			}()
			define()
		})
	}
}

// TestRunErrorsNameTheTask runs a registered command the way a worker does and checks what its errors
// say and are.
func TestRunErrorsNameTheTask(t *testing.T) {
	s := catalog.Define(echoDef())
	res, err := s.Run(context.Background(), nil, catalog.Call{Task: catalog.Task{TaskID: "t1", Parameters: map[string]any{"text": "hi"}}, WorkerID: "w"})
	if err != nil || res.Output["text"] != "hi" || res.Status != catalog.StatusSuccess || res.WorkerID != "w" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	_, err = s.Run(context.Background(), nil, catalog.Call{Task: catalog.Task{TaskID: "t1"}})
	if err == nil || !strings.Contains(err.Error(), `EchoForCheck task t1: missing required parameter "text", which must be a string`) {
		t.Fatalf("Run without text = %v", err)
	}
}

// TestADryRunPreviewsWritesAndRunsReads runs tasks marked DryRun: a command that writes does not run and
// says what it would do (its own Preview, or the generic one), and a command that reads runs as usual.
func TestADryRunPreviewsWritesAndRunsReads(t *testing.T) {
	var ran []string
	def := func(name string, effect catalog.SideEffect) catalog.Def[catalog.NoDeps, echoArgs, echoOutput] {
		d := echoDef()
		d.Name, d.SideEffect = name, effect
		d.Run = func(_ context.Context, _ catalog.NoDeps, a echoArgs) (echoOutput, error) {
			ran = append(ran, name)
			return echoOutput(a), nil
		}
		return d
	}
	reads := catalog.Define(def("ReadForDryRun", catalog.Reads))
	generic := catalog.Define(def("WriteForDryRun", catalog.Writes))
	withPreview := def("SayForDryRun", catalog.Writes)
	withPreview.Preview = func(_ context.Context, _ catalog.NoDeps, a echoArgs) (echoOutput, string, error) {
		return echoOutput{Text: "(" + a.Text + ")"}, "say '" + a.Text + "'", nil
	}
	withPreview.Verb = "say"
	say := catalog.Define(withPreview)

	for _, tc := range []struct {
		spec    *catalog.Spec
		preview string
		output  string
		ran     bool
	}{
		{reads, "", "hi", true},
		{generic, `would run WriteForDryRun with {"text":"hi"}`, "", false},
		{say, "would say 'hi'", "(hi)", false},
	} {
		t.Run(tc.spec.Name, func(t *testing.T) {
			ran = nil
			task := catalog.Task{TaskID: "t", Command: tc.spec.Name, Parameters: map[string]any{"text": "hi"}, DryRun: true}
			res, err := tc.spec.Run(context.Background(), nil, catalog.Call{Task: task})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ran) > 0; got != tc.ran {
				t.Errorf("ran = %v, want %v", got, tc.ran)
			}
			if res.Preview != tc.preview {
				t.Errorf("preview = %q, want %q", res.Preview, tc.preview)
			}
			if got := res.Output["text"]; got != tc.output {
				t.Errorf("output text = %v, want %q", got, tc.output)
			}
		})
	}
	t.Run("APreviewChecksItsArguments", func(t *testing.T) {
		task := catalog.Task{TaskID: "t", Command: say.Name, Parameters: map[string]any{}, DryRun: true}
		if _, err := say.Run(context.Background(), nil, catalog.Call{Task: task}); err == nil || !strings.Contains(err.Error(), `missing required parameter "text"`) {
			t.Errorf("err = %v, want the missing parameter named", err)
		}
	})
}
