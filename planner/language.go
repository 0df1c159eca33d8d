package planner

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/eaapl/eaapl/catalog"
)

// Form is one English form, as people read it in docs/english.md, `eaapl plan --help` and error messages.
type Form struct {
	Pattern string // the form with its parts in angle brackets: "Send '<message>' to <recipients>"
	Example string // a whole program of the form, which the planner understands
}

// languageForms are the forms of the language itself: sequence, iteration, conditions, time, answers and
// schedules. The commands' own forms come from the registry (catalog.Forms.Examples).
var languageForms = []Form{
	{"Please <statement> (also: could you, can you, hey, just, I want to, I'd like to; please or thanks at the end): the polite words add nothing", "Could you please send 'Hi' to bob@example.com? Thanks!"},
	{"Email <recipients>. Say '<message>'. (also: Tell him, her or them '<message>'): the message of the email just before, which has none", "Email ann@example.com. Say 'Hi there'."},
	{"<statement>, then <statement> (also: and then, after that, ; or a new sentence)", "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com"},
	{"First <statement>. Next, <statement>. Finally, <statement> (also: afterwards, lastly; then, or after that, at a sentence's start): the same as then", "First send 'A' to ann@example.com. Next, send 'B' to bob@example.com. Finally, send 'C' to carl@example.com"},
	{"<statement> and <verb> ...: and before send, email, wait, read ... starts the next statement", "Send 'Hello' to alice@example.com and send 'Bye' to bob@example.com"},
	{"<step> and <step>: a command's statement, then what to do with its result (it, the summary ...)", "Read todo.txt and email it to bob@example.com, then send 'Done' to alice@example.com"},
	{"For each row in <table> [where <column> is <value>], <statement> ({column} fills a row's cell; the address in the <column> column)", "For each row in orders.xlsx where status is late, email the address in the email column saying 'Order {order} is late'"},
	{"For each line in <file>, send '<message>' to it (each line that is not blank is an address)", "For each line in emails.txt, send 'Hi' to it"},
	{"If there are more than <N> <things>, <statement> (also: fewer than, at least, no)", "List the files matching *.csv. If there are more than 5 files, send 'Many files' to bob@example.com"},
	{"If <result> contains '<text>', <statement> (also: does not contain, is '<text>')", "Fetch https://status.example.test/ and if the page contains 'down', email it to ops@example.com"},
	{"<when> <statement>, or <statement> <when>", "Tomorrow at 8am send 'Good morning' to bob@example.com"},
	{"<when>, <question> (also <when>, <step>): a wait, then the question or the step", "Tomorrow at 9am, tell me how many of my contacts I haven't emailed this week"},
	{"Wait <duration>, then <statement>", "Wait 10 minutes, then send 'Ready?' to bob@example.com"},
	{"Wait until <when>, then <statement>", "Wait until 8am tomorrow, then send 'Good morning' to bob@example.com"},
	{"<statement> and if he doesn't reply within <duration>, send it again", "Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again"},
	{"How many of <contacts> haven't I emailed <time>?", "How many of my contacts haven't I emailed this week?"},
	{"Which of <contacts> haven't I emailed <time>? (also: who haven't I emailed, which contacts did I email; which of <contacts> are at <domain>?)", "Which of my contacts haven't I emailed this week?"},
	{"List <contacts> (also: show me, tell me)", "List the contacts I haven't emailed this month"},
	{"Give me a list of <contacts> (also: show me a list of; how many contacts have I got, do I have at <domain>; show me everyone I haven't emailed <time>)", "Give me a list of my contacts I haven't emailed this month"},
	{"Every <day> at <clock>, <program>", "Every weekday at 9am, send 'Daily digest' to each of my contacts"},
	{"<statement> every <day> at <clock>: the schedule at the end of a program of one statement", "Send 'Daily digest' to my contacts every weekday at 9am"},
	{getForm, "Everyone in my contacts at acme.com gets 'The office is closed on Friday'"},
	{"my contact <name> gets '<message>', or <addresses> get '<message>'", "My contact Ann gets 'See you at 5'"},
	{"Call them <name> (also: save them as <name>); later: to the <name>", "List my contacts at acme.com and call them the acme people. Send 'Office closed' to the acme people."},
	{"<recipients> is <contacts>, my contact <name>, them, her, him, me (your address, EAAPL_USER_EMAIL), or addresses: bob@example.com, or bob@example.com and ann@example.com", "Send 'Hi' to ann@example.com and bob@example.com"},
	{"<name> <address> in angle brackets: the address, with the name shown in the email's To", "Send 'Hi' to Bob <bob@example.com>"},
	{"my first <N> contacts; at @<domain>; whose first name starts with <letters> or is <name>", "Send 'Hi' to my contacts at @acme.com whose first name starts with A"},
	{"<statement> if I haven't emailed her <time> (after one recipient; also: only if, if I have emailed, unless I emailed)", "Send 'Hi' to alice@example.com if I haven't emailed her this month"},
	{"<time> is today, yesterday, this week, this month, last week, last month, in the last N hours, days, weeks or months, since yesterday, since Monday, since 1 December, since the start of the week or month, for N days or weeks", "Email my contacts who I haven't emailed for 2 weeks saying 'Hi'"},
	{"<when> is in N seconds/minutes/hours/days, at 5pm, tomorrow at 8am, at 8am tomorrow, on Friday at 9 (24-hour: 9 is 09:00; 1 to 7 need am or pm)", "Send 'Hi' to bob@example.com on Friday at 9"},
	{"<when> is also this Friday or next Monday at <clock> (where it names one day), or on 24 December at <clock> (the month by name)", "Send 'Hi' to bob@example.com next Monday at 9am"},
	{"<when> is also tonight at 9, this morning at 10am, tomorrow evening at 7 (an hour alone in the evening is pm), at 7.30pm, at midnight (the end of that day), on Fri at 9am", "Tonight at 11 send 'Good night' to bob@example.com"},
	{"<duration> is also half an hour, an hour and a half, 1.5 hours (in whole minutes)", "In half an hour send 'Coffee?' to bob@example.com"},
	{"<day> is day, weekday, weekend, Monday ... Sunday (or Mon ... Sun); several times: at 9am and 5pm; or: on the 1st of every month at <clock>", "Every Monday at 9am, send 'Weekly report?' to bob@example.com"},
}

// language is the grammar's words, gathered from the registered commands' Forms: the sentence grammar's
// lists, the commands that play each part in it, and the commands' statements.
type language struct {
	verbs, objects, nouns, quantifiers, actions, refer []string
	markers, joined                                    map[string][]string
	// aroundVerbs are the verbs that go around their recipients, split at {to}: "let" and "know" of
	// "let {to} know".
	aroundVerbs [][2]string
	// madePhrases are the noun phrases that run a command inside another statement and stand for one
	// of its outputs: "a summary of {text}" (Results.Phrases).
	madePhrases []madePhrase

	// The commands of the sentence grammar, found by the words they give: the list "my contacts" is the
	// output of the command with a List; "my contact <name>" runs the one with Refer; a condition on
	// whom you emailed runs the one with Actions; a message is written by the one with Joined markers;
	// the verbs run the one with Verbs.
	list                                           catalog.ListWords
	listCommand, find, history, compose, sendEmail string
	textTest                                       string                 // the command that tests a text (Forms.Condition)
	textTestWords                                  catalog.ConditionWords // its arguments and outputs

	statements []statementForm
	// starts are the first words of the verbs and of the commands' statements, in the registry's order:
	// the verbs a refusal of an unknown one lists.
	starts []string
	// resultWords are the words for the results of the commands' statements: "it", "the summary".
	resultWords []string
	// reader is the statement "read {path}" of the command that reads a file's text, for a text slot
	// given a file name: "summarize notes.md" reads notes.md first.
	reader *statementForm
	forms  []Form // the commands' forms, then the language's

	// The phrases of the grammar. A clause parser tries all of a list and takes the longest match, so
	// that "with the subject line" wins over "with the subject".
	contactPhrases, answerPhrases, sendObjects           []string
	messageMarkers, joinedMessages                       []string
	subjectMarkers, joinedSubjects                       []string
	haveNotEmailed, haveEmailed, leadConditions          []string
	oneConditions, trailingConditions, positiveRelatives []string
	positiveIfs, onePositive, someonePhrases             []string
	questionNegative, questionPositive                   []string
	grammarWords, lineStarters                           map[string]bool
}

// loaded caches the language of the registry as it was when it was gathered: commands only ever join
// the registry (at start-up, or in a test), so its size says whether the cache is current.
var loaded struct {
	sync.Mutex
	specs int
	l     *language
}

// currentLanguage returns the language of the commands registered now.
func currentLanguage() *language {
	specs := catalog.Specs()
	loaded.Lock()
	defer loaded.Unlock()
	if loaded.l == nil || loaded.specs != len(specs) {
		loaded.l, loaded.specs = gather(specs), len(specs)
	}
	return loaded.l
}

// gather builds the language from the commands' Forms.
func gather(specs []*catalog.Spec) *language {
	l := &language{markers: map[string][]string{}, joined: map[string][]string{}}
	for _, s := range specs {
		f := s.Forms
		for _, v := range f.Verbs {
			if head, tail, around := strings.Cut(v, "{to}"); around {
				l.aroundVerbs = append(l.aroundVerbs, [2]string{strings.TrimSpace(head), strings.TrimSpace(tail)})
				continue
			}
			l.verbs = append(l.verbs, v)
		}
		l.objects = append(l.objects, f.Objects...)
		l.nouns = append(l.nouns, f.Nouns...)
		l.quantifiers = append(l.quantifiers, f.Quantifiers...)
		l.actions = append(l.actions, f.Actions...)
		l.refer = append(l.refer, f.Refer...)
		if len(f.Joined) > 0 {
			for k, m := range f.Args {
				l.markers[k] = append(l.markers[k], m...)
			}
			for k, m := range f.Joined {
				l.joined[k] = append(l.joined[k], m...)
			}
			l.compose = setOnce(l.compose, s.Name)
		}
		if f.List != nil {
			l.list, l.listCommand = *f.List, setOnce(l.listCommand, s.Name)
		}
		if len(f.Refer) > 0 {
			l.find = setOnce(l.find, s.Name)
		}
		if len(f.Actions) > 0 {
			l.history = setOnce(l.history, s.Name)
		}
		if len(f.Verbs) > 0 {
			l.sendEmail = setOnce(l.sendEmail, s.Name)
		}
		if f.Condition != nil {
			l.textTest, l.textTestWords = setOnce(l.textTest, s.Name), *f.Condition
		}
		for _, v := range f.Verbs {
			l.starts = addStart(l.starts, strings.Fields(strings.ReplaceAll(v, "{to}", "<recipients>")))
		}
		for _, st := range f.Statements {
			form := parseStatementForm(s, st)
			if !form.iterates() {
				var lead []string // the words before the first slot: "make a summary of"
				for _, part := range form.parts {
					if part.slot != "" {
						break
					}
					lead = append(lead, part.word)
				}
				l.starts = addStart(l.starts, lead)
			}
			l.statements = append(l.statements, form)
			if len(form.parts) == 2 && form.parts[0].word == "read" && form.parts[1].slot != "" && l.reader == nil {
				l.reader = &form
			}
		}
		if len(f.Statements) > 0 {
			for _, out := range slices.Sorted(maps.Keys(f.Results)) {
				l.resultWords = append(l.resultWords, f.Results[out].Words...)
				for _, ph := range f.Results[out].Phrases {
					mp := madePhrase{form: parseStatementForm(s, ph), output: out}
					mp.as = mp.form
					for _, st := range f.Statements {
						if form := parseStatementForm(s, st); slices.Equal(slotsOf(form), slotsOf(mp.form)) {
							mp.as = form
							break
						}
					}
					l.madePhrases = append(l.madePhrases, mp)
				}
			}
		}
		for _, e := range f.Examples {
			l.forms = append(l.forms, Form{Pattern: e.Pattern, Example: e.Program})
		}
	}
	l.forms = append(l.forms, languageForms...)
	// The longest statement first, so that "read the document {path}" wins over "read {path}".
	slices.SortStableFunc(l.statements, func(a, b statementForm) int { return len(b.parts) - len(a.parts) })
	slices.SortStableFunc(l.madePhrases, func(a, b madePhrase) int { return len(b.form.parts) - len(a.form.parts) })

	l.contactPhrases = concat(
		join(l.quantifiers, l.nouns),
		[]string{"all contacts"},
		join([]string{"every contact", "each contact"}, concat([]string{""}, join([]string{"in my"}, l.nouns), []string{"on my contact list"})),
	)
	l.answerPhrases = concat([]string{"contacts", "the contacts", "of my contacts", "of the contacts", "everyone", "everybody"}, join([]string{"of"}, l.contactPhrases))
	l.sendObjects = l.objects
	l.messageMarkers = l.markers["body"]
	l.joinedMessages = concat(l.messageMarkers, l.joined["body"])
	l.subjectMarkers = l.markers["subject"]
	l.joinedSubjects = concat(l.subjectMarkers, l.joined["subject"])
	l.haveNotEmailed = concat(join([]string{"have not", "have not yet", "did not"}, l.actions), join([]string{"have not"}, l.actions, []string{"yet"}))
	l.haveEmailed = join([]string{"", "have", "have already", "already"}, l.actions)
	l.leadConditions = concat(
		join([]string{"if i"}, l.haveNotEmailed, []string{"them"}),
		join([]string{"unless i"}, l.haveEmailed, []string{"them"}),
	)
	l.oneConditions = concat(join([]string{"if i"}, l.haveNotEmailed), join([]string{"unless i"}, l.haveEmailed))
	l.positiveIfs = join([]string{"if i"}, l.haveEmailed, []string{"them"})
	l.onePositive = join([]string{"if i"}, l.haveEmailed)
	l.someonePhrases = join([]string{"someone in my", "somebody in my", "someone on my", "somebody on my", "someone from my", "somebody from my"}, l.nouns)
	l.trailingConditions = concat(l.leadConditions, join([]string{"i", "who i", "whom i", "that i"}, l.haveNotEmailed),
		join([]string{"who", "that"}, []string{"has not", "have not"}, []string{"heard from me"}))
	l.positiveRelatives = join([]string{"who i", "whom i", "that i"}, []string{"emailed", "have emailed", "sent an email to", "wrote to", "have written to"})
	l.questionNegative = join([]string{"have not i", "have i not", "did i not", "i have not", "i did not", "who i have not", "who i did not", "that i have not"}, l.actions)
	l.questionPositive = join([]string{"have i", "did i", "who i", "who i have", "that i", "that i have", "i have", "i"}, l.actions)

	l.grammarWords = map[string]bool{}
	for _, w := range strings.Fields(`and or if unless on at in by for from to then after before when within
		tomorrow today tonight yesterday since myself this next last every each all everyone everybody anyone someone nobody
		who whom that which whose with without saying except named called again please possible
		a an the it them her him me my i you send email emails wait list show tell how many
		monday tuesday wednesday thursday friday saturday sunday weekday day week month
		contacts contact where`) {
		l.grammarWords[w] = true
	}
	for _, v := range l.verbs {
		l.grammarWords[v] = true
	}
	for _, v := range l.aroundVerbs {
		l.grammarWords[v[0]] = true
	}
	l.lineStarters = map[string]bool{"wait": true, "list": true, "show": true, "tell": true, "how": true, "then": true}
	for _, v := range l.verbs {
		l.lineStarters[strings.Fields(v)[0]] = true
	}
	for _, v := range l.aroundVerbs {
		l.lineStarters[strings.Fields(v[0])[0]] = true
	}
	for _, st := range l.statements {
		if len(st.parts) > 0 && st.parts[0].word != "" {
			l.lineStarters[st.parts[0].word] = true
		}
	}
	return l
}

// addStart adds the phrase of words to the starts, one for each first word: the words that all the
// phrases with that first word begin with ("get the page"; "find" for "find the files matching" and
// "find the trends in").
func addStart(starts []string, words []string) []string {
	if len(words) == 0 {
		return starts
	}
	for i, s := range starts {
		have := strings.Fields(s)
		if have[0] != words[0] {
			continue
		}
		n := 1
		for n < len(have) && n < len(words) && have[n] == words[n] {
			n++
		}
		for n > 1 && (have[n-1] == "the" || have[n-1] == "a" || have[n-1] == "an") {
			n--
		}
		starts[i] = strings.Join(have[:n], " ")
		return starts
	}
	return append(starts, strings.Join(words, " "))
}

// appendNew appends s to list when it is not in it.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// madePhrase is a noun phrase that runs a command and stands for one of its outputs: "a summary of
// {text}" is Summarize's summary.
type madePhrase struct {
	form   statementForm
	output string
	as     statementForm // the command's first statement with the same slots, which describes the step
}

// slotsOf is the slots of a form, in order.
func slotsOf(f statementForm) []string {
	var slots []string
	for _, p := range f.parts {
		if p.slot != "" {
			slots = append(slots, p.slot)
		}
	}
	return slots
}

// setOnce keeps the first command found for a part of the grammar.
func setOnce(have, name string) string {
	if have != "" {
		return have
	}
	return name
}
