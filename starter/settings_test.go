package starter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
)

func TestCompareSettings(t *testing.T) {
	base := config.Config{TaskQueue: "eaapl", Contacts: "examples/contacts.vcf", UserName: "EaaPL Demo", UserEmail: "me@example.com", Timezone: "Local"}
	withDataDir := func(t *testing.T, worker *devstack.WorkerSettings) config.Config {
		cfg := base
		cfg.DataDir = t.TempDir()
		if worker != nil {
			if err := devstack.WriteSettings(cfg.DataDir, *worker); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	none := func(string) bool { return false }

	t.Run("NoStackNoWarning", func(t *testing.T) {
		got, err := CompareSettings(withDataDir(t, nil), none)
		if err != nil || len(got) != 0 {
			t.Fatalf("CompareSettings = %v, %v; want nothing", got, err)
		}
	})
	t.Run("SameSettingsNoWarning", func(t *testing.T) {
		ws := SettingsOf(base) // the contacts made absolute, as `eaapl dev` records them
		if !filepath.IsAbs(ws.Contacts) {
			t.Fatalf("SettingsOf kept the contacts relative: %q", ws.Contacts)
		}
		got, err := CompareSettings(withDataDir(t, &ws), none)
		if err != nil || len(got) != 0 {
			t.Fatalf("CompareSettings = %v, %v; want nothing", got, err)
		}
	})
	t.Run("GivenContactsTheWorkerDoesNotUse", func(t *testing.T) {
		ws := SettingsOf(base)
		cfg := withDataDir(t, &ws)
		cfg.Contacts = "/tmp/x.csv"
		got, err := CompareSettings(cfg, func(env string) bool { return env == "EAAPL_CONTACTS" })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Env != "EAAPL_CONTACTS" || !got[0].Given {
			t.Fatalf("CompareSettings = %+v, want one given EAAPL_CONTACTS", got)
		}
		msg := got[0].String()
		for _, want := range []string{`EAAPL_CONTACTS is "/tmp/x.csv" here`, ws.Contacts, "eaapl dev --stop", "EAAPL_CONTACTS=/tmp/x.csv eaapl dev --background"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the warning does not say %q: %s", want, msg)
			}
		}
	})
	t.Run("AStackOnAnotherAddressBook", func(t *testing.T) {
		// `make run` on a stack started earlier with a real address book: its Hello World would email it.
		ws := SettingsOf(base)
		ws.Contacts = "/home/ann/all-my-friends.vcf"
		got, err := CompareSettings(withDataDir(t, &ws), none)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Given {
			t.Fatalf("CompareSettings = %+v, want one EAAPL_CONTACTS not given here", got)
		}
		if msg := got[0].String(); !strings.Contains(msg, `EAAPL_CONTACTS="/home/ann/all-my-friends.vcf"`) || !strings.Contains(msg, "email the contacts in its file") {
			t.Errorf("the warning does not say which contacts the worker emails: %s", msg)
		}
	})
	t.Run("EverySettingTheWorkerReads", func(t *testing.T) {
		ws := devstack.WorkerSettings{TaskQueue: "eaapl", Contacts: "/a.vcf", UserName: "Ann", UserEmail: "ann@example.com", Timezone: "Asia/Tokyo"}
		cfg := withDataDir(t, &ws)
		cfg.TaskQueue = "eapl"
		got, err := CompareSettings(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var envs []string
		for _, m := range got {
			envs = append(envs, m.Env)
		}
		if want := "EAAPL_TASK_QUEUE EAAPL_CONTACTS EAAPL_USER_NAME EAAPL_USER_EMAIL"; strings.Join(envs, " ") != want {
			t.Errorf("mismatches = %v, want %s", envs, want)
		}
	})
	t.Run("ABrokenFileIsAnError", func(t *testing.T) {
		cfg := withDataDir(t, nil)
		if err := os.WriteFile(filepath.Join(cfg.DataDir, devstack.SettingsFile), []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := CompareSettings(cfg, none); err == nil || !strings.Contains(err.Error(), devstack.SettingsFile) {
			t.Errorf("CompareSettings on a broken file = %v, want an error naming it", err)
		}
	})
}
