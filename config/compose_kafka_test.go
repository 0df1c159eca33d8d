package config_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
)

// TestComposeKafkaOnAKafkaProtocolBroker runs the compose file's Kafka security as far as it can run
// here, with no Docker engine: kfake (franz-go's Kafka-protocol broker) is configured like the compose
// broker (SASL/PLAIN with the accounts and passwords of its JAAS lines, ACLs on, nothing allowed where no
// ACL is, admin the only super user); the kafka-acls service's own script runs, each kafka-acls.sh
// call it makes turned into the same CreateAcls request, sent as admin; then the worker connects with
// exactly the worker service's KAFKA_* settings. What kfake cannot show: the apache/kafka image's reading
// of the KAFKA_* variables, the JAAS syntax (parsed here by a pattern), and StandardAuthorizer itself.
func TestComposeKafkaOnAKafkaProtocolBroker(t *testing.T) {
	f := composeConfig[kafkaCompose](t)
	broker, acls, worker := f.Services["kafka"], f.Services["kafka-acls"], f.Services["worker"]

	// The broker's accounts, as its JAAS lines give them.
	if got := broker.Environment["KAFKA_SASL_ENABLED_MECHANISMS"]; got != "PLAIN" {
		t.Fatalf("the compose broker's SASL mechanisms are %q; this test configures kfake for PLAIN", got)
	}
	accounts := map[string]string{}
	for _, m := range regexp.MustCompile(`user_([A-Za-z0-9_-]+)="([^"]*)"`).FindAllStringSubmatch(broker.Environment["KAFKA_LISTENER_NAME_EXTERNAL_PLAIN_SASL_JAAS_CONFIG"], -1) {
		accounts[m[1]] = m[2]
	}
	if broker.Environment["KAFKA_SUPER_USERS"] != "User:admin" || accounts["admin"] == "" {
		t.Fatalf("the compose broker's super users are %q and its accounts %v; want admin alone", broker.Environment["KAFKA_SUPER_USERS"], slices.Collect(maps.Keys(accounts)))
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser("PLAIN", "admin", accounts["admin"])}
	for user, password := range accounts {
		if user != "admin" {
			opts = append(opts, kfake.User("PLAIN", user, password))
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	addr := cluster.ListenAddrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The kafka-acls service's script, with kafka-acls.sh replaced by a recorder of its arguments.
	grants := runACLScript(t, acls.Command, acls.Environment)
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: "admin", Pass: accounts["admin"]}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, g := range grants {
		res, err := kadm.NewClient(admin).CreateACLs(ctx, g.builder(t))
		if err != nil {
			t.Fatalf("create ACLs %v: %v", g.args, err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("create ACL %v: %v %s", g.args, r.Err, r.ErrMessage)
			}
		}
	}
	t.Logf("%d kafka-acls.sh calls of the compose script applied", len(grants))

	// A client of each account, configured as the compose file configures the worker.
	workerCfg := loadKafka(t, worker.Environment, addr)
	as := func(user string) kafka.Config {
		c := workerCfg
		c.SASLUser, c.SASLPassword = user, accounts[user]
		return c
	}
	read := func(c kafka.Config, topic string) ([]bridge.Record, error) {
		var got []bridge.Record
		err := kafka.Consume(ctx, c, []string{topic}, false, func(r bridge.Record) error { got = append(got, r); return nil })
		return got, err
	}

	t.Run("TheWorkerCreatesTheTopicsAndWrites", func(t *testing.T) {
		p, err := kafka.NewProducer(workerCfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.EnsureTopics(ctx); err != nil {
			t.Fatalf("the worker, as the compose file configures it, cannot create its topics: %v", err)
		}
		for i, v := range []bridge.Value{
			bridge.SecurityEvent{EventID: "compose-1", EventType: "program_started", Description: "sealed", Severity: "LOW"},
			bridge.WorkerHeartbeat{WorkerID: "w-1", Status: "online"},
		} {
			ev, err := bridge.NewEvent(fmt.Sprintf("compose-%d", i+1), v)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Publish(ctx, ev); err != nil {
				t.Fatalf("the worker cannot write %s: %v", v.Topic(), err)
			}
		}
	})
	t.Run("TheOperatorAndTheAuditorRead", func(t *testing.T) {
		for _, user := range []string{"eaapl-operator", "security-auditor"} {
			got, err := read(as(user), bridge.TopicSecurityEvents)
			if err != nil || len(got) != 1 {
				t.Errorf("%s reads security.events: %d records, %v; want the one", user, len(got), err)
			}
		}
	})
	t.Run("DashboardsReadOnlyTheOtherTopics", func(t *testing.T) {
		if got, err := read(as("dashboards"), bridge.TopicWorkerHeartbeat); err != nil || len(got) != 1 {
			t.Errorf("dashboards read worker.heartbeat: %d records, %v; want the one", len(got), err)
		}
		_, err := read(as("dashboards"), bridge.TopicSecurityEvents)
		if err == nil || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
			t.Errorf("dashboards read security.events: %v, want TOPIC_AUTHORIZATION_FAILED", err)
		}
		t.Logf("dashboards on security.events: %v", err)
	})
	t.Run("TheWorkerReadsNothing", func(t *testing.T) {
		_, err := read(workerCfg, bridge.TopicSecurityEvents)
		if err == nil || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
			t.Errorf("the worker reads security.events: %v, want TOPIC_AUTHORIZATION_FAILED", err)
		}
	})
	t.Run("AWrongPasswordIsRefused", func(t *testing.T) {
		bad := workerCfg
		bad.SASLPassword = "guess"
		p, err := kafka.NewProducer(bad, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		defer pcancel()
		err = p.Ping(pctx)
		// Kafka answers SASL_AUTHENTICATION_FAILED; kfake closes the connection, and the bridge says what to check.
		if err == nil || !strings.Contains(err.Error(), `login of "eaapl-worker", check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD`) {
			t.Fatalf("a wrong password: %v, want refused, naming the user and what to check", err)
		}
		t.Logf("refused: %v", err)
	})
	t.Run("NoAccountIsRefused", func(t *testing.T) {
		bad := workerCfg
		bad.SASLUser, bad.SASLPassword = "mallory", "mallory"
		if _, err := read(bad, bridge.TopicWorkerHeartbeat); err == nil {
			t.Fatal("a user with no account read worker.heartbeat")
		}
	})
}

// loadKafka is the bridge's configuration from a service's environment, with the brokers at addr.
func loadKafka(t *testing.T, env map[string]string, addr string) kafka.Config {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("KAFKA_BROKERS", addr)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Kafka.Bridge()
	if k.SASLMechanism == "" || k.SASLUser == "" {
		t.Fatalf("the service logs in to Kafka with no SASL: %+v", env)
	}
	return k
}

// grant is one `kafka-acls.sh --add` call of the compose script.
type grant struct{ args []string }

// builder is the CreateAcls request the call makes.
func (g grant) builder(t *testing.T) *kadm.ACLBuilder {
	t.Helper()
	b := kadm.NewACLs().AllowHosts()
	var principals []string
	var ops []kadm.ACLOperation
	for i := 0; i < len(g.args); i++ {
		next := func() string {
			i++
			if i >= len(g.args) {
				t.Fatalf("kafka-acls.sh %v: %s has no value", g.args, g.args[i-1])
			}
			return g.args[i]
		}
		switch a := g.args[i]; a {
		case "--bootstrap-server", "--command-config":
			next()
		case "--add":
		case "--allow-principal":
			principals = append(principals, next())
		case "--operation":
			op, err := kmsg.ParseACLOperation(next())
			if err != nil {
				t.Fatalf("kafka-acls.sh %v: %v", g.args, err)
			}
			ops = append(ops, op)
		case "--topic":
			b.Topics(next())
		case "--group":
			b.Groups(next())
		case "--cluster":
			b.Clusters()
		case "--resource-pattern-type":
			if v := next(); v != "prefixed" {
				t.Fatalf("kafka-acls.sh %v: pattern %s is not handled here", g.args, v)
			}
			b.ResourcePatternType(kadm.ACLPatternPrefixed)
		default:
			t.Fatalf("kafka-acls.sh %v: %s is not handled here; teach the test", g.args, a)
		}
	}
	return b.Allow(principals...).Operations(ops...)
}

// runACLScript runs the kafka-acls service's command with its environment, kafka-acls.sh recording its
// arguments instead of calling a broker, and returns the --add calls.
func runACLScript(t *testing.T, command []string, env map[string]string) []grant {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	shim := filepath.Join(dir, "kafka-acls.sh")
	if err := os.WriteFile(shim, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" >>\""+log+"\"\necho --- >>\""+log+"\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	script := strings.Join(command, "\n")
	script = strings.ReplaceAll(script, "$$", "$") // compose's escape of a literal $
	script = strings.ReplaceAll(script, "/opt/kafka/bin/kafka-acls.sh", shim)
	script = strings.ReplaceAll(script, "/tmp/admin.properties", filepath.Join(dir, "admin.properties"))
	cmd := exec.Command("/bin/sh", "-ec", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the kafka-acls script fails: %v\n%s", err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var grants []grant
	for _, call := range strings.Split(strings.TrimSuffix(string(b), "---\n"), "---\n") {
		args := strings.Split(strings.TrimSuffix(call, "\n"), "\n")
		if slices.Contains(args, "--add") {
			grants = append(grants, grant{args: args})
		}
	}
	if len(grants) == 0 {
		t.Fatal("the kafka-acls script grants nothing")
	}
	return grants
}
