package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestAlertRules checks deploy/prometheus-rules.yml with Prometheus's own promtool (Debian's, from
// `make obs-tools`): the rules are valid, their unit tests (deploy/prometheus-rules.test.yml: a question
// asked on one worker and answered on another, dropped Kafka records, task errors) pass, and every metric
// they name is one a real worker exports.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: `make obs-tools` installs it with prometheus from Debian")
	}
	deploy := filepath.Join("..", "deploy")
	for _, args := range [][]string{{"check", "rules", "prometheus-rules.yml"}, {"test", "rules", "prometheus-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = deploy
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	raw, err := os.ReadFile(filepath.Join(deploy, "prometheus-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Record string `json:"record"`
				Alert  string `json:"alert"`
				Expr   string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	// A worker that has run a program with the Kafka bridge has every series the rules read.
	broker := testenv.Broker(t, "", 0)
	w := startMetricsWorker(t, newStack(t), contactsCSV(t, 1), "e2e-alerts", func(c *config.Config) { c.Kafka.Brokers = []string{broker.Addr()} })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := w.starter.Start(ctx, "alert-rules", workflows.Input{Program: "Send 'Hi there' to all my contacts"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.starter.Wait(ctx, wr, 200*time.Millisecond, nil); err != nil {
		t.Fatalf("program: %v", err)
	}
	exported := exportedMetrics(workerMetrics(t, w.MetricsAddr()))
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			for _, name := range metricName.FindAllString(r.Expr, -1) {
				n++
				if !exported[name] {
					t.Errorf("rule %s%s names %s, which the worker does not export", r.Record, r.Alert, name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("the rules name no eaapl_ metric")
	}
}
