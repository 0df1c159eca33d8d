// Package contacts is the contacts command family: RetrieveContacts (the user's address book) and
// FindContact (the contact a name refers to, asking the user when the name is not enough). It reaches the
// address book only through Source, which the worker wires to an adapter (contactsfile reads a vCard or
// CSV file).
package contacts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec { return []*catalog.Spec{RetrieveContacts, FindContact} }

// Deps are what the family's commands use.
type Deps struct {
	Source Source // the user's address book
}

// Source is where the user's contacts are read.
type Source interface {
	Contacts(ctx context.Context) ([]catalog.ContactValue, error)
}

// Resumable is a Source that reports checkpoints as it reads and can resume from one.
type Resumable interface {
	Source
	ContactsFrom(ctx context.Context, from *Checkpoint, progress func(Checkpoint)) ([]catalog.ContactValue, error)
}

// Checkpoint is how far a read of a contacts file got: the contacts read so far and where in the file the
// next one begins. RetrieveContacts heartbeats it, and a later attempt of the same task resumes from it
// rather than reading the file again, provided the file has the same size and modification time. It
// carries the contacts themselves because the task's result must hold them all; both are bounded by the
// same Temporal payload limit (2 MB by default).
type Checkpoint struct {
	Path     string                 `json:"path"`
	Size     int64                  `json:"size"`
	ModTime  time.Time              `json:"mod_time"`
	Offset   int64                  `json:"offset"` // bytes read, up to the end of the last whole contact
	Line     int                    `json:"line"`   // lines read
	Contacts []catalog.ContactValue `json:"contacts"`
}

// FormatError reports a contacts file that cannot be read as contacts: which file, which line (0 when the
// whole file is at fault), and what is wrong. Retrying cannot fix it.
type FormatError struct {
	Path string
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

type retrieveArgs struct{}

type retrieveOutput struct {
	Contacts []catalog.ContactValue `json:"contacts" eaapl:"required" desc:"the contacts, in file order"`
	Count    int                    `json:"count" eaapl:"required" desc:"how many contacts"`
}

var RetrieveContacts = catalog.Define(catalog.Def[Deps, retrieveArgs, retrieveOutput]{
	Name:        "RetrieveContacts",
	Description: "Get the user's contacts from their address book (a vCard or CSV file).",
	SideEffect:  catalog.Reads,
	Timeout:     time.Minute,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{None: true},
	Run: func(ctx context.Context, d Deps, _ retrieveArgs) (retrieveOutput, error) {
		contacts, err := read(ctx, d, true)
		return retrieveOutput{Contacts: contacts, Count: len(contacts)}, err
	},
	Hint: func(string) string {
		return "check that the contacts file (EAAPL_CONTACTS) can be read, then answer retry"
	},
	ReadBack: func(r catalog.Reading) string {
		if len(r.Step().Args) == 0 {
			return "Get your contacts."
		}
		return ""
	},
	Forms: catalog.Forms{
		Phrases: []string{"each of my contacts", "all my contacts", "everyone in my contacts", "my contacts", "every contact"},
		Results: map[string]catalog.ResultWords{
			"contacts": {Noun: "your contacts", Each: "contact", Words: []string{
				"each of my contacts", "each one of my contacts", "all my contacts", "all of my contacts", "everyone in my contacts",
				"everybody in my contacts", "my contacts", "all contacts", "every contact", "each contact", "my contact list", "my address book",
			}},
			"count": {Noun: "the number of your contacts"},
		},
	},
})

// read reads the user's contacts. From a source that can resume, when checkpoints is set, it heartbeats
// checkpoints as it reads, and an attempt after one that was cut short (its worker died, it timed out)
// resumes from the last checkpoint the earlier attempt heartbeated.
func read(ctx context.Context, d Deps, checkpoints bool) ([]catalog.ContactValue, error) {
	if d.Source == nil {
		return nil, fmt.Errorf("%w: contacts Source", catalog.ErrMissingDependency)
	}
	var contacts []catalog.ContactValue
	var err error
	if src, ok := d.Source.(Resumable); ok && checkpoints {
		contacts, err = src.ContactsFrom(ctx, lastCheckpoint(ctx), func(cp Checkpoint) { catalog.Heartbeat(ctx, cp) })
	} else {
		contacts, err = d.Source.Contacts(ctx)
	}
	var (
		pathErr   *fs.PathError
		formatErr *FormatError
	)
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pathErr):
		return nil, catalog.Fail(catalog.ErrNotFound, "contacts file %s does not exist", pathErr.Path)
	case errors.Is(err, fs.ErrNotExist):
		return nil, catalog.Fail(catalog.ErrNotFound, "contacts not found: %v", err)
	case errors.As(err, &formatErr):
		return nil, catalog.Invalid("malformed contacts file %v", formatErr)
	case err != nil:
		return nil, fmt.Errorf("retrieve contacts: %w", err)
	}
	return contacts, nil
}

// lastCheckpoint is the checkpoint an earlier attempt of the activity heartbeated, or nil.
func lastCheckpoint(ctx context.Context) *Checkpoint {
	if !activity.IsActivity(ctx) || catalog.CallOf(ctx).InBatch || !activity.HasHeartbeatDetails(ctx) {
		return nil
	}
	var cp Checkpoint
	if err := activity.GetHeartbeatDetails(ctx, &cp); err != nil {
		// Details this version cannot read are no reason to fail: read the file from the start.
		return nil
	}
	return &cp
}
