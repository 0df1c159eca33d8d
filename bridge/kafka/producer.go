package kafka

import (
	"context"
	"errors"
	"fmt"
	"github.com/eaapl/eaapl/bridge"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// closeFlushTimeout bounds how long Close waits for the records that a Publish gave up on.
const closeFlushTimeout = 5 * time.Second

// Producer publishes events to Kafka. Make one per process and share it: it is safe for concurrent use.
// It produces idempotently with acks from all in-sync replicas, and keys every record by its event's key,
// so the records of one key stay in one partition, in the order they were published.
type Producer struct {
	cfg    Config
	client *kgo.Client
	conn   *connHook
	logger *slog.Logger

	mu       sync.Mutex
	inFlight map[string]*delivery // by event ID: records produced and not yet answered
}

// NewProducer makes the producer for cfg. It does not connect: the first Publish, EnsureTopics or Ping
// does. The logger receives the Kafka client's warnings and errors (and its connection chatter at debug
// level); it should not itself publish to logs.debug through this producer, or each log line would make
// more. A nil logger discards them.
func NewProducer(cfg Config, logger *slog.Logger) (*Producer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "kafka")
	opts, err := cfg.clientOpts(logger)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	hook := &connHook{}
	opts = append(opts,
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// Linger a little so that the records of many small Publish calls (a batch publishes each item's
		// events as it goes, a hundred batches at once) share a produce request: measured at 10,000
		// emails (make bench), 10ms instead of 0 cut the broker's CPU by two thirds and the worker's by
		// a tenth, for 10ms more on each Publish.
		kgo.ProducerLinger(10*time.Millisecond),
		kgo.WithHooks(hook),
		// After a broker outage kgo waits this long between metadata refreshes (5s by default), which
		// is most of the delay before records flow again.
		kgo.MetadataMinAge(time.Second),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer for %s: %w", cfg.brokerList(), err)
	}
	return &Producer{cfg: cfg, client: cl, conn: hook, logger: logger, inFlight: make(map[string]*delivery)}, nil
}

// Publish produces the events and waits until the brokers acknowledge all of them. Each record is keyed
// by the event's Key and carries its ID in the HeaderEventID header. A topic that was deleted and made
// again is produced to anew.
//
// When ctx ends first, Publish returns at once with ctx's error and the last broker error, and the
// records stay in the producer's buffer, to go out when a broker answers again (or to be dropped by
// Close). A retry of the same events, under the same IDs, while they are still buffered waits for them
// rather than producing them twice. When the buffer is full (MaxBufferedRecords, 10,000), Publish fails
// at once. Records can still arrive twice, from another process's retry: consumers drop the duplicates
// by event ID.
func (p *Producer) Publish(ctx context.Context, events ...bridge.Event) error {
	for _, e := range events {
		switch {
		case e.Topic == "":
			return fmt.Errorf("publish event %q: it has no topic", e.ID)
		case e.ID == "":
			return fmt.Errorf("publish to %s: an event with key %q has no ID", e.Topic, e.Key)
		}
	}
	todo := make([]int, len(events))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 1; len(todo) > 0; attempt++ {
		deliveries := make([]*delivery, len(todo))
		for j, i := range todo {
			deliveries[j] = p.deliver(events[i])
		}
		errs := make(map[int]error)
		for j, d := range deliveries {
			select {
			case <-d.done:
				if d.err != nil {
					errs[todo[j]] = d.err
				}
			case <-ctx.Done():
				for _, i := range todo[j:] {
					errs[i] = ctx.Err()
				}
				return p.publishError(events, sortedIndexes(errs), ctx.Err())
			}
		}
		failed := sortedIndexes(errs)
		if len(failed) == 0 {
			return nil
		}
		// A topic deleted and made again has a new ID, and kgo refuses to produce to it until it is
		// forgotten. Forget it and try once more: the records failed without being written.
		var recreated []string
		allRecreated := true
		for _, i := range failed {
			if !errors.Is(errs[i], kerr.UnknownTopicID) {
				allRecreated = false
			} else if !slices.Contains(recreated, events[i].Topic) {
				recreated = append(recreated, events[i].Topic)
			}
		}
		if len(recreated) > 0 {
			p.logger.Warn("kafka topics were recreated; producing to the new ones", "topics", recreated)
			p.client.PurgeTopicsFromProducing(recreated...)
		}
		if !allRecreated || attempt > 1 {
			return p.publishError(events, failed, errs[failed[0]])
		}
		todo = failed
	}
	return nil
}

// delivery is the fate of one produced record: done is closed once the brokers acknowledged it (err nil)
// or it failed.
type delivery struct {
	done chan struct{}
	err  error
}

// deliver produces e unless a record with its ID is still on its way, and returns that record's
// delivery. Records are produced with a context that never ends: kgo fails every buffered record of a
// partition when the context of the first one ends, so one Publish giving up would fail the records of
// others.
func (p *Producer) deliver(e bridge.Event) *delivery {
	p.mu.Lock()
	if d, ok := p.inFlight[e.ID]; ok {
		p.mu.Unlock()
		return d
	}
	d := &delivery{done: make(chan struct{})}
	p.inFlight[e.ID] = d
	p.mu.Unlock() // kgo may call the promise before TryProduce returns

	r := &kgo.Record{
		Topic:   e.Topic,
		Key:     []byte(e.Key),
		Value:   e.Value,
		Headers: []kgo.RecordHeader{{Key: bridge.HeaderEventID, Value: []byte(e.ID)}},
	}
	p.client.TryProduce(context.Background(), r, func(_ *kgo.Record, err error) {
		p.mu.Lock()
		if p.inFlight[e.ID] == d {
			delete(p.inFlight, e.ID)
		}
		p.mu.Unlock()
		d.err = err
		close(d.done)
	})
	return d
}

func sortedIndexes(errs map[int]error) []int {
	out := make([]int, 0, len(errs))
	for i := range errs {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// publishError is one sentence naming the topics of the events that were not published and why.
func (p *Producer) publishError(events []bridge.Event, failed []int, err error) error {
	var topics []string
	for _, i := range failed {
		if !slices.Contains(topics, events[i].Topic) {
			topics = append(topics, events[i].Topic)
		}
	}
	what := fmt.Sprintf("publish %d of %d events to %s on %s", len(failed), len(events), strings.Join(topics, ", "), p.cfg.brokerList())
	brokerTrouble := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrMaxBuffered)
	if last := p.conn.lastError(); last != nil && brokerTrouble {
		return fmt.Errorf("%s: %w (last broker error: %v)", what, err, last)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// EnsureTopics creates every topic in Topics that does not exist yet, with the configured partitions
// and replication factor. Topics that exist are left as they are.
func (p *Producer) EnsureTopics(ctx context.Context) error {
	return ensureTopics(ctx, kadm.NewClient(p.client), bridge.TopicNames(), p.cfg.partitions(), p.cfg.replicationFactor())
}

func ensureTopics(ctx context.Context, adm *kadm.Client, names []string, partitions int32, replication int16) error {
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("list Kafka topics: %w", err)
	}
	var missing []string
	for _, name := range names {
		d, ok := details[name]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, name)
		case d.Err != nil:
			return fmt.Errorf("look up Kafka topic %s: %w", name, d.Err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	created, err := adm.CreateTopics(ctx, partitions, replication, nil, missing...)
	if err != nil {
		return fmt.Errorf("create Kafka topics %s: %w", strings.Join(missing, ", "), err)
	}
	for _, name := range missing {
		r, ok := created[name]
		switch {
		case !ok:
			return fmt.Errorf("create Kafka topic %s: the broker did not answer for it", name)
		case r.Err == nil, errors.Is(r.Err, kerr.TopicAlreadyExists): // another process was first
		case r.ErrMessage != "":
			return fmt.Errorf("create Kafka topic %s (%d partitions, replication factor %d): %w: %s", name, partitions, replication, r.Err, r.ErrMessage)
		default:
			return fmt.Errorf("create Kafka topic %s (%d partitions, replication factor %d): %w", name, partitions, replication, r.Err)
		}
	}
	return nil
}

// Ping reports whether a broker answers.
func (p *Producer) Ping(ctx context.Context) error {
	if err := p.client.Ping(ctx); err != nil {
		return fmt.Errorf("reach Kafka at %s: %w%s", p.cfg.brokerList(), err, p.cfg.loginHint(err))
	}
	return nil
}

// Close waits a few seconds for the records still buffered, then drops them and closes the
// connections.
func (p *Producer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), closeFlushTimeout)
	defer cancel()
	_ = p.client.Flush(ctx) // what does not make it is lost, as Publish's caller was told
	p.client.Close()
}

// connHook remembers the last failed connection to a broker, so that an error from a canceled Publish
// can say why the brokers did not answer rather than only that time ran out.
type connHook struct{ last atomic.Pointer[error] }

func (h *connHook) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.last.Store(&err)
	} else {
		h.last.Store(nil)
	}
}

func (h *connHook) lastError() error {
	if e := h.last.Load(); e != nil {
		return *e
	}
	return nil
}
