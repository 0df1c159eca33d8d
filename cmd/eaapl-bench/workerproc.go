package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The EaaPL worker runs as its own process, `eaapl worker` built from this tree, so that its peak memory
// (VmHWM of /proc/<pid>/status) is the worker's alone.

// buildEaaPL builds cmd/eaapl into dir and returns the binary's path.
func buildEaaPL(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "eaapl")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/eaapl")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build eaapl: %w", err)
	}
	return bin, nil
}

// workerProcess is one `eaapl worker`.
type workerProcess struct {
	id   string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	logs strings.Builder // its warnings and errors, for the report of a failed run
}

// startWorkerProcess starts `eaapl worker` with env (on top of this process's environment) and returns
// once it polls Temporal: when it logs "Worker started".
func startWorkerProcess(ctx context.Context, bin, id string, env []string) (*workerProcess, error) {
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "EAAPL_WORKER_ID="+id, "EAAPL_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", id, err)
	}
	w := &workerProcess{id: id, cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		readySent := false
		for sc.Scan() {
			line := sc.Text()
			if !readySent && strings.Contains(line, "Worker started") {
				close(ready)
				readySent = true
			}
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				if w.logs.Len() < 4096 {
					w.logs.WriteString(line + "\n")
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { w.err = cmd.Wait(); close(w.done) }()
	select {
	case <-ready:
		return w, nil
	case <-w.done:
		return nil, fmt.Errorf("worker %s exited at start: %v: %s", id, w.err, w.logs.String())
	case <-time.After(60 * time.Second):
		w.stop()
		return nil, fmt.Errorf("worker %s did not start within a minute", id)
	case <-ctx.Done():
		w.stop()
		return nil, ctx.Err()
	}
}

// peakRSS is the worker's peak resident memory so far (VmHWM), in bytes.
func (w *workerProcess) peakRSS() uint64 {
	return procStatusKB(strconv.Itoa(w.cmd.Process.Pid), "VmHWM") * 1024
}

// stop interrupts the worker, as Ctrl-C would, and waits for it to end.
func (w *workerProcess) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	var exit *exec.ExitError
	if w.err != nil && !errors.As(w.err, &exit) {
		fmt.Fprintf(os.Stderr, "bench: worker %s: %v\n", w.id, w.err)
	}
}
