package imapbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
)

// PendingKeyword marks a copy in Sent that PrepareSent saved before its submission, until ConfirmSent
// learns the server accepted it. A copy that keeps it after a crash is an email that may or may not have
// gone: the history does not count it, and the "already sent?" check asks the user (see docs/crashes.md).
const PendingKeyword imap.Flag = "$EaaplPending"

// More of what the Sent copy calls did.
const (
	SavedPending   Saved = "pending"   // PrepareSent appended the copy, marked unconfirmed
	SavedConfirmed Saved = "confirmed" // ConfirmSent took the mark off the copy PrepareSent saved
)

// PrepareSent saves the copy of a message in Sent before it is submitted, marked unconfirmed
// (PendingKeyword, and not \Seen, so that a mail client shows it unread), unless a copy is there already:
// a worker killed after the server accepted the message then leaves a copy a retry finds, instead of
// none. It saves nothing (SavedSkipped) when EAAPL_IMAP_SAVE_SENT is never, when the provider is known to
// save sent mail itself, or when the Sent folder keeps no keywords (then ConfirmSent appends the copy after
// the submission, as SaveSent does, and the window stays open: see docs/crashes.md).
func (m *Mailbox) PrepareSent(ctx context.Context, messageID string, raw []byte, sentAt time.Time) (Saved, error) {
	if m.cfg.SaveSent == "never" {
		return SavedSkipped, nil
	}
	m.mu.Lock()
	providerSaves := m.providerSet && m.providerSaves && m.cfg.SaveSent != "always"
	m.mu.Unlock()
	if providerSaves {
		return SavedSkipped, nil
	}
	raw = crlf(raw)
	var saved Saved
	err := m.inSent(ctx, messageID, func(c *conn, folder, id string) error {
		if err := m.open(c, folder, true); err != nil {
			return err
		}
		if !c.keywords {
			saved = SavedSkipped
			return nil
		}
		found, err := m.copiesOf(ctx, c, folder, id)
		if err != nil {
			return err
		}
		if len(found.pending)+len(found.confirmed) > 0 {
			saved = SavedPresent
			return nil
		}
		if err := m.append(c, folder, raw, sentAt, PendingKeyword); err != nil {
			return err
		}
		saved = SavedPending
		return nil
	})
	return saved, err
}

// ConfirmSent is called once the server accepted a message: it takes the unconfirmed mark off the copy
// PrepareSent saved (and marks it \Seen), or, when the provider turns out to save sent mail itself (auto
// mode learns it on its first message, waiting a few seconds for the provider's copy), removes it, so
// Sent holds one copy. With no copy of PrepareSent's it does what SaveSent does.
func (m *Mailbox) ConfirmSent(ctx context.Context, messageID string, raw []byte, sentAt time.Time) (Saved, error) {
	if m.cfg.SaveSent == "never" {
		return SavedSkipped, nil
	}
	pending := false
	var saved Saved
	err := m.copiesInSent(ctx, messageID, func(c *conn, folder, id string, found copies) error {
		if pending = len(found.pending) > 0; !pending {
			return nil // SaveSent's way, below
		}
		if len(found.confirmed) == 0 && m.cfg.SaveSent != "always" {
			has, err := m.waitForProvider(ctx, c, folder, id)
			if err != nil {
				return err
			}
			if has {
				if found, err = m.copiesOf(ctx, c, folder, id); err != nil {
					return err
				}
			}
		}
		if err := m.open(c, folder, true); err != nil { // the wait may have examined it read-only
			return err
		}
		if len(found.confirmed) > 0 { // the provider's own copy: ours goes
			if m.cfg.SaveSent != "always" {
				m.mu.Lock()
				m.providerSet, m.providerSaves = true, true
				m.mu.Unlock()
			}
			saved = SavedPresent
			return m.remove(c, found.pending)
		}
		saved = SavedConfirmed
		return m.confirm(c, found.pending)
	})
	if err != nil || pending {
		return saved, err
	}
	return m.SaveSent(ctx, messageID, raw, sentAt)
}

// DiscardSent removes the unconfirmed copy of a message the server surely did not accept (it refused it,
// or the connection failed before the message was handed over), so that Sent shows only what went and a
// retry has nothing to ask about. A confirmed copy is left alone.
func (m *Mailbox) DiscardSent(ctx context.Context, messageID string) error {
	if m.cfg.SaveSent == "never" {
		return nil
	}
	return m.onPendingCopies(ctx, messageID, m.remove)
}

// Unconfirmed returns the copy of the message in Sent still marked unconfirmed, when there is no
// confirmed one: the attempt that saved it ended between saving it and learning whether the server
// accepted the message, so nobody knows whether it went. The copy is named by its UID, which no later
// copy has (an answer about this copy is not taken for another); "" when there is none.
func (m *Mailbox) Unconfirmed(ctx context.Context, messageID string) (string, error) {
	var copy string
	err := m.inSent(ctx, messageID, func(c *conn, folder, id string) error {
		found, err := m.copiesOf(ctx, c, folder, id)
		if len(found.pending) > 0 && len(found.confirmed) == 0 {
			copy = "uid-" + strconv.FormatUint(uint64(slices.Max(found.pending)), 10)
		}
		return err
	})
	return copy, err
}

// ConfirmCopy takes the unconfirmed mark off the message's copy: the user said it went.
func (m *Mailbox) ConfirmCopy(ctx context.Context, messageID string) error {
	return m.onPendingCopies(ctx, messageID, m.confirm)
}

// onPendingCopies runs act, in Sent opened for writing, on the message's copies still marked unconfirmed.
func (m *Mailbox) onPendingCopies(ctx context.Context, messageID string, act func(*conn, []imap.UID) error) error {
	return m.copiesInSent(ctx, messageID, func(c *conn, _, _ string, found copies) error {
		return act(c, found.pending)
	})
}

// copiesInSent runs fn, in Sent opened for writing, on the message's copies there.
func (m *Mailbox) copiesInSent(ctx context.Context, messageID string, fn func(c *conn, folder, id string, found copies) error) error {
	return m.inSent(ctx, messageID, func(c *conn, folder, id string) error {
		if err := m.open(c, folder, true); err != nil {
			return err
		}
		found, err := m.copiesOf(ctx, c, folder, id)
		if err != nil {
			return err
		}
		return fn(c, folder, id, found)
	})
}

// inSent runs fn over a connection of the pool, with the Sent folder's name and the Message-ID without its
// angle brackets; a Message-ID that is not one is an error before any connection is taken.
func (m *Mailbox) inSent(ctx context.Context, messageID string, fn func(c *conn, folder, id string) error) error {
	id, err := bareID(messageID)
	if err != nil {
		return err
	}
	return m.with(ctx, func(c *conn) error {
		folder, err := m.sent(c)
		if err != nil {
			return err
		}
		return fn(c, folder, id)
	})
}

// append APPENDs raw to folder with the flags.
func (m *Mailbox) append(c *conn, folder string, raw []byte, sentAt time.Time, flags ...imap.Flag) error {
	c.arm()
	cmd := c.client.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: sentAt})
	if _, err := cmd.Write(raw); err != nil {
		_ = cmd.Close()
		return m.classify("append to "+folder, err)
	}
	if err := cmd.Close(); err != nil {
		return m.classify("append to "+folder, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return m.classify("append to "+folder, err)
	}
	return nil
}

// confirm takes PendingKeyword off the messages of the selected folder and marks them \Seen.
func (m *Mailbox) confirm(c *conn, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	c.arm()
	if err := c.client.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{PendingKeyword}}, nil).Close(); err != nil {
		return m.classify("mark the copy in Sent confirmed", err)
	}
	c.arm()
	if err := c.client.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return m.classify("mark the copy in Sent confirmed", err)
	}
	return nil
}

// remove deletes the messages of the selected folder: \Deleted, then UID EXPUNGE where the server has
// UIDPLUS (a plain EXPUNGE would also remove what the user marked deleted). The searches skip \Deleted.
func (m *Mailbox) remove(c *conn, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	c.arm()
	if err := c.client.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return m.classify("remove the unconfirmed copy from Sent", err)
	}
	if !c.client.Caps().Has(imap.CapUIDPlus) {
		return nil
	}
	c.arm()
	if err := c.client.UIDExpunge(set).Close(); err != nil {
		return fmt.Errorf("IMAP server %s: expunge the unconfirmed copy: %w", m.addr, m.classify("expunge", err))
	}
	return nil
}
