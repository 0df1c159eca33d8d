package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
)

// numberedContact is the address of contact i (from 1) of numberedContacts.
func numberedContact(i int) string { return fmt.Sprintf("contact-%04d@example.com", i) }

// personAddress is the address of contact i (from 1) of contactsCSV.
func personAddress(i int) string { return fmt.Sprintf("person%d@example.com", i) }

// numberedContacts writes an address book of n contacts, "Contact 1" at contact-0001@example.com and on,
// for the tests that send to many.
func numberedContacts(t *testing.T, n int) string {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&csv, "Contact %d,%s\n", i, numberedContact(i))
	}
	return testenv.WriteFile(t, "contacts.csv", csv.String())
}

// assertOneEmailEach checks that Mailpit holds exactly one email to each of n contacts, address(1) to
// address(n), and no other.
func assertOneEmailEach(t *testing.T, mp *devstack.Mailpit, n int, address func(int) string) {
	t.Helper()
	got := map[string]int{}
	msgs := testenv.Messages(t, mp, "")
	for _, m := range msgs {
		for _, to := range m.To {
			got[to]++
		}
	}
	for i := 1; i <= n; i++ {
		if addr := address(i); got[addr] != 1 {
			t.Errorf("%s got %d emails, want 1", addr, got[addr])
		}
	}
	if len(msgs) != n {
		t.Errorf("Mailpit holds %d emails, want %d", len(msgs), n)
	}
}
