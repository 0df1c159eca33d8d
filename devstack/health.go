package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Health checking and restarting: a stack that says it is up must be up. Every HealthInterval the stack
// asks each part what a client would (Temporal: the gRPC health check and the namespace; Mailpit: an SMTP
// greeting and its HTTP /readyz; the broker: a connection). A part whose process exited is restarted on
// its own ports with its own data, at most maxRestarts times in restartWindow; then it is reported dead
// and left so. A part whose process runs but has not answered three times in a row is reported, not
// killed: a server slowed by a big run must not lose it to a restart.
const (
	DefaultHealthInterval = 5 * time.Second
	unhealthyChecks       = 3
	maxRestarts           = 3
	restartWindow         = 10 * time.Minute
	probeTimeout          = 3 * time.Second
)

// Part names, as PartHealth and the stack's reports give them.
const (
	PartTemporal = "temporal"
	PartMailpit  = "mailpit"
	PartBroker   = "kafka"
)

// PartHealth is how one part of the stack answered.
type PartHealth struct {
	Part string // PartTemporal, PartMailpit or PartBroker
	Addr string // where it was asked
	Err  error  // nil when it answered as it should
}

// Unhealthy joins the failures among hs into one error, one line per part that did not answer; nil
// when every part did.
func Unhealthy(hs []PartHealth) error {
	var errs []error
	for _, h := range hs {
		if h.Err != nil {
			errs = append(errs, fmt.Errorf("%s (%s) is not answering: %w", h.Part, h.Addr, h.Err))
		}
	}
	return errors.Join(errs...)
}

// Health asks each part of the stack whether it works, now.
func (s *Stack) Health(ctx context.Context) []PartHealth {
	s.mu.Lock()
	t, m, b := s.Temporal, s.Mailpit, s.Broker
	s.mu.Unlock()
	var hs []PartHealth
	if t != nil {
		hs = append(hs, PartHealth{Part: PartTemporal, Addr: t.Address, Err: processHealth(t.Process, t.ready, ctx)})
	}
	if m != nil {
		hs = append(hs, PartHealth{Part: PartMailpit, Addr: m.SMTPAddr + ", " + m.APIURL, Err: processHealth(m.Process, m.ready, ctx)})
	}
	if b != nil {
		hs = append(hs, PartHealth{Part: PartBroker, Addr: b.Addr(), Err: dialCheck(ctx, b.Addr())})
	}
	return hs
}

// processHealth is nil when p runs and its probe passes.
func processHealth(p *Process, probe func(context.Context) error, ctx context.Context) error {
	if p != nil {
		select {
		case <-p.Done():
			return fmt.Errorf("its process (pid %d) exited (%v)", p.PID(), exitReason(p.err))
		default:
		}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return probe(ctx)
}

func dialCheck(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// CheckRunning asks each part of the stack recorded in dataDir (by a running `eaapl dev`, in StateFile)
// whether it works, from any process: `eaapl dev --background` finding a stack already there says which
// part of it is dead instead of only "already running". It returns an error when no running stack is
// recorded there.
func CheckRunning(ctx context.Context, dataDir string) ([]PartHealth, error) {
	st, err := ReadState(dataDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no EaaPL dev stack is recorded in %s", dataDir)
		}
		return nil, err
	}
	if !st.Owner.running() {
		return nil, fmt.Errorf("the EaaPL dev stack recorded in %s is not running (its eaapl dev, pid %d, has exited)", dataDir, st.Owner.PID)
	}
	alive := func(name string) error {
		for _, p := range st.Parts {
			if p.Name == name && !p.Process.running() {
				return fmt.Errorf("its process (pid %d) has exited", p.Process.PID)
			}
		}
		return nil
	}
	t := &Temporal{Address: st.TemporalAddress, Namespace: st.Namespace}
	m := &Mailpit{SMTPAddr: st.SMTPAddr, APIURL: st.MailpitURL}
	check := func(name string, probe func(context.Context) error) error {
		if err := alive(name); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		return probe(ctx)
	}
	hs := []PartHealth{
		{Part: PartTemporal, Addr: t.Address, Err: check(PartTemporal, t.ready)},
		{Part: PartMailpit, Addr: m.SMTPAddr + ", " + m.APIURL, Err: check(PartMailpit, m.ready)},
	}
	if st.KafkaAddr != "" {
		hs = append(hs, PartHealth{Part: PartBroker, Addr: st.KafkaAddr, Err: dialCheck(ctx, st.KafkaAddr)})
	}
	return hs, nil
}

// watch checks the parts' health until ctx ends, restarting a dead one or reporting it.
func (s *Stack) watch(ctx context.Context, every time.Duration) {
	defer close(s.watchDone)
	tick := time.NewTicker(every)
	defer tick.Stop()
	failures := map[string]int{}
	restarts := map[string][]time.Time{}
	givenUp := map[string]bool{}
	silent := map[string]bool{} // reported as not answering, while its process runs
	for {
		s.mu.Lock()
		tDone, mDone := doneOf(s.Temporal.Process, givenUp[PartTemporal]), doneOf(s.Mailpit.Process, givenUp[PartMailpit])
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-tDone:
		case <-mDone:
		}
		for _, h := range s.Health(ctx) {
			if ctx.Err() != nil {
				return
			}
			if h.Err == nil {
				if silent[h.Part] {
					s.report(fmt.Sprintf("%s answers again.", h.Part))
					silent[h.Part] = false
				}
				failures[h.Part] = 0
				continue
			}
			if givenUp[h.Part] {
				continue
			}
			failures[h.Part]++
			if !s.exited(h.Part) && h.Part != PartBroker {
				if failures[h.Part] == unhealthyChecks { // one slow answer is not a dead part
					s.report(fmt.Sprintf("%s has not answered %d checks in a row (%v); its process still runs, so it is left to recover: see %s.",
						h.Part, unhealthyChecks, h.Err, s.logHint()))
					silent[h.Part] = true
				}
				continue
			}
			if h.Part == PartBroker && failures[h.Part] < unhealthyChecks {
				continue
			}
			if h.Part == PartBroker {
				// The broker lives in this process: nothing to restart apart from it.
				s.report(fmt.Sprintf("The Kafka broker (%s) is not answering: %v. Events are not published; restart `eaapl dev`.", h.Addr, h.Err))
				givenUp[h.Part] = true
				continue
			}
			recent := restarts[h.Part][:0]
			for _, at := range restarts[h.Part] {
				if time.Since(at) < restartWindow {
					recent = append(recent, at)
				}
			}
			restarts[h.Part] = recent
			if len(recent) >= maxRestarts {
				s.report(fmt.Sprintf("%s is down again (%v) after %d restarts in %s; it stays down: see %s, then restart `eaapl dev`.",
					h.Part, h.Err, len(recent), restartWindow, s.logHint()))
				givenUp[h.Part] = true
				continue
			}
			s.report(fmt.Sprintf("%s is down (%v); restarting it ...", h.Part, h.Err))
			restarts[h.Part] = append(restarts[h.Part], time.Now())
			if err := s.restart(ctx, h.Part); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.report(fmt.Sprintf("%s did not restart: %v", h.Part, err))
				continue
			}
			failures[h.Part] = 0
			s.report(fmt.Sprintf("%s is up again (%s).", h.Part, h.Addr))
		}
	}
}

// doneOf is p's Done channel, or nil (never ready) for a part given up on.
func doneOf(p *Process, givenUp bool) <-chan struct{} {
	if p == nil || givenUp {
		return nil
	}
	return p.Done()
}

// exited reports whether the named part's process has exited.
func (s *Stack) exited(part string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *Process
	switch part {
	case PartTemporal:
		p = s.Temporal.Process
	case PartMailpit:
		p = s.Mailpit.Process
	default:
		return false
	}
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// restart stops what is left of a part and starts it again on the same ports and data.
func (s *Stack) restart(ctx context.Context, part string) error {
	s.mu.Lock()
	t, m := s.Temporal, s.Mailpit
	s.mu.Unlock()
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch part {
	case PartTemporal:
		_ = t.Process.Stop(stopCtx) // killed if it hangs; the restart is what matters
		nt, err := StartTemporal(ctx, s.temporalOptions(portOf(t.Address), portOf(strings.TrimPrefix(t.UIURL, "http://")), t.Namespace))
		if err != nil {
			return err
		}
		s.mu.Lock()
		t.Process = nt.Process
		s.mu.Unlock()
	case PartMailpit:
		_ = m.Process.Stop(stopCtx)
		nm, err := StartMailpit(ctx, MailpitOptions{
			Bin: s.opts.MailpitBin, DataDir: subdir(s.opts.DataDir, "mailpit"),
			SMTPPort: portOf(m.SMTPAddr), HTTPPort: portOf(strings.TrimPrefix(m.APIURL, "http://")), Log: s.log,
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		m.Process = nm.Process
		s.mu.Unlock()
	}
	return s.record()
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// report tells Options.Report, and the stack's log, what happened to a part.
func (s *Stack) report(msg string) {
	if s.log != nil {
		fmt.Fprintf(s.log, "[eaapl dev] %s\n", msg)
	}
	if s.opts.Report != nil {
		s.opts.Report(msg)
	}
}

func (s *Stack) logHint() string {
	if s.opts.DataDir == "" {
		return "the stack's log"
	}
	return "the stack's log in " + s.opts.DataDir
}

// record writes the stack's state file (when it has a data folder), so that a later start or
// `eaapl dev --stop` finds parts this process leaves behind, and others can check their health.
func (s *Stack) record() error {
	if s.opts.DataDir == "" {
		return nil
	}
	owner, err := identify(os.Getpid())
	if err != nil && !errors.Is(err, errNoProcessIdentity) {
		return err
	}
	owner.PID = os.Getpid()
	s.mu.Lock()
	st := State{Owner: owner, TemporalAddress: s.Temporal.Address, Namespace: s.Temporal.Namespace, TemporalUI: s.Temporal.UIURL,
		SMTPAddr: s.Mailpit.SMTPAddr, MailpitURL: s.Mailpit.APIURL}
	for _, p := range []*Process{s.Temporal.Process, s.Mailpit.Process} {
		id, err := identify(p.PID())
		if err != nil {
			id = ProcessID{PID: p.PID()} // recorded all the same; StopOrphans then leaves it alone
		}
		st.Parts = append(st.Parts, PartState{Name: p.Name(), Process: id})
	}
	if s.Broker != nil {
		st.KafkaAddr = s.Broker.Addr()
	}
	s.mu.Unlock()
	return writeState(s.opts.DataDir, st)
}
