package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"
)

// measureOneEmail runs a one-email program `runs` times through `eaapl run`, as a person types it, on the
// dev stack (an `eaapl worker` with the Kafka bridge on, encrypted payloads), and keeps each wall time:
// from starting the `eaapl run` process to its exit, so the process's own start, its dial, the start of
// the workflow, planning, the send and the wait for the result are all in it.
func (s *stack) measureOneEmail(ctx context.Context, o options, runs int) (runResult, error) {
	r := runResult{kind: kindOneEmail, n: runs}
	ctx, cancel := context.WithTimeout(ctx, o.timeout(0))
	defer cancel()
	mp, stop, err := s.freshMailpit(ctx, o)
	if err != nil {
		return r, err
	}
	defer stop()
	s.seq++
	queue := fmt.Sprintf("bench-one-email-%d", s.seq)
	env := []string{
		"TEMPORAL_ADDRESS=" + s.temporal.Address,
		"TEMPORAL_NAMESPACE=" + s.temporal.Namespace,
		"EAAPL_TASK_QUEUE=" + queue,
		"EAAPL_SMTP_ADDR=" + mp.SMTPAddr,
		"EAAPL_MAILBOX_URL=" + mp.APIURL,
		"KAFKA_BROKERS=" + s.broker.addr,
		"EAAPL_PLANNER=rules",
		"EAAPL_KEY_FILE=" + s.keyFile,
		"EAAPL_DATA_DIR=" + s.dir,
	}
	w, err := startWorkerProcess(ctx, s.eaaplBin, "bench-one-email-worker", env)
	if err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	defer w.stop()
	fmt.Printf("\n%s: starting\n", r.label())
	var addrs []string
	for i := range runs + 1 { // the first warms the worker up and is not counted
		to := fmt.Sprintf("one-%03d@bench.example.com", i)
		addrs = append(addrs, to)
		cmd := exec.CommandContext(ctx, s.eaaplBin, "run", fmt.Sprintf("Send 'Hello World!' to %s", to))
		cmd.Env = append(os.Environ(), env...)
		began := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(began)
		if err != nil {
			return r, fmt.Errorf("%s: eaapl run: %v\n%s", r.label(), err, out)
		}
		if i > 0 {
			r.oneEmail = append(r.oneEmail, took)
		}
	}
	slices.Sort(r.oneEmail)
	r.wall = r.p50()
	got, err := checkMailbox(ctx, mp.APIURL, addrs)
	if err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	fmt.Printf("  checked: Mailpit holds %d emails, exactly one to each of the %d addresses\n", got, len(addrs))
	fmt.Printf("  p50 %.0f ms, p90 %.0f ms, min %.0f ms, max %.0f ms over %d runs\n", ms(r.p50()), ms(r.quantile(0.9)),
		ms(r.oneEmail[0]), ms(r.oneEmail[len(r.oneEmail)-1]), len(r.oneEmail))
	return r, nil
}

// p50 is the median of the one-email runs.
func (r runResult) p50() time.Duration { return r.quantile(0.5) }

// quantile is the q-quantile (nearest rank) of the one-email runs, which are sorted.
func (r runResult) quantile(q float64) time.Duration {
	if len(r.oneEmail) == 0 {
		return 0
	}
	i := min(int(q*float64(len(r.oneEmail))), len(r.oneEmail)-1)
	return r.oneEmail[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
