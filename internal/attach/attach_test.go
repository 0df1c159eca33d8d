package attach

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	mail "github.com/wneessen/go-mail"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/internal/workspace"
)

func newWorkspace(tb testing.TB) (*workspace.Workspace, string) {
	tb.Helper()
	parent := tb.TempDir()
	dir := filepath.Join(parent, "ws")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o644)
	w, err := workspace.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	put(tb, w, "slides.pdf", "%PDF-1.4 slides")
	put(tb, w, "a/notes.txt", "notes from a")
	put(tb, w, "b/notes.txt", "notes from b")
	put(tb, w, "blob", "\x89PNG\r\n\x1a\n....")
	return w, parent
}

func put(tb testing.TB, w *workspace.Workspace, name, text string) {
	tb.Helper()
	p := filepath.Join(w.Dir(), name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestCollect(t *testing.T) {
	w, parent := newWorkspace(t)
	files, err := Collect(w, []string{"slides.pdf", "a/notes.txt", "b/notes.txt", "blob"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name+" "+f.Path+" "+f.ContentType+" "+strconv.FormatInt(f.Size, 10))
	}
	want := "slides.pdf slides.pdf application/pdf 15|notes.txt a/notes.txt text/plain; charset=utf-8 12|notes (2).txt b/notes.txt text/plain; charset=utf-8 12|blob blob image/png 12"
	if strings.Join(got, "|") != want {
		t.Fatalf("Collect =\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}

	for _, c := range []struct {
		paths []string
		lim   Limits
		want  string
		is    error
	}{
		{[]string{"../secret.txt"}, Limits{}, "attach ../secret.txt: ../secret.txt is outside the workspace", workspace.ErrOutside},
		{[]string{filepath.Join(parent, "secret.txt")}, Limits{}, "is outside the workspace", workspace.ErrOutside},
		{[]string{"missing.pdf"}, Limits{}, "attach missing.pdf", fs.ErrNotExist},
		{[]string{"slides.pdf"}, Limits{MaxTotalBytes: 10}, "slides.pdf is 15 B, more than the limit of 10 B", nil},
		{[]string{"slides.pdf", "a/notes.txt"}, Limits{MaxTotalBytes: 20}, "attach a/notes.txt: with the files before it the email would carry more than 20 B", nil},
		{[]string{"a", "b", "c"}, Limits{MaxFiles: 2}, "3 files, more than the 2 one email may carry", nil},
		{[]string{"a"}, Limits{}, "not a regular file", nil},
	} {
		_, err := Collect(w, c.paths, c.lim)
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Fatalf("Collect(%v) = %v, want %q", c.paths, err, c.want)
		}
	}
}

// message builds the email SendEmail would: From, To, CC, a text body and the attachments.
func message(tb testing.TB, files []File) *mail.Msg {
	tb.Helper()
	m := mail.NewMsg()
	if err := m.From("me@example.com"); err != nil {
		tb.Fatal(err)
	}
	if err := m.To("carol@example.com"); err != nil {
		tb.Fatal(err)
	}
	if err := m.Cc("dave@example.com", "erin@example.com"); err != nil {
		tb.Fatal(err)
	}
	m.Subject("Slides")
	m.SetBodyString(mail.TypeTextPlain, "Slides attached")
	if err := Attach(m, files); err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestAttachWritesAMIMEMessage reads go-mail's output back with the standard library's MIME parser.
func TestAttachWritesAMIMEMessage(t *testing.T) {
	w, _ := newWorkspace(t)
	files, err := Collect(w, []string{"slides.pdf", "a/notes.txt", "b/notes.txt"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := message(t, files).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := msg.Header.AddressList("Cc")
	if err != nil || len(cc) != 2 || cc[0].Address != "dave@example.com" || cc[1].Address != "erin@example.com" {
		t.Fatalf("Cc = %v, %v", cc, err)
	}
	media, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if media != "multipart/mixed" {
		t.Fatalf("Content-Type = %s, want multipart/mixed", media)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	got := map[string]string{}
	body := ""
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			data, _ = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
		}
		if name := p.FileName(); name != "" {
			ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			got[name] = ct + " " + string(data)
		} else {
			body = strings.TrimSpace(string(data))
		}
	}
	if body != "Slides attached" {
		t.Fatalf("body = %q", body)
	}
	for name, want := range map[string]string{
		"slides.pdf":    "application/pdf %PDF-1.4 slides",
		"notes.txt":     "text/plain notes from a",
		"notes (2).txt": "text/plain notes from b",
	} {
		if got[name] != want {
			t.Fatalf("attachment %q = %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
}

// TestAttachThroughMailpit sends the message through a real SMTP server, Mailpit, and reads the
// attachments and the copies back from its API.
func TestAttachThroughMailpit(t *testing.T) {
	mp := testenv.Mailpit(t)
	w, _ := newWorkspace(t)
	files, err := Collect(w, []string{"slides.pdf", "a/notes.txt"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(mp.SMTPAddr)
	p, _ := strconv.Atoi(port)
	c, err := mail.NewClient(host, mail.WithPort(p), mail.WithTLSPolicy(mail.NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DialAndSend(message(t, files)); err != nil {
		t.Fatal(err)
	}
	msgs := testenv.Messages(t, mp, "")
	if len(msgs) != 1 {
		t.Fatalf("Mailpit holds %d messages, want 1", len(msgs))
	}
	var full struct {
		Cc          []struct{ Address string }
		Attachments []struct {
			PartID      string
			FileName    string
			ContentType string
			Size        int
		}
	}
	getJSON(t, mp.APIURL+"/api/v1/message/"+msgs[0].ID, &full)
	if len(full.Cc) != 2 || full.Cc[0].Address != "dave@example.com" || full.Cc[1].Address != "erin@example.com" {
		t.Fatalf("Cc in Mailpit = %+v", full.Cc)
	}
	if len(full.Attachments) != 2 {
		t.Fatalf("attachments in Mailpit = %+v", full.Attachments)
	}
	for i, want := range []struct{ name, text string }{{"slides.pdf", "%PDF-1.4 slides"}, {"notes.txt", "notes from a"}} {
		a := full.Attachments[i]
		resp, err := http.Get(mp.APIURL + "/api/v1/message/" + msgs[0].ID + "/part/" + a.PartID)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if a.FileName != want.name || string(data) != want.text {
			t.Fatalf("attachment %d = %s %q, want %s %q", i, a.FileName, data, want.name, want.text)
		}
	}
}

func getJSON(tb testing.TB, u string, v any) {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
}
