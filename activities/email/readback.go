package email

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

// notEmailedCond is the condition the rule-based planner writes for "if I haven't emailed them".
var notEmailedCond = regexp.MustCompile(`^\s*!\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\.email\s+in\s+steps\.([a-z][a-z0-9_]*)\.emailed\s*\)\s*$`)

// readBackSend says what a SendEmail step does, for the shapes the planners write: the message of a
// ComposeEmail step, to one address or contact, or to each item of a list, maybe only those not emailed
// in a range.
func readBackSend(r catalog.Reading) string {
	text := readBackMessage(r)
	if text == "" {
		return ""
	}
	s := r.Step()
	var extra []string
	if files, ok := literalList(s.Args["attachments"], r.Text); !ok {
		return ""
	} else if len(files) > 0 {
		extra = append(extra, "with "+andList(files)+" attached")
	}
	if cc, ok := literalList(s.Args["cc"], r.Address); !ok {
		return ""
	} else if len(cc) > 0 {
		extra = append(extra, "with a copy to "+andList(cc))
	}
	if len(extra) == 0 {
		return text
	}
	// "Send it to bob@example.com with notes.md attached and a copy to ann@example.com.": no comma
	// before "with", but after a clause that has one (", only if ..."), which "with" would read as part of.
	sep := " "
	if strings.Contains(text, ", ") {
		sep = ", "
	}
	with := strings.Join(extra, " and ")
	if len(extra) == 2 {
		with = extra[0] + " and " + strings.TrimPrefix(extra[1], "with ")
	}
	return strings.TrimSuffix(text, ".") + sep + with + "."
}

// literalList is a literal list as an argument writes it, each item read by read (the reading's Text or
// Address); none when the argument is absent.
func literalList(v any, read func(any) (string, bool)) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, item := range list {
		if out[i], ok = read(item); !ok {
			return nil, false
		}
	}
	return out, true
}

// what says what a SendEmail step sends: "it" (the message of the step before), "the message of step
// 2", "the summary (step 2)" or the text itself, with its subject when that is not a ComposeEmail's.
func what(r catalog.Reading, s catalog.StepView) (string, bool) {
	subjSrc, subjField, ok1 := r.Ref(s.Args["subject"])
	bodySrc, bodyField, ok2 := r.Ref(s.Args["body"])
	if ok1 && ok2 && subjSrc.ID == bodySrc.ID && subjSrc.Command == ComposeEmail.Name && subjField == "subject" && bodyField == "body" {
		if subjSrc.Number != s.Number-1 {
			return fmt.Sprintf("the message of step %d", subjSrc.Number), true
		}
		return "it", true
	}
	var body string
	if src, words, ok := r.Result(s.Args["body"]); ok && words.Noun != "" {
		body = fmt.Sprintf("%s (step %d)", words.Noun, src.Number)
	} else if t, ok := s.Args["body"].(string); ok {
		if text, fills, ok := template(r, s, t); ok {
			body = text + " " + fills
			if s.Args["subject"] == t { // the subject is the message's own first line
				return body, true
			}
		} else if body, ok = r.Words(t); !ok { // a literal, or a text with expressions said in words
			return "", false
		} else if s.Args["subject"] == t {
			return body, true // the subject is the message itself (its only line): said once
		}
	} else {
		return "", false
	}
	subject, ok := s.Args["subject"].(string)
	if !ok {
		return "", false
	}
	if text, fills, ok := template(r, s, subject); ok {
		return fmt.Sprintf("%s with the subject %s %s", body, text, fills), true
	}
	if _, _, isRef := r.Ref(subject); isRef {
		return body, true
	}
	words, ok := r.Words(subject)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s with the subject %s", body, words), true
}

// template is a text with the for_each item's fields written as placeholders, quoted, and what fills
// them: "\"Hi {first name}\"", "(each contact's first name filled in)".
func template(r catalog.Reading, s catalog.StepView, text string) (string, string, bool) {
	t, fills, ok := r.Template(text)
	if !ok {
		return "", "", false
	}
	if s.ForEach == nil {
		// One recipient a step found: "(the contact's first name filled in)".
		if _, words, ok := r.Result(s.Args["to"]); ok && words.Each == "" && words.Noun != "" {
			return fmt.Sprintf("%q", t), fmt.Sprintf("(%s's %s filled in)", words.Noun, andList(fills)), true
		}
		return "", "", false
	}
	var each string
	if sel, ok := r.Selection(); ok {
		each = sel.Words.Each
	} else if _, words, ok := r.Result(s.ForEach.Items); ok {
		each = words.Each
	} else if _, ok := r.Addresses(s.ForEach.Items); ok {
		each = "recipient" // "Send 'Hi {email}' to bob@example.com and ann@example.com"
	}
	if each == "" {
		return "", "", false
	}
	return fmt.Sprintf("%q", t), fmt.Sprintf("(each %s's %s filled in)", each, andList(fills)), true
}

// selected says the items a for_each step goes to from its selection: "each of your contacts at
// acme.com", "the first 10 of your contacts"; "" for a shape the reading does not know.
func selected(r catalog.Reading) string {
	sel, ok := r.Selection()
	if !ok {
		return ""
	}
	whom := "each of " + sel.Words.Noun
	if sel.First > 0 {
		whom = fmt.Sprintf("the first %d of %s", sel.First, sel.Words.Noun)
	}
	if sel.From.Number != 1 {
		whom += fmt.Sprintf(" (step %d)", sel.From.Number)
	}
	if sel.Filter != "" {
		whom += " " + sel.Filter
	}
	return whom
}

// itemField is the field of the for_each item a value reads, as in "${row.email}".
var itemField = regexp.MustCompile(`^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$`)

func readBackMessage(r catalog.Reading) string {
	s := r.Step()
	what, ok := what(r, s)
	if !ok {
		return ""
	}
	var whom string
	if s.ForEach != nil {
		if to, _ := s.Args["to"].(string); itemField.MatchString(to) {
			m := itemField.FindStringSubmatch(to)
			sel, ok := r.Selection()
			if m[1] != s.ForEach.As || !ok {
				return ""
			}
			each := fmt.Sprintf("each %s of step %d", sel.Words.Each, sel.From.Number)
			if sel.First > 0 {
				each = fmt.Sprintf("each of the first %d %ss of step %d", sel.First, sel.Words.Each, sel.From.Number)
			}
			if sel.Filter != "" {
				each += " " + sel.Filter
			}
			return fmt.Sprintf("Send %s to the address in the %s column of %s.", what, m[2], each)
		}
	}
	switch {
	case s.ForEach == nil:
		if s.If != "" {
			return readBackIfNoReply(r, what)
		}
		if src, words, ok := r.Result(s.Args["to"]); ok && words.Each == "" && words.Noun != "" {
			return fmt.Sprintf("Send %s to %s of step %d.", what, words.Noun, src.Number)
		}
		addr, ok := r.Address(s.Args["to"])
		if !ok {
			return ""
		}
		if to, isMap := s.Args["to"].(map[string]any); isMap {
			// "Bob <bob@example.com>": the name shown with the address, when the plan gives one as text.
			if name, _ := to["name"].(string); strings.TrimSpace(name) != "" && !strings.Contains(name, "${") {
				addr = fmt.Sprintf("%s <%s>", strings.ReplaceAll(name, "$${", "${"), addr)
			}
		}
		return fmt.Sprintf("Send %s to %s.", what, addr)
	case !r.IsItem(s.Args["to"]):
		return ""
	default:
		if addrs, ok := r.Addresses(s.ForEach.Items); ok {
			whom = andList(addrs)
			break
		}
		src, words, ok := r.Result(s.ForEach.Items)
		if !ok || words.Each == "" {
			return sendToSelected(r, what)
		}
		whom = "each " + words.Each
		if src.Number != 1 {
			whom = fmt.Sprintf("each of %s (step %d)", words.Noun, src.Number)
		}
	}
	if s.If == "" {
		return fmt.Sprintf("Send %s to %s.", what, whom)
	}
	m := notEmailedCond.FindStringSubmatch(s.If)
	if m == nil || m[1] != s.ForEach.As {
		return sendToSelected(r, what)
	}
	hist, ok := r.StepByID(m[2])
	if !ok || hist.Command != CheckEmailHistory.Name {
		return ""
	}
	// A window that ends before now ("last month") is said by its first and last day, as the history step says it.
	window, ok := catalog.SayWindow(r.Time, r.IsNow, hist.Args["since"], hist.Args["until"])
	if !ok {
		return ""
	}
	return fmt.Sprintf("Send %s to %s you have not emailed %s.", what, whom, window)
}

// sendToSelected says a send to the items of a selection; "" when the selection is not known.
func sendToSelected(r catalog.Reading, what string) string {
	whom := selected(r)
	if whom == "" {
		return ""
	}
	return fmt.Sprintf("Send %s to %s.", what, whom)
}

// noReplyCond is the condition the rule-based planner writes for "if he doesn't reply": the await_reply
// step's replied output is false.
var noReplyCond = regexp.MustCompile(`^\s*!\s*steps\.([a-z][a-z0-9_]*)\.replied\s*$`)

// readBackIfNoReply says what a send that runs only without a reply does: "If bob@example.com has not
// replied by then, send the message of step 1 to bob@example.com again."; "" for any other condition.
func readBackIfNoReply(r catalog.Reading, what string) string {
	s := r.Step()
	m := noReplyCond.FindStringSubmatch(s.If)
	if m == nil {
		return ""
	}
	wait, ok := r.StepByID(m[1])
	if !ok || wait.Command != "" { // the wait is a construct, not a command
		return ""
	}
	addr, ok := r.Address(s.Args["to"])
	if !ok {
		return ""
	}
	// The reply is the awaited person's, who need not be the one this email goes to; "again" only when
	// it is the same email to the same person.
	first, _, sentBefore := r.Ref(wait.Args["to"])
	who := "the person emailed before"
	if sentBefore {
		who = fmt.Sprintf("the person step %d emailed", first.Number)
	}
	if from, ok := r.Address(wait.Args["from"]); ok {
		who = from
	}
	if firstTo, _ := r.Address(first.Args["to"]); sentBefore && firstTo == addr && who == addr &&
		first.Args["body"] == s.Args["body"] && first.Args["subject"] == s.Args["subject"] {
		return fmt.Sprintf("If %s has not replied by then, send %s to %s again.", addr, what, addr)
	}
	return fmt.Sprintf("If %s has not replied by then, send %s to %s.", who, what, addr)
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
