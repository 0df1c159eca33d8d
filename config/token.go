package config

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// maxTokenBytes bounds a token file: a JWT with many permissions is a few KB.
const maxTokenBytes = 64 << 10

// TokenFile is a file holding the bearer token a Temporal server with an authorizer asks for
// (EAAPL_TEMPORAL_TOKEN_FILE). Token reads it again whenever the file changes, so a token that expires
// is replaced by writing a new one into the file, without restarting the worker.
type TokenFile struct {
	path string

	mu      sync.Mutex
	token   string
	modTime time.Time
	size    int64
}

// NewTokenFile returns the token file at path, having read it once: a missing, empty, oversized or
// group- or world-readable file is refused, naming the file.
func NewTokenFile(path string) (*TokenFile, error) {
	f := &TokenFile{path: path}
	if _, err := f.Token(context.Background()); err != nil {
		return nil, err
	}
	return f, nil
}

// Token returns the file's token, read again when its size or modification time changed. It is the
// SDK's API key callback (client.NewAPIKeyDynamicCredentials): the SDK sends it as "Authorization:
// Bearer <token>", which the server's default JWT claim mapper reads.
func (f *TokenFile) Token(context.Context) (string, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" && info.ModTime().Equal(f.modTime) && info.Size() == f.size {
		return f.token, nil
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE %s has mode %04o: others may read the token; make it 0600 (chmod 600 %s)", f.path, perm, f.path)
	}
	file, err := os.Open(f.path)
	if err != nil {
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE: %w", err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE %s: %w", f.path, err)
	}
	token := strings.TrimSpace(string(b))
	switch {
	case len(b) > maxTokenBytes:
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE %s is over %d KB: it should hold one token", f.path, maxTokenBytes>>10)
	case token == "":
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE %s is empty: it should hold the token Temporal's authorizer expects", f.path)
	case strings.ContainsAny(token, " \t\r\n"):
		return "", fmt.Errorf("EAAPL_TEMPORAL_TOKEN_FILE %s holds more than one line or word: write the token alone, without \"Bearer\"", f.path)
	}
	f.token, f.modTime, f.size = token, info.ModTime(), info.Size()
	return token, nil
}
