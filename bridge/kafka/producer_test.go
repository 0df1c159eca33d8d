package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/testenv/kafkatest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestPublishedEventsReadBackWithKeysHeadersAndValues(t *testing.T) {
	b := startBroker(t, "", 0)
	p := newProducer(t, b.Addr())

	dispatch, err := bridge.NewEvent("wf-1/send/1/dispatch", bridge.DispatchOf(taskForTest("t-1")))
	if err != nil {
		t.Fatal(err)
	}
	sent := []bridge.Event{dispatch, kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1)}
	kafkatest.Publish(t, p, sent...)

	got := byEventID(t, readAll(t, b.Addr(), bridge.TopicTaskDispatch, bridge.TopicTaskResult))
	if len(got) != len(sent) {
		t.Fatalf("read %d records, want %d", len(got), len(sent))
	}
	for _, ev := range sent {
		r, ok := got[ev.ID]
		if !ok {
			t.Errorf("event %s was not read back", ev.ID)
			continue
		}
		if r.Topic != ev.Topic || r.Key != ev.Key || !bytes.Equal(r.Value, ev.Value) {
			t.Errorf("read %s %s %s, want %s %s %s", r.Topic, r.Key, r.Value, ev.Topic, ev.Key, ev.Value)
		}
		if r.Timestamp.IsZero() {
			t.Errorf("record of %s has no timestamp", ev.ID)
		}
	}
}

func TestProducerIsIdempotentWithAcksFromAllReplicas(t *testing.T) {
	b := startBroker(t, "", 0)
	var (
		mu       sync.Mutex
		acks     []int16
		pids     []int64
		initPIDs int
	)
	b.cluster.ControlKey(int16(kmsg.InitProducerID), func(kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		initPIDs++
		mu.Unlock()
		return nil, nil, false // observe only
	})
	b.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		defer mu.Unlock()
		pr := req.(*kmsg.ProduceRequest)
		acks = append(acks, pr.Acks)
		for _, tp := range pr.Topics {
			for _, pp := range tp.Partitions {
				var batch kmsg.RecordBatch
				if err := batch.ReadFrom(pp.Records); err == nil {
					pids = append(pids, batch.ProducerID)
				}
			}
		}
		return nil, nil, false
	})

	kafkatest.Publish(t, newProducer(t, b.Addr()), kafkatest.ResultEvent(t, "t-1", 1))

	mu.Lock()
	defer mu.Unlock()
	if initPIDs == 0 {
		t.Error("the producer never asked for a producer ID, so it is not idempotent")
	}
	if len(acks) == 0 {
		t.Fatal("no produce request reached the broker")
	}
	for _, a := range acks {
		if a != -1 {
			t.Errorf("produce request with acks=%d, want -1 (all in-sync replicas)", a)
		}
	}
	for _, pid := range pids {
		if pid < 0 {
			t.Errorf("record batch with producer ID %d: not idempotent", pid)
		}
	}
}

func TestPublishKeepsOrderPerKeyAcrossPartitions(t *testing.T) {
	b := startBroker(t, "", 0)
	p := newProducer(t, b.Addr())
	keys := []string{"t-1", "t-2", "t-3", "t-4", "t-5"}
	var sent []bridge.Event
	for seq := 1; seq <= 20; seq++ {
		for _, k := range keys {
			sent = append(sent, kafkatest.ResultEvent(t, k, seq))
		}
	}
	// Concurrent publishes of different keys, each key's events in order.
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			for _, ev := range sent {
				if ev.Key == k {
					kafkatest.Publish(t, p, ev)
				}
			}
		})
	}
	wg.Wait()
	kafkatest.AssertOrderPerKey(t, readAll(t, b.Addr(), bridge.TopicTaskResult), sent)
}

func TestEnsureTopicsCreatesTheMissingOnesOnly(t *testing.T) {
	// A broker with one of the topics, made with one partition, and none of the others.
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, bridge.TopicTaskResult))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	p, err := NewProducer(Config{Brokers: []string{addr}, Partitions: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for round := 1; round <= 2; round++ { // the second round finds everything there
		if err := p.EnsureTopics(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		parts := kafkatest.TopicPartitions(t, addr)
		for _, name := range bridge.TopicNames() {
			want := 2
			if name == bridge.TopicTaskResult {
				want = 1
			}
			if got := parts[name]; got != want {
				t.Errorf("round %d: %s has %d partitions, want %d", round, name, got, want)
			}
		}
	}
}

func TestEnsureTopicsSaysWhatTheBrokerRefused(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := NewProducer(Config{Brokers: c.ListenAddrs(), ReplicationFactor: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = p.EnsureTopics(ctx)
	if err == nil {
		t.Fatal("replication factor 3 on one broker was accepted")
	}
	for _, want := range []string{"create Kafka topic", "replication factor 3", "INVALID_REPLICATION_FACTOR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestPublishReturnsPromptlyWhenTheBrokerIsDownAndDeliversOnceItIsUp(t *testing.T) {
	port := freePort(t)
	p := newProducer(t, fmt.Sprintf("127.0.0.1:%d", port))
	first := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1), kafkatest.ResultEvent(t, "t-1", 2)}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	start := time.Now()
	err := p.Publish(ctx, first...)
	cancel()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Publish took %v with a 1s deadline", took)
	}
	if err == nil {
		t.Fatal("Publish to a closed port succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not the deadline", err)
	}
	for _, want := range []string{bridge.TopicTaskResult, "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	// The broker comes up on that port; the caller retries the events, then goes on. The retry waits
	// for the records still buffered instead of producing them again.
	b := startBroker(t, "", port)
	second := []bridge.Event{kafkatest.ResultEvent(t, "t-2", 2), kafkatest.ResultEvent(t, "t-1", 3)}
	kafkatest.Publish(t, p, append(slices.Clone(first), second...)...)
	got := readAll(t, b.Addr(), bridge.TopicTaskResult)
	kafkatest.AssertOrderPerKey(t, got, append(first, second...))
	if len(got) != len(first)+len(second) {
		t.Errorf("read %d records, want %d: the retry produced duplicates", len(got), len(first)+len(second))
	}
}

func TestEventsOfAPublishThatGaveUpArriveAnyway(t *testing.T) {
	port := freePort(t)
	p := newProducer(t, fmt.Sprintf("127.0.0.1:%d", port))
	abandoned := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Publish(ctx, abandoned...); err == nil {
		t.Fatal("Publish to a closed port succeeded")
	}

	// Another Publish on the same keys, not a retry: it must not fail because the first gave up, and
	// the first one's records go out before it.
	b := startBroker(t, "", port)
	next := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 2), kafkatest.ResultEvent(t, "t-2", 2)}
	kafkatest.Publish(t, p, next...)
	got := readAll(t, b.Addr(), bridge.TopicTaskResult)
	kafkatest.AssertOrderPerKey(t, got, slices.Concat(abandoned, next))
	if len(got) != len(abandoned)+len(next) {
		t.Errorf("read %d records, want %d", len(got), len(abandoned)+len(next))
	}
}

func TestPublishSurvivesABrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir, 0)
	addr := b.Addr()
	p := newProducer(t, addr)

	before := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1)}
	kafkatest.Publish(t, p, before...)
	b.Close()

	during := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 2), kafkatest.ResultEvent(t, "t-2", 2)}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	err := p.Publish(ctx, during...)
	cancel()
	if err == nil {
		t.Fatal("Publish to a stopped broker succeeded")
	}

	startBroker(t, dir, kafkatest.Port(t, addr))
	after := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 3), kafkatest.ResultEvent(t, "t-2", 3)}
	kafkatest.Publish(t, p, append(slices.Clone(during), after...)...) // the retry, then the next step
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), slices.Concat(before, during, after))
}

func TestPublishChecksEvents(t *testing.T) {
	b := startBroker(t, "", 0)
	p := newProducer(t, b.Addr())
	ctx := context.Background()
	if err := p.Publish(ctx); err != nil {
		t.Errorf("publishing nothing: %v", err)
	}
	ev := kafkatest.ResultEvent(t, "t-1", 1)
	ev.ID = ""
	if err := p.Publish(ctx, ev); err == nil || !strings.Contains(err.Error(), "no ID") {
		t.Errorf("an event without ID: error %v, want one saying it has no ID", err)
	}
	ev = kafkatest.ResultEvent(t, "t-1", 1)
	ev.Topic = "no.such.topic"
	shortCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Publish(shortCtx, ev); err == nil || !strings.Contains(err.Error(), "no.such.topic") {
		t.Errorf("an event for a missing topic: error %v, want one naming the topic", err)
	}
}

func TestPing(t *testing.T) {
	b := startBroker(t, "", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := newProducer(t, b.Addr()).Ping(ctx); err != nil {
		t.Errorf("Ping of a running broker: %v", err)
	}
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	err := newProducer(t, dead).Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), dead) {
		t.Errorf("Ping of %s: error %v, want one naming the address", dead, err)
	}
}

func TestNewProducerChecksConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"NoBrokers", Config{}, "no Kafka brokers"},
		{"UnknownSASLMechanism", Config{Brokers: []string{"k:9092"}, SASLMechanism: "GSSAPI", SASLUser: "u"}, "GSSAPI"},
		{"SASLWithoutUser", Config{Brokers: []string{"k:9092"}, SASLMechanism: SASLPlain}, "no user"},
		{"CertificateWithoutKey", Config{Brokers: []string{"k:9092"}, TLSCertFile: "cert.pem"}, "key file"},
		{"MissingCAFile", Config{Brokers: []string{"k:9092"}, TLSCAFile: "/no/such/ca.pem"}, "/no/such/ca.pem"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewProducer(c.cfg, nil)
			if err == nil {
				p.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	for _, mech := range []string{SASLPlain, SASLScramSHA256, "scram-sha-512"} {
		p, err := NewProducer(Config{Brokers: []string{"k:9092"}, TLS: true, SASLMechanism: mech, SASLUser: "u", SASLPassword: "p"}, nil)
		if err != nil {
			t.Errorf("SASL %s: %v", mech, err)
			continue
		}
		p.Close()
	}
}

func TestConfigEnabled(t *testing.T) {
	if (Config{}).Enabled() {
		t.Error("a Config without brokers is enabled")
	}
	if !(Config{Brokers: []string{"k:9092"}}).Enabled() {
		t.Error("a Config with a broker is not enabled")
	}
}
