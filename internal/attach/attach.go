// Package attach turns workspace paths into email attachments for SendEmail: each file is read through the
// workspace (so a path outside it is refused before anything is read), within a cap per file and in all,
// and added to a github.com/wneessen/go-mail message with its name and content type.
package attach

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/eaapl/eaapl/internal/workspace"
)

// File is one attachment, read.
type File struct {
	Name        string `json:"name"` // as the recipient sees it: the file's base name, made unique in the message
	Path        string `json:"path"` // inside the workspace
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"-"`
}

// Limits bound the attachments of one message. Zero fields take the defaults.
type Limits struct {
	MaxFiles      int   // DefaultMaxFiles
	MaxTotalBytes int64 // all files together, before encoding; DefaultMaxTotalBytes
}

// The defaults: mail servers commonly refuse messages over 25 MB, and base64 makes a file a third larger,
// so the files may take 18 MB together.
const (
	DefaultMaxFiles      = 20
	DefaultMaxTotalBytes = 18 << 20
)

// Collect reads the files at paths from the workspace, in order. Errors name the path: outside the
// workspace (*workspace.OutsideError), missing (fs.ErrNotExist), over the cap (*workspace.TooLargeError,
// whose limit is what the files before it left), not a regular file.
func Collect(ws *workspace.Workspace, paths []string, lim Limits) ([]File, error) {
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = DefaultMaxFiles
	}
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if len(paths) > lim.MaxFiles {
		return nil, fmt.Errorf("attach: %d files, more than the %d one email may carry", len(paths), lim.MaxFiles)
	}
	var files []File
	used := map[string]bool{}
	left := lim.MaxTotalBytes
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return nil, errors.New("attach: an attachment's path is empty")
		}
		data, err := ws.ReadFile(p, left)
		var tl *workspace.TooLargeError
		if errors.As(err, &tl) && left < lim.MaxTotalBytes {
			return nil, fmt.Errorf("attach %s: with the files before it the email would carry more than %s: %w",
				p, workspace.HumanSize(lim.MaxTotalBytes), err)
		}
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", p, err)
		}
		rel, _ := ws.Rel(p)
		left -= int64(len(data))
		files = append(files, File{Name: uniqueName(path.Base(rel), used), Path: rel, Size: int64(len(data)),
			ContentType: contentType(rel, data), Data: data})
	}
	return files, nil
}

// uniqueName keeps two attachments from one name: report.pdf, report (2).pdf, ...
func uniqueName(name string, used map[string]bool) string {
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	candidate := name
	for i := 2; used[strings.ToLower(candidate)]; i++ {
		candidate = fmt.Sprintf("%s (%d)%s", base, i, ext)
	}
	used[strings.ToLower(candidate)] = true
	return candidate
}

// contentType is the type the extension names, else what the first bytes look like.
func contentType(name string, data []byte) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

// Attach adds the files to m.
func Attach(m *mail.Msg, files []File) error {
	for _, f := range files {
		if err := m.AttachReader(f.Name, bytes.NewReader(f.Data), mail.WithFileContentType(mail.ContentType(f.ContentType))); err != nil {
			return fmt.Errorf("attach %s: %w", f.Path, err)
		}
	}
	return nil
}
