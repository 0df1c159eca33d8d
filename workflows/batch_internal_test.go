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
