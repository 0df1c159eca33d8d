package config_test

import (
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

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
	} `yaml:"services"`
}

// TestComposeFile checks docker-compose.temporal.yml with Debian's docker-compose (`make cluster-tools`
// installs it), then checks that the EaaPL workers are configured only with variables that EaaPL really
// reads, and with values config.Load accepts: a misspelt variable would otherwise be ignored in silence.
func TestComposeFile(t *testing.T) {
	compose := tools.Path(t, "docker-compose")
	cmd := exec.Command(compose, "-f", filepath.Join("..", "docker-compose.temporal.yml"), "config")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config rejects docker-compose.temporal.yml: %v\n%s", err, stderr.String())
	}
	var f composeFile
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatalf("read docker-compose config's output: %v", err)
	}

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
	}
	if workers == 0 {
		t.Fatal("no service in docker-compose.temporal.yml is built from the Dockerfile; where are the workers?")
	}
}
