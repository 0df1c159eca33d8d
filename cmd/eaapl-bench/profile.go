package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// With -profile DIR, the EaaPL run (bridge on, one worker) at -profile-n contacts serves Go's pprof
// profiles (EAAPL_PPROF on its metrics port), and the benchmark keeps the worker's CPU profile of the
// whole run (slices of cpuSlice, merged) and its allocations, in DIR as worker-cpu.pb.gz and
// worker-allocs.pb.gz, with `go tool pprof -top` of each beside them.

// cpuSlice is one CPU profile request: runs end at any moment, and a request cut short returns nothing.
const cpuSlice = 2 * time.Second

// profiler collects a worker's profiles during one run.
type profiler struct {
	dir, base string // base: http://host:port of the worker's metrics server
	stop      chan struct{}
	wg        sync.WaitGroup
	slices    []string
	err       error
}

// freeAddr is a loopback address no one listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProfiler begins taking CPU profiles from the worker at addr, one slice after another.
func startProfiler(dir, addr string) *profiler {
	p := &profiler{dir: dir, base: "http://" + addr, stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				return
			default:
			}
			path := filepath.Join(dir, fmt.Sprintf("cpu-slice-%03d.pb.gz", i))
			if err := p.fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(cpuSlice.Seconds())), path, cpuSlice+10*time.Second); err != nil {
				return // the worker stopped, or the run ended mid-slice
			}
			p.slices = append(p.slices, path)
		}
	}()
	return p
}

func (p *profiler) fetch(path, file string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// finish takes the allocations profile (while the worker still runs), waits for the CPU slice in
// flight, merges the slices and writes the -top reports. It returns a line saying what it wrote.
func (p *profiler) finish() (string, error) {
	allocs := filepath.Join(p.dir, "worker-allocs.pb.gz")
	if err := p.fetch("/debug/pprof/allocs", allocs, 30*time.Second); err != nil {
		return "", fmt.Errorf("allocations profile: %w", err)
	}
	close(p.stop)
	p.wg.Wait()
	if len(p.slices) == 0 {
		return "", fmt.Errorf("no CPU profile: the run took less than %s", cpuSlice)
	}
	cpu := filepath.Join(p.dir, "worker-cpu.pb.gz")
	if err := pprofTool(append([]string{"-proto", "-output", cpu}, p.slices...)...); err != nil {
		return "", err
	}
	for _, s := range p.slices {
		_ = os.Remove(s)
	}
	for _, r := range []struct{ in, out, opt string }{
		{cpu, "worker-cpu-top.txt", "-top"},
		{allocs, "worker-allocs-top.txt", "-sample_index=alloc_space"},
	} {
		args := []string{"-top", "-nodecount=40", "-output", filepath.Join(p.dir, r.out)}
		if r.opt != "-top" {
			args = append(args, r.opt)
		}
		if err := pprofTool(append(args, r.in)...); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("profiles of the worker (%d CPU slices of %s merged, allocations) in %s", len(p.slices), cpuSlice, p.dir), nil
}

func pprofTool(args ...string) error {
	cmd := exec.Command("go", append([]string{"tool", "pprof"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
