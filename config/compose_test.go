package config_test

import (
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv/tools"
)

// temporalVariables are the TEMPORAL_* variables the Temporal SDK's environment configuration reads
// (go.temporal.io/sdk/contrib/envconfig, ClientConfigProfile.ApplyEnvVars), through which EaaPL creates its
// Temporal client. TEMPORAL_GRPC_META_<NAME> variables add gRPC headers.
var temporalVariables = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_CLIENT_AUTHORITY",
	"TEMPORAL_TLS", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_CERT_DATA",
	"TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_CLIENT_KEY_DATA",
	"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
	"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
	"TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE",
}

// readVariables returns every variable config.Load reads: the envconfig tags of Config and Kafka.
func readVariables() map[string]bool {
	out := map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[config.Config](), reflect.TypeFor[config.Kafka]()} {
		for i := range t.NumField() {
			if name := t.Field(i).Tag.Get("envconfig"); name != "" {
				out[name] = true
			}
		}
	}
	return out
}

// composeFile is docker-compose.temporal.yml as `docker-compose config` prints it: checked, with the
// environment of every service as a map.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"` // source:target[:mode]
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// composeConfig is docker-compose.temporal.yml as Debian's docker-compose (`make cluster-tools` installs
// it) checks and prints it with `docker-compose config`, read into a T.
func composeConfig[T any](t *testing.T) T {
	t.Helper()
	compose := tools.Path(t, "docker-compose")
	cmd := exec.Command(compose, "-f", filepath.Join("..", "docker-compose.temporal.yml"), "config")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config rejects docker-compose.temporal.yml: %v\n%s", err, stderr.String())
	}
	var f T
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatalf("read docker-compose config's output: %v", err)
	}
	return f
}

// TestComposeFile checks docker-compose.temporal.yml with Debian's docker-compose (`make cluster-tools`
// installs it), then checks that the EaaPL workers are configured only with variables that EaaPL really
// reads, and with values config.Load accepts: a misspelt variable would otherwise be ignored in silence.
func TestComposeFile(t *testing.T) {
	f := composeConfig[composeFile](t)

	read := readVariables()
	var workers int
	for name, svc := range f.Services {
		if svc.Build == nil { // the services built from the Dockerfile are EaaPL's
			continue
		}
		workers++
		if len(svc.Environment) == 0 {
			t.Errorf("service %s sets no variables; an EaaPL worker needs at least TEMPORAL_ADDRESS", name)
		}
		clearEnv(t)
		for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
			known := read[k] || slices.Contains(temporalVariables, k) || strings.HasPrefix(k, "TEMPORAL_GRPC_META_") ||
				strings.HasPrefix(k, "OTEL_") // read by the OpenTelemetry SDK (observe.TracingFromEnv)
			if !known {
				t.Errorf("service %s sets %s, which neither EaaPL nor the Temporal SDK reads", name, k)
			}
			t.Setenv(k, svc.Environment[k])
		}
		if _, err := config.Load(); err != nil {
			t.Errorf("service %s: the configuration it sets is rejected: %v", name, err)
		}
		if svc.Environment["TEMPORAL_ADDRESS"] == "" {
			t.Errorf("service %s does not set TEMPORAL_ADDRESS: its workers would dial 127.0.0.1, themselves", name)
		}
		// Its replicas share one content store: a contacts list past 1,000 that one stores, the others
		// read (docs/scale.md). A named volume at EAAPL_DATA_DIR is one for all of them.
		dataDir, shared := svc.Environment["EAAPL_DATA_DIR"], false
		for _, v := range svc.Volumes {
			parts := strings.Split(v, ":")
			_, named := f.Volumes[parts[0]]
			shared = shared || (len(parts) >= 2 && named && parts[1] == dataDir && !slices.Contains(parts[2:], "ro"))
		}
		if dataDir == "" || !shared {
			t.Errorf("service %s: EAAPL_DATA_DIR %q is not a named volume it mounts writable (volumes %v): its replicas would not share one content store", name, dataDir, svc.Volumes)
		}
	}
	if workers == 0 {
		t.Fatal("no service in docker-compose.temporal.yml is built from the Dockerfile; where are the workers?")
	}
}

// kafkaCompose is the part of `docker-compose config`'s output that the Kafka checks read.
type kafkaCompose struct {
	Services map[string]struct {
		Environment map[string]string `yaml:"environment"`
		Command     []string          `yaml:"command"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
}

// TestComposeKafkaRestrictsItsTopics checks the compose file's Kafka: every listener asks for SASL, the
// broker allows only what ACLs grant, the workers log in as an account the broker has, with its
// password, and wait for the ACLs; the ACL service names every topic, the sensitive ones being exactly
// those whose values the bridge seals, and grants the worker writes to all of them and reads of the
// sensitive ones to named consumers only. The broker itself cannot run here (no Docker engine).
func TestComposeKafkaRestrictsItsTopics(t *testing.T) {
	f := composeConfig[kafkaCompose](t)
	kafka, acls, worker := f.Services["kafka"], f.Services["kafka-acls"], f.Services["worker"]

	env := kafka.Environment
	for _, listener := range strings.Split(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], ",") {
		if name, proto, _ := strings.Cut(listener, ":"); proto != "SASL_PLAINTEXT" && proto != "SASL_SSL" {
			t.Errorf("Kafka listener %s is %s: anyone reaching it is in without a password", name, proto)
		}
	}
	if env["KAFKA_AUTHORIZER_CLASS_NAME"] == "" || env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] != "false" {
		t.Errorf("Kafka has no authorizer, or allows everyone where no ACL is: %q, %q", env["KAFKA_AUTHORIZER_CLASS_NAME"], env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"])
	}
	user, password := worker.Environment["KAFKA_SASL_USERNAME"], worker.Environment["KAFKA_SASL_PASSWORD"]
	if worker.Environment["KAFKA_SASL_MECHANISM"] != "PLAIN" || user == "" || password == "" {
		t.Fatalf("the worker does not log in to Kafka with SASL/PLAIN: %v", worker.Environment)
	}
	for _, l := range []string{"INTERNAL", "CONTROLLER", "EXTERNAL"} {
		jaas := env["KAFKA_LISTENER_NAME_"+l+"_PLAIN_SASL_JAAS_CONFIG"]
		if want := fmt.Sprintf("user_%s=%q", user, password); !strings.Contains(jaas, want) {
			t.Errorf("listener %s has no account %s with the worker's password (want %s in %q)", l, user, want, jaas)
		}
	}
	if _, ok := worker.DependsOn["kafka-acls"]; !ok {
		t.Errorf("the workers do not wait for the ACLs: depends_on %v", worker.DependsOn)
	}

	sensitive := strings.Fields(acls.Environment["SENSITIVE_TOPICS"])
	all := append(slices.Clone(sensitive), strings.Fields(acls.Environment["OTHER_TOPICS"])...)
	if got, want := slices.Sorted(slices.Values(all)), slices.Sorted(slices.Values(bridge.TopicNames())); !slices.Equal(got, want) {
		t.Errorf("the ACLs cover the topics %v, want the bridge's %v", got, want)
	}
	var sealed []string
	for _, topic := range bridge.TopicNames() {
		if bridge.SealedFields(topic) != nil {
			sealed = append(sealed, topic)
		}
	}
	if got, want := slices.Sorted(slices.Values(sensitive)), slices.Sorted(slices.Values(sealed)); !slices.Equal(got, want) {
		t.Errorf("SENSITIVE_TOPICS %v, want the topics whose values the bridge seals %v", got, want)
	}
	script := strings.Join(acls.Command, "\n")
	for _, want := range []string{
		`for t in $$SENSITIVE_TOPICS $$OTHER_TOPICS; do
  acl --allow-principal User:` + user + ` --operation Create --operation Write`,
		`for t in $$OTHER_TOPICS; do
  acl --allow-principal User:dashboards --operation Read`,
		`acl --allow-principal User:security-auditor --operation Read --operation Describe --topic security.events`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the ACL script lacks %q:\n%s", want, script)
		}
	}
	if n := strings.Count(script, "--operation Read"); n != 4 { // operator (all), dashboards (others), auditor, groups
		t.Errorf("the ACL script grants Read %d times, want 4 (a new grant must be checked here):\n%s", n, script)
	}
	// The worker writes every topic; the operator only the recommendation of `eaapl stats`.
	if n := strings.Count(script, "--operation Write"); n != 2 || !strings.Contains(script, "User:eaapl-operator --operation Write --operation Describe --topic analytics.data") {
		t.Errorf("the ACL script grants Write %d times, want 2 (the worker's, and the operator's on analytics.data):\n%s", n, script)
	}
}
