package activities

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Contact is one entry of the user's address book, as the catalog's contact type.
type Contact struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Source string `json:"source"` // file:line, e.g. "contacts.vcf:12"
}

// ContactSource is where RetrieveContacts reads the user's contacts.
type ContactSource interface {
	Contacts(ctx context.Context) ([]Contact, error)
}

// FileContacts reads contacts from a vCard (.vcf, .vcard) or CSV (.csv) file, chosen by the extension.
type FileContacts struct {
	Path string
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

// heartbeatEvery is how many contacts a reader parses between heartbeats.
const heartbeatEvery = 1000

// Contacts reads the file. A missing file is an error satisfying errors.Is(err, fs.ErrNotExist); a file that
// is not a well-formed address book is a *FormatError. An email address that does not parse is kept as it
// is, so that the program can report it for that contact alone.
func (f FileContacts) Contacts(ctx context.Context) ([]Contact, error) {
	ext := strings.ToLower(filepath.Ext(f.Path))
	var parse func(context.Context, io.Reader, string) ([]Contact, error)
	switch ext {
	case ".vcf", ".vcard":
		parse = f.parseVCard
	case ".csv":
		parse = f.parseCSV
	default:
		return nil, &FormatError{Path: f.Path, Msg: fmt.Sprintf("unsupported contacts file type %q; use .vcf or .csv", ext)}
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	defer file.Close()
	return parse(ctx, file, filepath.Base(f.Path))
}

// progress heartbeats every heartbeatEvery contacts and stops the parse when the activity is cancelled.
func progress(ctx context.Context, n int) error {
	if n%heartbeatEvery != 0 {
		return nil
	}
	heartbeat(ctx, n)
	return ctx.Err()
}

// vCard (RFC 6350, and the 2.1 and 3.0 files address books still export): a card runs from BEGIN:VCARD to
// END:VCARD; a line that begins with a space or tab continues the line before it; the name is FN (or N when
// FN is missing) and the address is the preferred EMAIL (PREF=1 or TYPE=pref), else the first. A card with
// several addresses is one contact, so that each person gets one email.

// vcardLine is one unfolded content line and the physical line it starts on.
type vcardLine struct {
	n    int
	text string
}

// vcardCard collects a card's properties while it is parsed.
type vcardCard struct {
	begin     int // line of BEGIN:VCARD
	fn, n     string
	email     string
	emailLine int
	emailPref int // lower is preferred; 101 for an address with no preference
}

func (f FileContacts) parseVCard(ctx context.Context, r io.Reader, base string) ([]Contact, error) {
	lines, err := unfoldVCard(r)
	if err != nil {
		return nil, fmt.Errorf("read contacts %s: %w", f.Path, err)
	}
	var contacts []Contact
	var card *vcardCard
	for _, l := range lines {
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		name, params, value := splitVCardLine(l.text)
		switch {
		case name == "BEGIN" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			if card != nil {
				return nil, &FormatError{Path: f.Path, Line: card.begin, Msg: fmt.Sprintf("card has no END:VCARD before the next BEGIN:VCARD on line %d", l.n)}
			}
			card = &vcardCard{begin: l.n, emailPref: 1 << 30}
		case card == nil:
			return nil, &FormatError{Path: f.Path, Line: l.n, Msg: fmt.Sprintf("expected BEGIN:VCARD, found %q", truncate(l.text, 40))}
		case name == "END" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			if card.email == "" {
				return nil, &FormatError{Path: f.Path, Line: card.begin, Msg: "card has no EMAIL"}
			}
			contacts = append(contacts, Contact{Name: card.name(), Email: card.email, Source: base + ":" + strconv.Itoa(card.emailLine)})
			card = nil
			if err := progress(ctx, len(contacts)); err != nil {
				return nil, err
			}
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
	if card != nil {
		return nil, &FormatError{Path: f.Path, Line: card.begin, Msg: "card has no END:VCARD"}
	}
	return contacts, nil
}

// unfoldVCard reads the content lines, joining folded continuation lines to the line they continue.
func unfoldVCard(r io.Reader) ([]vcardLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024) // a card may carry an inline photo
	var lines []vcardLine
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if (strings.HasPrefix(text, " ") || strings.HasPrefix(text, "\t")) && len(lines) > 0 {
			last := &lines[len(lines)-1]
			last.text += text[1:]
			continue
		}
		lines = append(lines, vcardLine{n: n, text: text})
	}
	return lines, sc.Err()
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

func (f FileContacts) parseCSV(ctx context.Context, r io.Reader, base string) ([]Contact, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows may be shorter or longer than the header
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var contacts []Contact
	email, name, first, last := -1, -1, -1, -1
	header := false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &FormatError{Path: f.Path, Line: pe.StartLine, Msg: pe.Err.Error()}
			}
			return nil, fmt.Errorf("read contacts %s: %w", f.Path, err)
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if !header {
			header = true
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
			email, name, first, last = csvColumn(rec, csvEmailColumns), csvColumn(rec, csvNameColumns), csvColumn(rec, csvFirstColumns), csvColumn(rec, csvLastColumns)
			if email < 0 {
				return nil, &FormatError{Path: f.Path, Line: line, Msg: fmt.Sprintf("header has no email column (one of %s)", strings.Join(csvEmailColumns, ", "))}
			}
			continue
		}
		c := Contact{Email: strings.TrimSpace(field(rec, email)), Source: base + ":" + strconv.Itoa(line)}
		if c.Email == "" {
			return nil, &FormatError{Path: f.Path, Line: line, Msg: "row has no email"}
		}
		c.Name = strings.TrimSpace(field(rec, name))
		if c.Name == "" {
			c.Name = strings.TrimSpace(strings.TrimSpace(field(rec, first)) + " " + strings.TrimSpace(field(rec, last)))
		}
		contacts = append(contacts, c)
		if err := progress(ctx, len(contacts)); err != nil {
			return nil, err
		}
	}
	if !header {
		// An empty file has no contacts rather than a missing column: nothing in it is wrong.
		return nil, nil
	}
	return contacts, nil
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

// RetrieveContacts reads the user's contacts. Output: contacts (in file order) and count.
func (a *Activities) RetrieveContacts(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	started := time.Now()
	t.Command = "RetrieveContacts"
	if err := decodeArgs(t, &struct{}{}); err != nil {
		return catalog.TaskResult{}, err
	}
	if a.Contacts == nil {
		return catalog.TaskResult{}, fmt.Errorf("%w: Contacts", errMissingDependency)
	}
	contacts, err := a.Contacts.Contacts(ctx)
	var (
		pathErr   *fs.PathError
		formatErr *FormatError
	)
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pathErr):
		return catalog.TaskResult{}, taskError(t, catalog.ErrNotFound, "contacts file %s does not exist", pathErr.Path)
	case errors.Is(err, fs.ErrNotExist):
		return catalog.TaskResult{}, taskError(t, catalog.ErrNotFound, "contacts not found: %v", err)
	case errors.As(err, &formatErr):
		return catalog.TaskResult{}, taskError(t, catalog.ErrInvalidArgument, "malformed contacts file %v", formatErr)
	case err != nil:
		return catalog.TaskResult{}, fmt.Errorf("retrieve contacts: %w", err)
	}
	if contacts == nil {
		contacts = []Contact{}
	}
	return a.result(ctx, t, started, map[string]any{
		"contacts": contacts,
		"count":    len(contacts),
	}), nil
}
