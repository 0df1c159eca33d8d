// Package contactsfile is the contacts family's Source in the dev stack and on a worker with
// EAAPL_CONTACTS: the user's vCard or CSV file, read by internal/contactfile.
package contactsfile

import (
	"context"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/internal/contactfile"
)

// FileContacts is the contacts file at Path: a vCard (.vcf, .vcard) or CSV (.csv) file, chosen by the
// extension.
type FileContacts struct {
	Path string
}

// Open opens the file. A missing file is an error satisfying errors.Is(err, fs.ErrNotExist); a file that
// is not an address book is a *contactfile.FormatError.
func (f FileContacts) Open(context.Context) (contacts.Book, error) {
	r, err := contactfile.Open(f.Path)
	if err != nil {
		return nil, err
	}
	return r, nil
}
