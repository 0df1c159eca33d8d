// Package contactsdav is the contacts family's Source when EAAPL_CONTACTS is a CardDAV address book
// (http(s)://host/.../addressbook/): the cards are read by internal/carddav, a page at a time, with the
// vCard file reader's semantics (internal/contactfile.CardContact), so RetrieveContacts and FindContact
// skip, report and deduplicate them as they do a file's rows.
package contactsdav

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/contactfile"
)

// Book is the address book at Config.URL. The password is read when the book is opened, from
// Config.Password or else PasswordFile, so a rotated password file is seen by the next read.
type Book struct {
	Config       carddav.Config
	PasswordFile string
}

// New checks the settings (the URL, that a user has a password) without connecting, so a worker with a
// mistake in them stops at start naming it.
func New(cfg carddav.Config, passwordFile string) (Book, error) {
	b := Book{Config: cfg, PasswordFile: passwordFile}
	if _, err := b.open(); err != nil {
		return Book{}, err
	}
	return b, nil
}

// Open implements contacts.Source.
func (b Book) Open(context.Context) (contacts.Book, error) {
	book, err := b.open()
	if err != nil {
		return nil, catalog.Invalid("%v", err)
	}
	return &pages{book: book}, nil
}

func (b Book) open() (*carddav.Book, error) {
	cfg := b.Config
	if cfg.Password == "" && b.PasswordFile != "" {
		pw, err := os.ReadFile(b.PasswordFile)
		if err != nil {
			// The path only: the error of a file read names no contents.
			return nil, fmt.Errorf("EAAPL_CONTACTS_PASSWORD_FILE: %w", err)
		}
		cfg.Password = strings.TrimRight(string(pw), "\r\n")
	}
	return carddav.Open(cfg)
}

// pages is one read of the address book as a contacts.Book. Its checkpoint counts the cards read
// (Line); the name of the last one, where internal/carddav resumes, stays here, so a checkpoint stays
// the file reader's few bytes. A read goes from the start to the end in one go (RetrieveContacts reads
// the whole book on each attempt), so only the zero checkpoint and the last one returned are asked for.
type pages struct {
	book *carddav.Book
	line int
	next carddav.Checkpoint
}

func (p *pages) ReadPage(ctx context.Context, from contactfile.Checkpoint, max int) (contactfile.Page, error) {
	var at carddav.Checkpoint
	switch {
	case from == contactfile.Checkpoint{}:
	case from.Line == p.line && from.Done == p.next.Done:
		at = p.next
	default:
		return contactfile.Page{}, fmt.Errorf("read CardDAV address book %s: checkpoint after %d cards is not one this read returned", p.book.URL(), from.Line)
	}
	page, err := p.book.ReadPage(ctx, at, max)
	if err != nil {
		return contactfile.Page{}, refusal(err)
	}
	line := from.Line + len(page.Contacts) + len(page.Bad)
	p.line, p.next = line, page.Next
	return contactfile.Page{
		Contacts: page.Contacts,
		Bad:      page.Bad,
		Next:     contactfile.Checkpoint{Line: line, Done: page.Next.Done},
	}, nil
}

func (p *pages) Close() error { return nil }

// refusal makes a refusal retrying cannot fix (the credentials, the permission) fail the task for good,
// with the message internal/carddav wrote: it names the address book and what to fix, never the password.
// A server that is down or slow stays a retryable error.
func refusal(err error) error {
	var refused *carddav.RefusedError
	if errors.As(err, &refused) {
		if refused.Auth {
			return catalog.Fail(catalog.ErrUnauthorized, "%v", refused)
		}
		return catalog.Invalid("%v", refused)
	}
	return err
}
