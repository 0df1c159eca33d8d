package stats

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
)

// progressEvery is how many records go by between two progress lines.
const progressEvery = 10000

// Read reads Topics from the brokers to their current ends into c, keeping records since since (all when
// zero), and writes a progress line to progress every progressEvery records (nothing when nil).
func Read(ctx context.Context, cfg kafka.Config, since time.Time, c *Collector, progress io.Writer) error {
	read := 0
	start := time.Now()
	err := consume(ctx, cfg, func(r bridge.Record) error {
		read++
		if progress != nil && read%progressEvery == 0 {
			fmt.Fprintf(progress, "read %d records (%.0f/s) ...\n", read, float64(read)/time.Since(start).Seconds())
		}
		if !since.IsZero() && r.Timestamp.Before(since) {
			return nil
		}
		return c.Add(r)
	})
	if err != nil {
		return fmt.Errorf("read %v: %w", Topics, err)
	}
	return nil
}

// consume is the one place the analysis reads Kafka through the bridge.
func consume(ctx context.Context, cfg kafka.Config, fn func(bridge.Record) error) error {
	return kafka.Consume(ctx, cfg, Topics, false, fn)
}

// Publish writes the report's recommendation to analytics.data.
func Publish(ctx context.Context, cfg kafka.Config, r Report, now time.Time) error {
	ev, err := r.Recommendation(now)
	if err != nil {
		return err
	}
	p, err := kafka.NewProducer(cfg, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish the recommendation to %s: %w", bridge.TopicAnalyticsData, err)
	}
	return nil
}
