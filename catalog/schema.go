package catalog

import (
	"fmt"
	"reflect"
	"strings"
)

// Argument and output schemas are derived from a command's Go structs, so that the fields a plan is
// checked against and the fields the implementation decodes are one list. A field's schema comes from its
// tags:
//
//	Since string    `json:"since" eaapl:"time,required" desc:"start of the range, inclusive"`
//	To    Recipient `json:"to" eaapl:"required" desc:"the recipient"`
//
// json names it (a field without a json name is not part of the schema); eaapl holds its type, when its
// Go type does not say it (a string that is an address or a time), and "required"; desc is its English
// description, which the LLM planner reads; "stored" marks a list argument that takes a stored list as
// it is (Field.Stored). The Go types that say their catalog type are in goTypes.

// goTypes maps the Go types of values to their catalog types.
var goTypes = map[reflect.Type]Type{
	reflect.TypeFor[string]():       String,
	reflect.TypeFor[bool]():         Bool,
	reflect.TypeFor[int]():          Int,
	reflect.TypeFor[int64]():        Int,
	reflect.TypeFor[int32]():        Int,
	reflect.TypeFor[ContactValue](): Contact,
	reflect.TypeFor[Recipient]():    Contact,
	reflect.TypeFor[Content]():      ContentType,
	reflect.TypeFor[ContentRef]():   ContentType,
	reflect.TypeFor[any]():          Any,
}

func goTypeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// typeOfGo returns the catalog type of a Go type, or false when it has none.
func typeOfGo(t reflect.Type) (Type, bool) {
	if ct, ok := goTypes[t]; ok {
		return ct, true
	}
	if t.Kind() == reflect.Slice {
		if elem, ok := typeOfGo(t.Elem()); ok {
			return ListOf(elem), true
		}
	}
	return "", false
}

// fieldsOf derives the schema of a struct type; it panics on a field it cannot type, a programming error
// that every test of the registry meets at once.
func fieldsOf(t reflect.Type) []Field {
	fields, err := schemaOf(t)
	if err != nil {
		panic(err.Error())
	}
	return fields
}

// schemaOf derives the fields of a struct type from its tags, in declaration order.
func schemaOf(t reflect.Type) ([]Field, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("catalog: schema of %s: it must be a struct", t)
	}
	fields := []Field{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		f := Field{Name: name, Description: sf.Tag.Get("desc")}
		for _, part := range strings.Split(sf.Tag.Get("eaapl"), ",") {
			switch part = strings.TrimSpace(part); {
			case part == "":
			case part == "required":
				f.Required = true
			case part == "stored":
				f.Stored = true
			default:
				f.Type = Type(part)
			}
		}
		if f.Type == "" {
			typ, ok := typeOfGo(sf.Type)
			if !ok {
				return nil, fmt.Errorf("catalog: %s.%s (%s): no catalog type; say it with eaapl:\"<type>\"", t.Name(), sf.Name, sf.Type)
			}
			f.Type = typ
		}
		if !Known(f.Type) {
			return nil, fmt.Errorf("catalog: %s.%s: unknown type %q", t.Name(), sf.Name, f.Type)
		}
		if f.Description == "" {
			return nil, fmt.Errorf("catalog: %s.%s: no description; add desc:\"...\"", t.Name(), sf.Name)
		}
		fields = append(fields, f)
	}
	return fields, nil
}
