package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// StateFile is the file in the data folder where a running stack records its parts: who started them,
// their process IDs and addresses. It outlives a stack whose `eaapl dev` was killed (kill -9, a crash),
// so the next start or `eaapl dev --stop` can find the parts it left running (StopOrphans) and another
// process can check the stack's health (CheckRunning).
const StateFile = "stack.json"

// ProcessID names one process for good: a pid is reused after its process exits, a pid with its start
// time and executable is not.
type ProcessID struct {
	PID   int    `json:"pid"`
	Start string `json:"start"` // when it started, in the system's own terms (Linux: clock ticks after boot)
	Exe   string `json:"exe"`
}

// errNoProcessIdentity: without /proc, a pid cannot be told apart from a later process with the same
// number, so orphans are reported, never signalled.
var errNoProcessIdentity = errors.New("this system does not tell a process's start time (no /proc)")

// running reports whether the process id names is still running.
func (id ProcessID) running() bool {
	now, err := identify(id.PID)
	if err != nil || now.PID != id.PID || now.Start != id.Start {
		return false
	}
	// The executable is unreadable while a process exits (and for another user's): then the start time,
	// which no later process shares, decides.
	return now.Exe == "" || id.Exe == "" || now.Exe == id.Exe
}

// State is what StateFile holds.
type State struct {
	// Owner is the process that started the stack (`eaapl dev`); its parts are orphans once it is gone.
	Owner ProcessID   `json:"owner"`
	Parts []PartState `json:"parts"`

	TemporalAddress string `json:"temporal_address"`
	Namespace       string `json:"namespace"`
	TemporalUI      string `json:"temporal_ui"`
	SMTPAddr        string `json:"smtp_addr"`
	MailpitURL      string `json:"mailpit_url"`
	KafkaAddr       string `json:"kafka_addr,omitempty"` // empty without a broker
}

// PartState is one child process of the stack.
type PartState struct {
	Name    string    `json:"name"` // "temporal", "mailpit"
	Process ProcessID `json:"process"`
}

// ReadState reads the state a stack recorded in dataDir; an error satisfying errors.Is(err,
// os.ErrNotExist) means no stack recorded one (or it stopped cleanly).
func ReadState(dataDir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dataDir, StateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dataDir, StateFile), err)
	}
	return st, nil
}

// writeState records st in dataDir, replacing the file in one step so a reader never sees half of it.
func writeState(dataDir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, StateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record the stack's state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("record the stack's state: %w", err)
	}
	return nil
}

// removeState removes the state file of a stack that stopped cleanly.
func removeState(dataDir string) error {
	if dataDir == "" {
		return nil
	}
	err := os.Remove(filepath.Join(dataDir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
