package imapbox_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/internal/imapbox"
)

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(" app password \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("ReadsThePasswordFile", func(t *testing.T) {
		c, err := imapbox.Settings{URL: "imaps://me@mail.example.com", PasswordFile: pw}.Config()
		if err != nil {
			t.Fatal(err)
		}
		if c.Password != " app password " {
			t.Fatalf("password = %q, want the file's line without its ending", c.Password)
		}
	})
	t.Run("SplitsTheTokenCommand", func(t *testing.T) {
		c, err := imapbox.Settings{Auth: "xoauth2", TokenCommand: "echo  tok-123"}.Config()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.Token.Token(context.Background(), false)
		if err != nil || tok != "tok-123" {
			t.Fatalf("token = %q, %v; want tok-123", tok, err)
		}
	})
	for name, tc := range map[string]struct {
		s    imapbox.Settings
		want string
	}{
		"PasswordTwice":    {imapbox.Settings{Password: "x", PasswordFile: pw}, "not both"},
		"TokenTwice":       {imapbox.Settings{Auth: "xoauth2", TokenFile: pw, TokenCommand: "echo"}, "not both"},
		"TokenWithoutAuth": {imapbox.Settings{TokenFile: pw}, "EAAPL_IMAP_AUTH"},
		"MissingFile":      {imapbox.Settings{PasswordFile: filepath.Join(dir, "none")}, "EAAPL_IMAP_PASSWORD_FILE"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.s.Config()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Config() error = %v; want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "app password") {
				t.Fatalf("error %q holds the password", err)
			}
		})
	}
	t.Run("FailingTokenCommandKeepsStdoutOut", func(t *testing.T) {
		tok := &imapbox.CommandToken{Argv: []string{"sh", "-c", "echo planted-secret-tok; echo not logged in >&2; exit 3"}}
		_, err := tok.Token(context.Background(), false)
		if err == nil || strings.Contains(err.Error(), "planted-secret-tok") || !strings.Contains(err.Error(), "not logged in") {
			t.Fatalf("error = %v; want the command's stderr and not its stdout", err)
		}
	})
}
