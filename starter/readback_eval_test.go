package starter_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
)

// quotedText is a quoted message in a read-back line: the program's own text, braces and all.
var quotedText = regexp.MustCompile(`"[^"]*"`)

// TestReadBackOfTheEvalSetIsPlainEnglish: over every program of the evaluation set, no read-back line
// says "since X until Y", puts a comma before "except" or "with" after a place or a name, or shows a
// brace or CEL outside a quoted message.
func TestReadBackOfTheEvalSetIsPlainEnglish(t *testing.T) {
	files, err := filepath.Glob("../eval/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no eval programs: %v", err)
	}
	bad := []*regexp.Regexp{
		regexp.MustCompile(`since [^,.]* until `),
		regexp.MustCompile(`(at [a-z0-9.-]+\.[a-z]+|named [A-Z][a-z]+), except`),
		regexp.MustCompile(`@[a-z0-9.-]+\.[a-z]+, with `),
		regexp.MustCompile(`[{}]|\$\{|&&|\|\||lowerAscii`),
	}
	lines := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Program    string `json:"program"`
			CannotPlan bool   `json:"cannot_plan"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.CannotPlan {
			continue
		}
		p, err := (&planner.Rules{}).Plan(context.Background(), c.Program, now)
		if err != nil {
			continue // a program that needs a zone: not this test's
		}
		for _, line := range starter.ReadBack(p, now) {
			lines++
			plain := quotedText.ReplaceAllString(line, `"..."`)
			for _, re := range bad {
				if re.MatchString(plain) {
					t.Errorf("%s: %q: read-back %q has %q", filepath.Base(f), c.Program, line, re.FindString(plain))
				}
			}
			if strings.Contains(line, "(as written)") {
				t.Errorf("%s: %q: read-back %q is shown as written", filepath.Base(f), c.Program, line)
			}
		}
	}
	if lines < 500 {
		t.Errorf("only %d read-back lines; want the whole eval set", lines)
	}
}
