package activities

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/catalog"
)

// staticContacts is an address book in memory.
type staticContacts = contacts.List

// inputRequest returns the question of a NeedsInput error, failing the test for any other outcome.
func inputRequest(tb testing.TB, err error) catalog.InputRequest {
	tb.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != catalog.ErrNeedsInput || !appErr.NonRetryable() {
		tb.Fatalf("got error %v, want a non-retryable %s error", err, catalog.ErrNeedsInput)
	}
	var req catalog.InputRequest
	if err := appErr.Details(&req); err != nil {
		tb.Fatalf("NeedsInput details: %v", err)
	}
	return req
}

func TestComposeEmailAsksForABlankBody(t *testing.T) {
	a, _, _ := newTestActivities()
	_, err := a.ComposeEmail(context.Background(), task("t1", map[string]any{"body": " \n\t"}))
	req := inputRequest(t, err)
	if req.Param != "body" || req.Kind != catalog.InputText || req.Question == "" || req.WorkerID != "worker_test" {
		t.Fatalf("request = %+v, want a text question setting body, from worker_test", req)
	}
}

func TestFindContact(t *testing.T) {
	john1 := Contact{Name: "John Smith", Email: "john.smith@example.com", Source: "c.vcf:1"}
	john2 := Contact{Name: "john doe", Email: "jd@example.com", Source: "c.vcf:6"}
	ann := Contact{Name: "Ann Lee", Email: "ann@example.com", Source: "c.vcf:11"}
	a, _, _ := newTestActivities()
	a.Contacts = staticContacts{john1, john2, ann}
	find := func(t *testing.T, params map[string]any) (catalog.TaskResult, error) {
		t.Helper()
		return a.FindContact(context.Background(), task("find", params))
	}
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   Contact
	}{
		{"FindsTheOneContactWithAFirstName", map[string]any{"name": "ann"}, ann},
		{"PrefersTheFullName", map[string]any{"name": "John  Smith"}, john1},
		{"FindsAnAddressInTheContacts", map[string]any{"name": "ANN@example.com"}, ann},
		{"TakesTheAnsweredAddressOfAContact", map[string]any{"name": "John", "email": "jd@example.com"}, john2},
		{"TakesAnAnsweredAddressNotInTheContacts", map[string]any{"name": "Dave", "email": "dave@example.org"}, Contact{Name: "Dave", Email: "dave@example.org", Source: "your answer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := find(t, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Output["contact"]; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("contact = %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("AsksWhichOfTwoContactsWithTheName", func(t *testing.T) {
		_, err := find(t, map[string]any{"name": "John"})
		req := inputRequest(t, err)
		want := []catalog.Option{{Value: john1.Email, Label: "John Smith <john.smith@example.com>"}, {Value: john2.Email, Label: "john doe <jd@example.com>"}}
		if req.Kind != catalog.InputChoice || req.Param != "email" || !reflect.DeepEqual(req.Options, want) {
			t.Fatalf("request = %+v, want a choice of %+v setting email", req, want)
		}
		if req.Question != "2 contacts are named John. Which one?" {
			t.Fatalf("question = %q", req.Question)
		}
	})
	t.Run("AsksForTheAddressOfAnUnknownName", func(t *testing.T) {
		_, err := find(t, map[string]any{"name": "Dave"})
		req := inputRequest(t, err)
		if req.Kind != catalog.InputAddress || req.Param != "email" || req.Question != "No contact is named Dave. What is Dave's email address?" {
			t.Fatalf("request = %+v", req)
		}
	})
	t.Run("AsksToConfirmAnAddressNotInTheContacts", func(t *testing.T) {
		_, err := find(t, map[string]any{"name": "dave@example.org"})
		req := inputRequest(t, err)
		want := []catalog.Option{{Value: "yes", Label: "send to dave@example.org", Arg: "dave@example.org"}}
		if req.Kind != catalog.InputChoice || req.Param != "email" || !reflect.DeepEqual(req.Options, want) {
			t.Fatalf("request = %+v, want a yes confirming dave@example.org", req)
		}
	})
	t.Run("RejectsABadAnsweredAddress", func(t *testing.T) {
		_, err := find(t, map[string]any{"name": "Dave", "email": "dave"})
		assertAppError(t, err, catalog.ErrInvalidArgument, `"dave" is not a valid email address`)
	})
}
