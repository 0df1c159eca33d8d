package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Publisher sends events to Kafka and waits until the brokers have them: *kafka.Producer, or a Buffer.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// Buffer is a worker process's one way to Kafka. Every part that mirrors events hands them to it: the
// PublishEvents activity (the workflows' events), the batches (their items' events) and the worker's
// telemetry. One goroutine publishes what has queued, in order, up to MaxBatch events a call, and keeps
// trying while the broker is away, so a sender never waits for Kafka unless it asks to (Receipt.Wait).
// The queue is bounded: past MaxQueued waiting events, Send drops and counts.
type Buffer struct {
	pub    Publisher
	opts   BufferOptions
	logger *slog.Logger

	mu       sync.Mutex
	queue    []queued
	inFlight []queued
	closed   bool
	stopped  bool // Close gave up waiting: drop what is left
	wake     chan struct{}
	done     chan struct{}
	dropped  atomic.Int64
}

// BufferOptions tune a Buffer; zero fields take the defaults.
type BufferOptions struct {
	MaxQueued      int           // events waiting at most; DefaultMaxQueued
	MaxBatch       int           // events one Publish call carries at most; DefaultMaxBatch
	AttemptTimeout time.Duration // bound of one Publish call; DefaultAttemptTimeout
	RetryEvery     time.Duration // wait after a failed call; DefaultRetryEvery
	// OnDrop, when set, is told of every event the Buffer drops (the queue full, or left at Close), as
	// Dropped counts them: the worker's metrics count them by topic. It must not block or publish here.
	OnDrop func([]Event)
}

// The defaults of BufferOptions. DefaultMaxQueued is the producer's own buffer (kgo's MaxBufferedRecords),
// so that what the Buffer hands over always fits.
const (
	DefaultMaxQueued      = 10_000
	DefaultMaxBatch       = 500
	DefaultAttemptTimeout = 5 * time.Second
	DefaultRetryEvery     = time.Second
)

type queued struct {
	ev Event
	r  *Receipt
}

// Receipt follows the events of one Send until the brokers have them.
type Receipt struct {
	b         *Buffer
	pending   int     // events not yet published, under b.mu
	dropped   []Event // those Send had no room for, for Withdraw
	withdrawn bool
	lastErr   error
	done      chan struct{} // closed when pending reaches 0
}

// NewBuffer starts a Buffer in front of pub. The logger receives a warning per failed publish (nil
// discards them); it must not itself publish through this Buffer.
func NewBuffer(pub Publisher, opts BufferOptions, logger *slog.Logger) *Buffer {
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = DefaultMaxQueued
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = DefaultRetryEvery
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := &Buffer{pub: pub, opts: opts, logger: logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go b.run()
	return b
}

// Send queues events without waiting. Events that do not fit in the queue, or that come after Close, are
// dropped: the receipt counts them, and so does Dropped.
func (b *Buffer) Send(events ...Event) *Receipt {
	r := &Receipt{b: b, done: make(chan struct{})}
	b.mu.Lock()
	for _, ev := range events {
		if b.closed || len(b.queue) >= b.opts.MaxQueued {
			r.dropped = append(r.dropped, ev)
			continue
		}
		b.queue = append(b.queue, queued{ev, r})
		r.pending++
	}
	if r.pending == 0 {
		close(r.done)
	}
	b.mu.Unlock()
	if len(r.dropped) > 0 {
		b.drop(r.dropped)
	}
	b.poke()
	return r
}

// Publish sends events and waits until the brokers have them, or ctx ends: then the events still waiting
// are taken back, so that a retry of the same call does not queue them twice, and the error says why.
func (b *Buffer) Publish(ctx context.Context, events ...Event) error {
	r := b.Send(events...)
	if err := r.Wait(ctx); err != nil {
		r.Withdraw()
		return err
	}
	return nil
}

// Dropped counts the events dropped since the start: the queue was full, or the Buffer closed.
func (b *Buffer) Dropped() int64 { return b.dropped.Load() }

// Close publishes what is queued, waiting at most timeout, and stops; what is left then is dropped.
func (b *Buffer) Close(timeout time.Duration) {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.poke()
	select {
	case <-b.done:
	case <-time.After(timeout):
		b.mu.Lock()
		left := b.queue
		n := len(left)
		b.queue, b.stopped = nil, true // the goroutine ends after its call in flight
		b.mu.Unlock()
		b.drop(eventsOf(left))
		b.logger.Warn("Kafka did not take the last events before the worker stopped", "events", n, "waited", timeout)
	}
}

// drop counts events dropped, and tells OnDrop.
func (b *Buffer) drop(events []Event) {
	b.dropped.Add(int64(len(events)))
	if b.opts.OnDrop != nil && len(events) > 0 {
		b.opts.OnDrop(events)
	}
}

func eventsOf(qs []queued) []Event {
	out := make([]Event, len(qs))
	for i, q := range qs {
		out[i] = q.ev
	}
	return out
}

func (b *Buffer) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run publishes the queue, front first, until the Buffer is closed and empty.
func (b *Buffer) run() {
	defer close(b.done)
	for {
		b.mu.Lock()
		if b.stopped {
			b.mu.Unlock()
			return
		}
		n := min(len(b.queue), b.opts.MaxBatch)
		batch, closed := b.queue[:n:n], b.closed
		b.queue = b.queue[n:]
		b.inFlight = batch
		b.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			<-b.wake
			continue
		}
		events := make([]Event, len(batch))
		for i, q := range batch {
			events[i] = q.ev
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.opts.AttemptTimeout)
		err := b.pub.Publish(ctx, events...)
		cancel()
		b.mu.Lock()
		b.inFlight = nil
		if err == nil {
			for _, q := range batch {
				q.r.published()
			}
			b.mu.Unlock()
			continue
		}
		// Keep them, in order, before what came since; a withdrawn receipt's events are its sender's again.
		var again []queued
		for _, q := range batch {
			q.r.lastErr = err
			if !q.r.withdrawn {
				again = append(again, q)
			}
		}
		if b.stopped { // Close gave up on them
			b.mu.Unlock()
			b.drop(eventsOf(again))
			return
		}
		b.queue = append(again, b.queue...)
		closed = b.closed
		b.mu.Unlock()
		b.logger.Warn("Kafka did not take events; trying again", "events", len(batch), "error", err)
		if closed {
			// Close bounds the wait; keep trying until then without spinning.
			time.Sleep(min(b.opts.RetryEvery, 100*time.Millisecond))
			continue
		}
		select {
		case <-time.After(b.opts.RetryEvery):
		case <-b.wake:
		}
	}
}

// published counts one event of r published; the caller holds b.mu.
func (r *Receipt) published() {
	if r.pending--; r.pending == 0 && !r.withdrawn {
		close(r.done)
	}
}

// Wait returns once every event of the receipt was published, or with an error when ctx ends first or
// some were dropped.
func (r *Receipt) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		if len(r.dropped) > 0 {
			return fmt.Errorf("publish events: %d dropped, the queue to Kafka is full (%d events)", len(r.dropped), r.b.opts.MaxQueued)
		}
		return nil
	case <-ctx.Done():
	}
	r.b.mu.Lock()
	last := r.lastErr
	r.b.mu.Unlock()
	if last != nil {
		return fmt.Errorf("publish events: %w (last error: %w)", ctx.Err(), last)
	}
	return fmt.Errorf("publish events: %w", ctx.Err())
}

// Withdraw takes back the receipt's events that were not published yet, and returns them: the sender
// will publish them another way (a workflow's own publisher). Those in flight are returned too, and may
// arrive twice (consumers drop duplicates by event ID); those Send dropped come last.
func (r *Receipt) Withdraw() []Event {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.withdrawn {
		return nil
	}
	r.withdrawn = true
	var out []Event
	for _, q := range b.inFlight {
		if q.r == r {
			out = append(out, q.ev)
		}
	}
	kept := b.queue[:0:0]
	for _, q := range b.queue {
		if q.r == r {
			out = append(out, q.ev)
		} else {
			kept = append(kept, q)
		}
	}
	b.queue = kept
	return append(out, r.dropped...)
}
