package starter

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/workflows"
)

// ProgramAttributeName is the custom search attribute that holds a program's English text, so that the
// Temporal Web UI's workflow list can show it as a column and filter on it (EaaPLProgram ~ "Hello"), and
// `temporal workflow list --query` can find a program by its words. It is of type Text; the dev stack
// registers it (devstack.SearchAttributes), and a server of one's own needs it once:
//
//	temporal operator search-attribute create --name EaaPLProgram --type Text
const ProgramAttributeName = "EaaPLProgram"

// ProgramAttribute is ProgramAttributeName as the SDK's typed key.
var ProgramAttribute = temporal.NewSearchAttributeKeyString(ProgramAttributeName)

// summaryMax bounds the static summary, which the Web UI shows on one line (the server allows 400 bytes).
const summaryMax = 200

// detailsMax bounds the program's text in the static details (the server's default limit is 20 KB).
const detailsMax = 16 << 10

// attributeMax bounds the search attribute's value: the server refuses one over 2 KB by default.
const attributeMax = 2000

// programText is the English a program was started from: its text, or its plan's.
func programText(in workflows.Input) string {
	if in.Program != "" {
		return in.Program
	}
	if in.Plan != nil {
		return in.Plan.Program
	}
	return ""
}

// staticDetails is the markdown the Web UI shows on a program's page above its history: the program
// as written, and the plan's steps when the plan was made before the start. Both are quoted in code
// blocks, so that a program's text is shown as it is and never read as markdown (a link, an image).
func staticDetails(in workflows.Input) string {
	var b strings.Builder
	if text := programText(in); text != "" {
		b.WriteString("**Program**\n\n")
		if cut := cutText(text, detailsMax); cut != text {
			text = cut + "\n(cut here: the whole program is in the workflow's input)"
		}
		b.WriteString(codeBlock(text))
	}
	if in.Plan != nil && len(in.Plan.Steps) > 0 {
		b.WriteString("\n**Plan** (made before the start)\n\n")
		var steps strings.Builder
		for i, st := range in.Plan.Steps {
			what := st.Description
			if what == "" {
				what = st.CommandName() // a construct without a description: Wait, Check ...
			}
			fmt.Fprintf(&steps, "%d. %s\n", i+1, oneLine(what, 300))
		}
		b.WriteString(codeBlock(strings.TrimSuffix(steps.String(), "\n")))
	}
	return b.String()
}

// cutText cuts s to at most max bytes, at a character boundary, marking the cut with "…".
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// codeBlock fences text with more backticks than any run inside it, so nothing in it ends the block.
func codeBlock(text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + text + "\n" + fence + "\n"
}

// unknownAttribute reports whether a start failed in a way that starting without the search attribute
// may mend: a server that has no EaaPLProgram attribute refuses the start as an invalid argument.
func unknownAttribute(err error) bool {
	var invalid *serviceerror.InvalidArgument
	return errors.As(err, &invalid)
}
