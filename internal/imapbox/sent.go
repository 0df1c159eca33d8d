package imapbox

import (
	"bytes"
	"context"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Saved says what SaveSent did.
type Saved string

const (
	SavedAppended Saved = "appended" // SaveSent appended the copy
	SavedPresent  Saved = "present"  // a copy was there already: the provider's, or an earlier attempt's
	SavedSkipped  Saved = "skipped"  // EAAPL_IMAP_SAVE_SENT is never
)

// SaveSent puts a copy of a message EaaPL submitted into the Sent folder, so that history and the
// duplicate check see it, unless a copy with its Message-ID is there already (so a retried task appends
// no second copy). raw is the message as submitted, headers and body; sentAt becomes its internal date.
//
// In auto mode the first message waits a few seconds for the provider's own copy (Gmail and Outlook save
// what they submit) and remembers whether it came: a provider that saves is then never given a second
// copy, and one that does not gets each copy at once.
func (m *Mailbox) SaveSent(ctx context.Context, messageID string, raw []byte, sentAt time.Time) (Saved, error) {
	if m.cfg.SaveSent == "never" {
		return SavedSkipped, nil
	}
	raw = crlf(raw)
	var saved Saved
	err := m.inSent(ctx, messageID, func(c *conn, folder, id string) error {
		has, err := m.hasID(ctx, c, folder, id)
		if err != nil {
			return err
		}
		if !has && m.cfg.SaveSent != "always" {
			if has, err = m.waitForProvider(ctx, c, folder, id); err != nil {
				return err
			}
		}
		if has {
			saved = SavedPresent
			return nil
		}
		if err := m.append(c, folder, raw, sentAt, imap.FlagSeen); err != nil {
			return err
		}
		saved = SavedAppended
		return nil
	})
	return saved, err
}

// waitForProvider learns, on auto mode's first message, whether the provider saves sent mail itself,
// waiting up to m.sentWait for its copy; later messages use what it learned.
func (m *Mailbox) waitForProvider(ctx context.Context, c *conn, folder, id string) (bool, error) {
	m.mu.Lock()
	learned, saves := m.providerSet, m.providerSaves
	m.mu.Unlock()
	if learned && !saves {
		return false, nil
	}
	if learned && saves {
		// The provider saves: its copy may be a moment behind the submission.
		return m.poll(ctx, c, folder, id, m.sentWait)
	}
	has, err := m.poll(ctx, c, folder, id, m.sentWait)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	m.providerSet, m.providerSaves = true, has
	m.mu.Unlock()
	return has, nil
}

// poll searches folder for the Message-ID every half second until it is there or wait has passed.
func (m *Mailbox) poll(ctx context.Context, c *conn, folder, id string, wait time.Duration) (bool, error) {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		has, err := m.hasID(ctx, c, folder, id)
		if err != nil || has {
			return has, err
		}
	}
	return false, nil
}

// crlf gives every line of raw the CRLF ending IMAP requires.
func crlf(raw []byte) []byte {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
}
