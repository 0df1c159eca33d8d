package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
)

// needsInput returns the error of a task that cannot go on without the user: non-retryable, of type
// NeedsInput, with the question in its details. The workflow asks it and runs the task again with the
// answer in req.Param.
func (a *Activities) needsInput(t catalog.Task, req catalog.InputRequest) error {
	req.WorkerID = a.WorkerID
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s task %s needs input: %s", t.Command, t.TaskID, req.Question), catalog.ErrNeedsInput, nil, req)
}

type findContactArgs struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// FindContact finds the contact a name refers to, in the address book RetrieveContacts reads: the one
// contact with that full name, or else with that first name. When several have it, it asks which one
// (the answer is an address); when none has, it asks for an address. Given an address instead of a name,
// it asks to confirm one that is not in the contacts. An email argument (an answer) is used as it is.
// Output: contact.
func (a *Activities) FindContact(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	started := time.Now()
	t.Command = "FindContact"
	var args findContactArgs
	if err := decodeArgs(t, &args); err != nil {
		return catalog.TaskResult{}, err
	}
	name := strings.Join(strings.Fields(args.Name), " ")
	if name == "" && args.Email == "" {
		return catalog.TaskResult{}, invalidArgument(t, "parameter %q must not be blank", "name")
	}
	read, err := a.RetrieveContacts(ctx, catalog.Task{TaskID: t.TaskID, Context: t.Context})
	if err != nil {
		return catalog.TaskResult{}, err
	}
	contacts, _ := read.Output["contacts"].([]Contact)
	found := func(c Contact) (catalog.TaskResult, error) {
		return a.result(ctx, t, started, map[string]any{"contact": c}), nil
	}

	email := strings.TrimSpace(args.Email)
	if email == "" && strings.Contains(name, "@") {
		if c, ok := byEmail(contacts, name); ok {
			return found(c)
		}
		if _, err := validAddress(name); err != nil {
			return catalog.TaskResult{}, invalidArgument(t, "%q is not a valid email address: %v", name, err)
		}
		return catalog.TaskResult{}, a.needsInput(t, catalog.InputRequest{
			Question: fmt.Sprintf("%s is not in your contacts. Send to it anyway?", name),
			Kind:     catalog.InputChoice,
			Options:  []catalog.Option{{Value: "yes", Label: "send to " + name, Arg: name}},
			Param:    "email",
		})
	}
	if email != "" {
		if _, err := validAddress(email); err != nil {
			return catalog.TaskResult{}, invalidArgument(t, "%q is not a valid email address: %v", email, err)
		}
		if c, ok := byEmail(contacts, email); ok {
			return found(c)
		}
		return found(Contact{Name: name, Email: email, Source: "your answer"})
	}

	matches := byName(contacts, name)
	switch len(matches) {
	case 1:
		return found(matches[0])
	case 0:
		return catalog.TaskResult{}, a.needsInput(t, catalog.InputRequest{
			Question: fmt.Sprintf("No contact is named %s. What is %s's email address?", name, name),
			Kind:     catalog.InputAddress,
			Param:    "email",
		})
	}
	opts := make([]catalog.Option, len(matches))
	for i, c := range matches {
		opts[i] = catalog.Option{Value: c.Email, Label: fmt.Sprintf("%s <%s>", c.Name, c.Email)}
	}
	return catalog.TaskResult{}, a.needsInput(t, catalog.InputRequest{
		Question: fmt.Sprintf("%d contacts are named %s. Which one?", len(matches), name),
		Kind:     catalog.InputChoice,
		Options:  opts,
		Param:    "email",
	})
}

// byEmail finds the contact with an address, in any case.
func byEmail(contacts []Contact, email string) (Contact, bool) {
	for _, c := range contacts {
		if strings.EqualFold(strings.TrimSpace(c.Email), email) {
			return c, true
		}
	}
	return Contact{}, false
}

// byName finds the contacts whose full name is name, in any case; when none is, those whose first name is.
func byName(contacts []Contact, name string) []Contact {
	var full, first []Contact
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
