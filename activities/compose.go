package activities

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eaapl/eaapl/catalog"
)

// maxSubject is the longest subject ComposeEmail derives from a body, in characters: RFC 5322's
// recommended line length, so that the header fits on one line.
const maxSubject = 78

type composeEmailArgs struct {
	Body    string `json:"body"`
	Subject string `json:"subject"`
}

// ComposeEmail writes a message. A blank body is a question to the user (NeedsInput); the subject defaults to the body's first
// non-blank line, shortened to at most 78 characters at a word boundary. Output: subject and body.
func (a *Activities) ComposeEmail(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	started := time.Now()
	t.Command = "ComposeEmail"
	var args composeEmailArgs
	if err := decodeArgs(t, &args); err != nil {
		return catalog.TaskResult{}, err
	}
	if strings.TrimSpace(args.Body) == "" {
		return catalog.TaskResult{}, a.needsInput(t, catalog.InputRequest{
			Question: "The program does not say what the email should say. What should it say?",
			Kind:     catalog.InputText,
			Param:    "body",
		})
	}
	subject := oneLine(args.Subject)
	if subject == "" {
		subject = defaultSubject(args.Body)
	}
	return a.result(ctx, t, started, map[string]any{
		"subject": subject,
		"body":    args.Body,
	}), nil
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
