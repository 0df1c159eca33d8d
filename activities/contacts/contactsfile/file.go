// Package contactsfile reads the user's contacts from a vCard or CSV file: the contacts family's source
// in the dev stack and on a worker with EAAPL_CONTACTS.
package contactsfile

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/catalog"
)

// FileContacts reads contacts from a vCard (.vcf, .vcard) or CSV (.csv) file, chosen by the extension.
type FileContacts struct {
	Path string
	// CheckpointEvery is how often ContactsFrom reports its progress: DefaultCheckpointEvery when 0, after
	// every contact when negative.
	CheckpointEvery time.Duration
}

// DefaultCheckpointEvery is how often a read reports its progress when FileContacts.CheckpointEvery is 0.
// Each checkpoint encodes every contact read so far, so reporting per contact would cost quadratic time.
const DefaultCheckpointEvery = time.Second

// Contacts reads the file. A missing file is an error satisfying errors.Is(err, fs.ErrNotExist); a file that
// is not a well-formed address book is a *FormatError. An email address that does not parse is kept as it
// is, so that the program can report it for that contact alone.
func (f FileContacts) Contacts(ctx context.Context) ([]catalog.ContactValue, error) {
	return f.ContactsFrom(ctx, nil, nil)
}

// ContactsFrom reads the file as Contacts does, from a checkpoint of an earlier read of the same file when
// from is not nil (a checkpoint of another file, or of this one before it changed, is ignored), and calls
// progress, when not nil, with a checkpoint at most every CheckpointEvery, after a whole contact.
func (f FileContacts) ContactsFrom(ctx context.Context, from *contacts.Checkpoint, progress func(contacts.Checkpoint)) ([]catalog.ContactValue, error) {
	ext := strings.ToLower(filepath.Ext(f.Path))
	var parse func(*contactsRead) ([]catalog.ContactValue, error)
	switch ext {
	case ".vcf", ".vcard":
		parse = f.parseVCard
	case ".csv":
		parse = f.parseCSV
	default:
		return nil, &contacts.FormatError{Path: f.Path, Msg: fmt.Sprintf("unsupported contacts file type %q; use .vcf or .csv", ext)}
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	every := f.CheckpointEvery
	if every == 0 {
		every = DefaultCheckpointEvery
	}
	r := &contactsRead{
		ctx:      ctx,
		file:     file,
		base:     filepath.Base(f.Path),
		at:       contacts.Checkpoint{Path: f.Path, Size: info.Size(), ModTime: info.ModTime().UTC()},
		progress: progress,
		every:    every,
		last:     time.Now(),
	}
	if from != nil && from.Path == r.at.Path && from.Size == r.at.Size && from.ModTime.Equal(r.at.ModTime) &&
		from.Offset >= 0 && from.Offset <= r.at.Size {
		r.at.Offset, r.at.Line = from.Offset, from.Line
		r.contacts = slices.Clone(from.Contacts)
		r.resumed = true
	}
	return parse(r)
}

// contactsRead is one read of a contacts file, and where it has got to.
type contactsRead struct {
	ctx      context.Context
	file     *os.File
	base     string // the file's name, for Contact.Source
	at       contacts.Checkpoint
	contacts []catalog.ContactValue
	resumed  bool // the read began at a checkpoint, not at the start
	progress func(contacts.Checkpoint)
	every    time.Duration
	last     time.Time // when progress was last reported
}

// add records a contact that ends at byte offset end, on line line, reports a checkpoint when one is due,
// and stops the read when the activity is cancelled.
func (r *contactsRead) add(c catalog.ContactValue, end int64, line int) error {
	r.contacts = append(r.contacts, c)
	r.at.Offset, r.at.Line = end, line
	if r.progress != nil {
		if now := time.Now(); r.every < 0 || now.Sub(r.last) >= r.every {
			r.last = now
			r.report()
		}
	}
	return r.ctx.Err()
}

func (r *contactsRead) report() {
	cp := r.at
	cp.Contacts = r.contacts[:len(r.contacts):len(r.contacts)] // later appends must not write into it
	r.progress(cp)
}

// done returns the contacts. It reports no checkpoint: the task's result follows at once.
func (r *contactsRead) done() []catalog.ContactValue { return r.contacts }

// vCard (RFC 6350, and the 2.1 and 3.0 files address books still export): a card runs from BEGIN:VCARD to
// END:VCARD; a line that begins with a space or tab continues the line before it; the name is FN (or N when
// FN is missing) and the address is the preferred EMAIL (PREF=1 or TYPE=pref), else the first. A card with
// several addresses is one contact, so that each person gets one email.

// vcardLine is one unfolded content line: the physical line it starts on, the last one it spans, and the
// byte offset just after that one.
type vcardLine struct {
	n, last int
	end     int64
	text    string
}

// vcardCard collects a card's properties while it is parsed.
type vcardCard struct {
	begin     int // line of BEGIN:VCARD
	fn, n     string
	email     string
	emailLine int
	emailPref int // lower is preferred; 101 for an address with no preference
}

func (f FileContacts) parseVCard(r *contactsRead) ([]catalog.ContactValue, error) {
	if _, err := r.file.Seek(r.at.Offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read contacts %s: %w", f.Path, err)
	}
	lines := newVCardLines(r.file, r.at.Offset, r.at.Line)
	var card *vcardCard
	for {
		l, ok := lines.next()
		if !ok {
			break
		}
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		name, params, value := splitVCardLine(l.text)
		switch {
		case name == "BEGIN" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			if card != nil {
				return nil, &contacts.FormatError{Path: f.Path, Line: card.begin, Msg: fmt.Sprintf("card has no END:VCARD before the next BEGIN:VCARD on line %d", l.n)}
			}
			card = &vcardCard{begin: l.n, emailPref: 1 << 30}
		case card == nil:
			return nil, &contacts.FormatError{Path: f.Path, Line: l.n, Msg: fmt.Sprintf("expected BEGIN:VCARD, found %q", truncate(l.text, 40))}
		case name == "END" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			if card.email == "" {
				return nil, &contacts.FormatError{Path: f.Path, Line: card.begin, Msg: "card has no EMAIL"}
			}
			if err := r.add(catalog.ContactValue{Name: card.name(), Email: card.email, Source: r.base + ":" + strconv.Itoa(card.emailLine)}, l.end, l.last); err != nil {
				return nil, err
			}
			card = nil
		case name == "FN":
			card.fn = strings.TrimSpace(unescapeVCard(value))
		case name == "N":
			card.n = value
		case name == "EMAIL":
			email := strings.TrimSpace(unescapeVCard(value))
			if len(email) >= 7 && strings.EqualFold(email[:7], "mailto:") {
				email = email[7:]
			}
			if pref := vcardPref(params); email != "" && pref < card.emailPref {
				card.email, card.emailLine, card.emailPref = email, l.n, pref
			}
		}
	}
	if err := lines.sc.Err(); err != nil {
		return nil, fmt.Errorf("read contacts %s: %w", f.Path, err)
	}
	if card != nil {
		return nil, &contacts.FormatError{Path: f.Path, Line: card.begin, Msg: "card has no END:VCARD"}
	}
	return r.done(), nil
}

// vcardLines reads content lines one at a time, joining folded continuation lines to the line they
// continue, and keeps count of the bytes and lines read so that a read can stop and resume after any line.
type vcardLines struct {
	sc      *bufio.Scanner
	read    int64      // bytes the scanner has consumed
	n       int        // physical lines scanned
	ahead   *vcardLine // the line scanned ahead to see whether the one before continues
	atStart bool       // at the start of the file, where a byte-order mark may be
}

// newVCardLines reads r, which is at byte offset of the file, after line lines.
func newVCardLines(r io.Reader, offset int64, line int) *vcardLines {
	l := &vcardLines{read: offset, n: line, atStart: offset == 0}
	l.sc = bufio.NewScanner(r)
	l.sc.Buffer(make([]byte, 64*1024), 16*1024*1024) // a card may carry an inline photo
	l.sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		advance, token, err := bufio.ScanLines(data, atEOF)
		l.read += int64(advance)
		return advance, token, err
	})
	return l
}

// scan reads one physical line; nil at the end or on an error (in l.sc.Err).
func (l *vcardLines) scan() *vcardLine {
	if !l.sc.Scan() {
		return nil
	}
	l.n++
	text := strings.TrimSuffix(l.sc.Text(), "\r")
	if l.atStart {
		text, l.atStart = strings.TrimPrefix(text, "\uFEFF"), false
	}
	return &vcardLine{n: l.n, last: l.n, end: l.read, text: text}
}

// next returns the next unfolded line, and false at the end.
func (l *vcardLines) next() (vcardLine, bool) {
	cur := l.ahead
	if cur == nil {
		if cur = l.scan(); cur == nil {
			return vcardLine{}, false
		}
	}
	l.ahead = nil
	for {
		more := l.scan()
		if more == nil {
			return *cur, true
		}
		if !strings.HasPrefix(more.text, " ") && !strings.HasPrefix(more.text, "\t") {
			l.ahead = more
			return *cur, true
		}
		cur.text += more.text[1:]
		cur.last, cur.end = more.last, more.end
	}
}

// splitVCardLine splits "group.NAME;PARAM=a;PARAM=b:value" into the upper-case name without its group, the
// parameters, and the value. A colon inside a double-quoted parameter value does not end the name.
func splitVCardLine(line string) (name string, params []string, value string) {
	quoted := false
	colon := -1
	for i, r := range line {
		if r == '"' {
			quoted = !quoted
		} else if r == ':' && !quoted {
			colon = i
			break
		}
	}
	if colon < 0 {
		return "", nil, ""
	}
	parts := strings.Split(line[:colon], ";")
	name = strings.ToUpper(strings.TrimSpace(parts[0]))
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:]
	}
	return name, parts[1:], line[colon+1:]
}

// vcardPref ranks an EMAIL by its parameters: PREF=n (vCard 4) gives n, TYPE=pref or a bare PREF (2.1 and
// 3.0) gives 1, and no preference gives 101, below every PREF value (1..100).
func vcardPref(params []string) int {
	for _, p := range params {
		k, v, hasValue := strings.Cut(p, "=")
		k = strings.ToUpper(strings.TrimSpace(k))
		switch {
		case k == "PREF" && !hasValue:
			return 1
		case k == "PREF":
			if n, err := strconv.Atoi(strings.Trim(v, `" `)); err == nil && n >= 1 {
				return n
			}
			return 1
		case k == "TYPE":
			for _, t := range strings.Split(strings.Trim(v, `"`), ",") {
				if strings.EqualFold(strings.TrimSpace(t), "pref") {
					return 1
				}
			}
		}
	}
	return 101
}

// name is FN, or the given and family names of N ("Family;Given;Middle;Prefix;Suffix") without FN.
func (c *vcardCard) name() string {
	if c.fn != "" {
		return c.fn
	}
	parts := splitUnescaped(c.n, ';')
	var words []string
	for _, i := range []int{3, 1, 2, 0, 4} { // prefix, given, middle, family, suffix
		if i < len(parts) {
			if w := strings.TrimSpace(unescapeVCard(parts[i])); w != "" {
				words = append(words, w)
			}
		}
	}
	return strings.Join(words, " ")
}

// splitUnescaped splits s at sep where sep is not escaped by a backslash.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unescapeVCard undoes vCard text escaping: \n, \, \; and \\.
func unescapeVCard(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CSV: the first non-blank row is a header naming the columns, case-insensitively; an email column is
// required, and the name comes from a name column or from first and last name columns.
var (
	csvEmailColumns = []string{"email", "e-mail", "email address", "e-mail address", "mail"}
	csvNameColumns  = []string{"name", "full name", "display name"}
	csvFirstColumns = []string{"first name", "given name"}
	csvLastColumns  = []string{"last name", "family name", "surname"}
)

func (f FileContacts) parseCSV(r *contactsRead) ([]catalog.ContactValue, error) {
	cr := newCSVReader(r.file)
	cols, found, err := f.csvHeader(cr)
	if err != nil || !found {
		// An empty file has no contacts rather than a missing column: nothing in it is wrong.
		return nil, err
	}
	// Line numbers and offsets of cr are relative to where it began reading.
	var offset int64
	base := 0
	if r.resumed {
		if _, err := r.file.Seek(r.at.Offset, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read contacts %s: %w", f.Path, err)
		}
		cr = newCSVReader(r.file)
		offset, base = r.at.Offset, r.at.Line
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, f.csvError(err, base)
		}
		line, _ := cr.FieldPos(0)
		line += base
		if blankRecord(rec) {
			continue
		}
		c := catalog.ContactValue{Email: strings.TrimSpace(field(rec, cols.email)), Source: r.base + ":" + strconv.Itoa(line)}
		if c.Email == "" {
			return nil, &contacts.FormatError{Path: f.Path, Line: line, Msg: "row has no email"}
		}
		c.Name = strings.TrimSpace(field(rec, cols.name))
		if c.Name == "" {
			c.Name = strings.TrimSpace(strings.TrimSpace(field(rec, cols.first)) + " " + strings.TrimSpace(field(rec, cols.last)))
		}
		// The row ends on the line its last field starts on, plus the line breaks quoted inside that field.
		lastLine, _ := cr.FieldPos(len(rec) - 1)
		lastLine += base + strings.Count(rec[len(rec)-1], "\n")
		if err := r.add(c, offset+cr.InputOffset(), lastLine); err != nil {
			return nil, err
		}
	}
	return r.done(), nil
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows may be shorter or longer than the header
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	return cr
}

// csvColumns are the header's column indexes, -1 for a column it lacks.
type csvColumns struct{ email, name, first, last int }

// csvHeader reads the header, the first row that is not blank, and finds the columns; found is false when
// the file has no rows.
func (f FileContacts) csvHeader(cr *csv.Reader) (cols csvColumns, found bool, err error) {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return cols, false, nil
		}
		if err != nil {
			return cols, false, f.csvError(err, 0)
		}
		if blankRecord(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
		cols = csvColumns{csvColumn(rec, csvEmailColumns), csvColumn(rec, csvNameColumns), csvColumn(rec, csvFirstColumns), csvColumn(rec, csvLastColumns)}
		if cols.email < 0 {
			return cols, false, &contacts.FormatError{Path: f.Path, Line: line, Msg: fmt.Sprintf("header has no email column (one of %s)", strings.Join(csvEmailColumns, ", "))}
		}
		return cols, true, nil
	}
}

// csvError is the error for a CSV read error, a *FormatError naming the line for a malformed file; base
// is the number of lines before where the reader began.
func (f FileContacts) csvError(err error, base int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &contacts.FormatError{Path: f.Path, Line: base + pe.StartLine, Msg: pe.Err.Error()}
	}
	return fmt.Errorf("read contacts %s: %w", f.Path, err)
}

// csvColumn returns the index of the first header cell equal to one of names, ignoring case and spaces.
func csvColumn(header []string, names []string) int {
	for _, want := range names {
		for i, h := range header {
			if strings.EqualFold(strings.Join(strings.Fields(h), " "), want) {
				return i
			}
		}
	}
	return -1
}

// field returns rec[i], or "" when the row is too short or there is no such column.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
