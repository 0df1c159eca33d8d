package contacts

import (
	"context"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/contactfile"
)

// List is an address book in memory, as one page: a Source for tests and for callers that already hold
// the contacts.
type List []catalog.ContactValue

// Open implements Source.
func (l List) Open(context.Context) (Book, error) { return listBook(l), nil }

type listBook List

func (l listBook) ReadPage(_ context.Context, from contactfile.Checkpoint, _ int) (contactfile.Page, error) {
	p := contactfile.Page{Next: contactfile.Checkpoint{Done: true}}
	if from.Done {
		return p, nil
	}
	for _, c := range l {
		p.Contacts = append(p.Contacts, contactfile.Contact{Name: c.Name, Email: c.Email, Source: c.Source})
	}
	return p, nil
}

func (listBook) Close() error { return nil }
