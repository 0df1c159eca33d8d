package cluster_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
)

// process is a child process of the test, its output in a log file that the test prints the end of when
// it fails.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs bin with args and env (nil: the test's environment), as the user cred when not nil. It is
// stopped when the test ends: SIGTERM, then SIGKILL after 30s.
func start(t *testing.T, logDir, name string, cred *syscall.Credential, env []string, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(30 * time.Second)
		if t.Failed() {
			t.Logf("the end of %s's log (%s):\n%s", name, logPath, tail(logPath, 25))
		}
	})
	return p
}

// stop sends SIGTERM and waits up to grace for the process to exit, then kills it.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited says whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitFor calls check every 200ms until it returns nil or timeout passes, then fails with its last error.
func waitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lowFreePort returns a free port below 32768. The server's SQL schema keeps the services' ports in a
// smallint column, and the kernel hands out ephemeral ports above it, so devstack.FreePort will not do.
func lowFreePort(t *testing.T) int {
	t.Helper()
	for range 1000 {
		port := 20000 + mathrand.IntN(12000)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port between 20000 and 32000")
	return 0
}

// cleanEnv is the test's environment without the variables that configure EaaPL, Temporal clients, Kafka
// and the SQL tool, so that a developer's shell does not change what the test runs.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "EAAPL_") && !strings.HasPrefix(name, "TEMPORAL_") &&
			!strings.HasPrefix(name, "KAFKA_") && !strings.HasPrefix(name, "SQL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// postgres is a PostgreSQL server from Debian's packages, on a free loopback port with a throwaway data
// folder, and the password login the Temporal server uses.
type postgres struct {
	port           int
	user, password string
}

// pgBinDir finds PostgreSQL's programs; Debian keeps them in /usr/lib/postgresql/<major>/bin.
func pgBinDir(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(a) - majorOf(b) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	t.Fatal("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make cluster-tools` installs it from Debian (make test does it)")
	return ""
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// startPostgres initialises a database cluster in a new folder and starts PostgreSQL on it. PostgreSQL
// refuses to run as root, so as root the server runs as the postgres user that Debian's package creates.
func startPostgres(t *testing.T, logDir string) postgres {
	t.Helper()
	bin := pgBinDir(t)
	// Not t.TempDir: its parent folder is private to the test's user, and the postgres user must reach it.
	dir, err := os.MkdirTemp("", "eaapl-cluster-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// A port below the kernel's ephemeral range: one from devstack.FreePort may meanwhile become the local
	// end of another process's connection, and PostgreSQL then cannot bind it.
	pg := postgres{port: lowFreePort(t), user: "temporal", password: "temporal"}
	data, pwFile := filepath.Join(dir, "data"), filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(pg.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs another user to run as, and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, p := range []string{dir, pwFile} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", pg.user, "--pwfile", pwFile,
		"--auth", "scram-sha-256", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// fsync off: a throwaway database on a machine shared with other tests; nothing else differs from a
	// real server.
	start(t, logDir, "postgres", cred, cleanEnv(), filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(pg.port), "-h", "127.0.0.1", "-k", dir, "-c", "fsync=off", "-c", "max_connections=200")
	waitFor(t, "PostgreSQL accepts connections", time.Minute, func() error {
		out, err := exec.Command(filepath.Join(bin, "pg_isready"), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	return pg
}

// temporalVersion is the version the server binary says it is, so that the schema matches it.
func temporalVersion(t *testing.T, server string) string {
	t.Helper()
	out, err := exec.Command(server, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", server, err)
	}
	f := strings.Fields(string(out)) // "temporal version 1.29.1"
	if len(f) == 0 {
		t.Fatalf("%s --version printed nothing", server)
	}
	return "v" + f[len(f)-1]
}

// schemaDir finds the server module's PostgreSQL schema in the module cache (go mod download fetches the
// module if it is not there yet; it is not a dependency of EaaPL's go.mod).
func schemaDir(t *testing.T, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "go.temporal.io/server@"+version)
	cmd.Dir = testenv.Root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download go.temporal.io/server@%s: %v", version, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download go.temporal.io/server@%s: %v %s", version, err, m.Error)
	}
	return filepath.Join(m.Dir, "schema", "postgresql", "v12")
}

// setUpSchema creates Temporal's two databases and their schemas with the server's own SQL tool, as an
// operator does before the first start.
func setUpSchema(t *testing.T, sqlTool, schema string, pg postgres) {
	t.Helper()
	env := cleanEnv("SQL_PLUGIN=postgres12", "SQL_HOST=127.0.0.1", "SQL_PORT="+strconv.Itoa(pg.port),
		"SQL_USER="+pg.user, "SQL_PASSWORD="+pg.password)
	for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		for _, args := range [][]string{
			{"--db", db.name, "create-database"},
			{"--db", db.name, "setup-schema", "-v", "0.0"},
			{"--db", db.name, "update-schema", "-d", filepath.Join(schema, db.dir, "versioned")},
		} {
			cmd := exec.Command(sqlTool, args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("temporal-sql-tool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
}

// cluster is a Temporal server whose five services run as separate processes on loopback, joined through
// the server's membership protocol, persisting to PostgreSQL. Its frontend requires mutual TLS and a
// valid token (auth_test.go); the system worker reaches the cluster through the internal frontend.
type cluster struct {
	frontend string // host:port of the frontend's gRPC API
	tls      testenv.Certs
	services map[string]*process
	admin    string // a token with temporal-system:admin, for the temporal CLI
}

// clientEnv are the standard TEMPORAL_* variables that connect a Temporal client (an EaaPL worker, the
// temporal CLI) to the cluster's frontend, with the client certificate and no token.
func (c *cluster) clientEnv(namespace string) []string {
	return []string{
		"TEMPORAL_ADDRESS=" + c.frontend,
		"TEMPORAL_NAMESPACE=" + namespace,
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + c.tls.ClientCert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH=" + c.tls.ClientKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + c.tls.CA,
	}
}

// serverConfig is the server's configuration: the development-postgres12.yaml of the server's repository
// with free ports, the services bound to 127.0.0.1, mutual TLS and the server's JWT authorizer on the
// frontend, an internal frontend (plain gRPC on loopback, no authorizer) through which the system worker
// reaches the cluster, as the server's docker.yaml does with USE_INTERNAL_FRONTEND, and no metrics or
// pprof listeners, whose fixed ports the processes would fight over.
const serverConfig = `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:{{.PG}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:{{.PG}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  tls:
    frontend:
      server:
        certFile: "{{.ServerCert}}"
        keyFile: "{{.ServerKey}}"
        requireClientAuth: true
        clientCaFiles: ["{{.CA}}"]
      client:
        serverName: localhost
        rootCaFiles: ["{{.CA}}"]
  authorization:
    jwtKeyProvider:
      keySourceURIs: ["{{.JWKS}}"]
      refreshInterval: 1m
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
services:
  frontend:
    rpc: {grpcPort: {{.FrontendPort}}, httpPort: {{.HTTPPort}}, membershipPort: {{.FrontendMembership}}, bindOnIP: 127.0.0.1}
  internal-frontend:
    rpc: {grpcPort: {{.InternalPort}}, httpPort: {{.InternalHTTPPort}}, membershipPort: {{.InternalMembership}}, bindOnIP: 127.0.0.1}
  history:
    rpc: {grpcPort: {{.HistoryPort}}, membershipPort: {{.HistoryMembership}}, bindOnIP: 127.0.0.1}
  matching:
    rpc: {grpcPort: {{.MatchingPort}}, membershipPort: {{.MatchingMembership}}, bindOnIP: 127.0.0.1}
  worker:
    rpc: {grpcPort: {{.WorkerPort}}, membershipPort: {{.WorkerMembership}}, bindOnIP: 127.0.0.1}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{.FrontendPort}}"
      httpAddress: "127.0.0.1:{{.HTTPPort}}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: 10s
`

// dynamicConfig makes a new namespace usable within a second instead of the default 10s, and takes at
// most 1,000 signals a run, as the dev stack and the compose file do (docs/security.md).
const dynamicConfig = `system.namespaceCacheRefreshInterval:
  - value: 1s
history.maximumSignalsPerExecution:
  - value: 1000
`

// startCluster writes the server's configuration and starts frontend, internal frontend, history,
// matching and worker, each as its own process, then waits until the frontend answers that it is serving.
// The frontend trusts the tokens iss signs.
func startCluster(t *testing.T, logDir, server, temporalCLI string, pg postgres, iss *issuer) *cluster {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := testenv.WriteCerts(t, dir)
	dynamic := filepath.Join(dir, "config", "dynamic.yaml")
	if err := os.WriteFile(dynamic, []byte(dynamicConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	for _, name := range []string{"FrontendPort", "HTTPPort", "FrontendMembership", "HistoryPort", "HistoryMembership",
		"MatchingPort", "MatchingMembership", "WorkerPort", "WorkerMembership", "InternalPort", "InternalHTTPPort", "InternalMembership"} {
		ports[name] = lowFreePort(t)
	}
	values := map[string]any{
		"PG": pg.port, "User": pg.user, "Password": pg.password, "DynamicConfig": dynamic,
		"CA": files.CA, "ServerCert": files.ServerCert, "ServerKey": files.ServerKey,
		"JWKS": iss.jwksURL(),
	}
	for k, v := range ports {
		values[k] = v
	}
	var cfg bytes.Buffer
	if err := template.Must(template.New("config").Parse(serverConfig)).Execute(&cfg, values); err != nil {
		t.Fatal(err)
	}
	// The server reads <root>/<config>/<env>.yaml.
	if err := os.WriteFile(filepath.Join(dir, "config", "development.yaml"), cfg.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &cluster{frontend: fmt.Sprintf("127.0.0.1:%d", ports["FrontendPort"]), tls: files, services: map[string]*process{},
		admin: iss.token(t, "cluster-admin", time.Hour, "temporal-system:admin")}
	// Each service writes the cluster's metadata record when it finds none, and on a new database two
	// services starting at once collide on it: the frontend starts first, the others once it listens.
	for _, svc := range []string{"frontend", "internal-frontend", "history", "matching", "worker"} {
		c.services[svc] = start(t, logDir, "temporal-"+svc, nil, cleanEnv(), server,
			"--root", dir, "--config", "config", "--env", "development", "--allow-no-auth", "start", "--service", svc)
		if svc == "frontend" {
			waitFor(t, "the Temporal frontend listens", 2*time.Minute, func() error {
				if c.services[svc].exited() {
					t.Fatalf("temporal frontend exited:\n%s", tail(c.services[svc].log, 25))
				}
				conn, err := net.DialTimeout("tcp", c.frontend, time.Second)
				if err == nil {
					conn.Close()
				}
				return err
			})
		}
	}
	waitFor(t, "the Temporal frontend serves", 3*time.Minute, func() error {
		for name, p := range c.services {
			if p.exited() {
				t.Fatalf("temporal %s exited:\n%s", name, tail(p.log, 25))
			}
		}
		out, err := c.cli(temporalCLI, "", "operator", "cluster", "health")
		if err != nil || !strings.Contains(out, "SERVING") {
			return fmt.Errorf("temporal operator cluster health: %v: %s", err, out)
		}
		return nil
	})
	return c
}

// cli runs the temporal CLI against the cluster, with the client certificate and the admin token
// (TEMPORAL_API_KEY, which the CLI sends as "Authorization: Bearer"), and returns its output.
func (c *cluster) cli(temporalCLI, namespace string, args ...string) (string, error) {
	if namespace == "" {
		namespace = "default"
	}
	cmd := exec.Command(temporalCLI, args...)
	cmd.Env = cleanEnv(append(c.clientEnv(namespace), "TEMPORAL_API_KEY="+c.admin)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitForLine waits until a process's log has a line containing s.
func waitForLine(t *testing.T, p *process, s string, timeout time.Duration) {
	t.Helper()
	waitFor(t, p.name+" logs "+strconv.Quote(s), timeout, func() error {
		if p.exited() {
			t.Fatalf("%s exited:\n%s", p.name, tail(p.log, 25))
		}
		f, err := os.Open(p.log)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
}

// smtpRelay passes a worker's SMTP connections through to Mailpit. While held, it holds what the worker
// says, so the test can see that the worker took a batch (holding says so) and let it go on when it is
// ready. Once armed with cutAt, it counts the ends of DATA (the line with a single dot) and at the cutAt-th
// passes the end on, so Mailpit has the email, but drops the server's reply, so the worker's batch hangs
// after the send. Delivered says when that happened, and cutTo whom that email went to, so the test can
// kill the worker at the worst moment: the email sent, the item not reported.
type smtpRelay struct {
	addr      string
	held      atomic.Bool
	holding   atomic.Int32 // connections whose worker's words are held
	cutAt     atomic.Int32 // ends of DATA to go before the cut; 0: no cut
	delivered chan struct{}
	cutTo     string // the recipient of the email cut, set before delivered is closed
	once      sync.Once
}

func startSMTPRelay(t *testing.T, target string) *smtpRelay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &smtpRelay{addr: l.Addr().String(), delivered: make(chan struct{})}
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			go r.relay(client, target)
		}
	}()
	return r
}

func (r *smtpRelay) relay(client net.Conn, target string) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	cut := make(chan struct{}) // closed when the server's replies must no longer reach the client
	go func() {                // client -> server, watching for the end of DATA
		var last []byte
		var rcpt string // the recipient of the email under way
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				if r.held.Load() {
					r.holding.Add(1)
					for r.held.Load() {
						time.Sleep(10 * time.Millisecond)
					}
					r.holding.Add(-1)
				}
				if to, ok := bytes.CutPrefix(buf[:n], []byte("RCPT TO:<")); ok {
					rcpt, _, _ = strings.Cut(string(to), ">")
				}
				// Cut before passing the end on, so that the server's reply to it cannot slip through.
				// "\r\n.\r\n" is 5 bytes and last keeps 4, so each end counts once.
				last = append(last, buf[:n]...)
				for range bytes.Count(last, []byte("\r\n.\r\n")) {
					if r.cutAt.Load() > 0 && r.cutAt.Add(-1) == 0 {
						r.once.Do(func() { r.cutTo = rcpt; close(cut); close(r.delivered) })
					}
				}
				last = last[max(0, len(last)-4):]
				if _, werr := server.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				server.Close()
				return
			}
		}
	}()
	buf := make([]byte, 32<<10) // server -> client
	for {
		n, err := server.Read(buf)
		select {
		case <-cut: // silence until the worker's side closes, which closes the server's too
			_, _ = io.Copy(io.Discard, server)
			return
		default:
		}
		if n > 0 {
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
