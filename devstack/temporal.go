package devstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// Defaults for TemporalOptions.
const (
	DefaultTemporalBin = "bin/temporal"
	DefaultNamespace   = "default"
	// DefaultTemporalReadyTimeout allows for the first start on a new SQLite file, which creates the
	// schema and takes several seconds; later starts take one or two.
	DefaultTemporalReadyTimeout = 90 * time.Second
)

// devServerConfig tunes the dev server for one machine (measured by `make bench`, bench/results.md): one
// partition per task queue instead of the default four, which on a single dev server left tasks waiting
// seconds in one partition while a worker polled another; and the matcher that honours task priority
// (PriorityKey), so that a program's urgent tasks overtake a backlog; and a 32 MiB events cache instead
// of 512 KiB: a batch activity's scheduled event carries its items (tens of KB for 100 emails), so with the
// default the server read each one back from the database, with all the events written alongside it, when
// a worker picked the batch up (half the server's CPU at 10,000 contacts).
//
// And bounds on what anyone who can reach the server may send a program, so that repeated signals cannot
// fill its history: at most MaxSignalsPerProgram signals a run (the server's default is 10,000), each
// within the server's 2 MiB blob limit (docs/security.md).
var devServerConfig = []string{
	"--dynamic-config-value", "history.maximumSignalsPerExecution=" + strconv.Itoa(MaxSignalsPerProgram),
	"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
	"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
	"--dynamic-config-value", "matching.useNewMatcher=true",
	"--dynamic-config-value", "history.eventsCacheMaxSizeBytes=33554432",
}

// MaxSignalsPerProgram is the most signals the dev server takes for one run of a program. EaaPL's own
// clients answer by update; its shards signal their progress every 10 seconds, which 1,000 leaves room
// for (a shard whose signal is refused goes on; the program counts its items when it ends).
const MaxSignalsPerProgram = 1000

// SearchAttributes are the custom search attributes the dev server registers at its start, as Name=Type:
// EaaPLProgram holds a program's English text (starter.ProgramAttributeName sets it), so the Web UI's
// list can show it as a column and find programs by their words.
var SearchAttributes = []string{"EaaPLProgram=Text"}

// SearchAttributeArgs are the `temporal server start-dev` flags that register SearchAttributes, for
// whoever starts a dev server another way (the tests' testsuite.StartDevServer).
func SearchAttributeArgs() []string {
	var args []string
	for _, sa := range SearchAttributes {
		args = append(args, "--search-attribute", sa)
	}
	return args
}

// temporalDBFile is the name of the dev server's SQLite file inside TemporalOptions.DataDir.
const temporalDBFile = "temporal.db"

// TemporalOptions configures StartTemporal.
type TemporalOptions struct {
	Bin       string // the temporal CLI; DefaultTemporalBin when empty
	DataDir   string // holds the SQLite file, so programs survive a restart; empty keeps them in memory
	Port      int    // frontend gRPC; 0 picks a free loopback port
	UIPort    int    // web UI; 0 picks a free loopback port
	Namespace string // created at start (besides "default", which always is); DefaultNamespace when empty
	// CodecEndpoint is a codec server's URL the Web UI decodes payloads through; empty for none.
	CodecEndpoint string
	Log           io.Writer
	// ReadyTimeout bounds the wait for the server to answer; DefaultTemporalReadyTimeout when 0.
	ReadyTimeout time.Duration
}

// Temporal is a running Temporal dev server (`temporal server start-dev`).
type Temporal struct {
	*Process
	Address   string // 127.0.0.1:port, the frontend gRPC address clients dial
	UIURL     string // http://127.0.0.1:port
	Namespace string
}

// StartTemporal starts the Temporal CLI's dev server on loopback and returns once the frontend passes
// the gRPC health check and the namespace can be described, so clients can use it at once.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.Bin == "" {
		o.Bin = DefaultTemporalBin
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultTemporalReadyTimeout
	}
	port, err := portOrFree(o.Port)
	if err != nil {
		return nil, fmt.Errorf("start temporal: %w", err)
	}
	uiPort, err := portOrFree(o.UIPort)
	if err != nil {
		return nil, fmt.Errorf("start temporal: %w", err)
	}
	if err := checkPortFree("Temporal gRPC", port); err != nil {
		return nil, err
	}
	if err := checkPortFree("Temporal UI", uiPort); err != nil {
		return nil, err
	}

	t := &Temporal{Address: loopback(port), UIURL: "http://" + loopback(uiPort), Namespace: o.Namespace}
	args := []string{
		"server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--ui-port", strconv.Itoa(uiPort),
		"--log-level", "warn",
		"--color", "never", // the output goes to a log, not a terminal
	}
	args = append(args, devServerConfig...)
	args = append(args, SearchAttributeArgs()...)
	if o.Namespace != DefaultNamespace { // the dev server always creates "default"
		args = append(args, "--namespace", o.Namespace)
	}
	if o.CodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", o.CodecEndpoint)
	}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("start temporal: %w", err)
		}
		if err := makePrivate(o.DataDir); err != nil {
			return nil, fmt.Errorf("start temporal: %w", err)
		}
		args = append(args, "--db-filename", filepath.Join(o.DataDir, temporalDBFile))
	}
	p, err := startProcess("temporal", o.Bin, args, o.Log, "run `make tools` to build it (first build takes minutes)")
	if err != nil {
		return nil, err
	}
	t.Process = p
	if err := waitReady(ctx, p, o.ReadyTimeout, t.ready); err != nil {
		stopAfterFailure(ctx, p)
		return nil, err
	}
	if o.DataDir != "" {
		if err := makePrivate(o.DataDir); err != nil {
			stopAfterFailure(ctx, p)
			return nil, fmt.Errorf("start temporal: %w", err)
		}
	}
	return t, nil
}

// quietLogger keeps the SDK's connection chatter out of the terminal while polling.
var quietLogger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// ready dials the frontend with the SDK, runs the gRPC health check and describes the namespace.
func (t *Temporal) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// A plain TCP dial first: it fails at once while the server is still starting, without the SDK's retries.
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return err
	}
	conn.Close()
	c, err := client.DialContext(ctx, client.Options{HostPort: t.Address, Namespace: t.Namespace, Logger: quietLogger})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.Namespace}); err != nil {
		return fmt.Errorf("describe namespace %s: %w", t.Namespace, err)
	}
	return nil
}
