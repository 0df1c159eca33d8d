package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
)

// TestPlanHelpAndDocsEnglishListTheSameForms checks that `eaapl plan --help` lists every form of
// docs/english.md's table and every command's phrases from the registry, and that the table lists every
// form the planner has.
func TestPlanHelpAndDocsEnglishListTheSameForms(t *testing.T) {
	isolateEnv(t)
	help, _, err := runCLI(t, "plan", "--help")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/english.md")
	if err != nil {
		t.Fatal(err)
	}
	// The table of "## The forms", up to the next section.
	_, forms, _ := strings.Cut(string(doc), "## The forms\n")
	forms, _, _ = strings.Cut(forms, "\n## ")
	// A row of the table: "| Send '*message*' to *recipients* | Send 'Lunch?' to bob@example.com |".
	row := regexp.MustCompile(`(?m)^\| ([^|]+) \| [^|]+ \|$`)
	placeholder := regexp.MustCompile(`\*([A-Za-z]+)\*`)
	var documented []string
	for _, m := range row.FindAllStringSubmatch(forms, -1) {
		if form := strings.TrimSpace(m[1]); form != "Form" && !strings.HasPrefix(form, "---") {
			documented = append(documented, placeholder.ReplaceAllString(form, "<$1>"))
		}
	}
	if len(documented) == 0 {
		t.Fatal("docs/english.md has no table of forms")
	}
	for _, form := range documented {
		if !strings.Contains(help, "  - "+form+"\n") {
			t.Errorf("docs/english.md lists %q; eaapl plan --help does not:\n%s", form, help)
		}
	}
	for _, form := range planner.Forms() {
		if !strings.HasPrefix(form, "<") && !strings.Contains(strings.Join(documented, "\n")+"\n", form+"\n") {
			t.Errorf("the planner has the form %q; docs/english.md's table does not", form)
		}
	}
	for _, s := range catalog.Specs() {
		for _, p := range s.Forms.Phrases {
			if !strings.Contains(help, p) {
				t.Errorf("%s's phrase %q is not in eaapl plan --help", s.Name, p)
			}
		}
	}
}

// TestPlanAndRunHelpListEachCommandsStatementsAndExamplesByFamily checks that `eaapl plan --help` and
// `eaapl run --help` list every registered command under its family's heading, with each of its
// statements and each example's form and program, not only its phrases.
func TestPlanAndRunHelpListEachCommandsStatementsAndExamplesByFamily(t *testing.T) {
	isolateEnv(t)
	for _, verb := range []string{"plan", "run"} {
		help, _, err := runCLI(t, verb, "--help")
		if err != nil {
			t.Fatal(err)
		}
		_, byFamily, ok := strings.Cut(help, "The English of each command, by family")
		if !ok {
			t.Fatalf("eaapl %s --help has no list of the commands by family:\n%s", verb, help)
		}
		byFamily, _, _ = strings.Cut(byFamily, "\nFlags:")
		// Read the list back: "  family", then "    Command: what it does", then its "      ..." lines.
		familyOf, lines := map[string]string{}, map[string]string{}
		family, command := "", ""
		for line := range strings.Lines(byFamily) {
			switch indent := len(line) - len(strings.TrimLeft(line, " ")); indent {
			case 2:
				family = strings.TrimSpace(line)
			case 4:
				command, _, _ = strings.Cut(strings.TrimSpace(line), ":")
				familyOf[command] = family
			case 6:
				lines[command] += strings.TrimSpace(line) + "\n"
			}
		}
		for _, s := range catalog.Specs() {
			if got, want := familyOf[s.Name], filepath.Base(s.Dir()); got != want {
				t.Errorf("eaapl %s --help lists %s under the family %q, want %q", verb, s.Name, got, want)
			}
			if len(s.Forms.Statements) > 0 {
				if got, want := lines[s.Name], "statements: "+strings.Join(s.Forms.Statements, "; ")+"\n"; !strings.Contains(got, want) {
					t.Errorf("eaapl %s --help lists for %s:\n%swant the line %q", verb, s.Name, got, want)
				}
			}
			for _, e := range s.Forms.Examples {
				if got, want := lines[s.Name], "example: "+e.Pattern+"  =>  "+e.Program+"\n"; !strings.Contains(got, want) {
					t.Errorf("eaapl %s --help lists for %s:\n%swant the line %q", verb, s.Name, got, want)
				}
			}
		}
	}
}

// TestACanceledProgramSaysSoInOneSentence checks the error `eaapl status` ends with for a canceled
// program: the state, not Temporal's "workflow execution error (type: , workflowID: ...)".
func TestACanceledProgramSaysSoInOneSentence(t *testing.T) {
	err := finishedError("lang-tomorrow", starter.Finished{Status: "canceled", Err: temporal.NewCanceledError()})
	if err == nil || err.Error() != "program lang-tomorrow canceled" {
		t.Errorf("finishedError = %v, want \"program lang-tomorrow canceled\"", err)
	}
}
