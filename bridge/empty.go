package bridge

import (
	"reflect"
	"strings"
)

// withEmptyCollections returns v, or a copy of it whose nil maps and slices are empty, for the fields
// without omitempty (those of embedded structs included). The schemas say "object" and "array" for
// these fields, and encoding/json writes a nil map or slice as null.
func withEmptyCollections(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct || !hasNilCollection(rv) {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	fillCollections(cp)
	return cp.Interface()
}

func hasNilCollection(rv reflect.Value) bool {
	found := false
	eachRequiredCollection(rv, func(f reflect.Value) { found = found || f.IsNil() })
	return found
}

func fillCollections(rv reflect.Value) {
	eachRequiredCollection(rv, func(f reflect.Value) {
		if !f.IsNil() {
			return
		}
		switch f.Kind() {
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	})
}

// eachRequiredCollection calls fn for every exported map or slice field of the struct rv that JSON
// encodes and does not omit when empty, descending into embedded structs.
func eachRequiredCollection(rv reflect.Value, fn func(reflect.Value)) {
	t := rv.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct && tag == "" {
			eachRequiredCollection(rv.Field(i), fn)
			continue
		}
		if _, opts, _ := strings.Cut(tag, ","); strings.Contains(","+opts+",", ",omitempty,") {
			continue
		}
		// []byte and json.RawMessage are not arrays in JSON; leave them alone.
		if k := sf.Type.Kind(); k == reflect.Map || k == reflect.Slice && sf.Type.Elem().Kind() != reflect.Uint8 {
			fn(rv.Field(i))
		}
	}
}
