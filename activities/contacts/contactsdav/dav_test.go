package contactsdav_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsdav"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/mailtest"
)

// TestRetrieveContactsFromRadicale runs the family's own commands over an address book in Radicale
// (Debian's): a card without an address and a second card with Bob's address are skipped and reported
// as the file reader reports rows, FindContact finds a name in the book, and a wrong password fails for
// good naming the address book, not the password.
func TestRetrieveContactsFromRadicale(t *testing.T) {
	robert := mailtest.User{Name: "Robert Smith", Address: strings.ToUpper(mailtest.Bob.Address)}
	sys := mailtest.Start(t, mailtest.Options{Contacts: []mailtest.User{mailtest.Alice, mailtest.Bob, {Name: "No Address"}, robert}})
	ctx := context.Background()
	pwFile := filepath.Join(t.TempDir(), "dav-password")
	if err := os.WriteFile(pwFile, []byte(mailtest.Me.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	book, err := contactsdav.New(carddav.Config{URL: sys.CardDAVURL, User: mailtest.Me.Address}, pwFile)
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, src contacts.Source, spec *catalog.Spec, params map[string]any, out any) error {
		t.Helper()
		res, err := spec.Run(ctx, catalog.Deps{contacts.Deps{Source: src}}, catalog.Call{Task: catalog.Task{TaskID: "t1", Command: spec.Name, Parameters: params}})
		if err != nil {
			return err
		}
		b, err := json.Marshal(res.Output)
		if err != nil {
			t.Fatal(err)
		}
		return json.Unmarshal(b, out)
	}

	t.Run("RetrieveContactsSkipsAndReportsLikeAFile", func(t *testing.T) {
		var out struct {
			Contacts     []catalog.ContactValue `json:"contacts"`
			Count        int                    `json:"count"`
			Skipped      []string               `json:"skipped"`
			SkippedCount int                    `json:"skipped_count"`
		}
		if err := run(t, book, contacts.RetrieveContacts, map[string]any{}, &out); err != nil {
			t.Fatal(err)
		}
		if out.Count != 2 || len(out.Contacts) != 2 || out.Contacts[0].Email != mailtest.Alice.Address || out.Contacts[1].Email != mailtest.Bob.Address {
			t.Fatalf("contacts = %+v, want Alice and Bob in card order", out.Contacts)
		}
		if out.Contacts[0].Source != "contacts/contact-00000.vcf" || out.Contacts[0].Name != mailtest.Alice.Name {
			t.Errorf("Alice = %+v, want her name and her card as the source", out.Contacts[0])
		}
		want := []string{
			"contacts/contact-00002.vcf: card has no EMAIL",
			"contacts/contact-00003.vcf: " + robert.Address + " is a duplicate of contacts/contact-00001.vcf",
		}
		if out.SkippedCount != 2 || strings.Join(out.Skipped, "\n") != strings.Join(want, "\n") {
			t.Errorf("skipped %d: %q, want %q", out.SkippedCount, out.Skipped, want)
		}
	})
	t.Run("FindContactReadsTheBook", func(t *testing.T) {
		var out struct {
			Contact catalog.ContactValue `json:"contact"`
		}
		if err := run(t, book, contacts.FindContact, map[string]any{"name": "alice"}, &out); err != nil {
			t.Fatal(err)
		}
		if out.Contact.Email != mailtest.Alice.Address {
			t.Fatalf("FindContact alice = %+v", out.Contact)
		}
	})
	t.Run("WrongPasswordFailsForGood", func(t *testing.T) {
		const planted = "planted-Dav-Pw-5521"
		wrong, err := contactsdav.New(carddav.Config{URL: sys.CardDAVURL, User: mailtest.Me.Address, Password: planted}, "")
		if err != nil {
			t.Fatal(err)
		}
		var out any
		err = run(t, wrong, contacts.RetrieveContacts, map[string]any{}, &out)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != catalog.ErrUnauthorized {
			t.Fatalf("error = %v; want a non-retryable %s application error", err, catalog.ErrUnauthorized)
		}
		if !strings.Contains(err.Error(), sys.CardDAVURL) || !strings.Contains(err.Error(), "EAAPL_CONTACTS_PASSWORD") {
			t.Errorf("error %q does not name the address book and what to fix", err)
		}
		if strings.Contains(err.Error(), planted) {
			t.Errorf("error %q holds the password", err)
		}
	})
	t.Run("AUserWithoutAPasswordIsRefusedAtStart", func(t *testing.T) {
		_, err := contactsdav.New(carddav.Config{URL: sys.CardDAVURL, User: mailtest.Me.Address}, "")
		if err == nil || !strings.Contains(err.Error(), "EAAPL_CONTACTS_PASSWORD") {
			t.Fatalf("error = %v; want one naming EAAPL_CONTACTS_PASSWORD", err)
		}
	})
	t.Run("AMissingPasswordFileIsNamed", func(t *testing.T) {
		_, err := contactsdav.New(carddav.Config{URL: sys.CardDAVURL, User: mailtest.Me.Address}, filepath.Join(t.TempDir(), "nothing"))
		if err == nil || !strings.Contains(err.Error(), "EAAPL_CONTACTS_PASSWORD_FILE") {
			t.Fatalf("error = %v; want one naming EAAPL_CONTACTS_PASSWORD_FILE", err)
		}
	})
}
