package catalog

import (
	"fmt"
	"strings"
	"time"
)

// Forms are a command's English as data, for the rule-based planner's grammar (planner/), `eaapl plan
// --help` and docs/english.md. The grammar reads only these lists, from the registry, so a new command
// brings its own English without an edit to the planner. A command takes part in the grammar in one of
// two ways:
//
//   - Statements: whole phrases with argument slots, "read {path}", "classify {text} as {labels}", each
//     of which the grammar reads as one step of the command; or
//   - the words of the sentence grammar of email: Verbs, Objects, Args (the markers before a quoted
//     argument), Joined, Nouns, Quantifiers, Actions, Refer and List, which the families of contacts and
//     email give.
type Forms struct {
	// Phrases are ways a sentence asks for the command, with arguments in braces: "send {body} to {to}",
	// as `eaapl plan --help` lists them.
	Phrases []string `json:"phrases"`
	// Statements are the phrases the grammar reads as a step of the command by themselves: literal words
	// and {arg} slots. A slot takes, by the argument's type: a quotation; a file name, a pattern or an
	// address as one word; "it" or a result's words (Results.Words) of a step before; for a list, words
	// joined by commas, "and" and "or" ("the date and the total", "urgent, normal or low"). The longest
	// statement that matches wins.
	Statements []string `json:"statements,omitempty"`
	// Args are the words that introduce or name each argument: "to": {"to"}; for the sentence grammar,
	// the markers a quotation follows: "body": {"that says", "saying"}.
	Args map[string][]string `json:"args,omitempty"`
	// Joined are the markers that may follow "and" without their "with": "and the subject 'News'".
	Joined map[string][]string `json:"joined,omitempty"`
	// Results are the words for each output.
	Results map[string]ResultWords `json:"results,omitempty"`

	// Verbs start a statement that runs the command: "send", "email".
	Verbs []string `json:"verbs,omitempty"`
	// Objects are what a verb may take before its arguments: "an email", "a message", "it".
	Objects []string `json:"objects,omitempty"`
	// Nouns name the command's list result: "contacts", "contact list".
	Nouns []string `json:"nouns,omitempty"`
	// Quantifiers are the phrases before a noun that mean every item: "each of my", "all my".
	Quantifiers []string `json:"quantifiers,omitempty"`
	// Actions are the past participles for a condition on the command's record: "emailed", "written to".
	Actions []string `json:"actions,omitempty"`
	// Refer are phrases that name one item by the words after them: "my contact".
	Refer []string `json:"refer,omitempty"`
	// List, when the command's result is the list "each", "every", "all" and the filters go over.
	List *ListWords `json:"list,omitempty"`

	// Quiet says a step of the command does nothing a person sees unless a later step uses its result
	// (reading a file): a program that only runs it is refused as doing nothing.
	Quiet bool `json:"quiet,omitempty"`

	// Condition, when the command tells whether a text contains or is a phrase: the grammar's "if the
	// page contains 'down'" becomes a step of it, which reads the text on the worker, so that a text of
	// any size (a content reference) is tested without entering the program.
	Condition *ConditionWords `json:"condition,omitempty"`

	// Examples are the forms as docs/english.md and `eaapl plan --help` show them, each with a whole
	// program the planner understands.
	Examples []Example `json:"examples,omitempty"`
}

// ListWords say which output of a command is the list the sentence grammar's filters read.
type ListWords struct {
	Output string `json:"output"` // the output field that holds the list: "contacts"
	Item   string `json:"item"`   // what one item is called in the plan's expressions: "contact"
	Name   string `json:"name"`   // the item's field a name filter ("named John", "except Bob") reads
	Email  string `json:"email"`  // the item's field an address filter ("at acme.com") reads
}

// ConditionWords say which arguments and outputs of a command test a text: Text and Phrase are its
// arguments, Contains and Equals its bool outputs (the text contains the phrase; the text, trimmed, is
// the phrase), both ignoring case.
type ConditionWords struct {
	Text     string `json:"text"`
	Phrase   string `json:"phrase"`
	Contains string `json:"contains"`
	Equals   string `json:"equals"`
}

// Example is one form of the language with a whole program of that form.
type Example struct {
	Pattern string `json:"pattern"` // the form with its parts in angle brackets: "Send '<message>' to <recipients>"
	Program string `json:"program"` // a whole program of the form, which the planner understands
}

// ResultWords name one output of a command in English.
type ResultWords struct {
	Noun  string   `json:"noun"`            // "your contacts"
	Each  string   `json:"each,omitempty"`  // one item of a list output: "each contact"
	Words []string `json:"words,omitempty"` // words a sentence uses for it: "my contacts", "everyone"
	// Subject is the subject of an email of this output, when a program emails it: literal text where
	// {arg} is the step's argument arg as written (or, for an argument read from a step before, that
	// step's subject) and {.out} is the step's output out: "Summary of {text}", "{path}", "{.title}".
	Subject string `json:"subject,omitempty"`
	// OneOf names the list argument whose values are the only ones the output can be ("labels" for
	// Classify's label): a condition on another value is refused, since it could never hold.
	OneOf string `json:"one_of,omitempty"`
	// Phrases are noun phrases with the command's argument slots that run the command inside another
	// statement and stand for this output there: "Email bob@example.com a summary of notes.md" runs
	// Summarize on notes.md and emails the summary. A slot takes what a statement's slot takes.
	Phrases []string `json:"phrases,omitempty"`
}

// DescribeDuration says a duration in English, for everything a person reads (read-backs, a program's
// status, a dry run): "a day", "20 seconds", "1 hour 30 minutes"; never Go's "24h0m0s". A part under a
// second is dropped unless it is all there is.
func DescribeDuration(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		name, one string
		size      time.Duration
	}{{"day", "a day", 24 * time.Hour}, {"hour", "an hour", time.Hour}, {"minute", "a minute", time.Minute}, {"second", "1 second", time.Second}} {
		n := d / u.size
		switch {
		case n == 1 && d == u.size && len(parts) == 0: // the whole duration is one unit
			return u.one
		case n == 1:
			parts = append(parts, "1 "+u.name)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
		}
		d -= n * u.size
	}
	if len(parts) == 0 {
		return d.String()
	}
	return strings.Join(parts, " ")
}
