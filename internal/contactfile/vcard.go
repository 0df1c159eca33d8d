package contactfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/emersion/go-vcard"
	"golang.org/x/text/encoding/htmlindex"
)

// vCard (RFC 6350, and the 2.1 and 3.0 files address books still export): a card runs from BEGIN:VCARD
// to END:VCARD; the name is FN (or N without FN) and the address is the preferred EMAIL (PREF=1 or
// TYPE=pref), else the first. A card with several addresses is one contact, so that each person gets
// one email. The contact's source is the line of its address.

type vcardFormat struct{}

// vcardLine is one unfolded content line: the byte offset it starts at, the physical line it starts on,
// the last one it spans, and the byte offset just after that one.
type vcardLine struct {
	start   int64
	n, last int
	end     int64
	text    string
}

// vcardCard collects the lines of a card that the contact is made of.
type vcardCard struct {
	begin int      // line of BEGIN:VCARD
	lines []string // FN, N and EMAIL lines, EMAIL marked with their line numbers
	size  int
}

// lineParam is the parameter this package adds to an EMAIL line to know, after go-vcard has parsed the
// card, which line the chosen address was on.
const lineParam = "X-EAAPL-LINE"

// vcardKept are the properties a contact is made of; the rest of a card (a photo) is not held in memory.
var vcardKept = map[string]bool{"FN": true, "N": true, "EMAIL": true}

func (vcardFormat) readPage(ctx context.Context, r *Reader, from Checkpoint, p *pageBuilder) error {
	lines := newVCardLines(r.file, from.Offset, from.Line)
	var card *vcardCard
	for {
		l, ok := lines.next()
		if !ok {
			break
		}
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		name, value := propertyName(l.text)
		switch {
		case name == "BEGIN" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			if card != nil {
				reason := fmt.Sprintf("card has no END:VCARD before the next BEGIN:VCARD on line %d", l.n)
				// The broken card ends where this line begins; a page that ends with it resumes here.
				if err := p.add(ctx, Contact{Source: r.source(card.begin)}, reason, l.start, l.n-1); err != nil {
					return err
				}
			}
			card = &vcardCard{begin: l.n}
			p.start = false
		case card == nil:
			if p.start {
				return &FormatError{Path: r.path, Line: l.n, Msg: fmt.Sprintf("expected BEGIN:VCARD, found %q; is this a vCard file?", truncate(l.text, 40))}
			}
			if err := p.add(ctx, Contact{Source: r.source(l.n)}, fmt.Sprintf("expected BEGIN:VCARD, found %q", truncate(l.text, 40)), l.end, l.last); err != nil {
				return err
			}
		case name == "END" && strings.EqualFold(strings.TrimSpace(value), "VCARD"):
			c, reason := card.contact(r)
			card = nil
			if err := p.add(ctx, c, reason, l.end, l.last); err != nil {
				return err
			}
		case vcardKept[name]:
			card.keep(name, l)
		}
	}
	if err := lines.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &FormatError{Path: r.path, Line: lines.n + 1, Msg: fmt.Sprintf("line is longer than %d bytes", MaxLineBytes)}
		}
		return fmt.Errorf("read contacts %s: %w", r.path, err)
	}
	if card != nil {
		return p.add(ctx, Contact{Source: r.source(card.begin)}, "card has no END:VCARD", r.identity.Size, lines.n)
	}
	return nil
}

// keep holds a line the contact is made of, as go-vcard should see it; a card whose kept lines pass
// MaxRowBytes keeps no more (it is reported when it ends).
func (c *vcardCard) keep(name string, l vcardLine) {
	if c.size > MaxRowBytes {
		return
	}
	text := normalizeParams(l.text)
	if name == "EMAIL" {
		// Right after the name, so that it is the parameter's first value whatever the line has.
		i := strings.IndexAny(text, ";:")
		text = text[:i] + ";" + lineParam + "=" + strconv.Itoa(l.n) + text[i:]
	}
	c.lines = append(c.lines, text)
	c.size += len(text)
}

// contact makes the card's contact, or says why there is none.
func (c *vcardCard) contact(r *Reader) (Contact, string) {
	bad := Contact{Source: r.source(c.begin)}
	if c.size > MaxRowBytes {
		return bad, fmt.Sprintf("card's names and addresses are longer than %d bytes", MaxRowBytes)
	}
	text := "BEGIN:VCARD\r\n" + strings.Join(c.lines, "\r\n") + "\r\nEND:VCARD\r\n"
	card, err := vcard.NewDecoder(strings.NewReader(text)).Decode()
	if err != nil {
		return bad, fmt.Sprintf("card cannot be read: %v", strings.TrimPrefix(err.Error(), "vcard: "))
	}
	return cardContact(card, bad, func(email *vcard.Field) string {
		line, _ := strconv.Atoi(email.Params.Get(lineParam))
		return r.source(line)
	})
}

// CardContact makes the contact of a card that go-vcard parsed elsewhere (a CardDAV server's), as a
// file's card is made: the name is FN (or N), the address the preferred EMAIL. When the card is not a
// contact, reason says why (as in a RowError) and the contact holds only the source.
func CardContact(card vcard.Card, source string) (c Contact, reason string) {
	return cardContact(card, Contact{Source: source}, func(*vcard.Field) string { return source })
}

// cardContact makes a parsed card's contact; sourceOf names where the chosen address is.
func cardContact(card vcard.Card, bad Contact, sourceOf func(email *vcard.Field) string) (Contact, string) {
	var err error
	for _, key := range []string{vcard.FieldFormattedName, vcard.FieldName, vcard.FieldEmail} {
		for _, f := range card[key] {
			if f.Value, err = decodeValue(f); err != nil {
				return bad, err.Error()
			}
		}
	}
	// The preferred of the addresses that are not empty.
	var emails []*vcard.Field
	for _, f := range card[vcard.FieldEmail] {
		f.Value = strings.TrimSpace(f.Value)
		if len(f.Value) >= 7 && strings.EqualFold(f.Value[:7], "mailto:") {
			f.Value = strings.TrimSpace(f.Value[7:])
		}
		if f.Value != "" {
			emails = append(emails, f)
		}
	}
	if len(emails) == 0 {
		return bad, "card has no EMAIL"
	}
	email := vcard.Card{vcard.FieldEmail: emails}.Preferred(vcard.FieldEmail)
	contact := Contact{Name: vcardName(card), Email: email.Value, Source: sourceOf(email)}
	return contact, checkAddress(contact.Email)
}

// vcardName is FN, or the prefix, given, middle, family names and suffix of N without FN.
func vcardName(card vcard.Card) string {
	if fn := strings.TrimSpace(card.Value(vcard.FieldFormattedName)); fn != "" {
		return fn
	}
	n := card.Name()
	if n == nil {
		return ""
	}
	var words []string
	for _, w := range []string{n.HonorificPrefix, n.GivenName, n.AdditionalName, n.FamilyName, n.HonorificSuffix} {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// decodeValue undoes what go-vcard leaves: a QUOTED-PRINTABLE value in its CHARSET (vCard 2.1), and the
// escapes \; and \N (go-vcard undoes \\, \n and \,).
func decodeValue(f *vcard.Field) (string, error) {
	v := f.Value
	if strings.EqualFold(f.Params.Get("ENCODING"), "QUOTED-PRINTABLE") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(v)))
		if err != nil {
			return "", fmt.Errorf("card has a QUOTED-PRINTABLE value that does not decode: %v", err)
		}
		v = string(b)
	}
	if cs := f.Params.Get("CHARSET"); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		enc, err := htmlindex.Get(cs)
		if err != nil {
			return "", fmt.Errorf("card has a value in an unknown CHARSET %q", truncate(cs, 40))
		}
		if v, err = enc.NewDecoder().String(v); err != nil {
			return "", fmt.Errorf("card has a value that is not %s: %v", cs, err)
		}
	}
	return strings.NewReplacer(`\;`, ";", `\N`, "\n").Replace(v), nil
}

// propertyName splits "group.NAME;PARAM=a:value" into the upper-case name without its group, and the value.
// A colon inside a double-quoted parameter value does not end the name.
func propertyName(line string) (name, value string) {
	head, value, ok := splitValue(line)
	if !ok {
		return "", ""
	}
	name, _, _ = strings.Cut(head, ";")
	name = strings.ToUpper(strings.TrimSpace(name))
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:]
	}
	return name, value
}

// splitValue splits a content line at the colon that ends its name and parameters.
func splitValue(line string) (head, value string, ok bool) {
	quoted := false
	for i, r := range line {
		if r == '"' {
			quoted = !quoted
		} else if r == ':' && !quoted {
			return line[:i], line[i+1:], true
		}
	}
	return line, "", false
}

// normalizeParams gives the parameters of vCard 2.1, which may leave out their names (EMAIL;INTERNET;PREF:
// or FN;QUOTED-PRINTABLE:), the names 3.0 and go-vcard expect: ENCODING for an encoding, TYPE for the rest
// (vCard 2.1, section 2.1.2).
func normalizeParams(line string) string {
	head, value, ok := splitValue(line)
	if !ok || !strings.Contains(head, ";") {
		return line
	}
	parts := strings.Split(head, ";")
	for i, p := range parts[1:] {
		if strings.Contains(p, "=") {
			continue
		}
		switch up := strings.ToUpper(strings.TrimSpace(p)); up {
		case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT":
			parts[i+1] = "ENCODING=" + up
		case "":
		default:
			parts[i+1] = "TYPE=" + strings.TrimSpace(p)
		}
	}
	return strings.Join(parts, ";") + ":" + value
}

// vcardLines reads content lines one at a time, joining folded continuation lines (and the soft line
// breaks of QUOTED-PRINTABLE values) to the line they continue, and keeps count of the bytes and lines
// read so that a read can stop and resume after any line.
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
	l.sc.Buffer(make([]byte, 64*1024), MaxLineBytes)
	l.sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		advance, token, err := bufio.ScanLines(data, atEOF)
		l.read += int64(advance)
		return advance, token, err
	})
	return l
}

// scan reads one physical line; nil at the end or on an error (in l.sc.Err).
func (l *vcardLines) scan() *vcardLine {
	start := l.read
	if !l.sc.Scan() {
		return nil
	}
	l.n++
	text := strings.TrimSuffix(l.sc.Text(), "\r")
	if l.atStart {
		text, l.atStart = strings.TrimPrefix(text, "\uFEFF"), false
	}
	return &vcardLine{start: start, n: l.n, last: l.n, end: l.read, text: text}
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
		softBreak := strings.HasSuffix(cur.text, "=") && isQuotedPrintable(cur.text)
		more := l.scan()
		if more == nil {
			return *cur, true
		}
		switch {
		case strings.HasPrefix(more.text, " ") || strings.HasPrefix(more.text, "\t"):
			cur.text += more.text[1:]
		case softBreak:
			cur.text = cur.text[:len(cur.text)-1] + more.text
		default:
			l.ahead = more
			return *cur, true
		}
		cur.last, cur.end = more.last, more.end
	}
}

// isQuotedPrintable reports whether a content line's parameters say its value is QUOTED-PRINTABLE.
func isQuotedPrintable(line string) bool {
	head, _, ok := splitValue(line)
	return ok && strings.Contains(strings.ToUpper(head), "QUOTED-PRINTABLE")
}
