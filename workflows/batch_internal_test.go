package workflows

import "testing"

func TestBatchSize(t *testing.T) {
	for _, c := range []struct {
		items, concurrency, want int
	}{
		{1, 100, 1},
		{3, 100, 1},         // fewer items than slots: one per batch, all at once
		{450, 100, 5},       // spread over the slots
		{10_000, 100, 100},  // one batch per slot
		{10_000, 10, 100},   // capped at maxBatchItems
		{10_000, 500, 20},   //
		{500_000, 500, 500}, // more than maxBatches batches of 100 would be: bigger batches
	} {
		size := batchSize(c.items, c.concurrency)
		if size != c.want {
			t.Errorf("batchSize(%d items, %d at once) = %d, want %d", c.items, c.concurrency, size, c.want)
		}
		if batches := ceilDiv(c.items, size); batches > maxBatches {
			t.Errorf("batchSize(%d, %d) makes %d batches, over %d", c.items, c.concurrency, batches, maxBatches)
		}
	}
}

func TestListedKeepsTheResultBounded(t *testing.T) {
	items := func(n int, failed ...int) []ItemResult {
		out := make([]ItemResult, n)
		for i := range out {
			out[i] = ItemResult{Item: i + 1, State: StateDone}
		}
		for _, f := range failed {
			out[f-1].State = StateFailed
		}
		return out
	}
	if got, omitted := listed(items(10, 3)); len(got) != 10 || omitted != 0 {
		t.Errorf("10 items: listed %d, left out %d; want all", len(got), omitted)
	}
	got, omitted := listed(items(listedItems+5, 2, listedItems+4))
	if len(got) != listedItems || omitted != 5 {
		t.Fatalf("listed %d, left out %d; want %d and 5", len(got), omitted, listedItems)
	}
	var failed []int
	for i, it := range got {
		if i > 0 && got[i-1].Item >= it.Item {
			t.Fatalf("items out of order at %d", i)
		}
		if it.State == StateFailed {
			failed = append(failed, it.Item)
		}
	}
	if len(failed) != 2 || failed[0] != 2 || failed[1] != listedItems+4 {
		t.Errorf("failed items listed = %v, want 2 and %d: those not done come first", failed, listedItems+4)
	}
	all := make([]int, listedItems+2000)
	for i := range all {
		all[i] = i + 1
	}
	if got, omitted := listed(items(len(all), all...)); len(got) != listedItems || omitted != 2000 {
		t.Errorf("all failed: listed %d, left out %d; want %d and 2000", len(got), omitted, listedItems)
	}
}
