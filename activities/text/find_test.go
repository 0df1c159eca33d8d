package text_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

// FindText reads a page too large to travel inline from the content store, as the worker does.
func TestFindTextInAStoredText(t *testing.T) {
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := contentstore.FromStore(dir)
	ctx := context.Background()
	page := strings.Repeat("All systems operational. ", 200000) + "API: DOWN since 9:00\n" // 5 MB
	c, err := contentvalue.Text(ctx, store, page, "text/plain")
	if err != nil || c.Ref == nil {
		t.Fatalf("content %+v, %v: want a reference", c, err)
	}
	cmds := &activities.Commands{Deps: catalog.Deps{text.Deps{Store: store}}}
	find := func(phrase string) map[string]any {
		t.Helper()
		res, err := cmds.Run(ctx, catalog.Task{TaskID: "t1", Command: "FindText",
			Parameters: map[string]any{"text": map[string]any{"ref": c.Ref.Ref, "size": c.Ref.Size}, "phrase": phrase}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Output
	}
	if out := find("down"); out["contains"] != true || out["equals"] != false || out["count"] != 1 {
		t.Errorf("down: %v, want contained once, ignoring case", out)
	}
	if out := find("degraded"); out["contains"] != false || out["count"] != 0 {
		t.Errorf("degraded: %v, want not contained", out)
	}
	short := run(t, "FindText", map[string]any{"text": "  OK \n", "phrase": "ok"})
	if short["equals"] != true || short["contains"] != true {
		t.Errorf("a page that is ok: %v, want equals and contains", short)
	}
}
