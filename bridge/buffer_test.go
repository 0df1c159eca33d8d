package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeKafka records what it is given; while down, every Publish fails.
type fakeKafka struct {
	mu    sync.Mutex
	down  bool
	calls [][]string // event IDs per call
}

func (k *fakeKafka) Publish(_ context.Context, events ...Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return errors.New("broker unreachable")
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	k.calls = append(k.calls, ids)
	return nil
}

func (k *fakeKafka) setDown(down bool) {
	k.mu.Lock()
	k.down = down
	k.mu.Unlock()
}

func (k *fakeKafka) published() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, c := range k.calls {
		out = append(out, c...)
	}
	return out
}

func events(prefix string, n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Topic: TopicTaskResult, Key: prefix, ID: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return out
}

func ids(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func waitFor(tb testing.TB, r *Receipt) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Wait(ctx); err != nil {
		tb.Fatal(err)
	}
}

func TestBuffer(t *testing.T) {
	fast := BufferOptions{RetryEvery: 10 * time.Millisecond}

	t.Run("PublishesEveryEventInOrderInFewCalls", func(t *testing.T) {
		k := &fakeKafka{}
		b := NewBuffer(k, BufferOptions{MaxBatch: 100}, nil)
		defer b.Close(time.Second)
		var want []string
		var last *Receipt
		for i := range 50 {
			evs := events(fmt.Sprint("s", i), 10)
			want = append(want, ids(evs)...)
			last = b.Send(evs...)
		}
		waitFor(t, last)
		if got := k.published(); !slices.Equal(got, want) {
			t.Fatalf("published %d events out of order or not all: %v", len(got), got)
		}
		for _, c := range k.calls {
			if len(c) > 100 {
				t.Fatalf("a call carried %d events, over MaxBatch 100", len(c))
			}
		}
	})

	t.Run("KeepsTryingWhileTheBrokerIsDownAndKeepsTheOrder", func(t *testing.T) {
		k := &fakeKafka{down: true}
		b := NewBuffer(k, fast, nil)
		defer b.Close(time.Second)
		first := b.Send(events("a", 3)...)
		time.Sleep(50 * time.Millisecond) // some failed calls
		second := b.Send(events("b", 2)...)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		err := first.Wait(ctx)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait while the broker is down = %v, want the deadline and the broker's error", err)
		}
		k.setDown(false)
		waitFor(t, second)
		if got, want := k.published(), []string{"a-0", "a-1", "a-2", "b-0", "b-1"}; !slices.Equal(got, want) {
			t.Errorf("published %v, want %v", got, want)
		}
	})

	t.Run("DropsAndCountsPastItsBound", func(t *testing.T) {
		k := &fakeKafka{down: true}
		var told []string
		b := NewBuffer(k, BufferOptions{MaxQueued: 5, RetryEvery: time.Hour, OnDrop: func(evs []Event) { told = append(told, ids(evs)...) }}, nil)
		defer b.Close(10 * time.Millisecond)
		r := b.Send(events("a", 8)...)
		if got := b.Dropped(); got != 3 {
			t.Errorf("dropped %d, want the 3 over the bound of 5", got)
		}
		if want := []string{"a-5", "a-6", "a-7"}; !slices.Equal(told, want) {
			t.Errorf("OnDrop was told of %v, want %v", told, want)
		}
		k.setDown(false)
		b.poke()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Wait(ctx); err == nil {
			t.Error("Wait said all were published, but 3 were dropped")
		}
		if got, want := ids(r.Withdraw()), []string{"a-5", "a-6", "a-7"}; !slices.Equal(got, want) {
			t.Errorf("withdrew %v, want the dropped %v, for the sender to publish another way", got, want)
		}
	})

	t.Run("WithdrawGivesBackWhatWasNotPublished", func(t *testing.T) {
		k := &fakeKafka{down: true}
		b := NewBuffer(k, fast, nil)
		defer b.Close(time.Second)
		mine := b.Send(events("mine", 3)...)
		other := b.Send(events("other", 2)...)
		back := mine.Withdraw()
		if got, want := ids(back), []string{"mine-0", "mine-1", "mine-2"}; !slices.Equal(got, want) {
			t.Fatalf("withdrew %v, want %v", got, want)
		}
		k.setDown(false)
		waitFor(t, other)
		for _, id := range k.published() {
			if id[:4] == "mine" {
				t.Errorf("published %s after it was withdrawn", id)
			}
		}
	})

	t.Run("PublishWaitsForTheBrokers", func(t *testing.T) {
		k := &fakeKafka{}
		b := NewBuffer(k, fast, nil)
		defer b.Close(time.Second)
		if err := b.Publish(context.Background(), events("p", 2)...); err != nil {
			t.Fatal(err)
		}
		if got := k.published(); len(got) != 2 {
			t.Errorf("Publish returned before the brokers had its events: %v", got)
		}
		k.setDown(true)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := b.Publish(ctx, events("q", 1)...); err == nil {
			t.Error("Publish to a broker that is down returned no error")
		}
		b.mu.Lock()
		left := len(b.queue) + len(b.inFlight)
		b.mu.Unlock()
		if left != 0 {
			t.Errorf("%d events stay queued after Publish gave up; its retry would queue them twice", left)
		}
	})

	t.Run("CloseFlushesThenDropsWhatIsLeft", func(t *testing.T) {
		k := &fakeKafka{}
		b := NewBuffer(k, fast, nil)
		b.Send(events("a", 3)...)
		b.Close(time.Second)
		if got := k.published(); len(got) != 3 {
			t.Errorf("published %v before closing, want all 3", got)
		}
		down := &fakeKafka{down: true}
		var mu sync.Mutex
		told := 0
		opts := fast
		opts.OnDrop = func(evs []Event) { mu.Lock(); told += len(evs); mu.Unlock() }
		b = NewBuffer(down, opts, nil)
		b.Send(events("b", 2)...)
		start := time.Now()
		b.Close(50 * time.Millisecond)
		if waited := time.Since(start); waited > 2*time.Second {
			t.Errorf("Close waited %s for a broker that is down, want about its 50ms bound", waited)
		}
		if got := b.Dropped(); got != 2 {
			t.Errorf("dropped %d at Close, want 2", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if told != 2 {
			t.Errorf("OnDrop was told of %d at Close, want 2", told)
		}
	})
}
