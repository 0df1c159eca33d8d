package worker

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
)

// Heartbeats returns the worker interceptor that keeps every running activity with a heartbeat timeout
// heartbeating, every quarter of that timeout, whatever the activity is blocked on (an SMTP exchange, a
// slow mailbox): Temporal then gives up on an attempt only when its worker is gone, within the timeout.
//
// An activity that records progress for a later attempt to resume from (RetrieveContacts) heartbeats its
// own details; the keep-alive re-sends the latest of them, never nothing, because a heartbeat replaces the
// details the server holds. Until the attempt records its own, that is the previous attempt's, so an
// attempt that dies before its first checkpoint does not erase the one it resumed from. Activities record
// one value as details; the keep-alive carries the first.
func Heartbeats() interceptor.WorkerInterceptor { return &heartbeats{} }

type heartbeats struct {
	interceptor.WorkerInterceptorBase
}

func (*heartbeats) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	h := &keepAlive{}
	h.Next = next
	return h
}

// keepAlive is one activity execution's keep-alive: the inbound side runs the ticker, the outbound side
// sees the activity's own heartbeats.
type keepAlive struct {
	interceptor.ActivityInboundInterceptorBase
	out *keepAliveOutbound
}

type keepAliveOutbound struct {
	interceptor.ActivityOutboundInterceptorBase

	mu      sync.Mutex
	details []any     // the last details recorded, re-sent by the keep-alive
	last    time.Time // when a heartbeat was last recorded
}

func (k *keepAlive) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	k.out = &keepAliveOutbound{}
	k.out.Next = outbound
	return k.Next.Init(k.out)
}

func (k *keepAlive) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return k.Next.ExecuteActivity(ctx, in)
	}
	if activity.HasHeartbeatDetails(ctx) {
		var previous converter.RawValue // re-sent as it came, whatever its type
		if err := activity.GetHeartbeatDetails(ctx, &previous); err == nil {
			k.out.details = []any{previous}
		}
	}
	k.out.last = time.Now()
	done := make(chan struct{})
	defer close(done)
	go k.out.keepAlive(ctx, timeout/4, done)
	return k.Next.ExecuteActivity(ctx, in)
}

// keepAlive heartbeats every interval in which the activity recorded none itself. The SDK batches
// heartbeats, sending at most one per 0.8 of the timeout, so calling it more often costs nothing.
func (o *keepAliveOutbound) keepAlive(ctx context.Context, interval time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case now := <-tick.C:
			o.mu.Lock()
			quiet := now.Sub(o.last) >= interval
			details := o.details
			if quiet {
				o.last = now
			}
			o.mu.Unlock()
			if quiet {
				o.Next.RecordHeartbeat(ctx, details...)
			}
		}
	}
}

// RecordHeartbeat passes the activity's own heartbeat on and remembers its details for the keep-alive.
func (o *keepAliveOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.mu.Lock()
	o.details, o.last = details, time.Now()
	o.mu.Unlock()
	o.Next.RecordHeartbeat(ctx, details...)
}
