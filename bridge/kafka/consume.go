package kafka

import (
	"context"
	"errors"
	"fmt"
	"github.com/eaapl/eaapl/bridge"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Consume reads topics (all of Topics when none are given) from the start of each and calls fn for every
// record, in order within a partition. Without follow it stops once it has read every record that
// existed when it started; with follow it goes on until ctx ends, and then returns nil. An error from fn
// stops it and is returned as is. A topic that does not exist is an error.
//
// It reads without a consumer group, so it commits nothing and does not disturb other consumers.
func Consume(ctx context.Context, cfg Config, topics []string, follow bool, fn func(bridge.Record) error) error {
	if len(topics) == 0 {
		topics = bridge.TopicNames()
	}
	opts, err := cfg.clientOpts(nil)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	remaining, err := unreadOffsets(ctx, opts, topics)
	if err != nil {
		return fmt.Errorf("read events from %s: %w", cfg.brokerList(), err)
	}
	if !follow && len(remaining) == 0 {
		return nil
	}

	// Control records (transaction markers) are kept so that the offsets seen reach the end offsets
	// listed at the start; they are not handed to fn.
	opts = append(opts, kgo.KeepControlRecords())
	if follow {
		opts = append(opts, kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	} else {
		parts := make(map[string]map[int32]kgo.Offset, len(remaining))
		for t, ps := range remaining {
			parts[t] = make(map[int32]kgo.Offset, len(ps))
			for p := range ps {
				parts[t][p] = kgo.NewOffset().AtStart()
			}
		}
		opts = append(opts, kgo.ConsumePartitions(parts))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("read events from %s: %w", cfg.brokerList(), err)
	}
	defer cl.Close()

	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			if follow {
				return nil
			}
			return fmt.Errorf("read events from %s: %w", cfg.brokerList(), ctx.Err())
		}
		var fetchErr error
		fetches.EachError(func(t string, p int32, err error) {
			var lost *kgo.ErrDataLoss // offsets reset past deleted records: nothing to do about it here
			if fetchErr == nil && !errors.As(err, &lost) {
				fetchErr = fmt.Errorf("read %s partition %d from %s: %w", t, p, cfg.brokerList(), err)
			}
		})
		if fetchErr != nil {
			return fetchErr
		}
		for it := fetches.RecordIter(); !it.Done(); {
			r := it.Next()
			var end int64
			if !follow {
				var ok bool
				if end, ok = remaining[r.Topic][r.Partition]; !ok || r.Offset >= end {
					continue // the partition is read to its end; this record came later
				}
			}
			if !r.Attrs.IsControl() {
				if err := fn(recordOf(r)); err != nil {
					return err
				}
			}
			if !follow && r.Offset+1 >= end {
				delete(remaining[r.Topic], r.Partition)
				if len(remaining[r.Topic]) == 0 {
					delete(remaining, r.Topic)
				}
				cl.PauseFetchPartitions(map[string][]int32{r.Topic: {r.Partition}})
				if len(remaining) == 0 {
					return nil
				}
			}
		}
	}
}

// unreadOffsets lists, for every partition of topics that has records, the offset after its last one.
func unreadOffsets(ctx context.Context, opts []kgo.Opt, topics []string) (map[string]map[int32]int64, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	remaining := make(map[string]map[int32]int64)
	for _, t := range topics {
		if len(ends[t]) == 0 {
			return nil, fmt.Errorf("topic %s does not exist", t)
		}
		for p, end := range ends[t] {
			if errors.Is(end.Err, kerr.UnknownTopicOrPartition) {
				return nil, fmt.Errorf("topic %s does not exist", t)
			}
			if end.Err != nil {
				return nil, fmt.Errorf("end offset of %s partition %d: %w", t, p, end.Err)
			}
			start, ok := starts.Lookup(t, p)
			if ok && start.Err != nil {
				return nil, fmt.Errorf("start offset of %s partition %d: %w", t, p, start.Err)
			}
			if ok && start.Offset >= end.Offset || end.Offset <= 0 {
				continue // nothing in it
			}
			if remaining[t] == nil {
				remaining[t] = make(map[int32]int64)
			}
			remaining[t][p] = end.Offset
		}
	}
	return remaining, nil
}

func recordOf(r *kgo.Record) bridge.Record {
	rec := bridge.Record{
		Topic:     r.Topic,
		Key:       string(r.Key),
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp.UTC(),
		Value:     bridge.RecordValue(r.Value),
	}
	for _, h := range r.Headers {
		if h.Key == bridge.HeaderEventID {
			rec.EventID = string(h.Value)
		}
	}
	return rec
}
