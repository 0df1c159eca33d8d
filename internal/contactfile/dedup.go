package contactfile

import (
	"crypto/sha256"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
)

// Normalize is the form of an email address two rows must share to be the same person: the address
// without a display name, trimmed, in lower case. Mail servers treat the domain without regard to case
// and, in practice, the local part too ("DUP@EXAMPLE.COM" reaches dup@example.com); they do not agree on
// dots or +tags, so those are kept.
func Normalize(email string) string {
	s := strings.TrimSpace(email)
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	return strings.ToLower(s)
}

// Dedup finds the contacts that repeat an address seen before, across the pages of one read. It holds
// 16 bytes of hash and the first line per address (about 50 bytes in all; 50 MB for a million
// addresses), not the addresses. A read resumed from a checkpoint in a new process starts with an empty
// Dedup: duplicates of rows before the checkpoint are then found only if the caller kept it.
type Dedup struct {
	first map[[16]byte]dedupFirst
	file  string // the last file name seen, shared by the entries of that file
}

// dedupFirst is where an address was first seen.
type dedupFirst struct {
	source string // file name
	line   int
}

// NewDedup returns an empty Dedup.
func NewDedup() *Dedup { return &Dedup{first: map[[16]byte]dedupFirst{}} }

// Filter returns the contacts whose address has not been seen before, in order, and a RowError for each
// of the others ("contacts.csv:9: DUP@EXAMPLE.COM is a duplicate of line 3"). Apply it to every page in
// order.
func (d *Dedup) Filter(contacts []Contact) (kept []Contact, dups []RowError) {
	kept = contacts[:0:0]
	for _, c := range contacts {
		if first, dup := d.See(c); dup {
			dups = append(dups, RowError{Source: c.Source, Reason: fmt.Sprintf("%s is a duplicate of %s", c.Email, first)})
			continue
		}
		kept = append(kept, c)
	}
	return kept, dups
}

// See records c's address and, when it was seen before, reports where: "line 3" in the same file,
// "contacts.csv:3" otherwise.
func (d *Dedup) See(c Contact) (first string, dup bool) {
	key := sha256.Sum256([]byte(Normalize(c.Email)))
	var k [16]byte
	copy(k[:], key[:16])
	file, line := splitSource(c.Source)
	if file == d.file {
		file = d.file // one copy of the name, not a piece of each row's source kept alive
	} else {
		d.file = strings.Clone(file)
		file = d.file
	}
	if f, ok := d.first[k]; ok {
		if f.source == file {
			return "line " + strconv.Itoa(f.line), true
		}
		if f.line == 0 { // a source that is a whole card (CardDAV), not a file's line
			return f.source, true
		}
		return f.source + ":" + strconv.Itoa(f.line), true
	}
	d.first[k] = dedupFirst{source: file, line: line}
	return "", false
}

// Len is the number of different addresses seen.
func (d *Dedup) Len() int { return len(d.first) }

// splitSource splits "file:line".
func splitSource(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	return s[:i], n
}
