package e2e_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
)

// The failover and restart tests of crash_test.go and shard_test.go interrupt a send of many emails
// through real `eaapl worker` processes, each sending through its own delayed SMTP proxy
// (testenv.DelaySMTP) so that the send lasts long enough and the test sees the sessions in flight.

// failoverPair is two worker processes serving one queue of a test Temporal server and sending to one
// Mailpit: the doomed one, which a test kills in the middle of a batch, and the survivor.
type failoverPair struct {
	srv              *testsuite.DevServer
	mp               *devstack.Mailpit
	doomed, survivor *workerProcess
	doomedSMTP       *testenv.SMTPProxy
	starter          *starter.Starter
}

// startFailoverPair starts the server, Mailpit and the two workers (worker-killed, worker-survivor) on
// queue, reading contacts, with env added to workerEnv's, and waits until both poll.
func startFailoverPair(t *testing.T, queue, contacts string, env ...string) *failoverPair {
	t.Helper()
	bin := buildEaapl(t)
	p := &failoverPair{srv: testenv.Temporal(t), mp: testenv.Mailpit(t)}
	worker := func(id string, smtp *testenv.SMTPProxy) *workerProcess {
		return startWorkerProcess(t, bin, append(workerEnv(p.srv.FrontendHostPort(), queue, contacts, smtp.Addr, p.mp.APIURL), env...), id)
	}
	p.doomedSMTP = testenv.DelaySMTP(t, p.mp.SMTPAddr, smtpDelay)
	p.doomed = worker("worker-killed", p.doomedSMTP)
	p.survivor = worker("worker-survivor", testenv.DelaySMTP(t, p.mp.SMTPAddr, smtpDelay))
	waitForPollers(t, p.srv.Client(), queue, p.doomed, p.survivor)
	p.starter = &starter.Starter{Client: p.srv.Client(), TaskQueue: queue}
	return p
}

// killMidBatch waits until Mailpit holds interruptAt emails and the doomed worker has an open SMTP
// session that midBatch accepts (what says which, for the failure), then kills it with SIGKILL. It fails
// the test if all total emails were sent by then, and returns how many sessions were open and when it
// killed.
func (p *failoverPair) killMidBatch(t *testing.T, interruptAt, total int, what string, midBatch func(testenv.Session) bool) (inFlight int, killed time.Time) {
	t.Helper()
	waitForMessages(t, p.mp.APIURL, interruptAt)
	waitForSession(t, p.doomedSMTP, p.doomed, what, midBatch)
	inFlight, killed = len(p.doomedSMTP.Sessions()), time.Now()
	p.doomed.kill(t)
	sent, err := messageCount(p.mp.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	if sent >= total {
		t.Fatalf("the send was over (%d emails) before the kill; the test proves nothing", sent)
	}
	t.Logf("killed %s in the middle of %d batches, with %d of %d emails in Mailpit", p.doomed.id, inFlight, sent, total)
	return inFlight, killed
}

// waitForSession waits up to a minute until proxy has an open session that accept accepts.
func waitForSession(t *testing.T, proxy *testenv.SMTPProxy, w *workerProcess, what string, accept func(testenv.Session) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		sessions := proxy.Sessions()
		for _, s := range sessions {
			if accept(s) {
				return
			}
		}
		if time.Now().After(deadline) {
			if what != "" {
				what = " " + what
			}
			t.Fatalf("%s is in no batch%s after a minute (open sessions: %d)", w.id, what, len(sessions))
		}
		time.Sleep(time.Millisecond)
	}
}

// anySession accepts every open session: a worker in the middle of any batch.
func anySession(testenv.Session) bool { return true }

// restartRig is one worker process on a dev stack, as `eaapl dev` runs it, that a test stops in the
// middle of a send and starts again on the same ports and data (the Temporal dev server with its SQLite
// file, Mailpit with its database), while the worker stays up.
type restartRig struct {
	opts    devstack.Options
	stack   *devstack.Stack
	proxy   *testenv.SMTPProxy
	worker  *workerProcess // worker-restart
	client  client.Client  // a client from before the restart, which reconnects like the worker does
	starter *starter.Starter
}

// startRestartRig starts the stack on free ports and the worker on queue, reading contacts, with env
// added to workerEnv's, and waits until it polls.
func startRestartRig(t *testing.T, queue, contacts string, env ...string) *restartRig {
	t.Helper()
	bin := buildEaapl(t)
	r := &restartRig{opts: devstack.Options{
		TemporalBin: testenv.Bin(t, "temporal"),
		MailpitBin:  testenv.Bin(t, "mailpit"),
		DataDir:     t.TempDir(),
		KafkaPort:   -1,
	}}
	for _, port := range []*int{&r.opts.TemporalPort, &r.opts.UIPort, &r.opts.SMTPPort, &r.opts.MailpitPort} {
		p, err := devstack.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		*port = p
	}
	r.start(t)
	address := r.stack.Temporal.Address
	r.proxy = testenv.DelaySMTP(t, r.stack.Mailpit.SMTPAddr, smtpDelay)
	r.worker = startWorkerProcess(t, bin, append(workerEnv(address, queue, contacts, r.proxy.Addr, r.mailbox()), env...), "worker-restart")
	r.client = dialTemporal(t, address)
	waitForPollers(t, r.client, queue, r.worker)
	r.starter = &starter.Starter{Client: r.client, TaskQueue: queue}
	return r
}

// start starts the stack, stopped when the test ends.
func (r *restartRig) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := devstack.Start(ctx, r.opts)
	if err != nil {
		t.Fatalf("start the dev stack: %v", err)
	}
	t.Cleanup(func() { stopStack(t, s) })
	r.stack = s
}

// mailbox is Mailpit's API address, the same before and after a restart.
func (r *restartRig) mailbox() string { return r.stack.Mailpit.APIURL }

// restartMidSend waits until Mailpit holds interruptAt emails and the worker has an open SMTP session
// that midBatch accepts (what says which, for the failure), stops the stack, fails the test if all total
// emails were sent by then, lets the worker poll a server that is not there for 3 s, and starts the stack
// again. It returns when it started it again.
func (r *restartRig) restartMidSend(t *testing.T, interruptAt, total int, what string, midBatch func(testenv.Session) bool) (restarted time.Time) {
	t.Helper()
	waitForMessages(t, r.mailbox(), interruptAt)
	waitForSession(t, r.proxy, r.worker, what, midBatch)
	inFlight := len(r.proxy.Sessions())
	sent, err := messageCount(r.mailbox())
	if err != nil {
		t.Fatal(err)
	}
	stopStack(t, r.stack)
	t.Logf("stopped the stack in the middle of %d batches, with %d of %d emails in Mailpit", inFlight, sent, total)
	if sent >= total {
		t.Fatalf("the send was over (%d emails) before the stop; the test proves nothing", sent)
	}
	time.Sleep(3 * time.Second)
	restarted = time.Now()
	r.start(t)
	return restarted
}
