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
	s := r.Step()
	subjSrc, subjField, ok1 := r.Ref(s.Args["subject"])
	bodySrc, bodyField, ok2 := r.Ref(s.Args["body"])
	if !ok1 || !ok2 || subjSrc.ID != bodySrc.ID || subjSrc.Command != ComposeEmail.Name || subjField != "subject" || bodyField != "body" {
		return ""
	}
	what := "it"
	if subjSrc.Number != s.Number-1 {
		what = fmt.Sprintf("the message of step %d", subjSrc.Number)
	}
	var whom string
	switch {
	case s.ForEach == nil:
		if s.If != "" {
			return ""
		}
		if src, words, ok := r.Result(s.Args["to"]); ok && words.Each == "" && words.Noun != "" {
			return fmt.Sprintf("Send %s to %s of step %d.", what, words.Noun, src.Number)
		}
		addr, ok := r.Address(s.Args["to"])
		if !ok {
			return ""
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
			return ""
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
		return ""
	}
	hist, ok := r.StepByID(m[2])
	if !ok || hist.Command != CheckEmailHistory.Name {
		return ""
	}
	since, ok := r.Time(hist.Args["since"])
	if !ok {
		return ""
	}
	return fmt.Sprintf("Send %s to %s you have not emailed since %s.", what, whom, since)
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
