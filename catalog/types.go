package catalog

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"path/filepath"
	"strings"
	"time"
)

// Type names a value's type in argument and output schemas.
type Type string

// The types of the schemas. A list type is written "list<elem>". Each has one definition (TypeDef) that
// plan validation, assignability, English error messages and the LLM planner's JSON Schema all read.
const (
	String  Type = "string"
	Bool    Type = "bool"
	Int     Type = "int"
	Time    Type = "time"    // RFC 3339 timestamp string
	Address Type = "address" // an email address string
	Contact Type = "contact" // object: name, email, source
	// Path is a file named by a program: relative to the workspace folder (EAAPL_WORKSPACE). A path that
	// leaves it through ".." is refused when the plan is checked, before anything runs; the worker's
	// workspace refuses the rest (an absolute path elsewhere, a link out) before it reads.
	Path Type = "path"
	// Glob is a pattern of file paths in the workspace (ListFiles): checked like a Path when the plan is
	// checked; the worker's workspace checks the rest (worker.PlaceCheck, when planning and when it runs).
	Glob Type = "glob"
	// URL is a web address to fetch: the worker's guard (EAAPL_HTTP_ALLOW) judges it when the program is
	// planned (worker.PlaceCheck) and when it is fetched.
	URL Type = "url"
	// ContentType is a large value (a document, a web page, a table) that travels by reference to a
	// content store, not inside the workflow history: see ContentRef and ContentStore.
	ContentType Type = "content"
	Any         Type = "any"
)

// ListOf returns the list type whose elements are elem.
func ListOf(elem Type) Type { return Type("list<" + string(elem) + ">") }

// Elem returns the element type of a list type, and false for any other type.
func (t Type) Elem() (Type, bool) {
	s := string(t)
	if strings.HasPrefix(s, "list<") && strings.HasSuffix(s, ">") {
		return Type(s[len("list<") : len(s)-1]), true
	}
	return "", false
}

// Fields returns the fields of an object type, and false for any other type.
func (t Type) Fields() ([]Field, bool) {
	d, ok := types[t]
	if !ok || d.Fields == nil {
		return nil, false
	}
	return d.Fields, true
}

// TypeDef is the one definition of a type: everything the rest of the system asks about it.
type TypeDef struct {
	Name Type
	// Words say in English what a value of the type looks like: "an email address string".
	Words string
	// Check says whether a JSON value (string, bool, int64 or float64, []any, map[string]any) is one of
	// the type, with an error that says what was expected. Nil accepts any value.
	Check func(v any) error
	// From lists the other types whose values may be given where this one is expected: a string may
	// stand for an address, whose content Check then checks.
	From []Type
	// Schema is the JSON Schema of a literal value of the type, as the LLM planner is told it; the
	// planner also accepts an expression string wherever Expr is true.
	Schema map[string]any
	// Expr says that an argument of the type may also be written as a "${...}" expression string. A
	// string-like type needs no such alternative: an expression is a string.
	Expr bool
	// Hint, when set, is added to an argument's description in the JSON Schema (how to write the value).
	Hint string
	// Fields are an object type's fields; nil for the others.
	Fields []Field
	// Label names a value of the type in a task's label: a contact by its address. Nil: fmt.Sprint.
	Label func(v any) string
}

// types holds the definitions, by name. It is filled once, here, before any command registers.
var types = map[Type]TypeDef{}

func defineType(d TypeDef) { types[d.Name] = d }

// TypeOf returns the definition of a type; for list<T>, one made from T's.
func TypeOf(t Type) (TypeDef, bool) {
	if elem, ok := t.Elem(); ok {
		ed, ok := TypeOf(elem)
		if !ok {
			return TypeDef{}, false
		}
		return listDef(t, ed), true
	}
	d, ok := types[t]
	return d, ok
}

// Known reports whether t is a defined type (list types included).
func Known(t Type) bool {
	_, ok := TypeOf(t)
	return ok
}

// Words says in English what a value of type t looks like, for error messages.
func Words(t Type) string {
	if d, ok := TypeOf(t); ok {
		return d.Words
	}
	return "a " + string(t)
}

// CheckValue checks a JSON value against type t, with an error that says what was expected.
func CheckValue(t Type, v any) error {
	d, ok := TypeOf(t)
	if !ok || d.Check == nil {
		return nil
	}
	return d.Check(v)
}

// Assignable reports whether a value of type from may be given where type to is expected.
func Assignable(from, to Type) bool {
	if from == to || from == Any || to == Any {
		return true
	}
	fe, fromList := from.Elem()
	te, toList := to.Elem()
	if fromList || toList {
		return fromList && toList && Assignable(fe, te)
	}
	d, ok := types[to]
	if !ok {
		return false
	}
	for _, f := range d.From {
		if f == from {
			return true
		}
	}
	return false
}

// LabelOf names a value of type t in a task's label: a contact by its address, a string as it is.
func LabelOf(t Type, v any) string {
	if d, ok := TypeOf(t); ok && d.Label != nil {
		return d.Label(v)
	}
	return fmt.Sprint(v)
}

// JSONSchema is the JSON Schema of an argument of type t with the given description, as the LLM planner
// is given it: a literal of the type, or (for the types that need one) an expression string.
func JSONSchema(t Type, description string) map[string]any {
	d, ok := TypeOf(t)
	if !ok {
		return map[string]any{"description": description}
	}
	s := map[string]any{}
	if d.Expr {
		s["anyOf"] = []any{clone(d.Schema), map[string]any{"type": "string", "pattern": `^\$\{.*\}$`}}
	} else {
		s = clone(d.Schema)
	}
	s["description"] = description + d.Hint
	return s
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func listDef(t Type, elem TypeDef) TypeDef {
	return TypeDef{
		Name:  t,
		Words: "a list whose items are each " + elem.Words,
		Check: func(v any) error {
			items, ok := v.([]any)
			if !ok {
				return fmt.Errorf("expected a list of %s, got %s", elem.Name, Describe(v))
			}
			if elem.Check == nil {
				return nil
			}
			for i, item := range items {
				if err := elem.Check(item); err != nil {
					return fmt.Errorf("item %d of %d: %w", i+1, len(items), err) // counted from 1, as people count
				}
			}
			return nil
		},
		Schema: map[string]any{"type": "array"},
		Expr:   true,
	}
}

// IsWholeNumber reports whether a JSON value is a whole number (int, int64, or a float64 without a
// fraction, as encoding/json decodes numbers).
func IsWholeNumber(v any) bool {
	switch x := v.(type) {
	case int64, int:
		return true
	case float64:
		return x == math.Trunc(x) && !math.IsInf(x, 0)
	}
	return false
}

// CheckAddress checks that s is a bare email address with a dotted domain.
func CheckAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

// CheckPath checks that a file path a program names can lie inside the workspace: not empty, and not
// leaving the folder through "..". An absolute path may name a file inside it, which only the worker,
// which knows the folder, can tell.
func CheckPath(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("the file path is empty")
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%q is not a file path", s)
	case filepath.IsAbs(s):
		return nil
	case !filepath.IsLocal(s) && filepath.Clean(s) != ".":
		return fmt.Errorf("%q is outside the workspace: it leaves the workspace folder through \"..\"", s)
	}
	return nil
}

// Describe names a JSON value in an error message: "the text \"hi\"", "a list of 3", "an object".
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing (null)"
	case string:
		return fmt.Sprintf("the text %q", x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

func init() {
	str := map[string]any{"type": "string"}
	defineType(TypeDef{Name: Any, Words: "any value", Schema: map[string]any{}})
	defineType(TypeDef{
		Name: String, Words: "a string", From: []Type{Address, Time}, Schema: str,
		Check: func(v any) error {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("expected text, got %s", Describe(v))
			}
			return nil
		},
	})
	defineType(TypeDef{
		Name: Path, Words: "a file path inside the workspace", From: []Type{String}, Schema: str,
		Hint: "; relative to the workspace folder, as the user wrote it",
		Check: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("expected a file path, got %s", Describe(v))
			}
			return CheckPath(s)
		},
	})
	defineType(TypeDef{
		Name: Glob, Words: "a file pattern inside the workspace", From: []Type{String}, Schema: str,
		Hint: "; a glob relative to the workspace folder: *, ?, [a-z], {md,txt}, ** for any depth",
		Check: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("expected a file pattern, got %s", Describe(v))
			}
			return CheckPath(s)
		},
	})
	defineType(TypeDef{
		Name: URL, Words: "a web address (http or https)", From: []Type{String}, Schema: str,
		Check: func(v any) error {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("expected a web address, got %s", Describe(v))
			}
			return nil
		},
	})
	defineType(TypeDef{
		Name: Bool, Words: "true or false", Schema: map[string]any{"type": "boolean"}, Expr: true,
		Check: func(v any) error {
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("expected true or false, got %s", Describe(v))
			}
			return nil
		},
	})
	defineType(TypeDef{
		Name: Int, Words: "a whole number", Schema: map[string]any{"type": "integer"}, Expr: true,
		Check: func(v any) error {
			if !IsWholeNumber(v) {
				return fmt.Errorf("expected a whole number, got %s", Describe(v))
			}
			return nil
		},
	})
	defineType(TypeDef{
		Name: Time, Words: "a time (RFC 3339 string such as 2026-11-23T00:00:00Z)", From: []Type{String, Address}, Schema: str,
		Hint: `; a time phrase such as "start of this week", "7 days ago" or "now"`,
		Check: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("expected an RFC 3339 time, got %s", Describe(v))
			}
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-23T00:00:00Z", s)
			}
			return nil
		},
	})
	defineType(TypeDef{
		Name: Address, Words: "an email address string", From: []Type{String, Time}, Schema: str,
		Check: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("expected an email address, got %s", Describe(v))
			}
			return CheckAddress(s)
		},
	})
	defineType(TypeDef{
		Name: Contact, Words: "a contact (object with name, email, source)", From: []Type{String, Address},
		Schema: map[string]any{"type": "object", "properties": map[string]any{"name": str, "email": str},
			"required": []string{"email"}, "additionalProperties": false},
		Expr:   true,
		Fields: fieldsOf(goTypeOf[ContactValue]()),
		Check: func(v any) error {
			switch x := v.(type) {
			case string:
				return CheckAddress(x)
			case map[string]any:
				email, ok := x["email"].(string)
				if !ok {
					return fmt.Errorf("a contact needs an \"email\" field, got %s", Describe(v))
				}
				return CheckAddress(email)
			}
			return fmt.Errorf("expected a contact {\"name\", \"email\"} or an address, got %s", Describe(v))
		},
		Label: func(v any) string {
			switch x := v.(type) {
			case map[string]any:
				if email, ok := x["email"].(string); ok {
					return email
				}
			case ContactValue:
				return x.Email
			case Recipient:
				return x.Email
			}
			return fmt.Sprint(v)
		},
	})
	defineType(TypeDef{
		Name: ContentType, Words: "a text, or a reference to stored content (object with ref, size, media_type)",
		From: []Type{String}, Expr: true,
		Schema: map[string]any{"type": "string"},
		Check: func(v any) error {
			switch x := v.(type) {
			case string:
				return nil
			case map[string]any:
				if ref, ok := x["ref"].(string); !ok || ref == "" {
					return errors.New("stored content needs a \"ref\" field")
				}
				return nil
			}
			return fmt.Errorf("expected a text or stored content {\"ref\"}, got %s", Describe(v))
		},
		Label: func(v any) string {
			if m, ok := v.(map[string]any); ok {
				if ref, ok := m["ref"].(string); ok {
					return ref
				}
			}
			return fmt.Sprint(v)
		},
	})
}

// typeNames name the types in errors a person reads: "a whole number", not "int".
var typeNames = map[Type][2]string{
	String:      {"text", "texts"},
	Bool:        {"true or false", "trues or falses"},
	Int:         {"a whole number", "whole numbers"},
	Time:        {"a time", "times"},
	Address:     {"an email address", "email addresses"},
	Contact:     {"a contact", "contacts"},
	Path:        {"a file path", "file paths"},
	ContentType: {"stored content (a document, page or table)", "stored contents"},
	Any:         {"any value", "values"},
}

// TypeName names a type in plain words for an error message: "text", "a whole number", "a list of
// contacts"; an unknown type by its name.
func TypeName(t Type) string {
	if elem, ok := t.Elem(); ok {
		if n, ok := typeNames[elem]; ok {
			return "a list of " + n[1]
		}
		return "a list"
	}
	if n, ok := typeNames[t]; ok {
		return n[0]
	}
	return "a " + string(t)
}
