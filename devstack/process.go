package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tailLines is how many of a child's last output lines an error quotes.
const tailLines = 15

// Process is a child process the stack started. It runs in its own process group, so a Ctrl-C on the
// terminal reaches only `eaapl dev`, which then stops its children in order with Stop.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *lineWriter
	done chan struct{}
	err  error // the result of cmd.Wait; read only after done is closed
}

// Name is the part's name, such as "temporal" or "mailpit".
func (p *Process) Name() string { return p.name }

// PID is the child's process ID, which is also its process group ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited, for whoever wants to notice a part dying.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the child to exit and returns how it exited (nil for status 0).
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Stop asks the child's process group to exit (SIGTERM; both the Temporal CLI and Mailpit shut down
// cleanly on it), waits for the child, and kills the group when ctx ends first. It returns an error only
// when it had to kill; stopping a child that has already exited returns nil.
func (p *Process) Stop(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	// An error here almost always means the child has just exited and is being reaped; either way the
	// wait below settles it.
	termErr := terminate(p.cmd)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	kill(p.cmd)
	select {
	case <-p.done: // after SIGKILL this is prompt; cmd.WaitDelay bounds the output copy
		return fmt.Errorf("stop %s (pid %d): did not exit in time (%w), killed it", p.name, p.PID(), context.Cause(ctx))
	case <-time.After(killWait):
		return fmt.Errorf("stop %s (pid %d): could not stop it (signal: %v)", p.name, p.PID(), termErr)
	}
}

// killWait bounds the wait for a killed child to be reaped, so Stop returns even if signals fail.
const killWait = 5 * time.Second

// lastOutput is the child's last lines of output, indented, for an error message; empty when it wrote none.
func (p *Process) lastOutput() string {
	lines := p.out.tail()
	if len(lines) == 0 {
		return ""
	}
	return "; its last output:\n\t" + strings.Join(lines, "\n\t")
}

// startProcess starts bin with args as a Process whose output, line by line and prefixed with its name,
// goes to log (nil = discard) and into a short tail kept for error messages.
func startProcess(name, bin string, args []string, log io.Writer, hint string) (*Process, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			return nil, &MissingBinaryError{Bin: bin, Hint: hint, Err: err}
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	out := newLineWriter("["+name+"] ", log)
	cmd := exec.Command(path, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	// A grandchild holding the output pipe open must not make Wait hang.
	cmd.WaitDelay = 2 * time.Second
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.flush()
		close(p.done)
	}()
	return p, nil
}

// errNotReady is the cause of a readiness deadline, to tell it apart from the caller giving up.
var errNotReady = errors.New("not ready in time")

// waitReady calls probe until it succeeds, the child exits, timeout passes or ctx ends. Its errors name
// the part, the last probe failure and the child's last output.
func waitReady(ctx context.Context, p *Process, timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errNotReady)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := probe(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v)%s", p.name, exitReason(p.err), p.lastOutput())
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), errNotReady) {
				return fmt.Errorf("%s was not ready within %s (last check: %v)%s", p.name, timeout, err, p.lastOutput())
			}
			return fmt.Errorf("start %s: %w", p.name, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

func exitReason(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// stopAfterFailure stops a child whose start failed, even when the caller's ctx is already done.
func stopAfterFailure(ctx context.Context, p *Process) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = p.Stop(ctx) // the start error is the one worth reporting
}

// MissingBinaryError reports that a part's program is not where the options say.
type MissingBinaryError struct {
	Bin  string // the path or name that was looked up
	Hint string // what to do about it
	Err  error
}

// Error says which binary is missing and what to do about it.
func (e *MissingBinaryError) Error() string { return e.Bin + " not found: " + e.Hint }

// Unwrap returns the lookup's error.
func (e *MissingBinaryError) Unwrap() error { return e.Err }

// PortInUseError reports that a port a part needs is taken, most often by another `eaapl dev`.
type PortInUseError struct {
	Part string // such as "Temporal gRPC" or "Mailpit SMTP"
	Port int
	Err  error // what the check ran into, if it was more than a successful connection
}

// Error names the part and the port, and the likely cause.
func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port %d is in use: is another `eaapl dev` running?", e.Part, e.Port)
}

// Unwrap returns what the check ran into, or nil.
func (e *PortInUseError) Unwrap() error { return e.Err }

// handedOut holds the ports FreePort returned: the kernel may offer a port again as soon as its probe
// closes, and two parts of one stack given the same port fail to start (Mailpit's SMTP and web both on it).
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreePort returns a free TCP port on 127.0.0.1, never one it returned before in this process. Another
// process may take it before it is used; for the dev stack and tests that risk is acceptable.
func FreePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, errors.New("find a free port: the system offered only ports given out already")
}

// portOrFree returns port, or a free one when port is 0.
func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	return FreePort()
}

// checkPortFree fails with a PortInUseError when something answers on 127.0.0.1:port or the port cannot
// be bound. Checking first matters: otherwise a readiness probe could mistake another stack's server for
// the child that failed to bind.
func checkPortFree(part string, port int) error {
	addr := loopback(port)
	if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c.Close()
		return &PortInUseError{Part: part, Port: port}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return &PortInUseError{Part: part, Port: port, Err: err}
	}
	return l.Close()
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// lineWriter splits a child's output into lines, writes each to log with a prefix and keeps the last few
// for error messages. exec.Cmd calls Write from one goroutine; tail may be called from any.
type lineWriter struct {
	prefix string
	log    io.Writer

	mu      sync.Mutex
	partial []byte
	last    []string
}

func newLineWriter(prefix string, log io.Writer) *lineWriter {
	if log == nil {
		log = io.Discard
	}
	return &lineWriter{prefix: prefix, log: log}
}

// maxLine bounds a line kept in memory; a longer one is cut.
const maxLine = 4 << 10

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(w.partial[:i])
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > maxLine {
		w.emit(w.partial)
		w.partial = nil
	}
	// The log failing must not stall or kill the child, so its errors are dropped.
	return len(b), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = nil
	}
}

// emit is called with w.mu held.
func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(line) > maxLine {
		line = line[:maxLine]
	}
	_, _ = fmt.Fprintf(w.log, "%s%s\n", w.prefix, line)
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	w.last = append(w.last, string(line))
	if len(w.last) > tailLines {
		w.last = w.last[len(w.last)-tailLines:]
	}
}

func (w *lineWriter) tail() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.last...)
}

// syncWriter lets the stack's parts share one log writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
