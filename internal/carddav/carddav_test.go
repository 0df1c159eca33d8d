package carddav_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/contactfile"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// TestReadsRadicale reads an address book of 600 cards from Radicale (Debian's), in pages, with the
// vCard file reader's semantics: a card without an address is a bad row and the read goes on.
func TestReadsRadicale(t *testing.T) {
	const n = 600
	var cards []mailtest.User
	for i := range n {
		cards = append(cards, mailtest.User{Name: fmt.Sprintf("Person %04d", i), Address: fmt.Sprintf("person%04d@example.com", i)})
	}
	cards = append(cards, mailtest.User{Name: "No Address"})
	sys := mailtest.Start(t, mailtest.Options{Contacts: cards})
	ctx := context.Background()
	userURL := strings.Replace(sys.CardDAVURL, "http://", "http://me%40example.com@", 1)

	book, err := carddav.Open(carddav.Config{URL: userURL, Password: mailtest.Me.Password, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var (
		contacts []contactfile.Contact
		bad      []contactfile.RowError
		cp       carddav.Checkpoint
		pages    int
	)
	for !cp.Done {
		p, err := book.ReadPage(ctx, cp, 250)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Contacts)+len(p.Bad) > 250 {
			t.Fatalf("page %d has %d cards, want at most 250", pages, len(p.Contacts)+len(p.Bad))
		}
		contacts, bad, cp = append(contacts, p.Contacts...), append(bad, p.Bad...), p.Next
		pages++
	}
	if len(contacts) != n || pages < 3 {
		t.Fatalf("read %d contacts in %d pages, want %d in at least 3", len(contacts), pages, n)
	}
	if c := contacts[42]; c.Name != "Person 0042" || c.Email != "person0042@example.com" || c.Source != "contacts/contact-00042.vcf" {
		t.Fatalf("contacts[42] = %+v", c)
	}
	if len(bad) != 1 || bad[0].Reason != "card has no EMAIL" || bad[0].Source != fmt.Sprintf("contacts/contact-%05d.vcf", n) {
		t.Fatalf("bad rows = %+v; want the card without an address", bad)
	}

	t.Run("ResumesFromACheckpoint", func(t *testing.T) {
		again, err := carddav.Open(carddav.Config{URL: userURL, Password: mailtest.Me.Password, Timeout: 2 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		p, err := again.ReadPage(ctx, carddav.Checkpoint{After: "/me@example.com/contacts/contact-00597.vcf"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Contacts) != 2 || p.Contacts[0].Email != "person0598@example.com" || !p.Next.Done {
			t.Fatalf("page after contact-00597 = %+v", p)
		}
	})
	t.Run("WrongPasswordIsRefused", func(t *testing.T) {
		const planted = "planted-Dav-Pw-2291"
		b, err := carddav.Open(carddav.Config{URL: userURL, Password: planted})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.ReadPage(ctx, carddav.Checkpoint{}, 10)
		var refused *carddav.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "EAAPL_CONTACTS_PASSWORD") || !strings.Contains(err.Error(), sys.CardDAVURL) {
			t.Fatalf("error = %v; want a *RefusedError naming the address book and EAAPL_CONTACTS_PASSWORD", err)
		}
		if strings.Contains(err.Error(), planted) {
			t.Fatalf("error %q holds the password", err)
		}
	})
	t.Run("MissingBookIsNotFound", func(t *testing.T) {
		b, err := carddav.Open(carddav.Config{URL: strings.Replace(userURL, "/contacts/", "/nothing/", 1), Password: mailtest.Me.Password})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.ReadPage(ctx, carddav.Checkpoint{}, 10)
		var format *contactfile.FormatError
		if !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &format) {
			t.Fatalf("error = %v; want fs.ErrNotExist or a *FormatError naming the books there", err)
		}
		if !strings.Contains(err.Error(), "/nothing/") {
			t.Fatalf("error %q does not name the URL", err)
		}
	})
	t.Run("PasswordInURLIsRefused", func(t *testing.T) {
		_, err := carddav.Open(carddav.Config{URL: strings.Replace(sys.CardDAVURL, "http://", "http://me:planted-url-pw@", 1)})
		if err == nil || strings.Contains(err.Error(), "planted-url-pw") || !strings.Contains(err.Error(), "EAAPL_CONTACTS_PASSWORD") {
			t.Fatalf("error = %v; want a refusal naming EAAPL_CONTACTS_PASSWORD without the password", err)
		}
	})
}
