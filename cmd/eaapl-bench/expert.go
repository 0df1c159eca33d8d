package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/email"
)

// Baseline (a'): the workflow an expert Temporal engineer would write by hand for the same job, doing what
// EaaPL's batches do without the plan, the interpreter or Kafka: the contacts in batches, one activity per
// batch sending its emails over one SMTP session, at most a window of batches pending, and the same
// idempotency (the Message-ID EaaPL would give each email, searched in the mailbox before sending when an
// earlier attempt of the batch may have sent it; the batch heartbeats how far it got and a retry resumes
// there). Payloads are compact: the workflow gets the number of contacts, a batch the position of its
// first and its size, and the activity makes the addresses (contactAddress, the bench's contacts); it
// returns a count. So (a') runs at any N, where a list of 100,000 addresses as one input would be over
// Temporal's 2 MB payload limit. EaaPL against (a') is the cost of being a programming language.

// expertType is the baseline workflow's type, and expertActivity its one activity.
const (
	expertType     = "BenchExpertSendEmails"
	expertActivity = "BenchExpertSendBatch"
)

// expertInput is the baseline's input: how many contacts, the message, the window and the batch size.
type expertInput struct {
	Contacts  int    `json:"contacts"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	Window    int    `json:"window"`
	BatchSize int    `json:"batch_size"`
}

// expertBatch is one batch: the position of its first contact (1-based), from which the addresses and
// each email's idempotency key are made, and how many.
type expertBatch struct {
	First   int    `json:"first"`
	Count   int    `json:"count"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// expertWorkflow sends one email per contact, in batches, at most in.Window batches pending at once.
func expertWorkflow(ctx workflow.Context, in expertInput) (int, error) {
	size := max(in.BatchSize, 1)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(size) * 10 * time.Second,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 5},
	})
	sem := workflow.NewSemaphore(ctx, int64(max(in.Window, 1)))
	wg := workflow.NewWaitGroup(ctx)
	sent, failed := 0, 0
	for first := 0; first < in.Contacts; first += size {
		if err := sem.Acquire(ctx, 1); err != nil {
			return sent, err
		}
		b := expertBatch{First: first + 1, Count: min(size, in.Contacts-first), Subject: in.Subject, Body: in.Body}
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			var n int
			if err := workflow.ExecuteActivity(ctx, expertActivity, b).Get(ctx, &n); err != nil {
				failed += b.Count
				return
			}
			sent += n
		})
	}
	wg.Wait(ctx)
	if failed > 0 {
		return sent, fmt.Errorf("%d of %d emails failed", failed, in.Contacts)
	}
	return sent, nil
}

// expertSender is the baseline's activity: EaaPL's SMTP sender and mailbox, used directly.
type expertSender struct {
	deps email.Deps
}

// SendBatch sends a batch's emails over one SMTP session and returns how many it sent (or found sent).
func (e *expertSender) SendBatch(ctx context.Context, b expertBatch) (int, error) {
	info := activity.GetInfo(ctx)
	start := 0
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &start)
	}
	check := info.Attempt > 1 // an earlier attempt may have sent some of them
	var sender email.Sender = e.deps.Sender
	if ss, ok := e.deps.Sender.(email.SessionSender); ok {
		session := ss.Session()
		defer session.Close()
		sender = session
	}
	for i := start; i < b.Count; i++ {
		to := contactAddress(b.First + i)
		key := info.WorkflowExecution.ID + "/send_" + strconv.Itoa(b.First+i)
		id := email.MessageID(key, e.deps.From.Address)
		if check {
			sent, err := e.deps.Mailbox.HasMessageID(ctx, id)
			if err != nil {
				return i, fmt.Errorf("check %s: %w", id, err)
			}
			if sent {
				activity.RecordHeartbeat(ctx, i+1)
				continue
			}
		}
		m := email.Message{From: e.deps.From.Address, FromName: e.deps.From.Name, To: to, Subject: b.Subject, Body: b.Body, MessageID: id}
		if err := sender.Send(ctx, m); err != nil {
			return i, fmt.Errorf("send to %s: %w", to, err)
		}
		activity.RecordHeartbeat(ctx, i+1)
	}
	return b.Count, nil
}
