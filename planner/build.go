package planner

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/plan"
)

// periodKind is the kind of a time phrase.
type periodKind int

const (
	today     periodKind = iota // since 00:00 today
	thisWeek                    // since Monday 00:00
	thisMonth                   // since the 1st 00:00
	lastDays                    // since now minus days × 24 hours
)

// period is a time phrase, "this week", not yet resolved.
type period struct {
	kind periodKind
	days int // for lastDays
}

// since resolves the period against now, in now's location.
func (p period) since(now time.Time) time.Time {
	y, m, d := now.Date()
	switch p.kind {
	case today:
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	case thisWeek:
		back := (int(now.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, now.Location())
	case thisMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	default:
		return now.Add(-time.Duration(p.days) * 24 * time.Hour)
	}
}

// program is what a sentence asks for, checked: whom, what, and on what condition.
type program struct {
	contacts  bool     // every contact, RetrieveContacts's list
	addresses []string // or these addresses
	name      string   // or the contact with this name
	message   string   // empty: the program asks the user for it when it runs
	subject   string   // empty: ComposeEmail takes the first line of the message
	condition *period  // send only to contacts not emailed in this period
}

// resolve checks the clauses of a sentence against each other: one of each, "them" only after "For each
// of my contacts", conditions only on contacts.
func resolve(s *sentence) (*program, *failure, error) {
	var named *recipientClause
	for i := range s.recipients {
		r := &s.recipients[i]
		switch {
		case r.them && s.forEach == nil:
			return nil, &failure{from: r.from, to: r.to, why: "it does not say who they are; start with \"For each of my contacts,\" or write \"to each of my contacts\""}, nil
		case r.them:
			continue
		case s.forEach != nil:
			return nil, &failure{from: r.from, to: r.to, why: "the program already says \"For each of my contacts\"; write \"them\" instead"}, nil
		case named != nil:
			return nil, &failure{from: r.from, to: r.to, why: "the program already says whom to email; name the recipients once"}, nil
		}
		named = r
	}
	for _, q := range []struct {
		what string
		list []quoteClause
	}{{"message", s.messages}, {"subject", s.subjects}} {
		if len(q.list) > 1 {
			return nil, &failure{from: q.list[1].from, to: q.list[1].to, why: fmt.Sprintf("the program already gives the %s %q; give one", q.what, q.list[0].text)}, nil
		}
	}
	if len(s.conditions) > 1 {
		return nil, &failure{from: s.conditions[1].from, to: s.conditions[1].to, why: "the program already has a condition; give one"}, nil
	}

	prog := &program{contacts: s.forEach != nil}
	if named != nil {
		prog.contacts = named.contacts
		prog.addresses = dedupe(named.addresses)
		prog.name = named.name
	}
	if len(s.conditions) == 1 {
		c := s.conditions[0]
		if !prog.contacts {
			return nil, &failure{from: c.from, to: c.to, why: "a condition on whom you have emailed works only with your contacts, not with addresses"}, nil
		}
		prog.condition = &c.period
	}
	if len(s.subjects) == 1 {
		q := s.subjects[0]
		if strings.TrimSpace(q.text) == "" {
			return nil, &failure{from: q.from, to: q.to, why: "the subject is empty; write it between the quotes"}, nil
		}
		if strings.ContainsAny(q.text, "\r\n") {
			return nil, &failure{from: q.from, to: q.to, why: "a subject must be one line"}, nil
		}
		prog.subject = q.text
	}
	hasWhom := prog.contacts || len(prog.addresses) > 0 || prog.name != ""
	switch {
	case !hasWhom && len(s.messages) == 0:
		return nil, nil, fmt.Errorf("the program says neither whom to email nor what to say: write, for example, %s", example)
	case len(s.messages) == 0:
		return prog, nil, nil // ComposeEmail asks the user what to say when the program runs
	case !hasWhom:
		return nil, nil, fmt.Errorf("the program says what to say but not whom to email: add to each of my contacts, or an address such as to bob@example.com")
	}
	q := s.messages[0]
	if strings.TrimSpace(q.text) == "" {
		return nil, &failure{from: q.from, to: q.to, why: "the message is empty; write it between the quotes"}, nil
	}
	prog.message = q.text
	return prog, nil, nil
}

// example is a whole program, for error messages.
const example = `"Send an email to each of my contacts that says 'Hello World!'"`

// dedupe drops repeated addresses (ignoring case), keeping the first.
func dedupe(addrs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// The step ids, and the name of the item in a for_each send.
const (
	stepContacts = "contacts"
	stepHistory  = "history"
	stepCompose  = "compose"
	stepFind     = "find"
	stepSend     = "send"
	itemName     = "contact"
)

// build writes the plan of a program. now is in the zone that time phrases are in.
func build(prog *program, text string, now time.Time) *plan.Plan {
	p := &plan.Plan{Version: plan.Version, Program: text}
	send := plan.Step{
		ID:      stepSend,
		Command: email.SendEmail.Name,
		Args: map[string]any{
			"to":      "${" + itemName + "}",
			"subject": "${steps." + stepCompose + ".subject}",
			"body":    "${steps." + stepCompose + ".body}",
		},
	}
	switch {
	case prog.contacts:
		p.Steps = append(p.Steps, plan.Step{ID: stepContacts, Command: contacts.RetrieveContacts.Name, Description: "Get your contacts."})
		send.ForEach = &plan.ForEach{Items: "${steps." + stepContacts + ".contacts}", As: itemName}
		send.DependsOn = []string{stepContacts, stepCompose}
		send.Description = "Send it to each contact."
	case prog.name != "":
		p.Steps = append(p.Steps, plan.Step{
			ID:          stepFind,
			Command:     contacts.FindContact.Name,
			Description: fmt.Sprintf("Find your contact %s; if several contacts or none have the name, ask which address.", prog.name),
			Args:        map[string]any{"name": literal(prog.name)},
		})
		send.Args["to"] = "${steps." + stepFind + ".contact}"
		send.DependsOn = []string{stepFind, stepCompose}
		send.Description = fmt.Sprintf("Send it to %s.", prog.name)
	case len(prog.addresses) == 1:
		send.Args["to"] = map[string]any{"name": "", "email": prog.addresses[0]}
		send.DependsOn = []string{stepCompose}
		send.Description = fmt.Sprintf("Send it to %s.", prog.addresses[0])
	default:
		// The addresses match addressPattern, so they need no escaping inside CEL's single quotes.
		items := make([]string, len(prog.addresses))
		for i, a := range prog.addresses {
			items[i] = fmt.Sprintf("{'name': '', 'email': '%s'}", a)
		}
		send.ForEach = &plan.ForEach{Items: "${[" + strings.Join(items, ", ") + "]}", As: itemName}
		send.DependsOn = []string{stepCompose}
		send.Description = fmt.Sprintf("Send it to %s.", andList(prog.addresses))
	}
	if prog.condition != nil {
		since := prog.condition.since(now)
		p.Steps = append(p.Steps, plan.Step{
			ID:          stepHistory,
			Command:     email.CheckEmailHistory.Name,
			Description: fmt.Sprintf("Find which of them you have emailed since %s.", day(since, now)),
			Args: map[string]any{
				"contacts": "${steps." + stepContacts + ".contacts}",
				"since":    since.Format(time.RFC3339),
				"until":    ceilSecond(now).Format(time.RFC3339),
			},
			DependsOn: []string{stepContacts},
		})
		send.If = "!(" + itemName + ".email in steps." + stepHistory + ".emailed)"
		send.DependsOn = []string{stepHistory, stepCompose}
		send.Description = fmt.Sprintf("Send it to each contact you have not emailed since %s.", day(since, now))
		send.SkipReason = fmt.Sprintf("you emailed them since %s", day(since, now))
	}
	compose := plan.Step{
		ID:          stepCompose,
		Command:     email.ComposeEmail.Name,
		Description: fmt.Sprintf("Write the message %q.", abbreviate(prog.message)),
		Args:        map[string]any{"body": literal(prog.message)},
	}
	if prog.message == "" {
		compose.Description = "Ask you what the message says, and write it."
	}
	if prog.subject != "" {
		compose.Description = fmt.Sprintf("Write the message %q with the subject %q.", abbreviate(prog.message), abbreviate(prog.subject))
		compose.Args["subject"] = literal(prog.subject)
	}
	p.Steps = append(p.Steps, compose, send)
	return p
}

// literal escapes text for a plan argument, where "${" would start an expression: "$${" is a literal "${".
func literal(text string) string { return strings.ReplaceAll(text, "${", "$${") }

// day names the start of a range for people: "Monday 23 November", with the time when it is not
// midnight and the year when it is not now's.
func day(t, now time.Time) string {
	layout := "Monday 2 January"
	if t.Year() != now.Year() {
		layout += " 2006"
	}
	if t.Hour() != 0 || t.Minute() != 0 {
		layout = "15:04 on " + layout
	}
	return t.Format(layout)
}

// abbreviate shortens a long text for a description.
func abbreviate(text string) string {
	const max = 60
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	return string([]rune(text)[:max-1]) + "…"
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ceilSecond rounds up to a whole second, so that a range "until now" written in seconds still covers now:
// an email sent a moment before the program started counts as sent.
func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}
