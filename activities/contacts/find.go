package contacts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

type findArgs struct {
	Name  string `json:"name" eaapl:"required" desc:"a contact's name (full or first), or an email address"`
	Email string `json:"email" eaapl:"address" desc:"the address to use, found or confirmed by the user; set by an answer"`
}

type findOutput struct {
	Contact catalog.ContactValue `json:"contact" eaapl:"required" desc:"the contact"`
}

var FindContact = catalog.Define(catalog.Def[Deps, findArgs, findOutput]{
	Name:        "FindContact",
	Description: "Find the contact a name refers to; ask the user when several contacts or none have it.",
	SideEffect:  catalog.Reads,
	Timeout:     time.Minute,
	Retry:       catalog.DefaultRetry,
	Label:       catalog.Label{None: true},
	Run:         find,
	// A batch's items read the address book once between them.
	Session: func(d Deps) (Deps, func()) {
		d.once = &readOnce{}
		return d, func() {}
	},
	Hint: func(string) string { return "" },
	ReadBack: func(r catalog.Reading) string {
		// As the rule-based planner writes it: a name, no address yet.
		s := r.Step()
		name, ok := r.Text(s.Args["name"])
		if !ok || len(s.Args) != 1 {
			return ""
		}
		return fmt.Sprintf("Find your contact %q; ask you which address if several contacts or none have the name.", name)
	},
	Forms: catalog.Forms{
		Phrases: []string{"my contact {name}"},
		Args:    map[string][]string{"name": {"my contact"}},
		Results: map[string]catalog.ResultWords{"contact": {Noun: "the contact", Words: []string{"them", "him", "her"}}},
		Refer:   []string{"my contact"},
		Examples: []catalog.Example{
			{Pattern: "Send '<message>' to my contact <name>", Program: "Send 'Lunch?' to my contact John"},
		},
	},
})

// find finds the contact a name refers to, in the address book RetrieveContacts reads: the one contact
// with that full name, or else with that first name. When several have it, it asks which one (the answer
// is an address); when none has, it asks for an address. Given an address instead of a name, it asks to
// confirm one that is not in the contacts. An email argument (an answer) is used as it is.
func find(ctx context.Context, d Deps, args findArgs) (findOutput, error) {
	name := strings.Join(strings.Fields(args.Name), " ")
	if name == "" && args.Email == "" {
		return findOutput{}, catalog.Invalid("parameter %q must not be blank", "name")
	}
	b, err := d.once.read(ctx, d)
	if err != nil {
		return findOutput{}, err
	}
	contacts := b.contacts
	found := func(c catalog.ContactValue) (findOutput, error) { return findOutput{Contact: c}, nil }

	email := strings.TrimSpace(args.Email)
	if email == "" && strings.Contains(name, "@") {
		if c, ok := byEmail(contacts, name); ok {
			return found(c)
		}
		if err := validAddress(name); err != nil {
			return findOutput{}, catalog.Invalid("%q is not a valid email address: %v", name, err)
		}
		return findOutput{}, catalog.Ask(catalog.InputRequest{
			Question: fmt.Sprintf("%s is not in your contacts. Send to it anyway?", name),
			Kind:     catalog.InputChoice,
			Options:  []catalog.Option{{Value: "yes", Label: "send to " + name, Arg: name}},
			Param:    "email",
		})
	}
	if email != "" {
		if err := validAddress(email); err != nil {
			return findOutput{}, catalog.Invalid("%q is not a valid email address: %v", email, err)
		}
		if c, ok := byEmail(contacts, email); ok {
			return found(c)
		}
		return found(catalog.ContactValue{Name: name, Email: email, Source: "your answer"})
	}

	matches := byName(contacts, name)
	switch len(matches) {
	case 1:
		return found(matches[0])
	case 0:
		return findOutput{}, catalog.Ask(catalog.InputRequest{
			Question: fmt.Sprintf("No contact is named %s. What is %s's email address?", name, name),
			Kind:     catalog.InputAddress,
			Param:    "email",
		})
	}
	opts := make([]catalog.Option, len(matches))
	for i, c := range matches {
		opts[i] = catalog.Option{Value: c.Email, Label: fmt.Sprintf("%s <%s>", c.Name, c.Email)}
	}
	return findOutput{}, catalog.Ask(catalog.InputRequest{
		Question: fmt.Sprintf("%d contacts are named %s. Which one?", len(matches), name),
		Kind:     catalog.InputChoice,
		Options:  opts,
		Param:    "email",
	})
}

// validAddress checks an email address, bare or with a display name, and requires a domain.
func validAddress(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("it is empty")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return err
	}
	if at := strings.LastIndexByte(addr.Address, '@'); at < 0 || at == len(addr.Address)-1 {
		return errors.New("it has no domain")
	}
	return nil
}

// byEmail finds the contact with an address, in any case.
func byEmail(contacts []catalog.ContactValue, email string) (catalog.ContactValue, bool) {
	for _, c := range contacts {
		if strings.EqualFold(strings.TrimSpace(c.Email), email) {
			return c, true
		}
	}
	return catalog.ContactValue{}, false
}

// byName finds the contacts whose full name is name, in any case; when none is, those whose first name is.
func byName(contacts []catalog.ContactValue, name string) []catalog.ContactValue {
	var full, first []catalog.ContactValue
	for _, c := range contacts {
		words := strings.Fields(c.Name)
		switch {
		case strings.EqualFold(strings.Join(words, " "), name):
			full = append(full, c)
		case len(words) > 0 && strings.EqualFold(words[0], name):
			first = append(first, c)
		}
	}
	if len(full) > 0 {
		return full
	}
	return first
}

// readOnce is one read of the address book that the items of one batch share: they look names up in
// one read. A nil readOnce (a task of its own) reads each time.
type readOnce struct {
	mu   sync.Mutex
	done bool
	book book
}

func (r *readOnce) read(ctx context.Context, d Deps) (book, error) {
	if r == nil {
		return read(ctx, d, false, nil)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return r.book, nil
	}
	b, err := read(ctx, d, false, nil)
	if err != nil {
		return book{}, err // the next item tries again
	}
	r.book, r.done = b, true
	return b, nil
}
