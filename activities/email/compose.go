package email

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eaapl/eaapl/catalog"
)

// maxSubject is the longest subject ComposeEmail derives from a body, in characters: RFC 5322's
// recommended line length, so that the header fits on one line.
const maxSubject = 78

type composeArgs struct {
	Body    string `json:"body" eaapl:"required" desc:"the message text"`
	Subject string `json:"subject" desc:"the subject; the body's first line when empty"`
}

type composeOutput struct {
	Subject string `json:"subject" eaapl:"required" desc:"the subject line"`
	Body    string `json:"body" eaapl:"required" desc:"the message text"`
}

var ComposeEmail = catalog.Define(catalog.Def[catalog.NoDeps, composeArgs, composeOutput]{
	Name:        "ComposeEmail",
	Description: "Write an email message with the given text; the subject defaults to its first line.",
	SideEffect:  catalog.Reads,
	Timeout:     10 * time.Second,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{None: true},
	Run:              compose,
	Hint:             func(string) string { return "" },
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		body, ok := r.Text(s.Args["body"])
		if !ok {
			return ""
		}
		text := fmt.Sprintf("Write the message %q", body)
		if strings.TrimSpace(body) == "" { // ComposeEmail asks the user for a blank body
			text = "Ask you what the message should say"
		}
		if v, has := s.Args["subject"]; has {
			subject, ok := r.Text(v)
			if !ok {
				return ""
			}
			text += fmt.Sprintf(" with the subject %q", subject)
		}
		return text + "."
	},
	Forms: catalog.Forms{
		Phrases: []string{"'{body}'", "that says '{body}'", "with the message '{body}'", "with the subject '{subject}'"},
		// The markers a quoted message or subject follows.
		Args: map[string][]string{
			"body": {"that says", "which says", "that say", "which say", "saying", "that reads", "which reads", "to say", "with the message", "with message", "with the text", "with the body", "the text"},
			"subject": {"with the subject", "with the subject line", "with a subject", "with a subject line", "with subject", "with subject line",
				"subject", "subject line", "titled", "entitled", "with the title", "with a title", "with title"},
		},
		Joined: map[string][]string{
			"body":    {"the message", "message", "the text", "the body", "body", "say"},
			"subject": {"the subject", "the subject line", "subject", "subject line"},
		},
		Examples: []catalog.Example{
			{Pattern: "any of these with the subject '<subject>' (also: titled, with the title, subject '<subject>')", Program: "Send 'See you at 8' to ann@example.com with the subject 'Dinner'"},
			{Pattern: "any of these without the message: the program asks for it when it runs", Program: "Send it to my contact John"},
			{Pattern: "'<message>' with {name}, {first name} or {email}: filled for each recipient", Program: "Email each of my contacts saying 'Dear {first name}, thank you for this year'"},
		},
		Results: map[string]catalog.ResultWords{
			"subject": {Noun: "the subject"},
			"body":    {Noun: "the message"},
		},
	},
})

// compose writes a message. A blank body is a question to the user (NeedsInput); the subject defaults to
// the body's first non-blank line, shortened to at most 78 characters at a word boundary.
func compose(_ context.Context, _ catalog.NoDeps, args composeArgs) (composeOutput, error) {
	if strings.TrimSpace(args.Body) == "" {
		return composeOutput{}, catalog.Ask(catalog.InputRequest{
			Question: "The program does not say what the email should say. What should it say?",
			Kind:     catalog.InputText,
			Param:    "body",
		})
	}
	subject := oneLine(args.Subject)
	if subject == "" {
		subject = defaultSubject(args.Body)
	}
	return composeOutput{Subject: subject, Body: args.Body}, nil
}

// oneLine trims s and turns its line breaks into spaces: a header cannot hold them.
func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	return strings.TrimSpace(s)
}

// defaultSubject is the body's first non-blank line, trimmed, and cut to at most maxSubject characters,
// at the last space that fits, with "…" marking the cut.
func defaultSubject(body string) string {
	var line string
	for l := range strings.Lines(body) {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	if utf8.RuneCountInString(line) <= maxSubject {
		return line
	}
	runes := []rune(line)
	cut := maxSubject - 1 // leaves room for the ellipsis
	// When the cut falls inside a word, step back to the space before it.
	if !unicode.IsSpace(runes[cut]) {
		for i := cut - 1; i > 0; i-- {
			if unicode.IsSpace(runes[i]) {
				cut = i
				break
			}
		}
	}
	return strings.TrimRightFunc(string(runes[:cut]), unicode.IsSpace) + "…"
}
