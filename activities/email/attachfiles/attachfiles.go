// Package attachfiles is the email family's Attachments over the workspace (internal/attach): each file
// is read through the workspace's os.Root, so a path outside it is refused before anything is read,
// within internal/attach's caps (20 files, 18 MB together).
package attachfiles

import (
	"context"
	"errors"
	"io/fs"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/internal/attach"
	"github.com/eaapl/eaapl/internal/workspace"
)

// Files is email.Attachments over an open workspace.
type Files struct {
	WS *workspace.Workspace
}

var _ email.Attachments = Files{}

// Collect reads the files at paths, in order.
func (f Files) Collect(ctx context.Context, paths []string) ([]email.Attachment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := attach.Collect(f.WS, paths, attach.Limits{})
	if err != nil {
		var tl *workspace.TooLargeError
		var pe *fs.PathError
		if errors.Is(err, workspace.ErrOutside) || errors.Is(err, fs.ErrNotExist) || errors.As(err, &tl) || !errors.As(err, &pe) {
			// Outside, missing, too large, too many, a folder, an empty path: no retry sends it.
			return nil, &email.AttachmentError{Err: err}
		}
		return nil, err // the disk failed us: worth another try
	}
	out := make([]email.Attachment, len(files))
	for i, a := range files {
		out[i] = email.Attachment{Name: a.Name, Path: a.Path, ContentType: a.ContentType, Data: a.Data}
	}
	return out, nil
}
