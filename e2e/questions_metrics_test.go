package e2e_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestQuestionsWaitingAcrossWorkers asks a question on one worker and answers it on another, as happens
// when the worker that asked is scaled down, and checks with a real Prometheus scraping both that the
// dashboard's "questions waiting" is 1 while the question waits and 0 once it is answered: the sum over
// workers of the questions asked minus those closed. Questions are counted from the feedback.hitl events
// with Kafka, and by the program itself through the SDK's metrics handler without it; both are checked.
func TestQuestionsWaitingAcrossWorkers(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: `make obs-tools` installs it from Debian")
	}
	waiting := dashboardQuery(t, "Questions waiting for an answer")
	s := newStack(t)
	contacts := contactsCSV(t, 3)
	for _, kafka := range []bool{true, false} {
		name := "WithoutKafka"
		if kafka {
			name = "WithKafka"
		}
		t.Run(name, func(t *testing.T) {
			edit := func(c *config.Config) { c.ApprovalThreshold = 2 } // 3 emails: an approval question
			if kafka {
				addr := testenv.Broker(t, "", 0).Addr()
				edit = func(c *config.Config) { c.ApprovalThreshold, c.Kafka.Brokers = 2, []string{addr} }
			}
			asker := startMetricsWorker(t, s, contacts, "e2e-asker", edit)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			id := "questions-across-workers-" + strings.ToLower(name)
			wr, err := asker.starter.Start(ctx, id, workflows.Input{Program: "Send 'Hi there' to all my contacts"})
			if err != nil {
				t.Fatal(err)
			}
			q := awaitQuestion(t, ctx, asker, id)
			if q.Kind != workflows.KindApproval {
				t.Fatalf("question %s is a %q, want an approval", q.ID, q.Kind)
			}
			// The asking worker has counted the question before it stops polling.
			awaitMetric(t, asker.MetricsAddr(), "eaapl_questions_asked_total", `kind="approval"`, "1")
			asker.stop()

			answerer := startMetricsWorker(t, s, contacts, "e2e-answerer", edit)
			prom := startPrometheus(t, promBin, asker.MetricsAddr(), answerer.MetricsAddr())
			if got := prom.await(t, waiting, func(v float64) bool { return v == 1 }, 30*time.Second); got != 1 {
				t.Fatalf("questions waiting = %v, want 1", got)
			}
			if _, err := answerer.starter.Answer(ctx, id, q.ID, workflows.AnswerApprove); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
			res, err := answerer.starter.Wait(ctx, wr, 200*time.Millisecond, nil)
			if err != nil {
				t.Fatalf("program: %v", err)
			}
			if got, want := res.Summary, "send: 3 done, 0 skipped, 0 failed"; got != want {
				t.Fatalf("summary = %q, want %q", got, want)
			}
			if got := prom.await(t, waiting, func(v float64) bool { return v == 0 }, 30*time.Second); got != 0 {
				t.Errorf("questions waiting after the answer = %v, want 0", got)
			}
			// The question really crossed: asked on one worker, closed on the other.
			for query, want := range map[string]float64{
				`sum(eaapl_questions_asked_total{instance="` + asker.MetricsAddr() + `"})`:                                        1,
				`sum(eaapl_questions_answered_total{instance="` + asker.MetricsAddr() + `"})`:                                     0,
				`sum(eaapl_questions_asked_total{instance="` + answerer.MetricsAddr() + `"})`:                                     0,
				`sum(eaapl_questions_answered_total{instance="` + answerer.MetricsAddr() + `",kind="approval",state="answered"})`: 1,
				`sum(eaapl_approvals_total{instance="` + answerer.MetricsAddr() + `",answer="approve"})`:                          1,
			} {
				if got := prom.value(t, query); got != want {
					t.Errorf("%s = %v, want %v", query, got, want)
				}
			}
		})
	}
}

// dashboardQuery is the query of the dashboard's panel with the given title.
func dashboardQuery(t *testing.T, title string) string {
	t.Helper()
	for _, p := range dashboardPanels(t) {
		if p.Title == title && len(p.Targets) == 1 {
			return p.Targets[0].Expr
		}
	}
	t.Fatalf("deploy/grafana/eaapl.json has no panel %q with one query", title)
	return ""
}

// awaitQuestion waits for the program's first open question.
func awaitQuestion(t *testing.T, ctx context.Context, w *metricsWorker, id string) workflows.Question {
	t.Helper()
	for {
		qs, err := w.starter.Questions(ctx, id)
		if err == nil {
			for _, q := range qs {
				if q.State == workflows.QuestionOpen {
					return q
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("program %s asked nothing (last error %v)", id, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// awaitMetric waits until the worker's /metrics has a series of the metric name, with the label, at value.
func awaitMetric(t *testing.T, addr, name, label, value string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		var body []byte
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, l := range strings.Split(string(body), "\n") {
				if strings.HasPrefix(l, name+"{") && strings.Contains(l, label) && strings.HasSuffix(l, "} "+value) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/metrics has no %s{%s} %s after 30s:\n%s", addr, name, label, value, grepMetrics(string(body), "eaapl_questions"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func grepMetrics(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
