package planner

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/web"
	"github.com/eaapl/eaapl/plan"
)

// The programs of documents, tables, web pages and attachments (issue 12, docs/documents.md). They are
// read here as whole programs of a few fixed shapes, before the sentence grammar; a program of another
// shape falls through to the grammar, which refuses it with the part it does not understand quoted.

// documentForms are the forms this file understands; they are listed with the others in docs/english.md.
var documentForms = []Form{
	{"Open the document <file>, analyze it for trends, and summarize it (also: read <file>)", "Open the document q3-report.md, analyze it for trends, and summarize it"},
	{"Summarize <file> and email the summary to <recipient>", "Summarize meeting-notes.md and email the summary to alice@example.com"},
	{"Read <file> and email it to <recipient>", "Read todo.txt and email it to bob@example.com"},
	{"Fetch <address> and email the page to <recipient>", "Fetch https://status.example.test/ and email the page to ops@example.com"},
	{"For each row in <table>, email the address in the <column> column saying '<message>' ({column} fills a row's cell)", "For each row in orders.xlsx, email the address in the email column saying 'Your order {order} has shipped'"},
	{"Send '<message>' to <address> with <file> attached (and a copy to <address>)", "Send 'Slides attached' to carol@example.com with slides.pdf attached"},
}

const (
	filePattern = `([A-Za-z0-9_.][A-Za-z0-9_./-]*\.[A-Za-z0-9]+)`
	docAddress  = `([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})`
	urlPattern  = `(https?://[^\s'"]+)`
	// recipientPattern is one address or "my contact <Name>".
	recipientPattern = `(?:` + docAddress + `|my contact ([A-Z][a-z]+(?: [A-Z][a-z]+)?))`
)

var (
	readSource      = regexp.MustCompile(`(?i)^(?:open|read)(?: the document| the file)? ` + filePattern + `$`)
	summarizeSource = regexp.MustCompile(`(?i)^summari[sz]e(?: the document| the file)? ` + filePattern + `$`)
	fetchSource     = regexp.MustCompile(`(?i)^(?:fetch|download)(?: the page)? ` + urlPattern + `$`)
	emailAction     = regexp.MustCompile(`^(?:(?i)email|send) (?i:(it|the summary|the trends|the page|the document|the text)) to ` + recipientPattern + `$`)
	eachRow         = regexp.MustCompile(`(?i)^for each row (?:in|of) ` + filePattern + `, (?:email|send an email to) the address in the ([a-z_][a-z0-9_]*) column (?:saying|that says) '(.+)'$`)
	attachedSend    = regexp.MustCompile(`(?i)^send '(.+)' to ` + docAddress + ` with ` + filePattern + `((?: and ` + filePattern + `)*) attached(?:,? and (?:a copy to|cc) ` + docAddress + `)?$`)
	rowPlaceholder  = regexp.MustCompile(`\{([^{}]*)\}`)
	identifier      = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	clauseSplit     = regexp.MustCompile(`,? and |, `)
)

// documentPlan plans a program of one of the document forms; ok is false when the program is of none of
// them, and err is set when it is of one but a part is wrong (the part is quoted).
func documentPlan(program string) (*plan.Plan, bool, error) {
	src := strings.TrimSpace(program)
	src = strings.TrimSpace(strings.TrimSuffix(src, "."))
	if m := eachRow.FindStringSubmatch(src); m != nil {
		p, err := rowsPlan(program, m[1], m[2], m[3])
		return p, true, err
	}
	if m := attachedSend.FindStringSubmatch(src); m != nil {
		files := []any{m[3]}
		for _, f := range strings.Split(m[4], " and ") {
			if f = strings.TrimSpace(f); f != "" {
				files = append(files, f)
			}
		}
		m[1] = literal(m[1]) // the message is text, never an expression
		send := plan.Step{
			ID: stepSend, Command: email.SendEmail.Name, Description: fmt.Sprintf("Send %q to %s with %s attached.", abbreviate(m[1]), m[2], strings.Join(attachedNames(files), " and ")),
			Args: map[string]any{"to": m[2], "subject": firstLine(m[1]), "body": m[1], "attachments": files},
		}
		if cc := m[len(m)-1]; cc != "" {
			send.Args["cc"] = []any{cc}
			send.Description = strings.TrimSuffix(send.Description, ".") + ", with a copy to " + cc + "."
		}
		return &plan.Plan{Version: 1, Steps: []plan.Step{send}}, true, nil
	}
	clauses := clauseSplit.Split(src, -1)
	b := &docBuilder{}
	if !b.source(clauses[0]) {
		return nil, false, nil
	}
	for _, c := range clauses[1:] {
		if m := emailAction.FindStringSubmatch(c); m != nil && strings.EqualFold(m[1], "it") && (b.summary || b.has("trends")) {
			return nil, true, notUnderstood(program, c, `"it" could be the text read or what was made from it; say "email the summary", "email the trends" or "email the document"`)
		}
		if !b.action(c) {
			return nil, true, notUnderstood(program, c, "after reading a document or a page, the next parts may be: analyze it for trends, summarize it, email it to <address>")
		}
	}
	if len(clauses) == 1 && b.steps[len(b.steps)-1].Command != text.Summarize.Name {
		return nil, true, notUnderstood(program, program, "it reads but does nothing with what it read; add for example: and email it to bob@example.com")
	}
	return &plan.Plan{Version: 1, Steps: b.steps}, true, nil
}

// docBuilder builds the steps of a program that reads one document or page and acts on it.
type docBuilder struct {
	steps   []plan.Step
	read    string // the step that read the document or page
	it      string // the expression "it" names now
	itNoun  string // what "it" is, for descriptions
	subject string // the subject of an email of it
	name    string // the document's name, for subjects
	summary bool   // a summary was made
}

func (b *docBuilder) source(c string) bool {
	if m := readSource.FindStringSubmatch(c); m != nil {
		b.readDocument(m[1])
		return true
	}
	if m := summarizeSource.FindStringSubmatch(c); m != nil {
		b.readDocument(m[1])
		b.summarize()
		return true
	}
	if m := fetchSource.FindStringSubmatch(c); m != nil {
		b.read = "fetch"
		b.steps = append(b.steps, plan.Step{ID: "fetch", Command: web.FetchURL.Name, Description: fmt.Sprintf("Fetch the page %s.", m[1]), Args: map[string]any{"url": m[1]}})
		b.it, b.itNoun, b.subject = "${steps.fetch.text}", "the page", "${steps.fetch.title}"
		return true
	}
	return false
}

func (b *docBuilder) readDocument(file string) {
	b.read, b.name = "read", path.Base(file)
	b.steps = append(b.steps, plan.Step{ID: "read", Command: files.ReadDocument.Name, Description: fmt.Sprintf("Read the document %s.", file), Args: map[string]any{"path": file}})
	b.it, b.itNoun, b.subject = "${steps.read.text}", "the document", b.name
}

func (b *docBuilder) summarize() {
	src := fmt.Sprintf("${steps.%s.text}", b.read)
	b.steps = append(b.steps, plan.Step{ID: "summarize", Command: text.Summarize.Name, Description: "Summarize " + b.noun() + ".", Args: map[string]any{"text": src}, DependsOn: []string{b.read}})
	b.summary = true
}

func (b *docBuilder) noun() string {
	if b.read == "fetch" {
		return "the page"
	}
	return "the document " + b.name
}

func (b *docBuilder) has(id string) bool {
	for _, s := range b.steps {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (b *docBuilder) action(c string) bool {
	switch strings.ToLower(c) {
	case "analyze it for trends", "analyse it for trends", "find the trends in it":
		if b.has("trends") {
			return false
		}
		src := fmt.Sprintf("${steps.%s.text}", b.read)
		b.steps = append(b.steps, plan.Step{ID: "trends", Command: text.AnalyzeTrends.Name, Description: "Find the trends in " + b.noun() + ".", Args: map[string]any{"text": src}, DependsOn: []string{b.read}})
		return true
	case "summarize it", "summarise it":
		if b.summary {
			return false
		}
		b.summarize()
		return true
	}
	m := emailAction.FindStringSubmatch(c)
	if m == nil || b.has(stepSend) {
		return false
	}
	body, deps := b.it, []string{b.read}
	switch strings.ToLower(m[1]) {
	case "the summary":
		if !b.summary {
			return false
		}
		body, deps = "${steps.summarize.summary}", []string{"summarize"}
	case "the trends":
		if !b.has("trends") {
			return false
		}
		body, deps = "${steps.trends.report}", []string{"trends"}
	case "the page":
		if b.read != "fetch" {
			return false
		}
	case "the document", "the text":
		if b.read != "read" {
			return false
		}
	}
	subject := b.subject
	if body == "${steps.summarize.summary}" && b.read == "read" {
		subject = "Summary of " + b.name
	}
	var to any = m[2]
	whom := m[2]
	if m[3] != "" {
		b.steps = append(b.steps, plan.Step{ID: "find", Command: contacts.FindContact.Name, Description: fmt.Sprintf("Find your contact %s; if several contacts or none have the name, ask which address.", m[3]), Args: map[string]any{"name": m[3]}})
		to, whom, deps = "${steps.find.contact}", m[3], append(deps, "find")
	}
	b.steps = append(b.steps, plan.Step{ID: stepSend, Command: email.SendEmail.Name, Description: fmt.Sprintf("Send %s to %s.", strings.ToLower(m[1]), whom),
		Args: map[string]any{"to": to, "subject": subject, "body": body}, DependsOn: deps})
	return true
}

// rowsPlan plans "for each row in <table>, email the address in the <column> column saying '<message>'":
// each {column} in the message becomes that row's cell, as text (never code), and a literal "${" stays text.
func rowsPlan(program, file, column, message string) (*plan.Plan, error) {
	if strings.Contains(message, "${") {
		return nil, notUnderstood(program, message, "a message to each row fills {column} placeholders only; write it without ${")
	}
	var bad string
	body := rowPlaceholder.ReplaceAllStringFunc(message, func(ph string) string {
		name := strings.TrimSpace(ph[1 : len(ph)-1])
		if !identifier.MatchString(name) {
			if bad == "" {
				bad = ph
			}
			return ph
		}
		return "${row." + name + "}"
	})
	if bad != "" {
		return nil, notUnderstood(program, bad, "a placeholder names one column of the table, in lower case letters, digits and _, for example {order}")
	}
	return &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "rows", Command: files.ReadTable.Name, Description: fmt.Sprintf("Read the rows of %s.", file), Args: map[string]any{"path": file}},
		{ID: stepSend, Command: email.SendEmail.Name, Description: fmt.Sprintf("Send it to the address in the %s column of each row.", column),
			Args:      map[string]any{"to": "${row." + column + "}", "subject": firstLine(body), "body": body},
			DependsOn: []string{"rows"}, ForEach: &plan.ForEach{Items: "${steps.rows.rows}", As: "row"}},
	}}, nil
}

func attachedNames(files []any) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.(string))
	}
	return out
}
