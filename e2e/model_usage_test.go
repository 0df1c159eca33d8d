package e2e_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestModelTokensAreReported runs an analysis that asks a model (a fake OpenAI-compatible server whose
// answer says it used 100 prompt and 20 completion tokens) on a worker with the Kafka bridge and metrics:
// the summary's task reports the tokens on analytics.data, and the worker counts them by command in
// eaapl_model_tokens_total; the tasks that asked no model report none.
func TestModelTokensAreReported(t *testing.T) {
	const program = "Open the document q3-report.md, analyze it for trends, and summarize it"
	model := testenv.NewFakeModel(t, testenv.ChatAnswer(`{"sentences": ["Revenue rose from 120 to 180 over the quarter."]}`))
	broker := testenv.Broker(t, "", 0)
	s := newStack(t)
	root, ws := q3Workspace(t)
	w := startMetricsWorker(t, s, testenv.WriteFile(t, "contacts.vcf", injectionContacts), "e2e-model-usage", func(c *config.Config) {
		c.Workspace, c.DataDir = ws, filepath.Join(root, "data")
		c.Kafka.Brokers = []string{broker.Addr()}
		c.OpenAIBaseURL, c.OpenAIAPIKey = model.URL, "sk-test"
		c.TextAnalyzer, c.TextModel = "model", "gpt-fake"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const id = "model-usage"
	wr, err := w.starter.Start(ctx, id, workflows.Input{Program: program})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.starter.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	if len(model.Requests()) != 1 {
		t.Fatalf("the model got %d requests, want 1: the summary's", len(model.Requests()))
	}
	summarize := "" // the summary's task ID
	for _, st := range res.Steps {
		if st.Command == "Summarize" && len(st.Items) == 1 && st.Items[0].Task != nil {
			summarize = st.Items[0].Task.TaskID
		}
	}
	if summarize == "" {
		t.Fatalf("steps %+v, want one Summarize task", res.Steps)
	}

	t.Run("OnAnalyticsData", func(t *testing.T) {
		byTask := map[string]map[string]any{}
		deadline := time.Now().Add(30 * time.Second)
		for {
			for _, r := range testenv.ReadTopic(t, broker.Addr(), bridge.TopicAnalyticsData) {
				var v bridge.AnalyticsData
				if json.Unmarshal(r.Value, &v) == nil && v.Metrics["workflow_id"] == id {
					byTask[v.TaskID] = v.ResourceUsage
				}
			}
			if _, ok := byTask[summarize]; ok || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		got, ok := byTask[summarize]
		if !ok {
			t.Fatalf("analytics.data has no data point of the summary's task %s; it has %v", summarize, byTask)
		}
		if got["model_prompt_tokens"] != 100.0 || got["model_completion_tokens"] != 20.0 {
			t.Errorf("the summary's resource_usage = %v, want 100 prompt and 20 completion tokens", got)
		}
		for task, u := range byTask {
			if _, spent := u["model_prompt_tokens"]; spent && task != summarize {
				t.Errorf("task %s reports model tokens %v, but asked no model", task, u)
			}
		}
	})
	t.Run("OnTheMetricsEndpoint", func(t *testing.T) {
		body := workerMetrics(t, w.MetricsAddr())
		for _, want := range []string{
			`eaapl_model_tokens_total{command="Summarize",type="prompt"} 100`,
			`eaapl_model_tokens_total{command="Summarize",type="completion"} 20`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s:\n%s", want, grepMetrics(body, "eaapl_model_tokens"))
			}
		}
		if n := strings.Count(body, "eaapl_model_tokens_total{"); n != 2 {
			t.Errorf("%d eaapl_model_tokens_total series, want Summarize's two:\n%s", n, grepMetrics(body, "eaapl_model_tokens"))
		}
	})
}
