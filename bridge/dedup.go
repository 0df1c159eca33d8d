package bridge

import "sync"

// Dedup drops the duplicates that retried publishes produce: a record whose event ID it has seen before
// is a duplicate. The zero value is ready and remembers every ID; set Max to remember only the newest
// Max. It is safe for concurrent use.
type Dedup struct {
	Max int

	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // oldest first, kept only when Max > 0
}

// Seen reports whether id was seen before, and remembers it. The empty ID is never seen: a record
// without the event ID header cannot be told apart from others, so it is kept.
func (d *Dedup) Seen(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return true
	}
	if d.seen == nil {
		d.seen = make(map[string]struct{})
	}
	d.seen[id] = struct{}{}
	if d.Max > 0 {
		d.order = append(d.order, id)
		for len(d.order) > d.Max {
			delete(d.seen, d.order[0])
			d.order = d.order[1:]
		}
	}
	return false
}
