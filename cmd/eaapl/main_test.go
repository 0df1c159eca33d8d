package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/plan"
)

// helloWorld is the seed program of the README.
const helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"

// isolateEnv unsets every EAAPL_*, TEMPORAL_* and OPENAI_* variable for the test, so it runs on the defaults whatever
// the developer's shell has set; t.Setenv restores them afterwards.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "EAAPL_") || strings.HasPrefix(name, "TEMPORAL_") || strings.HasPrefix(name, "OPENAI_") {
			t.Setenv(name, "")
			if err := os.Unsetenv(name); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// runCLI runs the CLI in-process, as main does, and returns its output and error.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	err = run(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestUsageErrors(t *testing.T) {
	isolateEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"NoCommand", nil, "no command given"},
		{"UnknownCommand", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"RunWithoutAProgram", []string{"run"}, "eaapl run needs a program in quotes"},
		{"RunWithBlankProgram", []string{"run", "  "}, "the program is empty: write what to do in the quotes"},
		{"PlanWithEmptyProgram", []string{"plan", ""}, "the program is empty: write what to do in the quotes"},
		{"RunWithAProgramAndAPlan", []string{"run", "--plan", "hello.plan.json", "Send 'Hi' to bob@example.com"}, "either a program or --plan, not both"},
		{"PlanWithoutAProgram", []string{"plan"}, "eaapl plan needs a program in quotes"},
		{"StatusWithoutAnID", []string{"status"}, "eaapl status needs one workflow ID"},
		{"StatusWithTwoIDs", []string{"status", "a", "b"}, "eaapl status needs one workflow ID"},
		{"AnswerWithoutArguments", []string{"answer"}, "eaapl answer needs a workflow ID, a question ID and the answer"},
		{"AnswerWithoutTheAnswer", []string{"answer", "program-1", "q1"}, "eaapl answer needs a workflow ID, a question ID and the answer"},
		{"RunWithAYesThatIsNotABoolean", []string{"run", "--yes=maybe", "Send 'Hi' to bob@example.com"}, "invalid boolean value"},
		{"DevWithBothFlags", []string{"dev", "--background", "--stop"}, "either --background or --stop"},
		{"DevWithAnArgument", []string{"dev", "now"}, "eaapl dev takes no arguments"},
		{"UnknownFlag", []string{"run", "--colour", "Send 'Hi' to bob@example.com"}, "flag provided but not defined: -colour"},
		{"UnknownFlagOfStatus", []string{"status", "--all"}, "flag provided but not defined: -all"},
		{"FlagWithoutItsValue", []string{"status", "--address"}, "flag needs an argument: -address"},
		{"FlagBeforeTheCommand", []string{"--json", "run", "Send 'Hi' to bob@example.com"}, `unknown command "--json"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, tc.args...)
			if err == nil {
				t.Fatalf("eaapl %q succeeded; want a usage error", tc.args)
			}
			if got, want := exitCode(err), 2; got != want {
				t.Errorf("exit code = %d, want %d (error: %v)", got, want, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to say %q", err, tc.want)
			}
			// A usage error carries the usage; for a bad flag the flag package has written the command's
			// flags to stderr.
			var u usageError
			if errors.As(err, &u) && !strings.Contains(err.Error(), "Usage:") {
				t.Errorf("error = %q, want it to end with the usage", err)
			}
			var f flagError
			if errors.As(err, &f) && !strings.Contains(stderr, "Usage of eaapl "+tc.args[0]) {
				t.Errorf("stderr = %q, want the flags of eaapl %s", stderr, tc.args[0])
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing: errors go to stderr", stdout)
			}
		})
	}
}

func TestHelpPrintsTheUsage(t *testing.T) {
	isolateEnv(t)
	t.Setenv("EAAPL_LOG_LEVEL", "loud") // help must work when the configuration is wrong
	for _, arg := range []string{"help", "-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			stdout, _, err := runCLI(t, arg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "eaapl run") {
				t.Errorf("stdout = %q, want the usage", stdout)
			}
		})
	}
}

func TestABadConfigurationStopsTheCommandNamingTheVariable(t *testing.T) {
	isolateEnv(t)
	t.Setenv("EAAPL_MAX_CONCURRENCY", "0")
	_, _, err := runCLI(t, "plan", helloWorld)
	if err == nil || !strings.Contains(err.Error(), "EAAPL_MAX_CONCURRENCY") {
		t.Fatalf("error = %v, want one naming EAAPL_MAX_CONCURRENCY", err)
	}
	if got, want := exitCode(err), 1; got != want {
		t.Errorf("exit code = %d, want %d", got, want)
	}
}

func TestPlan(t *testing.T) {
	isolateEnv(t)

	t.Run("ReadsThePlanBackThenPrintsItsJSON", func(t *testing.T) {
		stdout, _, err := runCLI(t, "plan", helloWorld)
		if err != nil {
			t.Fatal(err)
		}
		readBack, js, ok := strings.Cut(stdout, "\n{")
		if !ok {
			t.Fatalf("stdout has no JSON after the read-back:\n%s", stdout)
		}
		lines := strings.Split(strings.TrimSpace(readBack), "\n")
		wantLines := []*regexp.Regexp{
			regexp.MustCompile(`^1\. Get your contacts\.$`),
			regexp.MustCompile(`^2\. Find which of them you have emailed since Monday \d+ \w+\.$`),
			regexp.MustCompile(`^3\. Write the message "Hello World!"\.$`),
			regexp.MustCompile(`^4\. Send it to each contact you have not emailed since Monday \d+ \w+\.$`),
		}
		if len(lines) != len(wantLines) {
			t.Fatalf("read-back has %d lines, want %d:\n%s", len(lines), len(wantLines), readBack)
		}
		for i, re := range wantLines {
			if !re.MatchString(lines[i]) {
				t.Errorf("read-back line %d = %q, want it to match %s", i+1, lines[i], re)
			}
		}
		p := parseValidPlan(t, []byte("{"+js))
		if got, want := p.Program, helloWorld; got != want {
			t.Errorf("plan program = %q, want %q", got, want)
		}
	})

	t.Run("JSONPrintsOnlyAValidPlan", func(t *testing.T) {
		stdout, _, err := runCLI(t, "plan", "--json", helloWorld)
		if err != nil {
			t.Fatal(err)
		}
		p := parseValidPlan(t, []byte(stdout))
		var commands []string
		for _, s := range p.Steps {
			commands = append(commands, s.Command)
		}
		if got, want := strings.Join(commands, ","), "RetrieveContacts,CheckEmailHistory,ComposeEmail,SendEmail"; got != want {
			t.Errorf("commands = %s, want %s", got, want)
		}
	})

	t.Run("JSONKeepsAngleBracketsAndAmpersands", func(t *testing.T) {
		stdout, _, err := runCLI(t, "plan", "--json", "Send 'Tom & Jerry <3' to bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, `"Tom & Jerry <3"`) {
			t.Errorf("stdout = %s, want the message as written, not escaped for HTML", stdout)
		}
		if got, want := parseValidPlan(t, []byte(stdout)).Program, "Send 'Tom & Jerry <3' to bob@example.com"; got != want {
			t.Errorf("plan program = %q, want %q", got, want)
		}
	})

	t.Run("EnglishItDoesNotKnowFailsQuotingThePart", func(t *testing.T) {
		stdout, _, err := runCLI(t, "plan", "Send an email if it rains")
		if err == nil {
			t.Fatal("the plan of a program it does not understand must fail")
		}
		if !strings.Contains(err.Error(), `"if it rains"`) {
			t.Errorf("error = %q, want it to quote %q", err, "if it rains")
		}
		if !strings.Contains(err.Error(), "the nearest forms are:\n  - ") || !strings.Contains(err.Error(), "eaapl plan --help") {
			t.Errorf("error = %q, want it to list the nearest forms and point to eaapl plan --help", err)
		}
		if got, want := exitCode(err), 1; got != want {
			t.Errorf("exit code = %d, want %d", got, want)
		}
		if stdout != "" {
			t.Errorf("stdout = %q, want nothing", stdout)
		}
	})
}

// parseValidPlan parses a plan document as `eaapl run --plan` would and validates it.
func parseValidPlan(tb testing.TB, b []byte) *plan.Plan {
	tb.Helper()
	p, err := plan.Parse(b)
	if err != nil {
		tb.Fatalf("plan.Parse: %v\n%s", err, b)
	}
	if err := plan.Validate(p); err != nil {
		tb.Fatalf("plan.Validate: %v\n%s", err, b)
	}
	return p
}

// TestRunRejectsAnInvalidPlanFileBeforeConnecting points TEMPORAL_ADDRESS at a listener that counts
// connections: a bad plan file must fail on its own, naming the file, the step and the field.
func TestRunRejectsAnInvalidPlanFileBeforeConnecting(t *testing.T) {
	isolateEnv(t)
	connections := countConnections(t)

	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "hello-world.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	parseValidPlan(t, example) // the broken plans below are broken only where they say
	unknownCommand := strings.Replace(string(example), `"command": "SendEmail"`, `"command": "SendFax"`, 1)
	if unknownCommand == string(example) {
		t.Fatal("examples/hello-world.plan.json has no SendEmail step to break")
	}

	for _, tc := range []struct {
		name, file, content string
		want                []string
	}{
		{"UnknownCommand", "fax.plan.json", unknownCommand, []string{`step "send"`, "command", `"SendFax"`}},
		{"MalformedJSON", "cut.plan.json", string(example[:len(example)/2]), []string{"line ", "ends too soon"}},
		{"UnknownField", "typo.plan.json", strings.Replace(string(example), `"depends_on"`, `"depend_on"`, 1), []string{"depend_on"}},
		{"BadArgument", "to.plan.json", strings.Replace(string(example), `"to": "${contact}"`, `"to": 42`, 1), []string{`step "send"`, "args.to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, _, err := runCLI(t, "run", "--plan", path)
			if err == nil {
				t.Fatal("eaapl run accepted an invalid plan")
			}
			for _, want := range append([]string{path}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
			if got, want := exitCode(err), 1; got != want {
				t.Errorf("exit code = %d, want %d", got, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}

	t.Run("MissingFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nowhere.plan.json")
		_, _, err := runCLI(t, "run", "--plan", path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("error = %v, want one naming %s", err, path)
		}
	})

	if n := connections.Load(); n != 0 {
		t.Errorf("the CLI connected to Temporal %d times; an invalid plan must fail before that", n)
	}
}

// countConnections points TEMPORAL_ADDRESS at a listener that counts the connections made to it and closes
// them: a command that must not reach Temporal is caught when it tries.
func countConnections(t *testing.T) *atomic.Int32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var connections atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	t.Setenv("TEMPORAL_ADDRESS", l.Addr().String())
	return &connections
}

// TestEveryCommandHasHelp asks each registered command for its help, as --help, -h and `eaapl help X`: each
// prints its synopsis and flags on stdout and exits 0, with no configuration (the configuration is wrong).
func TestEveryCommandHasHelp(t *testing.T) {
	isolateEnv(t)
	t.Setenv("EAAPL_LOG_LEVEL", "loud")
	usage, _, err := runCLI(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		name := c.Name()
		if !strings.Contains(usage, "\n  eaapl "+name+" ") && !strings.Contains(usage, "\n  eaapl "+name+"\n") {
			t.Errorf("eaapl help does not list %s:\n%s", name, usage)
		}
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				stdout, stderr, err := runCLI(t, args...)
				if err != nil {
					t.Fatalf("eaapl %s: %v (exit code %d), want the help and exit code 0", strings.Join(args, " "), err, exitCode(err))
				}
				if !strings.HasPrefix(stdout, "Usage:\n  eaapl "+name) || !strings.Contains(stdout, c.Short[:20]) {
					t.Errorf("stdout = %q, want the synopsis and description of eaapl %s", stdout, name)
				}
				c.Flags().VisitAll(func(f *pflag.Flag) {
					if !strings.Contains(stdout, "--"+f.Name+" ") {
						t.Errorf("the help of eaapl %s does not show --%s:\n%s", name, f.Name, stdout)
					}
				})
				if stderr != "" {
					t.Errorf("stderr = %q, want nothing", stderr)
				}
			})
		}
	}
}

func TestCompletion(t *testing.T) {
	isolateEnv(t)
	t.Setenv("EAAPL_LOG_LEVEL", "loud") // completion must work when the configuration is wrong

	t.Run("PrintsTheScriptOfEachShell", func(t *testing.T) {
		for shell, want := range map[string]string{"bash": "# bash completion V2 for eaapl", "zsh": "#compdef eaapl", "fish": "complete -c eaapl"} {
			stdout, _, err := runCLI(t, "completion", shell)
			if err != nil {
				t.Fatalf("eaapl completion %s: %v", shell, err)
			}
			if !strings.Contains(stdout, want) {
				t.Errorf("eaapl completion %s printed no %q:\n%.300s", shell, want, stdout)
			}
		}
	})

	t.Run("NeedsAShellItKnows", func(t *testing.T) {
		for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
			_, _, err := runCLI(t, args...)
			if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "bash, zsh") {
				t.Errorf("eaapl %s: err %v, want a usage error naming the shells", strings.Join(args, " "), err)
			}
		}
	})

	// What the scripts ask for as the user presses Tab: `eaapl __complete <words so far>`.
	complete := func(t *testing.T, words ...string) []string {
		t.Helper()
		stdout, _, err := runCLI(t, append([]string{cobra.ShellCompRequestCmd}, words...)...)
		if err != nil {
			t.Fatalf("eaapl __complete %q: %v", words, err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if !strings.HasPrefix(line, ":") { // the last line is the directive
				name, _, _ := strings.Cut(line, "\t")
				got = append(got, name)
			}
		}
		return got
	}
	for _, tc := range []struct {
		name  string
		words []string
		want  []string
	}{
		{"Commands", []string{""}, []string{"dev", "run", "plan", "status", "answer", "events", "stats", "worker", "completion"}},
		{"Flags", []string{"run", "--pl"}, []string{"--plan", "--planner"}},
		{"Planners", []string{"plan", "--planner", ""}, []string{"rules", "llm"}},
		{"Topics", []string{"events", "--topic", ""}, bridge.TopicNames()},
		{"Shells", []string{"completion", ""}, []string{"bash", "zsh", "fish"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := complete(t, tc.words...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("completing %q offers %q, want %q among them", tc.words, got, w)
				}
			}
		})
	}
}

// TestOneDashLongFlags keeps the command lines of Go's flag package working: -json is --json.
func TestOneDashLongFlags(t *testing.T) {
	isolateEnv(t)
	stdout, _, err := runCLI(t, "plan", "-json", helloWorld)
	if err != nil {
		t.Fatal(err)
	}
	parseValidPlan(t, []byte(stdout)) // only the JSON, no read-back
	if got, want := goStyleFlags([]string{"-id=x", "-h", "--", "-json"}), []string{"--id=x", "-h", "--", "-json"}; !slices.Equal(got, want) {
		t.Errorf("goStyleFlags = %q, want %q: after -- nothing is a flag", got, want)
	}
}
