package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
)

// TestSecureBroker connects the bridge, configured through the KAFKA_* variables a real deployment sets, to
// a broker that requires both a client certificate (mutual TLS) and a SCRAM-SHA-512 login, as managed Kafka
// services do, and checks that an event goes through, and that a wrong password or a missing certificate
// is refused.
func TestSecureBroker(t *testing.T) {
	certs := testenv.WriteCerts(t, t.TempDir())
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(certs.ServerTLS(t)),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "eaapl", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)

	for k, v := range map[string]string{
		"KAFKA_BROKERS":        cluster.ListenAddrs()[0],
		"KAFKA_TLS":            "true",
		"KAFKA_TLS_CA_FILE":    certs.CA,
		"KAFKA_TLS_CERT_FILE":  certs.ClientCert,
		"KAFKA_TLS_KEY_FILE":   certs.ClientKey,
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
		"KAFKA_SASL_USERNAME":  "eaapl",
		"KAFKA_SASL_PASSWORD":  "s3cret",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	good := cfg.Kafka.Bridge()

	t.Run("AnEventGoesThrough", func(t *testing.T) {
		p, err := kafka.NewProducer(good, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.EnsureTopics(ctx); err != nil {
			t.Fatalf("create the topics: %v", err)
		}
		ev, err := bridge.NewEvent("secure-1", bridge.TaskResult{TaskID: "t-1", WorkerID: "w-1", Status: "success"})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Publish(ctx, ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
		var got []bridge.Record
		if err := kafka.Consume(ctx, good, []string{bridge.TopicTaskResult}, false, func(r bridge.Record) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatalf("consume: %v", err)
		}
		if len(got) != 1 || got[0].EventID != "secure-1" {
			t.Fatalf("task.result holds %+v, want the one event secure-1", got)
		}
	})

	for _, tc := range []struct {
		name string
		edit func(*kafka.Config)
	}{
		{"AWrongPasswordIsRefused", func(c *kafka.Config) { c.SASLPassword = "guess" }},
		{"NoClientCertificateIsRefused", func(c *kafka.Config) { c.TLSCertFile, c.TLSKeyFile = "", "" }},
		{"AnUntrustedServerIsRefused", func(c *kafka.Config) { c.TLSCAFile = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := good
			tc.edit(&bad)
			p, err := kafka.NewProducer(bad, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = p.Ping(ctx)
			if err == nil {
				t.Fatal("the broker accepted the connection")
			}
			t.Logf("refused: %v", err)
		})
	}
}
