package planner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// shout is a command registered in this test only: its English comes with it, and the planner, which
// names no command, understands it.
type shoutArgs struct {
	Text catalog.Content `json:"text" eaapl:"required" desc:"what to shout"`
}

type shoutOutput struct {
	Shout string `json:"shout" eaapl:"required" desc:"the text in capitals"`
}

var shout = catalog.Define(catalog.Def[catalog.NoDeps, shoutArgs, shoutOutput]{
	Name:        "Shout",
	Description: "Write a text in capitals.",
	SideEffect:  catalog.Reads,
	Timeout:     10 * time.Second,
	Retry:       catalog.DefaultRetry,
	Label:       catalog.Label{None: true},
	Run: func(_ context.Context, _ catalog.NoDeps, a shoutArgs) (shoutOutput, error) {
		return shoutOutput{Shout: strings.ToUpper(a.Text.Text)}, nil
	},
	Hint:     func(string) string { return "nothing to fix" },
	ReadBack: func(catalog.Reading) string { return "Shout it." },
	Forms: catalog.Forms{
		Phrases:    []string{"shout {text}"},
		Statements: []string{"shout {text}", "shout {text} out loud"},
		Results:    map[string]catalog.ResultWords{"shout": {Noun: "the shout", Words: []string{"the shout"}, Subject: "Shouted: {text}", Phrases: []string{"a shouted {text}"}}},
		Examples:   []catalog.Example{{Pattern: "Shout <text> (a command of a test)", Program: "Shout 'hello' and email the shout to bob@example.com"}},
	},
})

func init() { catalog.Register(shout) }

func TestACommandRegisteredInATestBringsItsOwnEnglish(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Read notes.md, shout it out loud and email the shout to bob@example.com, then send 'Done' to alice@example.com", now)
	got, _ := json.Marshal(p.Steps)
	want := `[{"id":"read","command":"ReadDocument","description":"Read notes.md.","args":{"path":"notes.md"}},` +
		`{"id":"shout","command":"Shout","description":"Shout it out loud.","args":{"text":"${steps.read.text}"},"depends_on":["read"]},` +
		`{"id":"send_3","command":"SendEmail","description":"Send it to bob@example.com.","args":{"body":"${steps.shout.shout}","subject":"Shouted: notes.md","to":{"email":"bob@example.com","name":""}},"depends_on":["shout"]},` +
		`{"id":"compose_4","command":"ComposeEmail","description":"Write the message \"Done\".","args":{"body":"Done"},"depends_on":["send_3"]},` +
		`{"id":"send_4","command":"SendEmail","description":"Send it to alice@example.com.","args":{"body":"${steps.compose_4.body}","subject":"${steps.compose_4.subject}","to":{"email":"alice@example.com","name":""}},"depends_on":["compose_4"]}]`
	if string(got) != want {
		t.Errorf("plan\n %s\nwant\n %s", got, want)
	}
	t.Run("ItsSlotIsChecked", func(t *testing.T) {
		_, err := (&Rules{}).Plan(context.Background(), "Shout and email the shout to bob@example.com", now)
		if err == nil || !strings.Contains(err.Error(), "needs its text: a quotation, a file name") {
			t.Fatalf("error = %v, want it to say what the slot needs", err)
		}
	})
	t.Run("ItsPhraseMakesAnEmail", func(t *testing.T) {
		// Results.Phrases: the command runs inside the email's statement, which sends its output.
		p := mustPlan(t, &Rules{}, "Email bob@example.com a shouted notes.md", now)
		got, _ := json.Marshal(p.Steps)
		want := `[{"id":"read","command":"ReadDocument","description":"Read notes.md.","args":{"path":"notes.md"}},` +
			`{"id":"shout","command":"Shout","description":"Shout notes.md.","args":{"text":"${steps.read.text}"},"depends_on":["read"]},` +
			`{"id":"send","command":"SendEmail","description":"Send it to bob@example.com.","args":{"body":"${steps.shout.shout}","subject":"Shouted: notes.md","to":{"email":"bob@example.com","name":""}},"depends_on":["shout"]}]`
		if string(got) != want {
			t.Errorf("plan\n %s\nwant\n %s", got, want)
		}
	})
	t.Run("ItsFormIsListed", func(t *testing.T) {
		if !strings.Contains(strings.Join(Forms(), "\n"), "Shout <text>") {
			t.Errorf("Forms() lacks the test command's form")
		}
	})
}
