package imapbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// TokenSource gives the OAuth2 access token XOAUTH2 and OAUTHBEARER log in with. refresh is true when
// the server refused the last token (it expired): the source must not return the same one from a cache.
type TokenSource interface {
	Token(ctx context.Context, refresh bool) (string, error)
}

// maxTokenBytes bounds a token file or a token command's output.
const maxTokenBytes = 64 << 10

// FileToken reads the token from a file on every login, so that whatever refreshes the file (a sidecar,
// oauth2l, a cron job) is picked up without a restart.
type FileToken struct{ Path string }

// Token reads the file; surrounding white space is dropped.
func (f FileToken) Token(context.Context, bool) (string, error) {
	info, err := os.Stat(f.Path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if info.Size() > maxTokenBytes {
		return "", fmt.Errorf("token file %s is larger than %d bytes; is it a token?", f.Path, maxTokenBytes)
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", f.Path)
	}
	return t, nil
}

// CommandToken runs a command that prints a token (such as `gcloud auth print-access-token` or
// `oauth2l fetch`), and keeps the token for MaxAge (55 minutes when zero: tokens usually last an hour)
// or until the server refuses it. The command's output is never put in an error.
type CommandToken struct {
	Argv    []string
	MaxAge  time.Duration
	Timeout time.Duration // how long the command may run; 30s when zero

	mu      sync.Mutex
	token   string
	fetched time.Time
}

// Token returns the kept token, or runs the command for a new one.
func (c *CommandToken) Token(ctx context.Context, refresh bool) (string, error) {
	if len(c.Argv) == 0 {
		return "", errors.New("token command is empty")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = 55 * time.Minute
	}
	if !refresh && c.token != "" && time.Since(c.fetched) < maxAge {
		return c.token, nil
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out, errOut limitedBuffer
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		// stderr may say why (not logged in), and holds no token: a command prints its token on stdout.
		return "", fmt.Errorf("token command %s: %v: %s", c.Argv[0], err, strings.TrimSpace(errOut.String()))
	}
	t := strings.TrimSpace(out.String())
	if t == "" || out.full {
		return "", fmt.Errorf("token command %s printed no token (or more than %d bytes)", c.Argv[0], maxTokenBytes)
	}
	c.token, c.fetched = t, time.Now()
	return t, nil
}

// limitedBuffer keeps the first maxTokenBytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	full bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxTokenBytes - b.Len(); len(p) > room {
		b.full = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil // the rest is dropped, not an error: the command is not to fail on it
	}
	return b.Buffer.Write(p)
}
