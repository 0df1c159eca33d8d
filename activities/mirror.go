package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
)

// Publisher sends events to the Kafka bridge: the worker's bridge.Buffer.
type Publisher = bridge.Publisher

// Mirror is the bridge activity: workflows cannot do I/O, so they hand their events to it in batches.
type Mirror struct {
	Publisher Publisher
	WorkerID  string
}

// publishAttemptTimeout bounds one attempt of PublishEvents. Giving up loses nothing: the producer keeps
// the records and the next attempt waits for them. Without the bound an attempt would wait out its
// start-to-close timeout, so a broker down for less than that would never show as a retry, nor as late.
const publishAttemptTimeout = 5 * time.Second

// PublishEvents produces a batch of a program's events, in order. While the broker is unreachable it
// fails and Temporal retries it with backoff; the attempt that gets through also reports, on
// system.alerts, that the events were late.
func (m *Mirror) PublishEvents(ctx context.Context, batch []bridge.Event) error {
	if m.Publisher == nil || len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, publishAttemptTimeout)
	defer cancel()
	events := batch
	if info := activity.GetInfo(ctx); info.Attempt > 1 || strings.HasPrefix(info.ActivityID, api.LatePublishID) {
		alert, err := bridge.NewEvent(info.WorkflowExecution.ID+"/"+info.ActivityID+"/late", bridge.SystemAlert{
			AlertID:            info.WorkflowExecution.ID + "/" + info.ActivityID + "/late",
			Timestamp:          time.Now().UTC().Format(time.RFC3339Nano),
			Severity:           "MEDIUM",
			Message:            fmt.Sprintf("the Kafka broker was unreachable: %d events of program %s arrive late, after %d attempts", len(batch), info.WorkflowExecution.ID, info.Attempt),
			AffectedComponents: []string{"kafka", "bridge", m.WorkerID},
			ActionRequired:     false,
		})
		if err == nil {
			events = append(append([]bridge.Event{}, batch...), alert)
		}
	}
	if err := m.Publisher.Publish(ctx, events...); err != nil {
		return fmt.Errorf("publish %d events: %w", len(batch), err)
	}
	return nil
}
