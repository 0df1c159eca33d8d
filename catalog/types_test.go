package catalog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

// The tests read each type's definition through the functions the rest of EaaPL calls: validation
// (CheckValue, Assignable), error messages (Words), the LLM planner (JSONSchema) and labels (LabelOf).

func TestTypeChecks(t *testing.T) {
	for _, tc := range []struct {
		typ  catalog.Type
		v    any
		want string // "" when the value is one of the type
	}{
		{catalog.String, "x", ""},
		{catalog.String, 3.0, "expected text"},
		{catalog.Bool, true, ""},
		{catalog.Int, 3.0, ""},
		{catalog.Int, 3.5, "whole number"},
		{catalog.Time, "2026-11-23T00:00:00Z", ""},
		{catalog.Time, "Monday", "RFC 3339"},
		{catalog.Address, "ann@example.com", ""},
		{catalog.Address, "ann@localhost", "not an email address"},
		{catalog.Contact, map[string]any{"name": "Ann", "email": "ann@example.com"}, ""},
		{catalog.Contact, "ann@example.com", ""},
		{catalog.Contact, map[string]any{"name": "Ann"}, `needs an "email"`},
		{catalog.ListOf(catalog.Contact), []any{"ann@example.com", 3.0}, "item 2 of 2"},
		{catalog.ContentType, "a small text", ""},
		{catalog.ContentType, map[string]any{"ref": "sha256:ab", "size": 1.0}, ""},
		{catalog.ContentType, map[string]any{"size": 1.0}, `"ref"`},
		{catalog.Any, map[string]any{}, ""},
	} {
		err := catalog.CheckValue(tc.typ, tc.v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v: %v, want it accepted", tc.typ, tc.v, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %v: %v, want an error saying %q", tc.typ, tc.v, err, tc.want)
		}
	}
}

func TestAssignable(t *testing.T) {
	for _, tc := range []struct {
		from, to catalog.Type
		want     bool
	}{
		{catalog.String, catalog.Address, true},
		{catalog.Address, catalog.Contact, true},
		{catalog.Contact, catalog.Address, false},
		{catalog.Int, catalog.String, false},
		{catalog.String, catalog.ContentType, true},
		{catalog.ContentType, catalog.String, false},
		{catalog.ListOf(catalog.Address), catalog.ListOf(catalog.Contact), true},
		{catalog.ListOf(catalog.Contact), catalog.Contact, false},
		{catalog.Any, catalog.Contact, true},
	} {
		if got := catalog.Assignable(tc.from, tc.to); got != tc.want {
			t.Errorf("Assignable(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestTypeWordsSchemasAndLabels(t *testing.T) {
	if got, want := catalog.Words(catalog.ListOf(catalog.Contact)), "a list whose items are each a contact (object with name, email, source)"; got != want {
		t.Errorf("words = %q, want %q", got, want)
	}
	b, _ := json.Marshal(catalog.JSONSchema(catalog.Time, "start"))
	if want := `{"description":"start; a time phrase such as \"start of this week\", \"7 days ago\" or \"now\"","type":"string"}`; string(b) != want {
		t.Errorf("time schema = %s, want %s", b, want)
	}
	b, _ = json.Marshal(catalog.JSONSchema(catalog.Int, "n"))
	if want := `{"anyOf":[{"type":"integer"},{"pattern":"^\\$\\{.*\\}$","type":"string"}],"description":"n"}`; string(b) != want {
		t.Errorf("int schema = %s, want %s", b, want)
	}
	if got := catalog.LabelOf(catalog.Contact, map[string]any{"name": "Ann", "email": "ann@example.com"}); got != "ann@example.com" {
		t.Errorf("a contact's label = %q", got)
	}
	// No type is guessed from a field's name: an object of no declared type is labelled as it is.
	if got := catalog.LabelOf(catalog.Any, map[string]any{"email": "ann@example.com"}); got == "ann@example.com" {
		t.Errorf("an untyped object with an email field was taken for a contact: %q", got)
	}
	if fields, ok := catalog.Contact.Fields(); !ok || len(fields) != 3 || fields[1].Name != "email" || !fields[1].Required {
		t.Errorf("contact fields = %+v", fields)
	}
}

// TestTypeNameIsPlainWords: errors name types as people say them, never "int" or "list<contact>".
func TestTypeNameIsPlainWords(t *testing.T) {
	for typ, want := range map[catalog.Type]string{
		catalog.Int:                     "a whole number",
		catalog.String:                  "text",
		catalog.Address:                 "an email address",
		catalog.ListOf(catalog.Contact): "a list of contacts",
		catalog.ListOf(catalog.Address): "a list of email addresses",
		catalog.Bool:                    "true or false",
	} {
		if got := catalog.TypeName(typ); got != want {
			t.Errorf("TypeName(%s) = %q, want %q", typ, got, want)
		}
	}
}
