package planner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docsNow is the start time the examples of docs/english.md are planned at: Wednesday 2 December 2026,
// 09:00 UTC, the day its time examples are written on ("next Monday" is 7 December, "at 9pm" still to come).
var docsNow = time.Date(2026, time.December, 2, 9, 0, 0, 0, time.UTC)

// docsProgram is one program docs/english.md shows, where it is, and what the docs say of it.
type docsProgram struct {
	line    int
	program string
	refused bool
	part    string // for a refusal whose reason column starts with the part quoted: "if it rains": ...
}

// docsPrograms collects the programs of docs/english.md: every line of a code block without a language
// (a block of read-backs or output is marked ```text), the Example column of every table, which must
// plan; and the Program column of the tables of refusals, which must be refused. In a block, a line
// "-> ..." after a program says what it does, and "-> refused: "part": why" that it is refused.
func docsPrograms(tb testing.TB) []docsProgram {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "english.md"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []docsProgram
	inBlock, programs := false, false
	example, program, reason := -1, -1, -1 // the columns of the table being read
	parts := false                         // the reason column starts with the part quoted
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			programs = inBlock && strings.TrimSpace(line) == "```"
			continue
		}
		if inBlock {
			text := strings.TrimSpace(line)
			switch {
			case !programs || text == "":
			case strings.HasPrefix(text, "->"):
				// "    -> what it does" says more of the program above; "-> refused: "part": why" says it
				// is refused, quoting part.
				if len(out) > 0 && strings.HasPrefix(text, "-> refused") {
					last := &out[len(out)-1]
					last.refused = true
					if m := quotedPart.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(text, "-> refused"), ":"))); m != nil {
						last.part = m[1]
					}
				}
			default:
				out = append(out, docsProgram{line: n, program: text})
			}
			continue
		}
		if !strings.HasPrefix(line, "|") {
			example, program, reason = -1, -1, -1
			continue
		}
		cells := tableCells(line)
		if example < 0 && program < 0 {
			for c, h := range cells { // the header
				switch {
				case h == "Example":
					example = c
				case h == "Program":
					program = c
				case strings.HasPrefix(h, "Refused part") || strings.HasPrefix(h, "Why it is refused"):
					reason, parts = c, strings.HasPrefix(h, "Refused part")
				}
			}
			if program >= 0 && reason < 0 {
				program = -1 // a table of programs that are not refusals
			}
			continue
		}
		if strings.HasPrefix(line, "| ---") || strings.HasPrefix(line, "|---") {
			continue
		}
		if example >= 0 && example < len(cells) {
			out = append(out, docsProgram{line: n, program: unquoteCell(cells[example])})
		}
		if program >= 0 && program < len(cells) {
			p := unquoteCell(cells[program])
			if strings.HasPrefix(p, "...") {
				continue // a part of a program: "... if I haven't emailed them this year ..."
			}
			p = dayNote.ReplaceAllString(p, "")
			d := docsProgram{line: n, program: p, refused: true}
			if m := quotedPart.FindStringSubmatch(cells[reason]); m != nil && parts {
				d.part = m[1]
			}
			out = append(out, d)
		}
	}
	return out
}

// dayNote is a note on the day a refusal is for, after its program: "(on a Wednesday)".
var dayNote = regexp.MustCompile(`\s*\(on an? \w+\)$`)

// quotedPart is the part a refusal quotes, at the start of its reason: "if it rains": ...
var quotedPart = regexp.MustCompile(`^"([^"]+)"`)

// tableCells splits a Markdown table row into its cells, keeping \| inside a cell.
func tableCells(line string) []string {
	line = strings.Trim(strings.TrimSpace(line), "|")
	parts := regexp.MustCompile(`[^\\]\|`).FindAllStringIndex(line, -1)
	var cells []string
	from := 0
	for _, p := range parts {
		cells = append(cells, strings.TrimSpace(strings.ReplaceAll(line[from:p[0]+1], `\|`, "|")))
		from = p[1]
	}
	return append(cells, strings.TrimSpace(strings.ReplaceAll(line[from:], `\|`, "|")))
}

// unquoteCell is a table cell's program without the backticks around it.
func unquoteCell(c string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(c), "`"))
}

// TestDocsEnglishExamplesPlanAsTheDocsSay keeps docs/english.md honest: every program it shows as an
// example plans, and every program its tables of refusals list is refused, quoting the part they quote.
// A block that is not programs (a read-back, output) is marked ```text.
func TestDocsEnglishExamplesPlanAsTheDocsSay(t *testing.T) {
	progs := docsPrograms(t)
	if len(progs) < 100 {
		t.Fatalf("found %d programs in docs/english.md, want its examples (over 100)", len(progs))
	}
	r := &Rules{Location: time.UTC, Me: "me@example.com"}
	for _, d := range progs {
		t.Run(d.program, func(t *testing.T) {
			_, err := r.Plan(context.Background(), d.program, docsNow)
			switch {
			case !d.refused && err != nil:
				t.Errorf("docs/english.md:%d shows %q as a program, but it is refused: %v (if the block is not programs, mark it ```text)", d.line, d.program, err)
			case d.refused && err == nil:
				t.Errorf("docs/english.md:%d lists %q as refused, but it plans", d.line, d.program)
			case d.refused && d.part != "":
				var nu *NotUnderstoodError
				if !errors.As(err, &nu) || !strings.EqualFold(nu.Part, d.part) {
					t.Errorf("docs/english.md:%d says %q is refused quoting %q; it is refused with: %v", d.line, d.program, d.part, err)
				}
			}
		})
	}
}
