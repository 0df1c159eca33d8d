package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
)

// DefaultBrokerPort is the port of the dev stack's broker, Kafka's usual one, so that kcat and other
// tools find it without flags.
const DefaultBrokerPort = 9092

// Broker is the dev stack's Kafka-protocol broker: one in-process kfake node on 127.0.0.1 with all the
// topics of Topics. It is for development and tests, not production: one node, no replication.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	unlock  func()
	once    sync.Once
}

// StartBroker starts a broker on 127.0.0.1:port (0 picks a free port). With a dataDir, records and
// topics are written under it and read back on the next start, so they survive a restart; with none
// they live in memory. Every topic of Topics exists once it returns, with DefaultPartitions partitions,
// even on a data directory from an older version.
func StartBroker(dataDir string, port int) (*Broker, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("start Kafka broker: port %d is out of range", port)
	}
	opts := []kfake.Opt{
		kfake.Ports(port), // one port, so one node
		kfake.ClusterID("eaapl-dev"),
		kfake.SeedTopics(kafka.DefaultPartitions, bridge.TopicNames()...),
	}
	unlock := func() {}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("start Kafka broker: %w", err)
		}
		// kfake does not guard its directory; two brokers writing one would corrupt it.
		var err error
		if unlock, err = lockDir(dataDir); err != nil {
			return nil, fmt.Errorf("start Kafka broker: %w", err)
		}
		opts = append(opts, kfake.DataDir(dataDir))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		unlock()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("start Kafka broker: 127.0.0.1:%d is already in use (another eaapl dev or a Kafka?): %w", port, err)
		}
		return nil, fmt.Errorf("start Kafka broker on 127.0.0.1:%d: %w", port, err)
	}
	b := &Broker{cluster: cluster, addr: cluster.ListenAddrs()[0], unlock: unlock}

	// kfake seeds topics only into a fresh data directory; one written before a topic was added has
	// to be given it.
	if dataDir != "" {
		if err := b.ensureTopics(); err != nil {
			b.Close()
			return nil, fmt.Errorf("start Kafka broker on %s: %w", b.addr, err)
		}
	}
	return b, nil
}

func (b *Broker) ensureTopics() error {
	p, err := kafka.NewProducer(kafka.Config{Brokers: []string{b.addr}, Partitions: kafka.DefaultPartitions, ReplicationFactor: 1}, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.EnsureTopics(ctx)
}

// Addr is the broker's host:port, for kafka.Config.Brokers.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and, with a data directory, writes its state there. Calling it again does
// nothing.
func (b *Broker) Close() {
	b.once.Do(func() {
		b.cluster.Close()
		b.unlock()
	})
}
