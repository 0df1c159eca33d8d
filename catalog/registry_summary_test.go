package catalog_test

import (
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

func TestSummariesSayWhatATaskDoes(t *testing.T) {
	send := catalog.Command{Name: "SendEmail", Args: []catalog.Field{{Name: "to", Type: catalog.Contact}, {Name: "subject", Type: catalog.String}},
		Label: catalog.Label{Arg: "to", Word: "to", Verb: "Send", Quote: "subject", Items: "recipients"}}
	get := catalog.Command{Name: "RetrieveContacts", Label: catalog.Label{None: true}}
	read := catalog.Command{Name: "ReadDocument", Args: []catalog.Field{{Name: "path", Type: catalog.String}}, Label: catalog.Label{Arg: "path"}}
	alice := map[string]any{"to": map[string]any{"name": "Alice", "email": "alice@example.com"}, "subject": "Hello World!"}
	carol := map[string]any{"to": map[string]any{"name": "Carol", "email": "carol@example.com"}, "subject": "Hello World!"}
	long := map[string]any{"to": "x@example.com", "subject": strings.Repeat("very long subject ", 10)}
	for _, c := range []struct{ got, want string }{
		{send.TaskSummary("Send it to each contact.", alice), "Send 'Hello World!' to alice@example.com"},
		{send.BatchSummary("Send it to each contact.", 100, alice, carol), "Send 'Hello World!' to 100 recipients: alice@example.com to carol@example.com"},
		{send.BatchSummary("", 1, alice, alice), "Send 'Hello World!' to 1 recipient: alice@example.com"},
		{send.TaskSummary("", long), "Send 'very long subject very long subject ver…' to x@example.com"},
		{get.TaskSummary("Get your contacts.", nil), "Get your contacts"},
		{get.TaskSummary("", nil), "RetrieveContacts"},
		{read.TaskSummary("Read the document notes.md.", map[string]any{"path": "notes.md"}), "Read the document notes.md"},
		{read.TaskSummary("Read a document.", map[string]any{"path": "notes.md"}), "Read a document: notes.md"},
		{read.BatchSummary("Read each file.", 3, map[string]any{"path": "a.md"}, map[string]any{"path": "c.md"}), "Read each file, 3 items: a.md to c.md"},
	} {
		if c.got != c.want {
			t.Errorf("summary %q, want %q", c.got, c.want)
		}
	}
	if s := get.TaskSummary(strings.Repeat("a", 500), nil); len([]rune(s)) > 160 {
		t.Errorf("a summary of %d runes; the Web UI shows one line", len([]rune(s)))
	}
}
