package devstack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SettingsFile is the file in the data folder where `eaapl dev` writes the settings its worker was
// started with, so that the CLI can tell a person when the settings it was given are not the ones the
// running worker uses (starter.CompareSettings), and a later `eaapl dev` when they changed.
const SettingsFile = "worker-settings.json"

// WorkerSettings are the settings of the dev stack's worker that decide what a program does: whom it
// emails (the contacts file), as whom, in which time zone, and which task queue it serves. Contacts is
// an absolute path, so that it means the same file to a CLI started in another folder.
type WorkerSettings struct {
	TaskQueue string `json:"task_queue"` // EAAPL_TASK_QUEUE
	Contacts  string `json:"contacts"`   // EAAPL_CONTACTS
	UserName  string `json:"user_name"`  // EAAPL_USER_NAME
	UserEmail string `json:"user_email"` // EAAPL_USER_EMAIL
	Timezone  string `json:"timezone"`   // EAAPL_TIMEZONE
}

// WriteSettings records the worker's settings in dataDir, replacing the file in one step.
func WriteSettings(dataDir string, ws WorkerSettings) error {
	b, err := json.MarshalIndent(ws, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, SettingsFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record the worker's settings: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("record the worker's settings: %w", err)
	}
	return nil
}

// ReadSettings reads the settings `eaapl dev` recorded in dataDir; an error satisfying
// errors.Is(err, os.ErrNotExist) means none are recorded.
func ReadSettings(dataDir string) (WorkerSettings, error) {
	var ws WorkerSettings
	path := filepath.Join(dataDir, SettingsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return ws, err
	}
	if err := json.Unmarshal(b, &ws); err != nil {
		return ws, fmt.Errorf("read %s: %w", path, err)
	}
	return ws, nil
}
