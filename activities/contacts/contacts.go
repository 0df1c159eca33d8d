// Package contacts is the contacts command family: RetrieveContacts (the user's address book) and
// FindContact (the contact a name refers to, asking the user when the name is not enough). It reaches the
// address book only through Source, which the worker wires to an adapter (contactsfile opens a vCard or
// CSV file with internal/contactfile).
package contacts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/contactfile"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec { return []*catalog.Spec{RetrieveContacts, FindContact} }

// Deps are what the family's commands use.
type Deps struct {
	Source Source // the user's address book
	// Store keeps a long contacts list out of the task's output (contentvalue.List); without one the
	// output carries every contact, as it did before.
	Store catalog.ContentStore

	once *readOnce // FindContact's batch session: one read for the batch's items
}

// Source is where the user's contacts are read.
type Source interface {
	Open(ctx context.Context) (Book, error)
}

// Book is one open address book, read a page at a time from a small checkpoint (*contactfile.Reader).
type Book interface {
	ReadPage(ctx context.Context, from contactfile.Checkpoint, max int) (contactfile.Page, error)
	Close() error
}

// pageRows is how many rows one page holds: a few hundred KB, so reading a page takes milliseconds and a
// heartbeat follows each.
const pageRows = 5000

// inlineContacts is the most contacts RetrieveContacts' output carries itself (about 100 KB); with a
// content store, a longer list is stored (contentvalue.List) and its items reach the steps that use them
// a page at a time, so that neither the output nor the program's history grows with the address book.
const inlineContacts = 1000

// Bad rows: when more than manyBadShare of the rows and more than manyBadRows rows are not contacts, the
// file is probably not what the user thinks it is, and RetrieveContacts asks before anyone is emailed.
const (
	manyBadRows  = 5
	manyBadShare = 0.10
)

// listedSkipped is the most skipped rows an output lists; skipped_count counts them all.
const listedSkipped = 100

type retrieveArgs struct {
	SkipBadRows bool `json:"skip_bad_rows" desc:"go on though many rows of the contacts file are not contacts; set by an answer"`
}

type retrieveOutput struct {
	// Contacts is a []catalog.ContactValue, or for more than inlineContacts a stored list's value
	// (contentvalue.List.Value), which the workflow reads in pages.
	Contacts     any      `json:"contacts" eaapl:"list<contact>,required" desc:"the contacts, in file order, one per address"`
	Count        int      `json:"count" eaapl:"required" desc:"how many contacts"`
	Skipped      []string `json:"skipped" desc:"the first rows left out (not a contact, or an address already listed), as file:line: why"`
	SkippedCount int      `json:"skipped_count" desc:"how many rows were left out"`
}

var RetrieveContacts = catalog.Define(catalog.Def[Deps, retrieveArgs, retrieveOutput]{
	Name:        "RetrieveContacts",
	Description: "Get the user's contacts from their address book (a vCard or CSV file).",
	SideEffect:  catalog.Reads,
	// A large CardDAV book the server has not cached reads for minutes, a heartbeat a page; the
	// heartbeat timeout, not this, is what notices a dead worker.
	Timeout: 10 * time.Minute,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{None: true},
	Run:              retrieve,
	Hint: func(string) string {
		return "check that the contacts file (EAAPL_CONTACTS) can be read, then answer retry"
	},
	ReadBack: func(r catalog.Reading) string {
		if len(r.Step().Args) == 0 {
			return "Get your contacts."
		}
		return ""
	},
	Outcome: func(state string, output map[string]any) (string, string) {
		return state, skippedDetail(output)
	},
	Forms: catalog.Forms{
		Phrases: []string{"each of my contacts", "all my contacts", "everyone in my contacts", "my contacts", "every contact"},
		Results: map[string]catalog.ResultWords{
			"contacts": {Noun: "your contacts", Each: "contact", Words: []string{
				"each of my contacts", "each one of my contacts", "all my contacts", "all of my contacts", "everyone in my contacts",
				"everybody in my contacts", "my contacts", "all contacts", "every contact", "each contact", "my contact list", "my address book",
			}},
			"count": {Noun: "the number of your contacts"},
		},
		Nouns: []string{"contacts", "contact list", "address book"},
		Quantifiers: []string{
			"each of my", "each one of my", "every one of my", "all my", "all of my", "everyone in my",
			"everybody in my", "everyone on my", "everybody on my", "my", "my whole", "anyone in my", "anybody in my",
		},
		List: &catalog.ListWords{Output: "contacts", Item: "contact", Name: "name", Email: "email"},
		Examples: []catalog.Example{
			{Pattern: "<contacts> is each of my contacts, all (of) my contacts, everyone in my contacts or every contact", Program: "Send 'Hi' to each of my contacts"},
			{Pattern: "<contacts> at <domain>, whose name starts with <letters>, named <name> (quoted for a full name: named 'Ann Lee'), except <names>", Program: "Send 'Office closed' to my contacts at acme.com except Dave"},
			{Pattern: "<contacts> except those at <domain>, named <name> or who I emailed <time>: all of them left out", Program: "Send 'Hi' to all my contacts except those at acme.com"},
			{Pattern: "the first <N> of <contacts>", Program: "Send 'Hi' to the first 10 of my contacts"},
		},
	},
})

func retrieve(ctx context.Context, d Deps, args retrieveArgs) (retrieveOutput, error) {
	b, err := read(ctx, d, true, d.Store)
	if err != nil {
		return retrieveOutput{}, err
	}
	if bad := b.badCount; !args.SkipBadRows && bad > manyBadRows && float64(bad) > manyBadShare*float64(b.rows) {
		return retrieveOutput{}, catalog.Ask(catalog.InputRequest{
			Question: fmt.Sprintf("%d of the %d rows of your contacts file are not contacts (%s). Send to the other %d contacts anyway?",
				bad, b.rows, examples(b.bad, bad, 3), b.count),
			Kind:    catalog.InputChoice,
			Options: []catalog.Option{{Value: "continue", Label: fmt.Sprintf("skip the %d bad rows and go on", bad), Arg: true}},
			Param:   "skip_bad_rows",
		})
	}
	out := retrieveOutput{Contacts: b.contacts, Count: b.count, SkippedCount: b.skippedCount, Skipped: []string{}}
	if b.stored != nil {
		list, err := b.stored.Finish(ctx)
		if err != nil {
			return retrieveOutput{}, fmt.Errorf("retrieve contacts: keep %d contacts in the content store: %w", b.count, err)
		}
		out.Contacts = list.Value()
	}
	for _, e := range b.skipped {
		out.Skipped = append(out.Skipped, e.Error())
	}
	return out, nil
}

// examples lists the first n of rows, of total, and says how many more there are.
func examples(rows []contactfile.RowError, total, n int) string {
	var s []string
	for _, e := range rows[:min(len(rows), n)] {
		s = append(s, e.Error())
	}
	if total > n {
		s = append(s, fmt.Sprintf("and %d more", total-n))
	}
	return strings.Join(s, "; ")
}

// skippedDetail is what the result table says beside RetrieveContacts: the rows it left out.
func skippedDetail(output map[string]any) string {
	n, _ := output["skipped_count"].(float64) // a result read back from JSON
	if i, ok := output["skipped_count"].(int); ok {
		n = float64(i)
	}
	if n == 0 {
		return ""
	}
	var listed []string
	switch s := output["skipped"].(type) {
	case []string:
		listed = s
	case []any:
		for _, v := range s {
			if t, ok := v.(string); ok {
				listed = append(listed, t)
			}
		}
	}
	detail := fmt.Sprintf("%d rows skipped: %s", int(n), strings.Join(listed, "; "))
	if int(n) == 1 {
		detail = "1 row skipped: " + strings.Join(listed, "; ")
	}
	if more := int(n) - len(listed); more > 0 {
		detail += fmt.Sprintf("; and %d more", more)
	}
	return detail
}

// book is what one read of the address book found: the contacts, one per address, in file order (in
// memory, or past inlineContacts in the content store when the read was given one); the rows that are
// not contacts (bad); and those and the rows that repeat an address (skipped), in file order. Of the
// rows left out it keeps the first listedSkipped, and counts them all.
type book struct {
	contacts     []catalog.ContactValue
	stored       *contentvalue.ListWriter // the contacts, when there are more than inlineContacts
	count        int
	bad          []contactfile.RowError
	badCount     int
	skipped      []contactfile.RowError
	skippedCount int
	rows         int // every row read
}

// read reads the whole address book, a page at a time, keeping the first row of each address. With
// heartbeats set (a task of its own), it heartbeats the checkpoint after each page: a few dozen bytes
// whatever the file's size, so that a worker's death is seen within the heartbeat timeout. A later attempt
// reads the file again from the start: its output holds every contact, and the rows that repeat an
// address are found only by a read that saw the rows before them. With a store, the contacts past
// inlineContacts are written to it as they are read, so the worker never holds them all.
func read(ctx context.Context, d Deps, heartbeats bool, store catalog.ContentStore) (book, error) {
	if d.Source == nil {
		return book{}, fmt.Errorf("%w: contacts Source", catalog.ErrMissingDependency)
	}
	b, err := readBook(ctx, d.Source, heartbeats, store)
	var (
		pathErr   *fs.PathError
		formatErr *contactfile.FormatError
		changed   *contactfile.ChangedError
	)
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pathErr):
		return book{}, catalog.Fail(catalog.ErrNotFound, "contacts file %s does not exist", pathErr.Path)
	case errors.Is(err, fs.ErrNotExist):
		return book{}, catalog.Fail(catalog.ErrNotFound, "contacts not found: %v", err)
	case errors.As(err, &formatErr):
		return book{}, catalog.Invalid("malformed contacts file %v", formatErr)
	case errors.As(err, &changed):
		return book{}, fmt.Errorf("retrieve contacts: %w", err) // a retry reads the file as it is now
	case err != nil:
		return book{}, fmt.Errorf("retrieve contacts: %w", err)
	}
	return b, nil
}

func readBook(ctx context.Context, src Source, heartbeats bool, store catalog.ContentStore) (book, error) {
	r, err := src.Open(ctx)
	if err != nil {
		return book{}, err
	}
	defer r.Close()
	var (
		b     = book{contacts: []catalog.ContactValue{}}
		dedup = contactfile.NewDedup()
		cp    contactfile.Checkpoint
	)
	for !cp.Done {
		p, err := r.ReadPage(ctx, cp, pageRows)
		if err != nil {
			return book{}, err
		}
		kept, dups := dedup.Filter(p.Contacts)
		for _, c := range kept {
			if err := b.add(ctx, catalog.ContactValue{Name: c.Name, Email: c.Email, Source: c.Source}, store); err != nil {
				return book{}, err
			}
		}
		skipped := inFileOrder(p.Bad, dups)
		b.bad = append(b.bad, p.Bad[:min(len(p.Bad), listedSkipped-len(b.bad))]...)
		b.skipped = append(b.skipped, skipped[:min(len(skipped), listedSkipped-len(b.skipped))]...)
		b.badCount, b.skippedCount = b.badCount+len(p.Bad), b.skippedCount+len(skipped)
		b.rows += len(p.Contacts) + len(p.Bad)
		cp = p.Next
		if heartbeats {
			catalog.Heartbeat(ctx, cp)
		}
	}
	return b, nil
}

// add keeps a contact: in memory up to inlineContacts (or always, without a store), then in the store,
// starting with those it kept.
func (b *book) add(ctx context.Context, c catalog.ContactValue, store catalog.ContentStore) error {
	b.count++
	if b.stored == nil && (store == nil || len(b.contacts) < inlineContacts) {
		b.contacts = append(b.contacts, c)
		return nil
	}
	if b.stored == nil {
		b.stored = contentvalue.NewListWriter(store, 0)
		for _, kept := range b.contacts {
			if err := b.stored.Add(ctx, kept); err != nil {
				return err
			}
		}
		b.contacts = nil
	}
	return b.stored.Add(ctx, c)
}

// inFileOrder merges two lists of rows of one page, each in file order, into one in file order.
func inFileOrder(a, b []contactfile.RowError) []contactfile.RowError {
	out := make([]contactfile.RowError, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if line(a[0].Source) <= line(b[0].Source) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// line is the line number of a "file:line" source.
func line(source string) int {
	n, _ := strconv.Atoi(source[strings.LastIndexByte(source, ':')+1:])
	return n
}
