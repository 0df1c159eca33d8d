package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Spec is one registered command: its catalog entry and everything else the system needs about it. A
// command family makes its Specs with Define and registers them in one place (activities/builtin), so
// that validation, the planners, the runner, the read-back and the labels all look commands up here,
// and none of them names a command.
type Spec struct {
	// Command is the catalog entry: what a plan is checked against, and what the workflow schedules.
	Command
	// Hint says what usually fixes a task of the command that keeps failing with an error of type
	// errType ("check that the mail server ... is up, then answer retry"); "" leaves it to the generic
	// advice.
	Hint func(errType string) string
	// ReadBack says in English what a step of the command does, for a person to check before it runs;
	// "" when it has no words for this step's shape (the read-back then shows the step as written).
	ReadBack func(r Reading) string
	// Outcome, when set, says what became of one task in the words a user expects ("sent", "not
	// sent") and a detail to show beside it (the Message-ID); nil shows the state.
	Outcome func(state string, output map[string]any) (verb, detail string)
	// Forms are the command's English, for the rule-based planner.
	Forms Forms
	// Verb is the command's action as a bare verb, for what a dry run would not do: "would not send to
	// bob@example.com" (Def.Verb; "run <Name>" by default).
	Verb string

	run     runFunc
	preview previewFunc
	session sessionFunc
	dir     string // the folder of the source that defined it
}

// Dir is the folder of the source file that defined the command (its family's package), for the test
// that keeps command names inside their families.
func (s *Spec) Dir() string { return s.dir }

// registry holds the registered commands in registration order. Commands register at program start
// (init of activities/builtin, or of a test), before any lookup; the lock makes a late registration in
// a test safe all the same.
var registry struct {
	sync.RWMutex
	specs []*Spec
	index map[string]*Spec
}

// Register adds commands to the catalog. It panics on a command registered twice or one that lacks a
// part (see Spec.Check): a programming error that the registry's test and every start meet at once.
func Register(specs ...*Spec) {
	registry.Lock()
	defer registry.Unlock()
	if registry.index == nil {
		registry.index = map[string]*Spec{}
	}
	for _, s := range specs {
		if err := s.Check(); err != nil {
			panic(err.Error())
		}
		if _, dup := registry.index[s.Name]; dup {
			panic(fmt.Sprintf("catalog: command %s registered twice", s.Name))
		}
		registry.index[s.Name] = s
		registry.specs = append(registry.specs, s)
	}
}

// Check reports a part the command lacks: every command has an entry (name, description, side-effect
// class, timeouts, retry policy, schemas), an implementation, a label, a failure hint, a read-back and
// English forms.
func (s *Spec) Check() error {
	missing := func(what string) error { return fmt.Errorf("catalog: command %q has no %s", s.Name, what) }
	switch {
	case s.Name == "":
		return fmt.Errorf("catalog: a command has no name")
	case s.Description == "":
		return missing("description")
	case s.SideEffect != Reads && s.SideEffect != Writes:
		return missing("side-effect class (Reads or Writes)")
	case s.Timeout <= 0:
		return missing("timeout")
	case s.Retry.MaximumAttempts <= 0 || s.Retry.InitialInterval <= 0:
		return missing("retry policy")
	case s.Args == nil || s.Output == nil:
		return missing("argument and output schemas")
	case s.run == nil:
		return missing("implementation (make it with Define)")
	case s.Label.Arg == "" && !s.Label.None:
		return missing("label (Label{Arg: ...}, or Label{None: true})")
	case s.Hint == nil:
		return missing("failure hint")
	case s.ReadBack == nil:
		return missing("read-back")
	case len(s.Forms.Phrases) == 0:
		return missing("English forms (Forms.Phrases)")
	}
	if s.Label.Arg != "" {
		if _, ok := s.Arg(s.Label.Arg); !ok {
			return fmt.Errorf("catalog: command %q: its label names %q, which is not one of its arguments", s.Name, s.Label.Arg)
		}
	}
	for name := range s.Forms.Args {
		if _, ok := s.Arg(name); !ok {
			return fmt.Errorf("catalog: command %q: its forms name the argument %q, which it does not have", s.Name, name)
		}
	}
	for name := range s.Forms.Joined {
		if _, ok := s.Arg(name); !ok {
			return fmt.Errorf("catalog: command %q: its forms join the argument %q, which it does not have", s.Name, name)
		}
	}
	for _, st := range s.Forms.Statements {
		for _, w := range strings.Fields(st) {
			if name, ok := strings.CutPrefix(w, "{"); ok {
				if _, has := s.Arg(strings.TrimSuffix(name, "}")); !has {
					return fmt.Errorf("catalog: command %q: its statement %q names the argument %q, which it does not have", s.Name, st, strings.TrimSuffix(name, "}"))
				}
			}
		}
	}
	for name, r := range s.Forms.Results {
		if _, ok := s.OutputField(name); !ok {
			return fmt.Errorf("catalog: command %q: its forms name the output %q, which it does not have", s.Name, name)
		}
		for _, ph := range r.Phrases {
			if !strings.Contains(ph, "{") || strings.HasPrefix(ph, "{") {
				return fmt.Errorf("catalog: command %q: the phrase %q of its output %q must start with a word and have an argument slot", s.Name, ph, name)
			}
			for _, w := range strings.Fields(ph) {
				if arg, ok := strings.CutPrefix(w, "{"); ok {
					if _, has := s.Arg(strings.TrimSuffix(arg, "}")); !has {
						return fmt.Errorf("catalog: command %q: the phrase %q of its output %q names the argument %q, which it does not have", s.Name, ph, name, strings.TrimSuffix(arg, "}"))
					}
				}
			}
		}
	}
	return nil
}

// Get returns the registered command called name.
func Get(name string) (*Spec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.index[name]
	return s, ok
}

// Specs returns the registered commands, in registration order.
func Specs() []*Spec {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Clone(registry.specs)
}

// Lookup returns the catalog entry of the command called name.
func Lookup(name string) (Command, bool) {
	if s, ok := Get(name); ok {
		return s.Command, true
	}
	return Command{}, false
}

// Commands returns the catalog entries, in registration order (the order the documentation lists them).
func Commands() []Command {
	specs := Specs()
	out := make([]Command, len(specs))
	for i, s := range specs {
		out[i] = s.Command
	}
	return out
}

// Names returns the command names, in catalog order.
func Names() []string {
	specs := Specs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}

// Entries is a set of catalog entries by name: the commands a plan was checked against, recorded with it
// so that a running program keeps them whatever a new release changes.
type Entries map[string]Command

// EntriesFor returns the catalog entries of the given commands (unknown names are left out).
func EntriesFor(names ...string) Entries {
	out := Entries{}
	for _, n := range names {
		if c, ok := Lookup(n); ok {
			out[n] = c
		}
	}
	return out
}

// Lookup returns the entry called name.
func (e Entries) Lookup(name string) (Command, bool) {
	c, ok := e[name]
	return c, ok
}

// Names returns the entries' names, sorted.
func (e Entries) Names() []string {
	names := make([]string, 0, len(e))
	for n := range e {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Label says how a task of the command is named in progress, results and the Temporal UI: by one
// argument, "SendEmail to alice@example.com", with the argument's value named as its type names it (a
// contact by its address); the item of a for_each step by that value alone, "alice@example.com".
type Label struct {
	Arg  string `json:"arg,omitempty"`  // the argument a task is about
	Word string `json:"word,omitempty"` // the word before it: "to"
	// None says the command's tasks are named by the command alone (RetrieveContacts), and a for_each
	// item by its value.
	None bool `json:"none,omitempty"`
	// Verb and Quote make the summary the Temporal Web UI shows for a task: "Send 'Hello World!' to
	// alice@example.com", the Verb, then the Quote argument's text in quotes, then Word and the label.
	// Items names what a batch's items are: "Send 'Hello World!' to 100 recipients: alice@... to carol@...".
	Verb  string `json:"verb,omitempty"`
	Quote string `json:"quote,omitempty"`
	Items string `json:"items,omitempty"`
}

// TaskLabel names one task of c with the given arguments: "SendEmail to alice@example.com", or the
// command's name when its label has no argument or the task lacks it.
func (c Command) TaskLabel(args map[string]any) string {
	about := c.ItemLabel(args)
	if about == "" {
		return c.Name
	}
	if c.Label.Word != "" {
		return c.Name + " " + c.Label.Word + " " + about
	}
	return c.Name + " " + about
}

// maxSummary bounds a summary: the Web UI shows one line, and a plan's description or a quoted subject
// may be long.
const maxSummary = 160

// TaskSummary is what the Temporal Web UI shows for one task of c: "Send 'Hello World!' to
// alice@example.com" when the label has a Verb, else the plan step's description ("Get your contacts"),
// with what the task is about after a colon when the description does not say it, else TaskLabel.
func (c Command) TaskSummary(description string, args map[string]any) string {
	about := c.ItemLabel(args)
	if c.Label.Verb != "" {
		return clip(joinWords(c.Label.Verb, c.quoted(args), c.Label.Word, about))
	}
	d := strings.TrimSuffix(strings.TrimSpace(description), ".")
	switch {
	case d == "":
		return clip(c.TaskLabel(args))
	case about == "" || strings.Contains(d, about):
		return clip(d)
	}
	return clip(d + ": " + about)
}

// BatchSummary is what the Web UI shows for a batch of n tasks of c, first and last naming its first and
// last items: "Send 'Hello World!' to 100 recipients: alice@example.com to carol@example.com".
func (c Command) BatchSummary(description string, n int, firstArgs, lastArgs map[string]any) string {
	span := c.ItemLabel(firstArgs)
	if last := c.ItemLabel(lastArgs); n > 1 && last != "" && last != span {
		span += " to " + last
	}
	items := cmp.Or(c.Label.Items, "items")
	if n == 1 {
		items = strings.TrimSuffix(items, "s")
	}
	count := fmt.Sprintf("%d %s", n, items)
	var head string
	if c.Label.Verb != "" {
		head = joinWords(c.Label.Verb, c.quoted(firstArgs), c.Label.Word, count)
	} else {
		head = cmp.Or(strings.TrimSuffix(strings.TrimSpace(description), "."), c.Name) + ", " + count
	}
	if span == "" {
		return clip(head)
	}
	return clip(head + ": " + span)
}

// quoted is the Quote argument's text in quotes, shortened, or "" when the task has none as plain text.
func (c Command) quoted(args map[string]any) string {
	if c.Label.Quote == "" {
		return ""
	}
	s, ok := args[c.Label.Quote].(string)
	s = strings.Join(strings.Fields(s), " ")
	if !ok || s == "" {
		return ""
	}
	return "'" + Clip(s, 40) + "'"
}

func joinWords(words ...string) string {
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func clip(s string) string { return Clip(s, maxSummary) }

// Clip shortens s to at most n runes (n > 0), marking the cut with "…", for a one-line name or summary.
func Clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ItemLabel names what one task of c is about, "alice@example.com", or "" when its label has no
// argument or the task lacks it.
func (c Command) ItemLabel(args map[string]any) string {
	if c.Label.Arg == "" {
		return ""
	}
	v, ok := args[c.Label.Arg]
	if !ok || v == nil {
		return ""
	}
	f, _ := c.Arg(c.Label.Arg)
	return LabelOf(f.Type, v)
}

// Reading is what a command's read-back sees of a plan: the step it reads back, and the plan around it.
// The starter implements it.
type Reading interface {
	// Step is the step being read back.
	Step() StepView
	// Ref returns the step a "${steps.<id>.<output>}" value reads, and the output's name.
	Ref(v any) (StepView, string, bool)
	// StepByID returns the step with the given id.
	StepByID(id string) (StepView, bool)
	// Result returns the step a "${steps.<id>.<output>}" value reads and the words for that output, from
	// its command's Forms.Results.
	Result(v any) (StepView, ResultWords, bool)
	// Text is a text argument with no expression in it.
	Text(v any) (string, bool)
	// Time says an RFC 3339 argument for people: "Monday 23 November".
	Time(v any) (string, bool)
	// IsNow says a time argument is the moment the plan was made.
	IsNow(v any) bool
	// IsItem says a value is exactly the for_each item, "${<as>}".
	IsItem(v any) bool
	// Address is a literal address argument: a string without expressions, or a contact object's email.
	Address(v any) (string, bool)
	// Addresses are the addresses of a literal list of contacts written as a CEL list in for_each.items,
	// each "Name <address>" when its contact has a name.
	Addresses(items string) ([]string, bool)
	// Model is the model the text analysis sends text to, as configured where the plan is read back;
	// false when none is (the analysis stays on the worker).
	Model() (ModelView, bool)
	// Selection says which items of the step's for_each list it goes to, for the selections the
	// rule-based planner writes (a list output, its first N, a filter on the item); false for another shape.
	Selection() (SelectionView, bool)
	// Template is a text argument with fields of the for_each item in it, written as placeholders ("Hi
	// {first name}"), and what fills each placeholder ("first name"); false for any other text.
	Template(v any) (string, []string, bool)
	// Words says any argument value in words, its expressions too: "the summary (step 2)", a text with
	// each expression in braces ("\"Summary: {the summary (step 2)}\""); false for a value with a part
	// it has no exact words for.
	Words(v any) (string, bool)
}

// SelectionView is the items a for_each step goes to: the list output Output of step From (with its
// words), its first First items when First > 0, and only the items Filter says when it is not "" ("at
// acme.com, except those named Dave").
type SelectionView struct {
	From   StepView
	Words  ResultWords
	First  int
	Filter string
}

// ModelView names a model server for a read-back: "gpt-4o-mini" at "api.openai.com".
type ModelView struct {
	Name string
	Host string
}

// StepView is a plan step as a read-back sees it.
type StepView struct {
	ID      string
	Number  int // 1-based position in the plan
	Command string
	Args    map[string]any
	ForEach *ForEachView
	If      string
}

// ForEachView is a step's for_each.
type ForEachView struct {
	Items string
	As    string
}
