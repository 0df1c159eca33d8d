package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/crypt"
)

// stack is what every run shares: the Temporal dev server, the Kafka broker, a Temporal client for
// starting programs and reading their histories, and the eaapl binary the workers run. Mailpit and the
// workers are per run.
type stack struct {
	dir      string // temporary: contacts files, Mailpit databases, the eaapl binary
	temporal *devstack.Temporal
	client   client.Client
	broker   *brokerProcess
	eaaplBin string
	contacts map[int]string          // N -> contacts file
	keyFile  string                  // the payload keys of the client and the workers
	dc       converter.DataConverter // decodes the histories' payloads with those keys
	seq      int                     // runs so far, for unique workflow IDs
}

func startStack(ctx context.Context, o options) (*stack, error) {
	dir, err := os.MkdirTemp("", "eaapl-bench-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, contacts: map[int]string{}}
	ok := false
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	fmt.Println("Building eaapl, starting the stack: Temporal dev server (in memory, as eaapl dev configures it), Kafka broker (kfake, in a child process) ...")
	began := time.Now()
	if s.eaaplBin, err = buildEaaPL(ctx, dir); err != nil {
		return nil, err
	}
	s.temporal, err = devstack.StartTemporal(ctx, devstack.TemporalOptions{Bin: o.temporalBin})
	if err != nil {
		return nil, fmt.Errorf("start Temporal: %w", err)
	}
	// Encrypted as `eaapl dev` is: the codec's cost is part of what is measured.
	s.keyFile = filepath.Join(dir, crypt.DefaultKeyFileName)
	if _, err := crypt.EnsureKeyFile(s.keyFile, time.Now()); err != nil {
		return nil, err
	}
	keys, err := crypt.LoadKeyFile(s.keyFile)
	if err != nil {
		return nil, err
	}
	opts := client.Options{
		HostPort:  s.temporal.Address,
		Namespace: s.temporal.Namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	}
	crypt.ClientOptions(&opts, keys)
	opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{} // as `eaapl` does with encrypted payloads
	s.dc = crypt.DataConverter(keys)
	s.client, err = client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", s.temporal.Address, err)
	}
	if s.broker, err = startBrokerProcess(ctx); err != nil {
		return nil, err
	}
	fmt.Printf("Ready in %.1fs: Temporal %s, Kafka %s\n", time.Since(began).Seconds(), s.temporal.Address, s.broker.addr)
	ok = true
	return s, nil
}

// stop stops what startStack started, in reverse order.
func (s *stack) stop() {
	if s.broker != nil {
		s.broker.stop()
	}
	if s.client != nil {
		s.client.Close()
	}
	if s.temporal != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := s.temporal.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		cancel()
	}
	_ = os.RemoveAll(s.dir)
}

// contactsFile writes, once per N, a CSV file of N contacts: contact-00001@bench.example.com and so on.
func (s *stack) contactsFile(n int) (string, []string, error) {
	addrs := contactAddresses(n)
	if path, ok := s.contacts[n]; ok {
		return path, addrs, nil
	}
	var b strings.Builder
	b.WriteString("name,email\n")
	for i, a := range addrs {
		fmt.Fprintf(&b, "Contact %d,%s\n", i+1, a)
	}
	path := filepath.Join(s.dir, fmt.Sprintf("contacts-%d.csv", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", nil, fmt.Errorf("write contacts: %w", err)
	}
	s.contacts[n] = path
	return path, addrs, nil
}

func contactAddresses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = contactAddress(i + 1)
	}
	return out
}

// contactAddress is the address of the bench's contact i (1-based).
func contactAddress(i int) string { return fmt.Sprintf("contact-%05d@bench.example.com", i) }

// brokerChildArg makes this program serve the Kafka broker instead of benchmarking.
const brokerChildArg = "-serve-kafka-broker"

// serveBroker runs an in-memory kfake broker on a free port, prints its address, and stops when its
// standard input closes: when the benchmark stops it or dies.
func serveBroker() error {
	b, err := devstack.StartBroker("", 0)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Println(b.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// brokerProcess is the broker running as a child of this program.
type brokerProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	done  chan struct{}
}

func startBrokerProcess(ctx context.Context) (*brokerProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start Kafka broker: %w", err)
	}
	cmd := exec.Command(exe, brokerChildArg)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start Kafka broker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start Kafka broker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start Kafka broker: %w", err)
	}
	b := &brokerProcess{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(b.done) }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case b.addr = <-line:
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	if b.addr == "" {
		b.stop()
		return nil, errors.New("start Kafka broker: the child process did not report its address")
	}
	return b, nil
}

func (b *brokerProcess) stop() {
	_ = b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}
