package imapbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Settings are the EAAPL_IMAP_* variables as config.Config holds them; Config turns them into a Config,
// reading the password file.
type Settings struct {
	URL, Password, PasswordFile   string
	Auth, TokenFile, TokenCommand string
	SentFolder, SaveSent, CAFile  string
}

// maxPasswordBytes bounds a password file.
const maxPasswordBytes = 4 << 10

// Config makes the mailbox's Config. EAAPL_IMAP_TOKEN_COMMAND is split at spaces, without a shell: a
// command that needs quoting goes in a script.
func (s Settings) Config() (Config, error) {
	c := Config{URL: s.URL, Password: s.Password, Auth: s.Auth, SentFolder: s.SentFolder, SaveSent: s.SaveSent, CAFile: s.CAFile}
	if s.PasswordFile != "" {
		if s.Password != "" {
			return Config{}, errors.New("IMAP: set EAAPL_IMAP_PASSWORD or EAAPL_IMAP_PASSWORD_FILE, not both")
		}
		info, err := os.Stat(s.PasswordFile)
		if err != nil {
			return Config{}, fmt.Errorf("EAAPL_IMAP_PASSWORD_FILE: %w", err)
		}
		if info.Size() > maxPasswordBytes {
			return Config{}, fmt.Errorf("EAAPL_IMAP_PASSWORD_FILE %s is larger than %d bytes; is it a password?", s.PasswordFile, maxPasswordBytes)
		}
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return Config{}, fmt.Errorf("EAAPL_IMAP_PASSWORD_FILE: %w", err)
		}
		// Only the line ending an editor adds is dropped: a password may begin or end with spaces.
		c.Password = strings.TrimRight(string(b), "\r\n")
		if c.Password == "" {
			return Config{}, fmt.Errorf("EAAPL_IMAP_PASSWORD_FILE %s is empty", s.PasswordFile)
		}
	}
	switch {
	case s.TokenFile != "" && s.TokenCommand != "":
		return Config{}, errors.New("IMAP: set EAAPL_IMAP_TOKEN_FILE or EAAPL_IMAP_TOKEN_COMMAND, not both")
	case s.TokenFile != "":
		c.Token = FileToken{Path: s.TokenFile}
	case strings.TrimSpace(s.TokenCommand) != "":
		c.Token = &CommandToken{Argv: strings.Fields(s.TokenCommand)}
	}
	if c.Token != nil && (c.Auth == "" || c.Auth == "password") {
		return Config{}, errors.New("IMAP: a token is set (EAAPL_IMAP_TOKEN_FILE or _COMMAND); set EAAPL_IMAP_AUTH to xoauth2 or oauthbearer")
	}
	return c, nil
}
