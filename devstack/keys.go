package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/eaapl/eaapl/internal/crypt"
)

// payloadKeys returns the stack's payload keys: Options.KeyFile, or DataDir/payload.keys, written with a
// new key (mode 0600) when missing, so that the dev stack encrypts from its first start. Without either
// there are none, and the stack stores payloads as they come.
func payloadKeys(o Options) (path string, keys *crypt.Keys, err error) {
	path = o.KeyFile
	if path == "" {
		if o.DataDir == "" {
			return "", nil, nil
		}
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return "", nil, fmt.Errorf("payload keys: %w", err)
		}
		path = filepath.Join(o.DataDir, crypt.DefaultKeyFileName)
		if _, err := crypt.EnsureKeyFile(path, time.Now()); err != nil {
			return "", nil, err
		}
	}
	keys, err = crypt.LoadKeyFile(path)
	if err != nil {
		return "", nil, err
	}
	return path, keys, nil
}

// startCodecServer starts the codec server the Web UI at uiURL decodes payloads through; the Web UI is
// opened as 127.0.0.1 or as localhost, so both are allowed.
func startCodecServer(keys *crypt.Keys, port, uiPort int) (*crypt.Server, error) {
	port, err := portOrFree(port)
	if err != nil {
		return nil, fmt.Errorf("start the codec server: %w", err)
	}
	if err := checkPortFree("codec server", port); err != nil {
		return nil, err
	}
	origins := fmt.Sprintf("http://127.0.0.1:%d,http://localhost:%d", uiPort, uiPort)
	return crypt.Listen(loopback(port), keys, origins, "")
}

// privateDirs makes the parts' data folders under dataDir, or makes existing ones, 0700: the mailbox, the
// broker's log and the dev server's database all hold addresses and messages. dataDir itself is the
// user's choice (EAAPL_DATA_DIR) and is left as it is.
func privateDirs(dataDir string, names ...string) error {
	if dataDir == "" {
		return nil
	}
	for _, name := range names {
		dir := filepath.Join(dataDir, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("data folder: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data folder: %w", err)
		}
	}
	return nil
}

// makePrivate makes the dev server's data folder 0700 and its SQLite files 0600, where they exist: they
// hold every program's history. The server must create the database itself (it sets up the schema only
// for a file that does not exist), so a first start's files are made private once it is ready; SQLite
// gives the journal files of a later start the database's mode.
func makePrivate(dir string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	for _, name := range []string{temporalDBFile, temporalDBFile + "-wal", temporalDBFile + "-shm", temporalDBFile + "-journal"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// startCodec loads or makes the stack's payload keys and starts their codec server; it returns the key
// file, "" when there are no keys.
func (s *Stack) startCodec(o Options, uiPort int) (string, error) {
	path, keys, err := payloadKeys(o)
	if err != nil || keys == nil {
		return "", err
	}
	if s.Codec, err = startCodecServer(keys, o.CodecPort, uiPort); err != nil {
		return "", err
	}
	return path, nil
}

func (s *Stack) closeCodec(ctx context.Context) {
	if s.Codec != nil {
		_ = s.Codec.Close(ctx)
	}
}
