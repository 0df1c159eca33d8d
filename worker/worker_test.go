package worker_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/catalog"
)

// TestEveryCommandHasAnActivity checks that each catalog command is implemented by an Activities method
// of the same name and of the shape the workflow calls: func(context.Context, catalog.Task) (catalog.TaskResult, error).
func TestEveryCommandHasAnActivity(t *testing.T) {
	typ := reflect.TypeFor[*activities.Activities]()
	want := reflect.TypeFor[func(context.Context, catalog.Task) (catalog.TaskResult, error)]()
	for _, cmd := range catalog.Commands {
		t.Run(cmd.Name, func(t *testing.T) {
			m, ok := typ.MethodByName(cmd.Name)
			if !ok {
				t.Fatalf("Activities has no method %s", cmd.Name)
			}
			// The method's type includes the receiver; compare the rest.
			in := make([]reflect.Type, m.Type.NumIn()-1)
			for i := range in {
				in[i] = m.Type.In(i + 1)
			}
			out := make([]reflect.Type, m.Type.NumOut())
			for i := range out {
				out[i] = m.Type.Out(i)
			}
			if got := reflect.FuncOf(in, out, false); got != want {
				t.Fatalf("%s has type %s, want %s", cmd.Name, got, want)
			}
		})
	}
}

// TestEveryActivityIsACommand checks the other way: every exported method of Activities becomes an
// activity when registered, so each must be a catalog command.
func TestEveryActivityIsACommand(t *testing.T) {
	typ := reflect.TypeFor[*activities.Activities]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if _, ok := catalog.Lookup(name); !ok {
			t.Errorf("Activities.%s is registered as an activity but is not in the catalog", name)
		}
	}
}
