package starter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
)

// SettingsOf is the part of cfg that decides what a worker does (devstack.WorkerSettings), with the
// contacts file made absolute against the current folder. `eaapl dev` records it at start
// (devstack.WriteSettings); the CLI compares its own with it (CompareSettings).
func SettingsOf(cfg config.Config) devstack.WorkerSettings {
	contacts := cfg.Contacts
	if abs, err := filepath.Abs(contacts); err == nil && contacts != "" {
		contacts = abs
	}
	return devstack.WorkerSettings{TaskQueue: cfg.TaskQueue, Contacts: contacts, UserName: cfg.UserName, UserEmail: cfg.UserEmail, Timezone: cfg.Timezone}
}

// SettingMismatch is a setting whose value here differs from the running worker's.
type SettingMismatch struct {
	Env     string // the environment variable, such as EAAPL_CONTACTS
	Here    string // this process's value
	Worker  string // the running worker's value
	Given   bool   // whether Here was set in this process's environment, rather than a default
	effects string // what the difference does to a program
}

// String is the warning a person reads: what differs, which value is used, and what to do.
func (m SettingMismatch) String() string {
	if m.Given {
		return fmt.Sprintf("%s is %q here, but the running dev stack's worker has %q: %s. To use %q, restart the stack with it "+
			"(`eaapl dev --stop`, then `%s=%s eaapl dev --background`).", m.Env, m.Here, m.Worker, m.effects, m.Here, m.Env, m.Here)
	}
	return fmt.Sprintf("the running dev stack's worker was started with %s=%q (not the default %q): %s.", m.Env, m.Worker, m.Here, m.effects)
}

// CompareSettings compares this process's settings with those of the dev stack's worker recorded in
// cfg.DataDir and returns what differs, so the CLI can warn before a program acts on settings other than
// the ones the person gave: a setting only the worker reads (the contacts, the sender) is silently the
// worker's, a task queue of one's own is one no dev worker polls, and a time zone of one's own plans
// "today" apart from where it runs. given reports whether an environment variable was set (os.LookupEnv in
// main); nil counts every value as given. No recorded settings (no dev stack) is no mismatch.
func CompareSettings(cfg config.Config, given func(env string) bool) ([]SettingMismatch, error) {
	worker, err := devstack.ReadSettings(cfg.DataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	here := SettingsOf(cfg)
	if given == nil {
		given = func(string) bool { return true }
	}
	var out []SettingMismatch
	add := func(env, h, w, effects string) {
		if h != w {
			out = append(out, SettingMismatch{Env: env, Here: h, Worker: w, Given: given(env), effects: effects})
		}
	}
	add("EAAPL_TASK_QUEUE", here.TaskQueue, worker.TaskQueue, "programs started here go to a queue the dev stack's worker does not poll, and wait for a worker there")
	add("EAAPL_CONTACTS", here.Contacts, worker.Contacts, "the worker reads the contacts, so programs email the contacts in its file")
	add("EAAPL_USER_NAME", here.UserName, worker.UserName, "the worker sends the emails, under its name")
	add("EAAPL_USER_EMAIL", here.UserEmail, worker.UserEmail, "the worker sends the emails from its address and searches the history for it")
	// EAAPL_TIMEZONE is not compared: a program carries the zone it was started in (Input.TimeZone).
	return out, nil
}
