// Package mailtest starts a real mail system for integration tests, from Debian's packages (`make
// mail-tools` installs them): Dovecot (IMAP, LMTP delivery, SASL for Postfix, OAuth2 token checks against
// an endpoint the test serves), Postfix (submission with STARTTLS and SASL through Dovecot, and an MX
// port, both delivering into Dovecot's mailboxes over LMTP) and Radicale (CardDAV). Every part runs in
// the foreground on free loopback ports with throwaway configuration and data, and stops when the test
// ends. The daemons must run as root (they drop to their own users), as they do in this project's CI.
// MAILTEST_KEEP=1 keeps the configuration and logs (under $TMPDIR/mailtest*) for a look after a failure.
package mailtest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
)

// Domain is the mail domain the system serves.
const Domain = "example.com"

// User is a mailbox of the system: it logs in to IMAP and SMTP submission with Address and Password.
type User struct {
	Name, Address, Password string
}

// Users of every System: Me is the EaaPL user; Bob and Alice are contacts with mailboxes of their own.
var (
	Me    = User{Name: "Jane Doe", Address: "me@" + Domain, Password: "s3cret-Me-pw"}
	Bob   = User{Name: "Bob Smith", Address: "bob@" + Domain, Password: "s3cret-Bob-pw"}
	Alice = User{Name: "Alice Jones", Address: "alice@" + Domain, Password: "s3cret-Alice-pw"}
)

// System is a started mail system.
type System struct {
	Dir string // throwaway configuration and data

	IMAPAddr       string // 127.0.0.1:port, IMAP with STARTTLS
	IMAPSAddr      string // 127.0.0.1:port, IMAP over TLS
	SubmissionAddr string // 127.0.0.1:port, SMTP submission: STARTTLS and SASL required
	MXAddr         string // 127.0.0.1:port, SMTP for mail from outside: no authentication, local domain only
	CardDAVURL     string // the address book of Me, with Contacts in it
	CAFile         string // the CA that signed the servers' certificate (for 127.0.0.1 and localhost)

	Contacts []User // the cards of Me's address book

	// Tokens are the OAuth2 access tokens Dovecot accepts, token -> user, checked by the test's
	// introspection endpoint; tests add to it with AddToken.
	tokens   map[string]string
	tokensMu sync.Mutex

	dovecot *daemon
	ports   map[string]int
	users   []User // the users with a mailbox
}

// Options change what Start starts.
type Options struct {
	// Contacts are the cards of Me's CardDAV address book; Alice and Bob when nil.
	Contacts []User
	// Mailboxes are more users with a mailbox, beside Me, Bob and Alice (a Password is not needed to
	// receive; Folder logs in with it).
	Mailboxes []User
}

// Start starts Dovecot, Postfix and Radicale for the test; they stop when it ends. It fails the test,
// naming `make mail-tools`, when a daemon is not installed, and with the daemon's log when one does not start.
func Start(tb testing.TB, opts Options) *System {
	tb.Helper()
	for _, bin := range []string{"/usr/sbin/dovecot", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp", "/usr/sbin/postfix", "/usr/bin/radicale"} {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s is missing: run `make mail-tools` (make test does it) to install postfix, dovecot-imapd, dovecot-lmtpd and radicale", bin)
		}
	}
	if os.Geteuid() != 0 {
		tb.Fatalf("the mail system's daemons (Dovecot, Postfix) must be started as root; run the test as root")
	}
	// A short path of its own, readable by the daemons' users: unix sockets live under it, and the test's
	// own TempDir is private to root.
	dir, err := os.MkdirTemp("", "mailtest")
	if err != nil {
		tb.Fatal(err)
	}
	if os.Getenv("MAILTEST_KEEP") == "" {
		tb.Cleanup(func() { os.RemoveAll(dir) })
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	s := &System{Dir: dir, tokens: map[string]string{}, ports: map[string]int{}}
	for _, name := range []string{"imap", "imaps", "lmtp", "auth", "submission", "mx", "radicale"} {
		s.ports[name] = freePort(tb)
	}
	s.IMAPAddr = s.addr("imap")
	s.IMAPSAddr = s.addr("imaps")
	s.SubmissionAddr = s.addr("submission")
	s.MXAddr = s.addr("mx")
	certs := testenv.WriteCerts(tb, mkdir(tb, dir, "certs", 0o755))
	for _, f := range []string{certs.ServerKey, certs.ServerCert, certs.CA} {
		if err := os.Chmod(f, 0o644); err != nil { // read by Postfix's and Dovecot's unprivileged processes
			tb.Fatal(err)
		}
	}
	s.CAFile = certs.CA
	s.Contacts = opts.Contacts
	if s.Contacts == nil {
		s.Contacts = []User{Alice, Bob}
	}

	introspect := httptest.NewServer(http.HandlerFunc(s.introspect))
	tb.Cleanup(introspect.Close)

	s.users = append([]User{Me, Bob, Alice}, opts.Mailboxes...)
	s.writeDovecot(tb, certs, introspect.URL)
	s.StartDovecot(tb)
	s.startPostfix(tb, certs)
	s.startRadicale(tb)
	return s
}

func (s *System) addr(name string) string { return "127.0.0.1:" + strconv.Itoa(s.ports[name]) }

// Env is the EaaPL configuration for this system, as environment variables: the user, SMTP submission,
// the IMAP mailbox (with STARTTLS) and the CardDAV address book. SSL_CERT_FILE makes the test CA the
// roots of Go's TLS for a process started with it, as EAAPL_SMTP_* has no CA setting of its own.
func (s *System) Env() map[string]string {
	return map[string]string{
		"EAAPL_USER_NAME":         Me.Name,
		"EAAPL_USER_EMAIL":        Me.Address,
		"EAAPL_SMTP_ADDR":         s.SubmissionAddr,
		"EAAPL_SMTP_USERNAME":     Me.Address,
		"EAAPL_SMTP_PASSWORD":     Me.Password,
		"EAAPL_SMTP_TLS":          "mandatory",
		"EAAPL_IMAP_URL":          "imap://" + strings.Replace(Me.Address, "@", "%40", 1) + "@" + s.IMAPAddr,
		"EAAPL_IMAP_PASSWORD":     Me.Password,
		"EAAPL_IMAP_CA_FILE":      s.CAFile,
		"EAAPL_IMAP_SAVE_SENT":    "auto",
		"EAAPL_CONTACTS":          "http://" + strings.Replace(Me.Address, "@", "%40", 1) + "@" + strings.TrimPrefix(s.CardDAVURL, "http://"),
		"EAAPL_CONTACTS_PASSWORD": Me.Password,
		"SSL_CERT_FILE":           s.CAFile,
	}
}

// TLSConfig trusts the system's CA.
func (s *System) TLSConfig(tb testing.TB) *tls.Config {
	tb.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// AddToken makes Dovecot accept an OAuth2 access token for the user, until RevokeToken.
func (s *System) AddToken(token, username string) {
	s.tokensMu.Lock()
	defer s.tokensMu.Unlock()
	s.tokens[token] = username
}

// RevokeToken makes Dovecot refuse the token, as an expired one.
func (s *System) RevokeToken(token string) {
	s.tokensMu.Lock()
	defer s.tokensMu.Unlock()
	delete(s.tokens, token)
}

// introspect is the OAuth2 token introspection endpoint (RFC 7662) Dovecot's oauth2 passdb asks.
func (s *System) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := r.Form.Get("token")
	if token == "" { // a GET with the token as a bearer header, in introspection_mode = auth
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.tokensMu.Lock()
	username, ok := s.tokens[token]
	s.tokensMu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		_ = json.NewEncoder(w).Encode(map[string]any{"active": "false"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"active": "true", "username": username})
}

// writeDovecot writes Dovecot's configuration: users from a passwd-file, OAuth2 tokens checked by the
// introspection endpoint, maildirs owned by the dovecot user, and a Sent folder with SPECIAL-USE \Sent.
func (s *System) writeDovecot(tb testing.TB, certs testenv.Certs, introspectURL string) {
	tb.Helper()
	d := mkdir(tb, s.Dir, "dovecot", 0o755)
	mail := mkdir(tb, s.Dir, "mail", 0o755)
	chownTo(tb, mail, "dovecot")
	uid, gid := lookupUser(tb, "dovecot")
	var passwd strings.Builder // user:password:uid:gid:gecos:home:shell:extra, a passdb and a userdb
	for _, u := range s.users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s:%d:%d::%s/%s::\n", u.Address, u.Password, uid, gid, mail, u.Address)
	}
	writeFile(tb, filepath.Join(d, "passwd"), passwd.String(), 0o644)
	writeFile(tb, filepath.Join(d, "oauth2.conf"), fmt.Sprintf(`introspection_mode = post
introspection_url = %s/introspect
username_attribute = username
active_attribute = active
active_value = true
`, introspectURL), 0o644)
	writeFile(tb, filepath.Join(d, "dovecot.conf"), fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[2]s
ssl_key = <%[3]s
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
first_valid_uid = 1
mail_location = maildir:%[4]s/%%u/Maildir
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %[1]s/oauth2.conf
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
}
protocol lmtp {
  auth_username_format = %%Lu
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[6]d
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[7]d
  }
}
service auth {
  inet_listener auth-postfix {
    address = 127.0.0.1
    port = %[8]d
  }
}
`, d, certs.ServerCert, certs.ServerKey, mail, s.ports["imap"], s.ports["imaps"], s.ports["lmtp"], s.ports["auth"]), 0o644)
}

// StartDovecot starts Dovecot (again, after StopDovecot) and waits until it answers on its IMAP port.
func (s *System) StartDovecot(tb testing.TB) {
	tb.Helper()
	conf := filepath.Join(s.Dir, "dovecot", "dovecot.conf")
	s.dovecot = startDaemon(tb, "dovecot", filepath.Join(s.Dir, "dovecot", "dovecot.log"), "/usr/sbin/dovecot", "-F", "-c", conf)
	s.dovecot.waitPort(tb, s.IMAPAddr, s.IMAPSAddr, s.addr("lmtp"), s.addr("auth"))
}

// StopDovecot stops Dovecot, as an outage: its ports refuse connections until StartDovecot.
func (s *System) StopDovecot(tb testing.TB) {
	tb.Helper()
	s.dovecot.stop(tb)
}

// startPostfix writes Postfix's configuration and starts its master in the foreground: a submission port
// that requires STARTTLS and SASL (through Dovecot's auth service), an MX port that takes mail for the
// local domain from anyone, and delivery of the domain's mail over LMTP into Dovecot. An address that
// is not a user is refused at RCPT with 550.
func (s *System) startPostfix(tb testing.TB, certs testenv.Certs) {
	tb.Helper()
	conf := mkdir(tb, s.Dir, "postfix", 0o755)
	queue := mkdir(tb, s.Dir, "postfix-queue", 0o755)
	data := mkdir(tb, s.Dir, "postfix-data", 0o755)
	chownTo(tb, data, "postfix")
	var users strings.Builder
	for _, u := range s.users {
		fmt.Fprintf(&users, "%s OK\n", u.Address)
	}
	writeFile(tb, filepath.Join(conf, "vmailbox"), users.String(), 0o644)
	writeFile(tb, filepath.Join(conf, "main.cf"), fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
mail_owner = postfix
setgid_group = postdrop
maillog_file = %[3]s/postfix.log
maillog_file_prefixes = %[3]s
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.%[4]s
mydomain = %[4]s
myorigin = %[4]s
mydestination =
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
virtual_mailbox_domains = %[4]s
virtual_mailbox_maps = texthash:%[3]s/vmailbox
virtual_transport = lmtp:inet:%[5]s
smtpd_tls_cert_file = %[6]s
smtpd_tls_key_file = %[7]s
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:%[8]s
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient
# Mail deferred while Dovecot is down (StopDovecot) is delivered within seconds of its return, not minutes.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
`, queue, data, conf, Domain, s.addr("lmtp"), certs.ServerCert, certs.ServerKey, s.addr("auth")), 0o644)
	// Nothing runs chrooted: the queue folder holds none of the files a chroot needs.
	writeFile(tb, filepath.Join(conf, "master.cf"), fmt.Sprintf(`%[1]s inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
%[2]s inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, s.addr("submission"), s.addr("mx")), 0o644)
	logPath := filepath.Join(conf, "postfix.log")
	p := startDaemon(tb, "postfix", logPath, "/usr/sbin/postfix", "-c", conf, "start-fg")
	// Postfix's master runs in a session of its own, out of reach of a signal to the process group
	// started here: `postfix stop` ends it, and its pid file is the fallback.
	p.stopFirst = func() {
		b, _ := os.ReadFile(filepath.Join(queue, "pid", "master.pid"))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		_ = exec.Command("/usr/sbin/postfix", "-c", conf, "stop").Run()
		// Only a master still working in this queue is this test's: a pid may have been reused.
		if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); pid > 1 && err == nil && cwd == queue {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	p.waitPort(tb, s.SubmissionAddr, s.MXAddr)
}

// startRadicale writes an address book of s.Contacts into Radicale's storage and starts it.
func (s *System) startRadicale(tb testing.TB) {
	tb.Helper()
	d := mkdir(tb, s.Dir, "radicale", 0o755)
	book := filepath.Join(d, "collections", "collection-root", Me.Address, "contacts")
	if err := os.MkdirAll(book, 0o755); err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(book, ".Radicale.props"), `{"D:displayname": "Contacts", "tag": "VADDRESSBOOK"}`, 0o644)
	for i, c := range s.Contacts {
		uid := fmt.Sprintf("contact-%05d", i)
		writeFile(tb, filepath.Join(book, uid+".vcf"), fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s\r\nEMAIL;TYPE=INTERNET:%s\r\nEND:VCARD\r\n", uid, c.Name, c.Address), 0o644)
	}
	writeFile(tb, filepath.Join(d, "users"), fmt.Sprintf("%s:%s\n", Me.Address, Me.Password), 0o644)
	writeFile(tb, filepath.Join(d, "config"), fmt.Sprintf(`[server]
hosts = %[1]s
[auth]
type = htpasswd
htpasswd_filename = %[2]s/users
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = %[2]s/collections
[logging]
level = warning
`, s.addr("radicale"), d), 0o644)
	s.CardDAVURL = "http://" + s.addr("radicale") + "/" + Me.Address + "/contacts/"
	logPath := filepath.Join(d, "radicale.log")
	// A throwaway server need not survive a power cut: Radicale runs without fsync, which on this loaded
	// machine made its first read of a large book (an item cache file written per card) minutes long.
	// Its option for that (_filesystem_fsync) is internal and cannot be set in a config file.
	r := startDaemon(tb, "radicale", logPath, "/usr/bin/python3", "-c", noFsyncRadicale, "--config", filepath.Join(d, "config"))
	r.waitPort(tb, s.addr("radicale"))
}

// noFsyncRadicale runs Radicale with os.fsync a no-op.
const noFsyncRadicale = "import os, runpy, sys; os.fsync = lambda fd: None; sys.argv[0] = 'radicale'; runpy.run_module('radicale', run_name='__main__')"

// daemon is a server process the test started.
type daemon struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{}
	stopped       bool
	stopFirst     func() // for a daemon that leaves the process group; nil for most
}

// startDaemon starts a daemon in its own process group, its output going to logPath, and stops it
// when the test ends.
func startDaemon(tb testing.TB, name, logPath string, argv ...string) *daemon {
	tb.Helper()
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	d := &daemon{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()
	tb.Cleanup(func() { d.stop(tb) })
	return d
}

// waitPort waits until every address accepts connections, failing the test with the daemon's log when
// it exits or 30 seconds pass.
func (d *daemon) waitPort(tb testing.TB, addrs ...string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range addrs {
		for {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-d.done:
				tb.Fatalf("%s exited before listening on %s:\n%s", d.name, addr, tail(d.logPath))
			default:
			}
			if time.Now().After(deadline) {
				tb.Fatalf("%s does not listen on %s after 30s:\n%s", d.name, addr, tail(d.logPath))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// stop ends the daemon: SIGTERM to its process group, then SIGKILL after 10 seconds.
func (d *daemon) stop(tb testing.TB) {
	tb.Helper()
	if d.stopped {
		return
	}
	d.stopped = true
	if d.stopFirst != nil {
		d.stopFirst()
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}

// tail is the end of a log file, for a failure message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Log is a daemon's log ("dovecot", "postfix" or "radicale"), for a test that checks what was logged.
func (s *System) Log(tb testing.TB, name string) string {
	tb.Helper()
	paths := map[string]string{
		"dovecot":  filepath.Join(s.Dir, "dovecot", "dovecot.log"),
		"postfix":  filepath.Join(s.Dir, "postfix", "postfix.log"),
		"radicale": filepath.Join(s.Dir, "radicale", "radicale.log"),
	}
	b, err := os.ReadFile(paths[name])
	if err != nil {
		tb.Fatalf("read %s log: %v", name, err)
	}
	return string(b)
}

// freePort is a port nothing listens on, never one handed out before in this process (the servers of
// one mail system each need their own).
func freePort(tb testing.TB) int {
	tb.Helper()
	port, err := devstack.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

func mkdir(tb testing.TB, parent, name string, mode os.FileMode) string {
	tb.Helper()
	p := filepath.Join(parent, name)
	if err := os.MkdirAll(p, mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		tb.Fatal(err)
	}
	return p
}

func writeFile(tb testing.TB, path, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

func lookupUser(tb testing.TB, name string) (uid, gid int) {
	tb.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		tb.Fatalf("user %s: %v (run `make mail-tools`)", name, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

func chownTo(tb testing.TB, path, name string) {
	tb.Helper()
	uid, gid := lookupUser(tb, name)
	if err := os.Chown(path, uid, gid); err != nil {
		tb.Fatal(err)
	}
}

// SendMX hands a raw message to Postfix's MX port, as mail from outside would arrive: from the envelope
// sender to the recipients, without authentication. Postfix delivers it over LMTP into Dovecot.
func (s *System) SendMX(tb testing.TB, from string, to []string, raw string) {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", s.MXAddr, 10*time.Second)
	if err != nil {
		tb.Fatalf("connect to Postfix's MX port: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	expect := func(code string) {
		tb.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				tb.Fatalf("Postfix MX: %v", err)
			}
			if !strings.HasPrefix(line, code) {
				tb.Fatalf("Postfix MX: want %s, got %q", code, line)
			}
			if len(line) > 3 && line[3] == ' ' {
				return
			}
		}
	}
	send := func(line, code string) {
		tb.Helper()
		if _, err := fmt.Fprintf(conn, "%s\r\n", line); err != nil {
			tb.Fatalf("Postfix MX: %v", err)
		}
		expect(code)
	}
	expect("220")
	send("EHLO outside.test", "250")
	send("MAIL FROM:<"+from+">", "250")
	for _, rcpt := range to {
		send("RCPT TO:<"+rcpt+">", "250")
	}
	send("DATA", "354")
	body := strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	body = strings.ReplaceAll(body, "\r\n.", "\r\n..")
	if !strings.HasSuffix(body, "\r\n") {
		body += "\r\n"
	}
	send(body+".", "250")
	send("QUIT", "221")
}

// Message is a message in a folder, as a test reads it.
type Message struct {
	MessageID string // without angle brackets
	From      string
	To        []string
	Subject   string
	InReplyTo []string
	Flags     []imap.Flag // \Seen, $EaaplPending ...
}

// Folder lists the messages in a user's folder ("INBOX", "Sent"), over IMAP with TLS.
func (s *System) Folder(tb testing.TB, u User, folder string) []Message {
	tb.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: s.TLSConfig(tb)})
	if err != nil {
		tb.Fatalf("IMAP %s: %v", s.IMAPSAddr, err)
	}
	defer c.Close()
	if err := c.Login(u.Address, u.Password).Wait(); err != nil {
		tb.Fatalf("IMAP login %s: %v", u.Address, err)
	}
	mb, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		tb.Fatalf("IMAP select %s of %s: %v", folder, u.Address, err)
	}
	if mb.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, mb.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		tb.Fatalf("IMAP fetch %s of %s: %v", folder, u.Address, err)
	}
	var out []Message
	for _, m := range msgs {
		e := m.Envelope
		msg := Message{MessageID: e.MessageID, Subject: e.Subject, InReplyTo: e.InReplyTo, Flags: m.Flags}
		if len(e.From) > 0 {
			msg.From = e.From[0].Addr()
		}
		for _, a := range e.To {
			msg.To = append(msg.To, a.Addr())
		}
		out = append(out, msg)
	}
	return out
}

// Count is how many messages a user's folder holds, by IMAP STATUS; an error, not a failed test, while
// Dovecot is down.
func (s *System) Count(tb testing.TB, u User, folder string) (int, error) {
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: s.TLSConfig(tb)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(u.Address, u.Password).Wait(); err != nil {
		return 0, err
	}
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0, err
	}
	return int(*st.NumMessages), nil
}

// Delivered is every Message-ID (without angle brackets) in the users' INBOXes, with how many times it
// is there, read from Dovecot's maildirs on disk: quick for hundreds of mailboxes, and it works while
// a worker holding IMAP connections is frozen.
func (s *System) Delivered(tb testing.TB) map[string]int {
	tb.Helper()
	ids := map[string]int{}
	for _, u := range s.users {
		for _, sub := range []string{"new", "cur"} {
			dir := filepath.Join(s.Dir, "mail", u.Address, "Maildir", sub)
			entries, err := os.ReadDir(dir)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range entries {
				f, err := os.Open(filepath.Join(dir, e.Name()))
				if errors.Is(err, fs.ErrNotExist) {
					continue // moved from new to cur meanwhile
				}
				if err != nil {
					tb.Fatal(err)
				}
				m, err := mail.ReadMessage(bufio.NewReader(f))
				f.Close()
				if err != nil {
					tb.Fatalf("message %s of %s: %v", e.Name(), u.Address, err)
				}
				ids[strings.Trim(m.Header.Get("Message-ID"), "<> ")]++
			}
		}
	}
	return ids
}

// Accepted is how many messages Postfix accepted with each Message-ID (without angle brackets), from
// its log: a message counts once it is in the queue (qmgr's "from=" line, written when the message is
// committed, as the client is told 250), however many times it was then delivered. An email a client
// submitted twice is here twice; one Postfix delivered twice (Dovecot stopped after writing it and
// before confirming it) is here once; one whose DATA was cut off is not here.
func (s *System) Accepted(tb testing.TB) map[string]int {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "postfix", "postfix.log"))
	if err != nil {
		tb.Fatal(err)
	}
	byQueueID := map[string]string{} // queue ID -> Message-ID, from cleanup
	queued := map[string]bool{}      // queue IDs qmgr took (again for each retry of a deferred delivery)
	for _, line := range strings.Split(string(b), "\n") {
		if _, after, ok := strings.Cut(line, "postfix/cleanup["); ok {
			if rest, id, ok := strings.Cut(after, ": message-id=<"); ok {
				if _, queueID, ok := strings.Cut(rest, "]: "); ok {
					byQueueID[queueID] = strings.TrimSuffix(strings.TrimSpace(id), ">")
				}
			}
		}
		if _, after, ok := strings.Cut(line, "postfix/qmgr["); ok {
			if _, rest, ok := strings.Cut(after, "]: "); ok {
				if queueID, _, ok := strings.Cut(rest, ": from=<"); ok {
					queued[queueID] = true
				}
			}
		}
	}
	ids := map[string]int{}
	for queueID := range queued {
		if id, known := byQueueID[queueID]; known {
			ids[id]++
		}
	}
	return ids
}

// WaitFor waits up to 30 seconds until the user's folder holds n messages with the Message-ID (Postfix
// delivers in the background), and fails the test with what the folder holds if it does not.
func (s *System) WaitFor(tb testing.TB, u User, folder, messageID string, n int) {
	tb.Helper()
	id := strings.Trim(messageID, "<>")
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		msgs := s.Folder(tb, u, folder)
		for _, m := range msgs {
			if m.MessageID == id {
				got++
			}
		}
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			tb.Fatalf("%s of %s holds %d messages with Message-ID <%s>, want %d; it holds %+v\npostfix log:\n%s", folder, u.Address, got, id, n, msgs, tail(filepath.Join(s.Dir, "postfix", "postfix.log")))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
