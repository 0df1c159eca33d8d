package document

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/eaapl/eaapl/internal/workspace"
)

// pdfText reads a PDF's text page by page, a line per row of text, and its Info title. The library panics
// on some malformed files; that is turned into an error, so a bad PDF is a bad input, not a crashed worker.
func pdfText(ctx context.Context, r io.ReaderAt, size, maxText int64) (title, text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			title, text, err = "", "", fmt.Errorf("not a PDF this reader understands: %v", p)
		}
	}()
	doc, err := pdf.NewReader(r, size)
	if errors.Is(err, pdf.ErrInvalidPassword) {
		return "", "", errors.New("the PDF is encrypted with a password")
	}
	if err != nil {
		return "", "", fmt.Errorf("not a PDF: %v", err)
	}
	title = strings.TrimSpace(doc.Trailer().Key("Info").Key("Title").Text())
	var b strings.Builder
	for i := 1; i <= doc.NumPage(); i++ {
		if err := ctx.Err(); err != nil {
			return "", "", err
		}
		page := doc.Page(i)
		if page.V.IsNull() {
			continue
		}
		if i > 1 && b.Len() > 0 {
			b.WriteString("\f\n") // a form feed between pages, as pdftotext writes
		}
		for _, line := range pageLines(page.Content().Text) {
			b.WriteString(line)
			b.WriteByte('\n')
			if int64(b.Len()) > maxText {
				return "", "", fmt.Errorf("its text is more than the limit of %s (at page %d of %d)",
					workspace.HumanSize(maxText), i, doc.NumPage())
			}
		}
	}
	return title, strings.TrimRight(b.String(), "\n"), nil
}

// pageLines puts a page's glyphs, in the order the page draws them, into lines: a glyph lower or higher
// than the one before by more than half its size starts a new line. Within a line a space goes where the
// text jumps forward more than a fifth of the font size past the glyph before (the library knows widths
// only for fonts that carry them; without, any jump forward counts), since PDFs often place each word on
// its own.
func pageLines(texts []pdf.Text) []string {
	var lines []string
	var b strings.Builder
	var prev pdf.Text
	flush := func() {
		if l := strings.TrimSpace(b.String()); l != "" {
			lines = append(lines, l)
		}
		b.Reset()
	}
	for i, t := range texts {
		if i > 0 {
			size := math.Max(t.FontSize, 1)
			switch {
			case math.Abs(t.Y-prev.Y) > size/2:
				flush()
			case b.Len() > 0 && !strings.HasSuffix(b.String(), " ") && !strings.HasPrefix(t.S, " ") &&
				((prev.W > 0 && t.X-(prev.X+prev.W) > size/5) || (prev.W == 0 && t.X > prev.X+size/5)):
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.S)
		prev = t
	}
	flush()
	return lines
}
