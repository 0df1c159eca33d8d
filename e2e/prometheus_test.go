package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/observe"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// TestPrometheusScrapesAProgram runs a 1,000-contact program on a worker that serves its metrics and
// mirrors onto a real broker, with a real Prometheus (Debian's, installed by `make obs-tools`) scraping it
// every second, and asks Prometheus's HTTP API what it saw. The client and the worker trace as they do
// with OTEL_* set, into the OpenTelemetry SDK's in-memory recorder: the program is one trace.
func TestPrometheusScrapesAProgram(t *testing.T) {
	const n = 1000
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: `make obs-tools` installs it from Debian")
	}
	s := newStack(t)
	broker := testenv.Broker(t, "", 0)
	spans := tracetest.NewSpanRecorder()
	tracing := observe.NewTracing(spans, func(string) (string, bool) { return "", false })
	t.Cleanup(func() { _ = tracing.Shutdown(context.Background()) })
	tracer, err := tracing.Interceptor()
	if err != nil {
		t.Fatal(err)
	}
	w := startMetricsWorker(t, s, contactsCSV(t, n), "e2e-metrics", func(c *config.Config) { c.Kafka.Brokers = []string{broker.Addr()} }, tracer)
	prom := startPrometheus(t, promBin, w.MetricsAddr())

	t.Run("ProbesAnswer", func(t *testing.T) {
		for _, path := range []string{"/livez", "/readyz"} {
			resp, err := http.Get("http://" + w.MetricsAddr() + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s, want 200", path, resp.Status)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wr, err := w.starter.Start(ctx, "prometheus-1000", workflows.Input{Program: "Send 'Hi there' to all my contacts", MaxConcurrency: 20})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.starter.Wait(ctx, wr, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}

	// Prometheus scrapes every second: wait until a scrape after the program's end has the last count.
	emails := prom.await(t, `sum(eaapl_emails_sent_total)`, func(v float64) bool { return v >= n }, 30*time.Second)
	if emails != n {
		t.Errorf("eaapl_emails_sent_total = %v, want %d", emails, n)
	}
	if got := prom.value(t, `sum(eaapl_task_duration_seconds_count{command="SendEmail"})`); got != n {
		t.Errorf("SendEmail duration histogram holds %v observations, want %d", got, n)
	}
	if got := prom.value(t, `sum(eaapl_task_duration_seconds_bucket{command="SendEmail",le="+Inf"})`); got != n {
		t.Errorf("SendEmail duration +Inf bucket = %v, want %d", got, n)
	}
	if got := prom.value(t, `sum(eaapl_task_duration_seconds_sum{command="SendEmail"})`); got <= 0 {
		t.Errorf("SendEmail durations sum to %v s, want more than 0", got)
	}
	if got := prom.value(t, `sum(eaapl_tasks_total{command="SendEmail",outcome="success"})`); got != n {
		t.Errorf("eaapl_tasks_total{SendEmail,success} = %v, want %d", got, n)
	}
	if got := prom.value(t, `sum(eaapl_batch_items_sum{command="SendEmail"})`); got != n {
		t.Errorf("items over SendEmail's batches = %v, want %d", got, n)
	}
	if got := prom.await(t, `sum(eaapl_programs_completed_total)`, func(v float64) bool { return v >= 1 }, 10*time.Second); got != 1 {
		t.Errorf("eaapl_programs_completed_total = %v, want 1", got)
	}
	// The SDK's own metrics come through the same handler.
	if got := prom.value(t, `sum(temporal_activity_execution_latency_seconds_count)`); got <= 0 {
		t.Errorf("temporal_activity_execution_latency_seconds_count = %v, want the SDK's activity latencies", got)
	}
	// Every email's task.result reached Kafka (and its dispatch and analytics.data).
	if got := prom.await(t, `sum(eaapl_kafka_records_total{topic="task.result",outcome="produced"})`, func(v float64) bool { return v >= n }, 30*time.Second); got < n {
		t.Errorf("task.result records produced = %v, want at least %d", got, n)
	}
	t.Run("OneTrace", func(t *testing.T) {
		names := oneTrace(t, spans.Ended())
		for _, want := range []string{"RunWorkflow:" + workflows.WorkflowType, "RunActivity:PlanProgram", "RunActivity:RetrieveContacts", "RunActivity:RunBatch", worker.SpanPublish} {
			if names[want] == 0 {
				t.Errorf("no %s span", want)
			}
		}
	})
	t.Run("DashboardQueriesUseExportedMetrics", func(t *testing.T) {
		checkDashboard(t, w.MetricsAddr(), prom)
	})
	t.Logf("Prometheus saw %v emails; p95 SendEmail duration %.4fs", emails,
		prom.value(t, `histogram_quantile(0.95, sum by (le) (eaapl_task_duration_seconds_bucket{command="SendEmail"}))`))
}

// metricsWorker is a worker set up as `eaapl worker` is with EAAPL_METRICS_ADDR set: its own Temporal
// client reports the SDK's metrics through the worker's handler.
type metricsWorker struct {
	*worker.Service
	starter *starter.Starter
	// stop ends the worker's polling, as a worker that is scaled down does, and leaves its metrics
	// served until the test ends, so that Prometheus still has what it counted.
	stop func()
}

func startMetricsWorker(t *testing.T, s *stack, contacts, workerID string, edit func(*config.Config), interceptors ...interceptor.ClientInterceptor) *metricsWorker {
	t.Helper()
	cfg := s.workerConfig(t, contacts, workerID)
	cfg.ApprovalThreshold = 0 // 1,000 emails, nobody to approve them
	cfg.MetricsAddr = "127.0.0.1:0"
	if edit != nil {
		edit(&cfg)
	}
	svc, err := worker.Setup(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: s.temporal.FrontendHostPort(), MetricsHandler: svc.MetricsHandler(), Interceptors: interceptors,
		ContextPropagators: []workflow.ContextPropagator{identity.Propagator()}}) // as `eaapl` dials, so answers say who sent them
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started, stopped := make(chan struct{}), make(chan error, 1)
	go func() { stopped <- svc.Run(ctx, c, func() error { close(started); return nil }) }()
	select {
	case <-started:
	case err := <-stopped:
		t.Fatalf("worker: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-stopped }) }
	t.Cleanup(func() {
		stop()
		svc.Close()
		c.Close()
	})
	return &metricsWorker{Service: svc, starter: &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Identity: testOwner}, stop: stop}
}

// prometheus is a Prometheus server scraping one target.
type prometheus struct{ api string }

func startPrometheus(t *testing.T, bin string, targets ...string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: eaapl-worker
    static_configs:
      - targets: [%s]
`, quoted(targets))), 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("prometheus log:\n%s", tail(string(b), 3000))
		}
	})
	p := &prometheus{api: "http://" + addr}
	// Ready once it answers and has scraped every worker once.
	p.await(t, `sum(up{job="eaapl-worker"})`, func(v float64) bool { return v == float64(len(targets)) }, 60*time.Second)
	return p
}

// quoted is a YAML flow list's items: "a", "b".
func quoted(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// value is the one number an instant query returns; NaN-free queries only.
func (p *prometheus) value(t *testing.T, query string) float64 {
	t.Helper()
	v, err := p.query(query)
	if err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	return v
}

// await polls query until ok holds for its value, and returns the last value.
func (p *prometheus) await(t *testing.T, query string, ok func(float64) bool, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var v float64
	var err error
	for {
		v, err = p.query(query)
		if err == nil && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s after %s: value %v, error %v", query, timeout, v, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (p *prometheus) query(q string) (float64, error) {
	resp, err := http.Get(p.api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("decode the answer (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("prometheus: %s", body.Error)
	}
	if len(body.Data.Result) != 1 {
		return 0, fmt.Errorf("%d series, want 1", len(body.Data.Result))
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// metricName matches the metric names in a PromQL expression: EaaPL's and the Temporal SDK's.
var metricName = regexp.MustCompile(`\b(?:eaapl|temporal)_[a-z0-9_]+\b`)

// dashboardPanel is a panel of deploy/grafana/eaapl.json: its title and its queries.
type dashboardPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// dashboardPanels reads the panels of deploy/grafana/eaapl.json.
func dashboardPanels(t *testing.T) []dashboardPanel {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "eaapl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana/eaapl.json: %v", err)
	}
	return dash.Panels
}

// workerMetrics is the text of the worker's /metrics at addr.
func workerMetrics(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// exportedMetrics are the names of the series in a /metrics text (a name with labels or without).
func exportedMetrics(body string) map[string]bool {
	exported := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if name, _, ok := strings.Cut(line, "{"); ok && !strings.HasPrefix(line, "#") {
			exported[name] = true
		} else if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			exported[name] = true
		}
	}
	return exported
}

// checkDashboard checks every query of deploy/grafana/eaapl.json: each metric it names is on the
// worker's /metrics, and Prometheus evaluates it without error.
func checkDashboard(t *testing.T, metricsAddr string, prom *prometheus) {
	t.Helper()
	panels := dashboardPanels(t)
	exported := exportedMetrics(workerMetrics(t, metricsAddr))
	queries := 0
	for _, p := range panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			names := metricName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no eaapl_ or temporal_ metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				if !exported[n] {
					t.Errorf("panel %q: %s is not among the worker's metrics", p.Title, n)
				}
			}
			expr := strings.ReplaceAll(tg.Expr, "$__rate_interval", "1m")
			if err := prom.valid(expr); err != nil {
				t.Errorf("panel %q: Prometheus rejects %q: %v", p.Title, expr, err)
			}
		}
	}
	if queries < 6 {
		t.Errorf("%d queries, want the six panels' at least", queries)
	}
}

// valid evaluates query and reports Prometheus's error, if any.
func (p *prometheus) valid(q string) error {
	resp, err := http.Get(p.api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err
	}
	if body.Status != "success" {
		return fmt.Errorf("%s", body.Error)
	}
	return nil
}
