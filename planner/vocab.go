package planner

import (
	"slices"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/email"
)

// Form is one English form, as people read it in docs/english.md, `eaapl plan --help` and error messages.
type Form struct {
	Pattern string // the form with its parts in angle brackets: "Send '<message>' to <recipients>"
	Example string // a whole program of the form, which the planner understands
}

// Vocabulary is the English one command contributes to the grammar: the words that name it, its arguments
// and its results. It is plain data with no dependencies, so that a command's own package can declare it
// next to its schema and hand it to the registry; the grammar reads only these lists.
type Vocabulary struct {
	Command string
	// Verbs start a statement that runs the command: "send", "email".
	Verbs []string
	// Objects are what a verb may take before its arguments: "an email", "a message", "it".
	Objects []string
	// Markers are the phrases that introduce an argument, by argument name: "body": "that says", ...
	// A quotation follows each marker.
	Markers map[string][]string
	// Joined are the markers that may follow "and" without their "with": "and the subject 'News'".
	Joined map[string][]string
	// Nouns name the command's result, a list of items: "contacts", "contact list".
	Nouns []string
	// Quantifiers are the phrases before a noun that mean every item: "each of my", "all my".
	Quantifiers []string
	// Actions are the past participles for a condition on the command's record: "emailed", "written to".
	Actions []string
	// Refer are phrases that name one item by the words after them: "my contact".
	Refer []string
	// List, when the command's result is a list that "each", "every", "all" and the filters go over.
	List  *List
	Forms []Form
}

// List is a list a command's result holds: the contacts today; rows of a table and lines of a file are
// meant to come in the same way, each with its own nouns and fields.
type List struct {
	Output string // the output field that holds the list: "contacts"
	Item   string // what one item is called in the plan's expressions: "contact"
	Name   string // the item's field a name filter ("named John", "except Bob") reads: "name"
	Email  string // the item's field an address filter ("at acme.com") reads: "email"
}

// vocabularies are the English forms of today's commands. They live here until each command's package
// declares its own and the registry hands them to the planner (issue 11).
var vocabularies = []Vocabulary{
	{
		Command: contacts.RetrieveContacts.Name,
		Nouns:   []string{"contacts", "contact list", "address book"},
		List:    &List{Output: "contacts", Item: "contact", Name: "name", Email: "email"},
		Quantifiers: []string{
			"each of my", "each one of my", "every one of my", "all my", "all of my", "everyone in my",
			"everybody in my", "everyone on my", "everybody on my", "my", "my whole", "anyone in my", "anybody in my",
		},
		Forms: []Form{
			{"<contacts> is each of my contacts, all (of) my contacts, everyone in my contacts or every contact", "Send 'Hi' to each of my contacts"},
			{"<contacts> at <domain>, whose name starts with <letters>, named <name>, except <names>", "Send 'Office closed' to my contacts at acme.com except Dave"},
			{"the first <N> of <contacts>", "Send 'Hi' to the first 10 of my contacts"},
		},
	},
	{
		Command: contacts.FindContact.Name,
		Refer:   []string{"my contact"},
		Forms: []Form{
			{"Send '<message>' to my contact <name>", "Send 'Lunch?' to my contact John"},
		},
	},
	{
		Command: email.CheckEmailHistory.Name,
		Actions: []string{"emailed", "email", "sent an email to", "written to", "contacted"},
		Forms: []Form{
			{"Send an email to <contacts> if I haven't emailed them <time> that says '<message>'", "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"},
			{"Email <contacts> who I haven't emailed <time> with the message '<message>'", "Email all my contacts who I haven't emailed in the last 30 days with the message 'Long time!'"},
			{"For each of my contacts, if I haven't emailed them <time>, send them an email saying '<message>'", "For each of my contacts, if I haven't emailed them today, send them an email saying 'Hi'"},
			{"If I haven't emailed <address> <time>, send her '<message>'", "If I haven't emailed alice@example.com this month, send her 'Long time no see'"},
			{"<contacts> who I emailed <time>", "Send 'Thanks' to my contacts who I emailed last month"},
		},
	},
	{
		Command: email.ComposeEmail.Name,
		Markers: map[string][]string{
			"body":    {"that says", "which says", "saying", "that reads", "which reads", "to say", "with the message", "with message", "with the text", "with the body", "the text"},
			"subject": {"with the subject", "with the subject line", "with a subject", "with a subject line", "with subject", "with subject line"},
		},
		Joined: map[string][]string{
			"body":    {"the message", "message", "the text", "the body", "body", "say"},
			"subject": {"the subject", "the subject line", "subject", "subject line"},
		},
		Forms: []Form{
			{"any of these with the subject '<subject>'", "Send 'See you at 8' to ann@example.com with the subject 'Dinner'"},
			{"any of these without the message: the program asks for it when it runs", "Send it to my contact John"},
			{"'<message>' with {name}, {first name} or {email}: filled for each recipient", "Email each of my contacts saying 'Dear {first name}, thank you for this year'"},
		},
	},
	{
		Command: email.SendEmail.Name,
		Verbs:   []string{"send", "email", "write", "drop a line", "message", "remind", "reach out to"},
		Objects: []string{"email", "emails", "message", "messages", "note", "mail", "a email", "a emails", "a message", "a messages", "a note", "a mail", "an email", "an emails", "an message", "an messages", "an note", "an mail", "it", "this"},
		Forms: []Form{
			{"Send an email to <recipients> that says '<message>'", "Send an email to each of my contacts that says 'Hello World!'"},
			{"Send '<message>' to <recipients>", "Send 'Lunch?' to bob@example.com"},
			{"Email <recipients> saying '<message>'", "Email everyone in my contacts saying 'Happy new year'"},
		},
	},
}

// languageForms are the forms of the language itself: sequence, time, answers and schedules.
var languageForms = []Form{
	{"<statement>, then <statement> (also: and then, after that, ; or a new sentence)", "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com"},
	{"<when> <statement>, or <statement> <when>", "Tomorrow at 8am send 'Good morning' to bob@example.com"},
	{"Wait <duration>, then <statement>", "Wait 10 minutes, then send 'Ready?' to bob@example.com"},
	{"<statement> and if he doesn't reply within <duration>, send it again", "Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again"},
	{"How many of <contacts> haven't I emailed <time>?", "How many of my contacts haven't I emailed this week?"},
	{"List <contacts> (also: show me, tell me)", "List the contacts I haven't emailed this month"},
	{"Every <day> at <clock>, <program>", "Every weekday at 9am, send 'Daily digest' to each of my contacts"},
	{"<contacts> gets '<message>' (also: get, should get, receives)", "Everyone in my contacts at acme.com gets 'The office is closed on Friday'"},
	{"Call them <name> (also: save them as <name>); later: to the <name>", "List my contacts at acme.com and call them the acme people. Send 'Office closed' to the acme people."},
	{"<recipients> is <contacts>, my contact <name>, them, her, him, or addresses: bob@example.com, or bob@example.com and ann@example.com", "Send 'Hi' to ann@example.com and bob@example.com"},
	{"<time> is today, this week, this month, last week, last month, in the last N days or weeks, since the start of the week or month", "Email my contacts who I haven't emailed today saying 'Hi'"},
	{"<when> is in N minutes/hours/days, at 5pm, tomorrow at 8am, on Friday at 9 (24-hour: 9 is 09:00)", "Send 'Hi' to bob@example.com on Friday at 9"},
	{"<day> is day, weekday, Monday ... Sunday; or: on the 1st of every month at <clock>", "Every Monday at 9am, send 'Weekly report?' to bob@example.com"},
}

// lexicon is the words of the grammar, gathered from the vocabularies once.
type lexicon struct {
	verbs, objects, nouns, quantifiers, actions, refer []string
	markers, joined                                    map[string][]string
}

func gather(vs []Vocabulary) lexicon {
	lx := lexicon{markers: map[string][]string{}, joined: map[string][]string{}}
	for _, v := range vs {
		lx.verbs = append(lx.verbs, v.Verbs...)
		lx.objects = append(lx.objects, v.Objects...)
		lx.nouns = append(lx.nouns, v.Nouns...)
		lx.quantifiers = append(lx.quantifiers, v.Quantifiers...)
		lx.actions = append(lx.actions, v.Actions...)
		lx.refer = append(lx.refer, v.Refer...)
		for k, m := range v.Markers {
			lx.markers[k] = append(lx.markers[k], m...)
		}
		for k, m := range v.Joined {
			lx.joined[k] = append(lx.joined[k], m...)
		}
	}
	return lx
}

var words = gather(vocabularies)

// contactList is the list "my contacts" names, and the command that gets it.
var contactList, contactCommand = findList(vocabularies, "contacts")

func findList(vs []Vocabulary, noun string) (List, string) {
	for _, v := range vs {
		if v.List != nil && slices.Contains(v.Nouns, noun) {
			return *v.List, v.Command
		}
	}
	panic("planner: no vocabulary gives the list " + noun) // the table above is constant: every test sees this
}

// allForms returns the forms of the commands, then those of the language.
func allForms() []Form {
	var out []Form
	for _, v := range vocabularies {
		out = append(out, v.Forms...)
	}
	out = append(out, documentForms...)
	return append(out, languageForms...)
}
