package usage

import (
	"context"
	"testing"
)

func TestOverlappingTasks(t *testing.T) {
	var m Meter
	a := m.Start()
	b := m.Start() // overlaps a
	if got := b.Stop().OverlappingTasks; got != 1 {
		t.Errorf("b overlapped %d tasks, want 1 (a)", got)
	}
	c := m.Start() // overlaps a, after b
	if got := c.Stop().OverlappingTasks; got != 1 {
		t.Errorf("c overlapped %d tasks, want 1 (a)", got)
	}
	if got := a.Stop().OverlappingTasks; got != 2 {
		t.Errorf("a overlapped %d tasks, want 2 (b and c)", got)
	}
	alone := m.Start()
	used := alone.Stop()
	if used.OverlappingTasks != 0 || used.CPUTimeMs < 0 {
		t.Errorf("a task alone: %+v, want no overlap and a CPU time", used)
	}
}

func TestASplitActivityIsNotATask(t *testing.T) {
	var m Meter
	batch := m.Start()
	ctx := WithSpan(context.Background(), batch)
	items := Split(ctx)
	if items != &m {
		t.Fatal("Split returned another meter than the activity's")
	}
	Split(ctx) // twice changes nothing
	first := items.Start()
	if got := first.Stop().OverlappingTasks; got != 0 {
		t.Errorf("the batch's first item overlapped %d tasks, want 0: the batch itself is not one", got)
	}
	if got := batch.Stop(); got != nil {
		t.Errorf("the split batch's own figures = %+v, want none", got)
	}
	if m.running != 0 {
		t.Errorf("%d tasks still running, want 0", m.running)
	}
	if Split(context.Background()) != nil {
		t.Error("Split without a span returned a meter")
	}
}

func TestModelTokensAreTheTasksOwn(t *testing.T) {
	var m Meter
	a, b := m.Start(), m.Start() // b overlaps a, but spends its own tokens
	ctxA, ctxB := WithSpan(context.Background(), a), WithSpan(context.Background(), b)
	AddModelTokens(ctxA, 100, 20)
	AddModelTokens(ctxA, 50, 5)
	AddModelTokens(ctxB, 7, 1)
	AddModelTokens(ctxB, -3, 2)                   // a count no server sends: ignored
	AddModelTokens(context.Background(), 999, 99) // outside a task: nowhere to go
	if so := SoFar(ctxA); so == nil || so.ModelPromptTokens != 150 || so.ModelCompletionTokens != 25 || so.OverlappingTasks != 1 {
		t.Errorf("a so far = %+v, want 150/25 tokens and one overlapping task", so)
	}
	if used := b.Stop(); used.ModelPromptTokens != 7 || used.ModelCompletionTokens != 1 {
		t.Errorf("b = %+v, want 7/1 tokens", used)
	}
	if used := a.Stop(); used.ModelPromptTokens != 150 || used.ModelCompletionTokens != 25 {
		t.Errorf("a = %+v, want 150/25 tokens", used)
	}
	if SoFar(context.Background()) != nil {
		t.Error("SoFar outside a task returned figures")
	}
}
