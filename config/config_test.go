package config_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/config"
)

// clearEnv unsets every EAAPL_*, KAFKA_* and OPENAI_* variable for the test (t.Setenv restores them afterwards), so
// the test sees the defaults whatever the developer's shell has set.
func clearEnv(tb testing.TB) {
	tb.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.Prefix+"_") || strings.HasPrefix(name, "KAFKA_") || strings.HasPrefix(name, "OPENAI_") {
			unsetenv(tb, name)
		}
	}
}

// unsetenv unsets a variable for the test; t.Setenv first, so that it is restored afterwards.
func unsetenv(tb testing.TB, name string) {
	tb.Helper()
	t, ok := tb.(*testing.T)
	if !ok {
		tb.Fatal("unsetenv needs a *testing.T")
	}
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		tb.Fatal(err)
	}
}

// readmeDefault is one variable's row in the README's configuration table.
type readmeDefault struct {
	value     string // the default as the README writes it
	described bool   // the README describes the default in words ("host-pid") instead of giving a value
}

var (
	backticked = regexp.MustCompile("`([^`]*)`")
	envName    = regexp.MustCompile(`^EAAPL_[A-Z0-9_]+$`)
)

// readmeDefaults reads the README's configuration table: rows whose first cell names EAAPL_* variables in
// backticks and whose second cell gives their defaults, either one backticked value per variable, "empty",
// or words for a default computed at run time.
func readmeDefaults(tb testing.TB, path string) map[string]readmeDefault {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]readmeDefault{}
	for i, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`EAAPL_") {
			continue
		}
		var names []string
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			if envName.MatchString(m[1]) {
				names = append(names, m[1])
			}
		}
		var values []string
		for _, m := range backticked.FindAllStringSubmatch(cells[2], -1) {
			values = append(values, m[1])
		}
		text := strings.TrimSpace(cells[2])
		for j, name := range names {
			var d readmeDefault
			switch {
			case len(values) == len(names):
				d.value = values[j]
			case text == "empty":
			case len(values) == 0:
				d = readmeDefault{value: text, described: true}
			default:
				tb.Fatalf("README.md:%d: %d variables but %d defaults: %s", i+1, len(names), len(values), line)
			}
			if _, dup := out[name]; dup {
				tb.Fatalf("README.md:%d: %s is in the table twice", i+1, name)
			}
			out[name] = d
		}
	}
	if len(out) == 0 {
		tb.Fatal("found no EAAPL_* rows in the README's configuration table")
	}
	return out
}

// loaded returns each EAAPL_* variable Load reads, by its name, with the value it has in c, as text.
// Variables of other families (KAFKA_*) are not in the README's EAAPL table and are left out.
func loaded(c config.Config) map[string]string {
	out := map[string]string{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Tag.Get("envconfig")
			switch {
			case name == "" && f.Kind() == reflect.Struct:
				walk(f)
			case strings.HasPrefix(name, config.Prefix+"_"):
				out[name] = fmt.Sprint(f.Interface())
			}
		}
	}
	walk(reflect.ValueOf(c))
	return out
}

// computedDefaults are the variables whose README default is described in words because it is worked out
// at run time; Load leaves them empty.
var computedDefaults = map[string]string{
	"EAAPL_WORKER_ID": "host-pid",              // worker.Identity: hostname-pid
	"EAAPL_WORKSPACE": "the working directory", // worker.NewDependencies opens "."
}

func TestLoadDefaultsAreTheDocs(t *testing.T) {
	clearEnv(t)
	c, err := config.Load()
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	got := loaded(c)
	readme := readmeDefaults(t, filepath.Join("..", "docs", "configuration.md"))

	for _, name := range slices.Sorted(maps.Keys(readme)) {
		want := readme[name]
		value, ok := got[name]
		if !ok {
			t.Errorf("README documents %s, which Load does not read", name)
			continue
		}
		if want.described {
			if words, known := computedDefaults[name]; !known || words != want.value {
				t.Errorf("README gives %s the default %q in words; only %v are expected to be computed", name, want.value, computedDefaults)
			}
			if value != "" {
				t.Errorf("%s = %q, want empty: its default is computed at run time", name, value)
			}
			continue
		}
		if value != want.value {
			t.Errorf("%s = %q, README says %q", name, value, want.value)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := readme[name]; !ok {
			t.Errorf("Load reads %s, which the README's configuration table does not document", name)
		}
	}
}

func TestLoadRejectsValuesThatMakeNoSense(t *testing.T) {
	for _, tc := range []struct {
		name, value string
	}{
		{"EAAPL_MAX_CONCURRENCY", "0"},
		{"EAAPL_MAX_CONCURRENCY", "501"},
		{"EAAPL_MAX_CONCURRENCY", "ten"},
		{"EAAPL_MAX_CONCURRENCY", ""},
		{"EAAPL_SMTP_TLS", "maybe"},
		{"EAAPL_ADAPTIVE", "sometimes"},
		{"EAAPL_BATCH_SECONDS", "0"},
		{"EAAPL_BATCH_SECONDS", "601"},
		{"EAAPL_HTTP_ALLOW", "10.0.0.0/99"},
		{"EAAPL_TIMEZONE", "Mars/Base"},
		{"EAAPL_LOG_LEVEL", "loud"},
		{"EAAPL_DEV_TEMPORAL_PORT", "x"},
		{"EAAPL_DEV_UI_PORT", "70000"},
		{"EAAPL_DEV_SMTP_PORT", "-1"},
		{"EAAPL_DEV_MAILPIT_PORT", "0"},
		{"EAAPL_DEV_SHUTDOWN_TIMEOUT", "soon"},
		{"EAAPL_DEV_SHUTDOWN_TIMEOUT", "0s"},
		{"EAAPL_TASK_QUEUE", ""},
		{"EAAPL_USER_EMAIL", "notanemail"},
		{"EAAPL_USER_EMAIL", "Me <me@example.com>"},
		{"EAAPL_USER_EMAIL", ""},
		{"EAAPL_EVENTS_TIMEOUT", "0s"},
		{"EAAPL_HEARTBEAT_INTERVAL", "-1s"},
		{"EAAPL_EVENTS_LOG_LEVEL", "loud"},
		{"EAAPL_DEV_KAFKA_PORT", "99999"},
		{"EAAPL_PLANNER", "maybe"},
		{"EAAPL_PLANNER", "llm"}, // with no model server configured
		{"EAAPL_PLANNER_TIMEOUT", "0s"},
		{"EAAPL_TEXT_ANALYZER", "cloud"},
		{"EAAPL_TEXT_ANALYZER", "model"}, // with no model server configured
		{"EAAPL_TEXT_MODEL_TIMEOUT", "0s"},
		{"EAAPL_TEXT_MODEL_MAX_BYTES", "10"},
		{"EAAPL_TEXT_MODEL_MAX_BYTES", "999999999"},
		{"OPENAI_BASE_URL", "localhost:11434"},
		{"EAAPL_QUESTION_TIMEOUT", "0s"},
		{"EAAPL_QUESTION_DEFAULT", "retry"},
		{"EAAPL_APPROVAL_THRESHOLD", "-1"},
		{"EAAPL_SHUTDOWN_TIMEOUT", "-1s"},
		{"EAAPL_SHUTDOWN_TIMEOUT", "a while"},
		{"KAFKA_TLS", "perhaps"},
		{"KAFKA_SASL_MECHANISM", "GSSAPI"},
		{"KAFKA_TOPIC_PARTITIONS", "many"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.name, tc.value)
			_, err := config.Load()
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tc.name, tc.value)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q does not name %s", err, tc.name)
			}
			if tc.value != "" && !strings.Contains(err.Error(), tc.value) {
				t.Errorf("error %q does not quote the value %q", err, tc.value)
			}
			if strings.Contains(err.Error(), "envconfig") || strings.Contains(err.Error(), "strconv") {
				t.Errorf("error %q leaks the parser's internals; a user should read one plain sentence", err)
			}
		})
	}
}

// go-mail never sends a password without TLS and says only "server does not support SMTP AUTH", a
// temporary-looking error every retry repeats: credentials with EAAPL_SMTP_TLS=none are refused at start.
func TestLoadRefusesSMTPCredentialsWithoutTLS(t *testing.T) {
	for _, name := range []string{"EAAPL_SMTP_USERNAME", "EAAPL_SMTP_PASSWORD"} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("EAAPL_SMTP_TLS", "none")
			t.Setenv(name, "planted-Value-77")
			_, err := config.Load()
			if err == nil {
				t.Fatalf("Load accepted %s with EAAPL_SMTP_TLS=none", name)
			}
			for _, want := range []string{"EAAPL_SMTP_TLS", "none", "mandatory"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "planted-Value-77") {
				t.Errorf("error %q holds the credential", err)
			}
		})
	}
}

// A CardDAV password set beside a contacts file would be ignored in silence, and two passwords leave
// which one is used to chance: both are refused, without the password in the message.
func TestLoadRefusesAddressBookCredentialsItCannotUse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		mentions []string
	}{
		{"PasswordBesideAFile", map[string]string{"EAAPL_CONTACTS": "contacts.vcf", "EAAPL_CONTACTS_PASSWORD": "planted-Value-78"},
			[]string{"EAAPL_CONTACTS", "contacts.vcf", "http(s)://"}},
		{"UserBesideAFile", map[string]string{"EAAPL_CONTACTS": "contacts.csv", "EAAPL_CONTACTS_USER": "me@example.com"},
			[]string{"EAAPL_CONTACTS_USER", "contacts.csv"}},
		{"PasswordAndFile", map[string]string{"EAAPL_CONTACTS": "https://dav.example.com/me/contacts/",
			"EAAPL_CONTACTS_PASSWORD": "planted-Value-78", "EAAPL_CONTACTS_PASSWORD_FILE": "/run/secrets/dav"},
			[]string{"EAAPL_CONTACTS_PASSWORD", "EAAPL_CONTACTS_PASSWORD_FILE", "not both"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := config.Load()
			if err == nil {
				t.Fatalf("Load accepted %v", tc.env)
			}
			for _, want := range tc.mentions {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "planted-Value-78") {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
	t.Run("AnAddressBookWithAPasswordFileLoads", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("EAAPL_CONTACTS", "https://dav.example.com/me/contacts/")
		t.Setenv("EAAPL_CONTACTS_USER", "me@example.com")
		t.Setenv("EAAPL_CONTACTS_PASSWORD_FILE", "/run/secrets/dav")
		c, err := config.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !c.ContactsIsAddressBook() || c.ContactsUser != "me@example.com" || c.ContactsPasswordFile != "/run/secrets/dav" {
			t.Fatalf("loaded %q, user %q, password file %q", c.Contacts, c.ContactsUser, c.ContactsPasswordFile)
		}
	})
}

func TestLoadAcceptsTheEdgesOfEachRange(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		get         func(config.Config) string
	}{
		{"EAAPL_MAX_CONCURRENCY", "1", func(c config.Config) string { return fmt.Sprint(c.MaxConcurrency) }},
		{"EAAPL_MAX_CONCURRENCY", "500", func(c config.Config) string { return fmt.Sprint(c.MaxConcurrency) }},
		{"EAAPL_SMTP_TLS", "none", func(c config.Config) string { return c.SMTPTLS }},
		{"EAAPL_SMTP_TLS", "mandatory", func(c config.Config) string { return c.SMTPTLS }},
		{"EAAPL_TIMEZONE", "Europe/London", func(c config.Config) string { return c.Timezone }},
		{"EAAPL_LOG_LEVEL", "debug", func(c config.Config) string { return c.LogLevel }},
		{"EAAPL_DEV_TEMPORAL_PORT", "65535", func(c config.Config) string { return fmt.Sprint(c.DevTemporalPort) }},
		{"EAAPL_DEV_SHUTDOWN_TIMEOUT", "1m30s", func(c config.Config) string { return c.DevShutdownBudget.String() }},
		// README: "`0` hands them back at once".
		{"EAAPL_SHUTDOWN_TIMEOUT", "0s", func(c config.Config) string { return c.ShutdownTimeout.String() }},
		// README: "empty for none".
		{"EAAPL_DEV_SEED", "", func(c config.Config) string { return c.DevSeed }},
		{"EAAPL_QUESTION_DEFAULT", "abort", func(c config.Config) string { return c.QuestionDefault }},
		{"EAAPL_APPROVAL_THRESHOLD", "0", func(c config.Config) string { return fmt.Sprint(c.ApprovalThreshold) }},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.name, tc.value)
			c, err := config.Load()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tc.get(c), tc.value; got != want {
				t.Errorf("%s = %q, want %q", tc.name, got, want)
			}
		})
	}
}

// envconfig, given a prefix, falls back to the bare tag name; EaaPL must read only its own EAAPL_* names,
// whatever LOG_LEVEL or TIMEZONE another program in the same shell uses.
func TestLoadIgnoresVariablesWithoutThePrefix(t *testing.T) {
	clearEnv(t)
	for name, value := range map[string]string{
		"TASK_QUEUE":      "someone-elses",
		"USER_ID":         "someone",
		"MAX_CONCURRENCY": "0",
		"TIMEZONE":        "Mars/Base",
		"LOG_LEVEL":       "loud",
		"DATA_DIR":        "/elsewhere",
	} {
		t.Setenv(name, value)
	}
	c, err := config.Load()
	if err != nil {
		t.Fatalf("Load read a variable without the EAAPL_ prefix: %v", err)
	}
	if got, want := c.TaskQueue, "eaapl"; got != want {
		t.Errorf("TaskQueue = %q, want %q", got, want)
	}
	if got, want := c.DataDir, ".eaapl"; got != want {
		t.Errorf("DataDir = %q, want %q", got, want)
	}
	if got, want := c.UserID, "user_123"; got != want {
		t.Errorf("UserID = %q, want %q", got, want)
	}
}

func TestTheTextAnalysisUsesTheModelOnlyWhenOneIsConfigured(t *testing.T) {
	for _, tc := range []struct {
		analyzer, baseURL string
		want              bool
	}{
		{"auto", "", false},
		{"auto", "http://127.0.0.1:11434/v1", true},
		{"embedded", "http://127.0.0.1:11434/v1", false},
		{"model", "http://127.0.0.1:11434/v1", true},
	} {
		c := config.Config{TextAnalyzer: tc.analyzer, OpenAIBaseURL: tc.baseURL, PlannerModel: "gpt-4o-mini", TextModelMaxBytes: 5000}
		s, maxBytes, ok := c.TextAnalysisModel()
		if ok != tc.want {
			t.Errorf("EAAPL_TEXT_ANALYZER=%s OPENAI_BASE_URL=%q: model %v, want %v", tc.analyzer, tc.baseURL, ok, tc.want)
		}
		if ok && (s.Model != "gpt-4o-mini" || maxBytes != 5000 || s.Host() != "127.0.0.1:11434") {
			t.Errorf("model %+v, %d bytes; want EAAPL_PLANNER_MODEL's, 5000, at 127.0.0.1:11434", s, maxBytes)
		}
		if v, vok := c.TextModelView(); vok != ok || (ok && v.Name != "gpt-4o-mini") {
			t.Errorf("TextModelView = %+v, %v", v, vok)
		}
	}
	c := config.Config{TextAnalyzer: "auto", OpenAIAPIKey: "sk-x", PlannerModel: "gpt-4o-mini", TextModel: "gpt-x"}
	if s, _, _ := c.TextAnalysisModel(); s.Model != "gpt-x" || s.Host() != "api.openai.com" {
		t.Errorf("EAAPL_TEXT_MODEL=gpt-x: %+v at %s", s, s.Host())
	}
}
