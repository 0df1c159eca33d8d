package document

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// HTMLText is the readable text of an HTML page and its <title>. Scripts, styles, templates, frames and
// drop-down lists are dropped; an image counts as its alt text; block elements (paragraphs, headings, list items, table rows, <br>) start new
// lines, cells are separated by tabs, and runs of spaces collapse as a browser shows them. contentType,
// when not empty, is the Content-Type header, whose charset is honoured (otherwise <meta charset> or a
// guess, as golang.org/x/net/html/charset does).
func HTMLText(r io.Reader, contentType string) (title, text string, err error) {
	r, err = charset.NewReader(r, contentType)
	if err != nil {
		return "", "", fmt.Errorf("HTML charset: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return "", "", fmt.Errorf("not HTML: %w", err)
	}
	var t htmlText
	t.walk(doc)
	return strings.TrimSpace(collapse(t.title.String())), t.result(), nil
}

type htmlText struct {
	title strings.Builder
	lines []string
	line  strings.Builder
}

var spaces = regexp.MustCompile(`[ \t\r\n\f\v\x{00a0}]+`)

func collapse(s string) string { return spaces.ReplaceAllString(s, " ") }

// skipped elements hold no text a reader sees.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Iframe: true, atom.Object: true, atom.Select: true,
}

// blocks start and end a line.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Li: true, atom.Tr: true, atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Blockquote: true, atom.Pre: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Nav: true, atom.Main: true, atom.Aside: true, atom.Hr: true,
	atom.Figure: true, atom.Figcaption: true, atom.Address: true, atom.Form: true, atom.Fieldset: true,
}

func (t *htmlText) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.line.WriteString(n.Data)
		return
	case html.ElementNode:
		if skipped[n.DataAtom] {
			return
		}
		switch n.DataAtom {
		case atom.Title:
			if t.title.Len() == 0 {
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.TextNode {
						t.title.WriteString(c.Data)
					}
				}
			}
			return
		case atom.Br:
			t.newLine()
			return
		case atom.Td, atom.Th:
			if strings.TrimSpace(t.line.String()) != "" {
				t.line.WriteString("\t")
			}
		case atom.Img:
			for _, a := range n.Attr {
				if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
					t.line.WriteString(" " + a.Val + " ")
				}
			}
		}
	}
	if blocks[n.DataAtom] {
		t.newLine()
	}
	if n.DataAtom == atom.Li {
		t.line.WriteString("- ")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c)
	}
	if blocks[n.DataAtom] {
		t.newLine()
	}
}

// newLine ends the line being written, if it has any text. Cells keep their tabs.
func (t *htmlText) newLine() {
	cells := strings.Split(t.line.String(), "\t")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(collapse(c))
	}
	l := strings.TrimSpace(strings.Join(cells, "\t"))
	t.line.Reset()
	if l == "" || l == "-" {
		return
	}
	t.lines = append(t.lines, l)
}

func (t *htmlText) result() string {
	t.newLine()
	return strings.Join(t.lines, "\n")
}
