package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

// fakeMailbox is a Mailbox whose history is a map of address -> last time emailed, and whose sent IDs are
// a set. It records its calls.
type fakeMailbox struct {
	mu       sync.Mutex
	history  map[string]time.Time // lower-case address -> when
	ids      map[string]bool
	err      error
	calls    int
	lastFrom string
	lastTo   []string
	lastSpan [2]time.Time
}

func (f *fakeMailbox) Emailed(_ context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.lastFrom, f.lastTo, f.lastSpan = from, append([]string(nil), to...), [2]time.Time{since, until}
	if f.err != nil {
		return nil, f.err
	}
	found := map[string]time.Time{}
	for _, addr := range to {
		if when, ok := f.history[strings.ToLower(addr)]; ok && !when.Before(since) && when.Before(until) {
			found[addr] = when
		}
	}
	return found, nil
}

func (f *fakeMailbox) HasMessageID(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	return f.ids[id], nil
}

// fakeSender records the messages it sends and adds their IDs to a mailbox, as a real mail server would.
type fakeSender struct {
	mu      sync.Mutex
	sent    []Message
	err     error
	mailbox *fakeMailbox
}

func (f *fakeSender) Send(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, m)
	if f.mailbox != nil {
		f.mailbox.mu.Lock()
		if f.mailbox.ids == nil {
			f.mailbox.ids = map[string]bool{}
		}
		f.mailbox.ids[m.MessageID] = true
		f.mailbox.mu.Unlock()
	}
	return nil
}

var me = mail.Address{Name: "EaaPL Demo", Address: "me@example.com"}

func newTestActivities() (*testWorker, *fakeMailbox, *fakeSender) {
	mb := &fakeMailbox{history: map[string]time.Time{}, ids: map[string]bool{}}
	s := &fakeSender{mailbox: mb}
	return &testWorker{
		Contacts: FileContacts{Path: "../examples/contacts.vcf"},
		Mailbox:  mb,
		Sender:   s,
		From:     me,
		WorkerID: "worker_test",
	}, mb, s
}

func task(id string, params map[string]any) catalog.Task {
	return catalog.Task{
		TaskID:     id,
		Parameters: params,
		Context:    catalog.TaskContext{WorkflowID: "wf-1", Step: "send", Item: 0, IdempotencyKey: "wf-1/send/0"},
	}
}

// errorType returns the application error type of err and whether it is non-retryable; "" when err is
// not an application error.
func errorType(tb testing.TB, err error) (string, bool) {
	tb.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return "", false
	}
	return appErr.Type(), appErr.NonRetryable()
}

// assertInvalid fails unless err is a non-retryable application error of type want whose message holds
// every fragment.
func assertAppError(tb testing.TB, err error, want string, fragments ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", want)
	}
	typ, nonRetryable := errorType(tb, err)
	if typ != want || !nonRetryable {
		tb.Fatalf("got error %v (type %q, non-retryable %v), want non-retryable %s", err, typ, nonRetryable, want)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			tb.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// assertRetryable fails unless err is an error that Temporal will retry.
func assertRetryable(tb testing.TB, err error, fragments ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatal("got no error, want a retryable one")
	}
	if _, nonRetryable := errorType(tb, err); nonRetryable {
		tb.Fatalf("got non-retryable error %v, want a retryable one", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			tb.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestBadParameters(t *testing.T) {
	a, _, _ := newTestActivities()
	contacts := []any{map[string]any{"name": "Alice", "email": "alice@example.com", "source": "contacts.vcf:4"}}
	type method func(context.Context, catalog.Task) (catalog.TaskResult, error)
	for _, tc := range []struct {
		name   string
		run    method
		params map[string]any
		want   []string // fragments of the message
	}{
		{"ComposeWithoutBody", a.ComposeEmail, map[string]any{"subject": "Hi"}, []string{"ComposeEmail task t1", `missing required parameter "body"`, "a string"}},
		{"ComposeWithNullBody", a.ComposeEmail, map[string]any{"body": nil}, []string{`missing required parameter "body"`}},
		{"ComposeWithNumberBody", a.ComposeEmail, map[string]any{"body": 42.0}, []string{`parameter "body" must be a string; got a number 42`}},
		{"ComposeWithListSubject", a.ComposeEmail, map[string]any{"body": "x", "subject": []any{"a"}}, []string{`parameter "subject" must be a string; got a list`}},
		{"HistoryWithoutSince", a.CheckEmailHistory, map[string]any{"contacts": contacts}, []string{"CheckEmailHistory task t1", `missing required parameter "since"`, "RFC 3339"}},
		{"HistoryWithoutContacts", a.CheckEmailHistory, map[string]any{"since": "2026-11-23T00:00:00Z"}, []string{`missing required parameter "contacts"`}},
		{"HistoryWithContactsString", a.CheckEmailHistory, map[string]any{"contacts": "alice", "since": "2026-11-23T00:00:00Z"}, []string{`parameter "contacts" must be a list whose items are each a contact`, `got a string "alice"`}},
		{"HistoryWithContactNumber", a.CheckEmailHistory, map[string]any{"contacts": []any{7.0}, "since": "2026-11-23T00:00:00Z"}, []string{`parameter "contacts" must be a list`}},
		{"HistoryWithContactWithoutEmail", a.CheckEmailHistory, map[string]any{"contacts": []any{map[string]any{"name": "Bob", "source": "c.csv:3"}}, "since": "2026-11-23T00:00:00Z"}, []string{"contact 1 of the list (Bob from c.csv:3) has no email address"}},
		{"HistoryWithSinceNumber", a.CheckEmailHistory, map[string]any{"contacts": contacts, "since": 1.0}, []string{`parameter "since" must be a time`, "got a number 1"}},
		{"HistoryWithSinceNotRFC3339", a.CheckEmailHistory, map[string]any{"contacts": contacts, "since": "last monday"}, []string{`parameter "since" must be a time`, `"last monday"`}},
		{"HistoryWithUntilNotRFC3339", a.CheckEmailHistory, map[string]any{"contacts": contacts, "since": "2026-11-23T00:00:00Z", "until": "2026-11-25"}, []string{`parameter "until" must be a time`}},
		{"HistoryWithEmptyRange", a.CheckEmailHistory, map[string]any{"contacts": contacts, "since": "2026-11-23T00:00:00Z", "until": "2026-11-23T00:00:00Z"}, []string{"the time range is empty"}},
		{"SendWithoutTo", a.SendEmail, map[string]any{"subject": "Hi", "body": "Hello"}, []string{"SendEmail task t1", `missing required parameter "to"`, "a contact"}},
		{"SendWithoutSubject", a.SendEmail, map[string]any{"to": "bob@example.com", "body": "Hello"}, []string{`missing required parameter "subject"`}},
		{"SendWithNumberTo", a.SendEmail, map[string]any{"to": 3.0, "subject": "Hi", "body": "Hello"}, []string{`parameter "to" must be a contact`, "got a number 3"}},
		{"SendWithBadAddress", a.SendEmail, map[string]any{"to": map[string]any{"name": "Bob", "email": "bob.example.com", "source": "contacts.csv:3"}, "subject": "Hi", "body": "Hello"}, []string{`"bob.example.com" (from contacts.csv:3) is not a valid email address`}},
		{"SendWithAddressWithoutDomain", a.SendEmail, map[string]any{"to": "bob@", "subject": "Hi", "body": "Hello"}, []string{`"bob@" is not a valid email address`}},
		{"SendWithEmptyAddress", a.SendEmail, map[string]any{"to": map[string]any{"name": "Bob", "email": ""}, "subject": "Hi", "body": "Hello"}, []string{`"" is not a valid email address: it is empty`}},
		{"SendWithBlankBody", a.SendEmail, map[string]any{"to": "bob@example.com", "subject": "Hi", "body": ""}, []string{`"body" must not be blank`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.run(context.Background(), catalog.Task{TaskID: "t1", Parameters: tc.params, Context: catalog.TaskContext{IdempotencyKey: "k"}})
			assertAppError(t, err, catalog.ErrInvalidArgument, tc.want...)
		})
	}
}

func TestSendEmail(t *testing.T) {
	t.Run("ADryRunSendsNothingAndSaysWhatItWouldSend", func(t *testing.T) {
		a, _, sender := newTestActivities()
		tk := task("task_dry", map[string]any{"to": map[string]any{"email": "bob@example.com"}, "subject": "Hello World!", "body": "Hello World!"})
		tk.DryRun = true
		res, err := a.SendEmail(context.Background(), tk)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Preview, "would send 'Hello World!' to bob@example.com"; got != want || len(sender.sent) != 0 {
			t.Fatalf("preview %q, sent %v; want %q and nothing sent", got, sender.sent, want)
		}
		if got, want := res.Output["message_id"], MessageID("wf-1/send/0", "me@example.com"); got != want {
			t.Errorf("message_id = %v, want the one the email would have, %s", got, want)
		}
		tk.Parameters["to"] = map[string]any{"email": "not-an-address"}
		_, err = a.SendEmail(context.Background(), tk)
		assertAppError(t, err, catalog.ErrInvalidArgument, "not-an-address", "is not a valid email address")
	})
	t.Run("SendsOnceWithDeterministicMessageID", func(t *testing.T) {
		a, _, sender := newTestActivities()
		tk := task("task_003_2", map[string]any{
			"to":      map[string]any{"name": "Bob Example", "email": "bob@example.com", "source": "contacts.vcf:9"},
			"subject": "Hello World!",
			"body":    "Hello World!",
		})
		res, err := a.SendEmail(context.Background(), tk)
		if err != nil {
			t.Fatal(err)
		}
		wantID := MessageID("wf-1/send/0", "me@example.com")
		if got, want := res.Output, map[string]any{"recipient": "bob@example.com", "message_id": wantID, "already_sent": false, "cc": []string{}, "attached": []string{}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("output = %v, want %v", got, want)
		}
		if res.TaskID != "task_003_2" || res.WorkerID != "worker_test" || res.Status != catalog.StatusSuccess {
			t.Fatalf("result = %+v", res)
		}
		want := Message{From: "me@example.com", FromName: "EaaPL Demo", To: "bob@example.com", ToName: "Bob Example", Subject: "Hello World!", Body: "Hello World!", MessageID: wantID}
		if len(sender.sent) != 1 || !reflect.DeepEqual(sender.sent[0], want) {
			t.Fatalf("sent %+v, want exactly %+v", sender.sent, want)
		}

		// A retry of the same task finds the message in the mailbox and does not send it again.
		res, err = a.SendEmail(context.Background(), tk)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Output["already_sent"]; got != true {
			t.Fatalf("already_sent = %v on the second attempt, want true", got)
		}
		if got := res.Output["message_id"]; got != wantID {
			t.Fatalf("message_id = %v on the second attempt, want %v", got, wantID)
		}
		if len(sender.sent) != 1 {
			t.Fatalf("sent %d messages, want 1", len(sender.sent))
		}
	})
	t.Run("AcceptsBareAddress", func(t *testing.T) {
		a, _, sender := newTestActivities()
		res, err := a.SendEmail(context.Background(), task("t", map[string]any{"to": "Carol <carol@example.com>", "subject": "S", "body": "B"}))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Output["recipient"], "carol@example.com"; got != want {
			t.Fatalf("recipient = %v, want %v", got, want)
		}
		if got, want := sender.sent[0].ToName, "Carol"; got != want {
			t.Fatalf("to name = %q, want %q", got, want)
		}
	})
	t.Run("RequiresIdempotencyKey", func(t *testing.T) {
		a, _, sender := newTestActivities()
		tk := task("t", map[string]any{"to": "bob@example.com", "subject": "S", "body": "B"})
		tk.Context.IdempotencyKey = ""
		_, err := a.SendEmail(context.Background(), tk)
		assertAppError(t, err, catalog.ErrInvalidArgument, "idempotency key")
		if len(sender.sent) != 0 {
			t.Fatal("sent without an idempotency key")
		}
	})
	t.Run("DoesNotSendWhenMailboxIsDown", func(t *testing.T) {
		a, mb, sender := newTestActivities()
		mb.err = errors.New("mailbox http://127.0.0.1:8025 unreachable: connection refused")
		_, err := a.SendEmail(context.Background(), task("t", map[string]any{"to": "bob@example.com", "subject": "S", "body": "B"}))
		assertRetryable(t, err, "http://127.0.0.1:8025")
		if len(sender.sent) != 0 {
			t.Fatal("sent without knowing whether an earlier attempt had")
		}
	})
	for _, tc := range []struct {
		name      string
		err       error
		wantType  string // "" for retryable
		fragments []string
	}{
		{"MailboxUnavailableIsInvalidArgument", &RejectedError{Server: "127.0.0.1:1025", Code: 550, Reply: "550 5.1.1 mailbox unavailable"}, catalog.ErrInvalidArgument, []string{"bob@example.com", "550 5.1.1 mailbox unavailable"}},
		{"BadCredentialsAreUnauthorized", &RejectedError{Server: "127.0.0.1:1025", Code: 535, Reply: "535 5.7.8 authentication failed", Auth: true}, catalog.ErrUnauthorized, []string{"535 5.7.8"}},
		{"TemporaryFailureIsRetried", errors.New("SMTP server 127.0.0.1:1025 unreachable: connection refused"), "", []string{"SMTP server 127.0.0.1:1025 unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, sender := newTestActivities()
			sender.err = tc.err
			_, err := a.SendEmail(context.Background(), task("t", map[string]any{"to": "bob@example.com", "subject": "S", "body": "B"}))
			if tc.wantType == "" {
				assertRetryable(t, err, tc.fragments...)
			} else {
				assertAppError(t, err, tc.wantType, tc.fragments...)
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	id := MessageID("wf-1/send/3", "Me@Example.COM")
	if got, want := id, MessageID("wf-1/send/3", "me@example.com"); got != want {
		t.Fatalf("MessageID is not deterministic: %q != %q", got, want)
	}
	if id == MessageID("wf-1/send/4", "me@example.com") {
		t.Fatal("two keys gave one MessageID")
	}
	for _, tc := range []struct{ key, from, wantSuffix string }{
		{"wf-1/send/3", "me@example.com", "@example.com>"},
		{"key with spaces <and> \"quotes\"\r\n", "me@mail.example.org", "@mail.example.org>"},
		{"k", "not an address", "@eaapl.invalid>"},
		{"k", "me@[127.0.0.1]", "@eaapl.invalid>"},
		{"k", "", "@eaapl.invalid>"},
	} {
		id := MessageID(tc.key, tc.from)
		if !strings.HasPrefix(id, "<eaapl.") || !strings.HasSuffix(id, tc.wantSuffix) {
			t.Errorf("MessageID(%q, %q) = %q, want <eaapl.…%s", tc.key, tc.from, id, tc.wantSuffix)
		}
		// The ID must parse as an RFC 5322 msg-id: a dot-atom on each side of the @.
		if _, err := mail.ParseAddress(strings.Trim(id, "<>")); err != nil {
			t.Errorf("MessageID(%q, %q) = %q is not RFC 5322 safe: %v", tc.key, tc.from, id, err)
		}
	}
}

func TestCheckEmailHistory(t *testing.T) {
	since := "2026-11-23T00:00:00+01:00"
	contacts := []any{
		map[string]any{"name": "Carol", "email": "carol@example.com", "source": "contacts.vcf:14"},
		map[string]any{"name": "Alice", "email": "Alice@Example.com", "source": "contacts.vcf:4"},
		map[string]any{"name": "Bob", "email": "bob@example.com", "source": "contacts.vcf:9"},
	}
	t.Run("SplitsContactsByHistory", func(t *testing.T) {
		a, mb, _ := newTestActivities()
		mb.history["alice@example.com"] = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		mb.history["carol@example.com"] = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		mb.history["bob@example.com"] = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) // before the range
		res, err := a.CheckEmailHistory(context.Background(), task("task_002", map[string]any{"contacts": contacts, "since": since, "until": "2026-11-25T21:40:00Z"}))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"emailed":     []string{"Alice@Example.com", "carol@example.com"},
			"not_emailed": []Contact{{Name: "Bob", Email: "bob@example.com", Source: "contacts.vcf:9"}},
			"since":       "2026-11-22T23:00:00Z",
			"until":       "2026-11-25T21:40:00Z",
		}
		if !reflect.DeepEqual(res.Output, want) {
			t.Fatalf("output = %#v\nwant %#v", res.Output, want)
		}
		if mb.calls != 1 || len(mb.lastTo) != 3 || mb.lastFrom != "me@example.com" {
			t.Fatalf("mailbox asked %d times for %v from %q; want once for all three from me@example.com", mb.calls, mb.lastTo, mb.lastFrom)
		}
	})
	t.Run("UntilDefaultsToNow", func(t *testing.T) {
		a, mb, _ := newTestActivities()
		before := time.Now()
		res, err := a.CheckEmailHistory(context.Background(), task("t", map[string]any{"contacts": contacts, "since": since, "until": ""}))
		if err != nil {
			t.Fatal(err)
		}
		until, err := time.Parse(time.RFC3339, res.Output["until"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if until.Before(before) || until.After(time.Now().Add(time.Second)) {
			t.Fatalf("until = %v, want now (%v)", until, before)
		}
		if !mb.lastSpan[1].Equal(until) {
			t.Fatalf("searched until %v, reported %v", mb.lastSpan[1], until)
		}
	})
	t.Run("NoContactsAsksNothing", func(t *testing.T) {
		a, mb, _ := newTestActivities()
		res, err := a.CheckEmailHistory(context.Background(), task("t", map[string]any{"contacts": []any{}, "since": since}))
		if err != nil {
			t.Fatal(err)
		}
		if mb.calls != 0 || len(res.Output["emailed"].([]string)) != 0 || len(res.Output["not_emailed"].([]Contact)) != 0 {
			t.Fatalf("output %v after %d mailbox calls", res.Output, mb.calls)
		}
	})
	t.Run("UnreachableMailboxIsRetried", func(t *testing.T) {
		a, mb, _ := newTestActivities()
		mb.err = errors.New(`mailbox http://127.0.0.1:8025 unreachable: connection refused`)
		_, err := a.CheckEmailHistory(context.Background(), task("t", map[string]any{"contacts": contacts, "since": since}))
		assertRetryable(t, err, "http://127.0.0.1:8025")
	})
}

func TestComposeEmail(t *testing.T) {
	long := "The quick brown fox jumps over the lazy dog and keeps running far beyond the horizon of this line"
	for _, tc := range []struct {
		name, body, subject, wantSubject string
	}{
		{"SubjectIsFirstLine", "Hello World!", "", "Hello World!"},
		{"SubjectSkipsBlankLines", "\n  \n  Hi there  \nSecond line", "", "Hi there"},
		{"SubjectFromCRLFBody", "Hi\r\nthere", "", "Hi"},
		{"LongLineIsCutAtWord", long, "", "The quick brown fox jumps over the lazy dog and keeps running far beyond the…"},
		{"LongWordIsCutHard", strings.Repeat("x", 100), "", strings.Repeat("x", 77) + "…"},
		{"ExactlyMaxIsKept", strings.Repeat("y", 78), "", strings.Repeat("y", 78)},
		{"CutCountsCharactersNotBytes", strings.Repeat("é", 80), "", strings.Repeat("é", 77) + "…"},
		{"ExplicitSubjectWins", "Body", "  Greetings  ", "Greetings"},
		{"ExplicitSubjectOnOneLine", "Body", "Two\r\nlines", "Two lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := newTestActivities()
			params := map[string]any{"body": tc.body}
			if tc.subject != "" {
				params["subject"] = tc.subject
			}
			res, err := a.ComposeEmail(context.Background(), task("t", params))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Output["subject"]; got != tc.wantSubject {
				t.Fatalf("subject = %q, want %q", got, tc.wantSubject)
			}
			if n := len([]rune(res.Output["subject"].(string))); n > 78 {
				t.Fatalf("subject has %d characters, more than 78", n)
			}
			if got := res.Output["body"]; got != tc.body {
				t.Fatalf("body = %q, want %q", got, tc.body)
			}
			if len(res.Output) != 2 {
				t.Fatalf("output has fields %v, want subject and body", res.Output)
			}
		})
	}
}

// runActivity runs one command as a real Temporal activity and decodes its result, as the workflow sees it.
func runActivity(tb testing.TB, a *testWorker, fn any, t catalog.Task) (catalog.TaskResult, error) {
	tb.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	a.commands().Register(env) // one activity per command, as a worker registers them
	return runActivityIn(tb, env, fn, t)
}

// runActivityIn runs an activity registered in env and decodes its result, as the workflow sees it.
func runActivityIn(tb testing.TB, env *testsuite.TestActivityEnvironment, fn any, t catalog.Task) (catalog.TaskResult, error) {
	tb.Helper()
	val, err := env.ExecuteActivity(fn, t)
	if err != nil {
		return catalog.TaskResult{}, err
	}
	var res catalog.TaskResult
	if err := val.Get(&res); err != nil {
		tb.Fatal(err)
	}
	return res, nil
}

func TestAsActivities(t *testing.T) {
	a, mb, sender := newTestActivities()
	mb.history["bob@example.com"] = time.Now().Add(-time.Hour)

	res, err := runActivity(t, a, a.RetrieveContacts, catalog.Task{TaskID: "task_001"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempt != 1 || res.WorkerID != "worker_test" || res.Status != "success" || res.TaskID != "task_001" {
		t.Fatalf("RetrieveContacts result = %+v", res)
	}
	if got := res.Output["count"]; got != 3.0 {
		t.Fatalf("count = %v, want 3", got)
	}
	contacts := res.Output["contacts"]
	first := contacts.([]any)[0]
	if want := map[string]any{"name": "Alice Example", "email": "alice@example.com", "source": "contacts.vcf:4"}; !reflect.DeepEqual(first, want) {
		t.Fatalf("first contact = %v, want %v", first, want)
	}

	since := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	res, err = runActivity(t, a, a.CheckEmailHistory, catalog.Task{TaskID: "task_002", Parameters: map[string]any{"contacts": contacts, "since": since}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Output["emailed"], []any{"bob@example.com"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("emailed = %v, want %v", got, want)
	}
	notEmailed := res.Output["not_emailed"].([]any)
	if len(notEmailed) != 2 || notEmailed[1].(map[string]any)["email"] != "carol@example.com" {
		t.Fatalf("not_emailed = %v, want alice and carol", notEmailed)
	}

	res, err = runActivity(t, a, a.ComposeEmail, catalog.Task{TaskID: "task_003", Parameters: map[string]any{"body": "Hello World!"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Output, map[string]any{"subject": "Hello World!", "body": "Hello World!"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ComposeEmail output = %v, want %v", got, want)
	}

	send := task("task_004_2", map[string]any{"to": notEmailed[1], "subject": "Hello World!", "body": "Hello World!"})
	res, err = runActivity(t, a, a.SendEmail, send)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Output, map[string]any{"recipient": "carol@example.com", "message_id": MessageID(send.Context.IdempotencyKey, me.Address), "already_sent": false, "cc": []any{}, "attached": []any{}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("SendEmail output = %v, want %v", got, want)
	}
	if len(sender.sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sender.sent))
	}

	// An error crosses the activity boundary with its type and retryability.
	send.Parameters["to"] = map[string]any{"name": "Dan", "email": "dan@", "source": "contacts.csv:5"}
	_, err = runActivity(t, a, a.SendEmail, send)
	assertAppError(t, err, catalog.ErrInvalidArgument, `"dan@" (from contacts.csv:5)`)
}

// Issue 16: contacts given as a stored list (a long address book) are read, searched for and written
// again a page at a time: not_emailed is a stored list, and emailed is one past 1,000 addresses.
func TestCheckEmailHistoryOfAStoredList(t *testing.T) {
	ctx := context.Background()
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := contentstore.FromStore(dir)
	storeContacts := func(t *testing.T, n int) contentvalue.List {
		w := contentvalue.NewListWriter(store, 0)
		for i := range n {
			if err := w.Add(ctx, Contact{Name: fmt.Sprintf("P%d", i+1), Email: fmt.Sprintf("p%d@example.com", i+1), Source: fmt.Sprintf("c.csv:%d", i+2)}); err != nil {
				t.Fatal(err)
			}
		}
		l, err := w.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	run := func(mb *fakeMailbox, list any, st catalog.ContentStore) (catalog.TaskResult, error) {
		c := &Commands{Deps: catalog.Deps{email.Deps{Mailbox: mb, From: me, Store: st}}, WorkerID: "w"}
		tk := task("t", map[string]any{"contacts": list, "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T00:00:00Z"})
		tk.Command = "CheckEmailHistory"
		return c.Run(ctx, tk)
	}
	emailedAt := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	readAll := func(t *testing.T, v any) []json.RawMessage {
		t.Helper()
		l, ok := contentvalue.ListOf(v)
		if !ok {
			t.Fatalf("%v is not a stored list", v)
		}
		items, err := contentvalue.ReadRange(ctx, store, l, 0, l.Count)
		if err != nil {
			t.Fatal(err)
		}
		return items
	}

	t.Run("ManyEmailed", func(t *testing.T) {
		const n = 25000
		mb := &fakeMailbox{history: map[string]time.Time{}}
		for i := 1; i <= n; i += 16 { // 1,563 addresses: past the 1,000 emailed carries itself
			mb.history[fmt.Sprintf("p%d@example.com", i)] = emailedAt
		}
		res, err := run(mb, storeContacts(t, n).Value(), store)
		if err != nil {
			t.Fatal(err)
		}
		if mb.calls != 3 || len(mb.lastTo) != 5000 {
			t.Errorf("the mailbox was searched %d times, the last for %d addresses; want 3 searches of at most 10,000", mb.calls, len(mb.lastTo))
		}
		emailed, notEmailed := readAll(t, res.Output["emailed"]), readAll(t, res.Output["not_emailed"])
		if len(emailed) != len(mb.history) || len(notEmailed) != n-len(mb.history) {
			t.Fatalf("%d emailed and %d not emailed, want %d and %d", len(emailed), len(notEmailed), len(mb.history), n-len(mb.history))
		}
		if string(emailed[1]) != `"p17@example.com"` {
			t.Errorf("emailed[1] = %s, want \"p17@example.com\" (the contacts' order)", emailed[1])
		}
		var c Contact
		if err := json.Unmarshal(notEmailed[0], &c); err != nil || c != (Contact{Name: "P2", Email: "p2@example.com", Source: "c.csv:3"}) {
			t.Errorf("not_emailed[0] = %s, want P2 whole", notEmailed[0])
		}
	})
	t.Run("FewEmailedAreCarried", func(t *testing.T) {
		mb := &fakeMailbox{history: map[string]time.Time{"p7@example.com": emailedAt, "p3@example.com": emailedAt}}
		res, err := run(mb, storeContacts(t, 1500).Value(), store)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Output["emailed"]; !reflect.DeepEqual(got, []string{"p3@example.com", "p7@example.com"}) {
			t.Errorf("emailed = %#v, want the two addresses", got)
		}
		if got := len(readAll(t, res.Output["not_emailed"])); got != 1498 {
			t.Errorf("%d not emailed, want 1,498", got)
		}
	})
	t.Run("AListAnotherStoreHoldsIsRefused", func(t *testing.T) {
		other, err := content.OpenDir(filepath.Join(t.TempDir(), "other"), content.DirOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = run(&fakeMailbox{history: map[string]time.Time{}}, storeContacts(t, 10).Value(), contentstore.FromStore(other))
		if typ, nonRetryable := errorType(t, err); typ != catalog.ErrNotFound || !nonRetryable || !strings.Contains(err.Error(), "one content store") {
			t.Errorf("error = %v (%s), want a NotFound naming the shared content store", err, typ)
		}
	})
	t.Run("WithoutAStore", func(t *testing.T) {
		_, err := run(&fakeMailbox{history: map[string]time.Time{}}, storeContacts(t, 10).Value(), nil)
		if typ, nonRetryable := errorType(t, err); typ != catalog.ErrInvalidArgument || !nonRetryable || !strings.Contains(err.Error(), "no content store") {
			t.Errorf("error = %v (%s), want an InvalidArgument: no content store", err, typ)
		}
	})
	t.Run("AnObjectThatIsNotAList", func(t *testing.T) {
		_, err := run(&fakeMailbox{history: map[string]time.Time{}}, map[string]any{"stored_list": "x"}, store)
		if typ, _ := errorType(t, err); typ != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), `parameter "contacts"`) {
			t.Errorf("error = %v (%s), want parameter \"contacts\" refused", err, typ)
		}
	})
}
