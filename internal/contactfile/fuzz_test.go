package contactfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadPage reads arbitrary files page by page: it must not panic, must end, and must not read a row
// twice (each page starts where the last ended).
func FuzzReadPage(f *testing.F) {
	for _, file := range checkpointFiles {
		f.Add(file.name == "book.csv", []byte(file.content), 2)
	}
	f.Add(false, []byte("BEGIN:VCARD\nEMAIL;QUOTED-PRINTABLE:a=\n=40b.example\nEND:VCARD\n"), 1)
	f.Add(true, []byte("email\n\"a@b.example\"x\n"), 3)
	f.Fuzz(func(t *testing.T, csv bool, content []byte, max int) {
		if max < 1 || max > 50 {
			return
		}
		name := "f.vcf"
		if csv {
			name = "f.csv"
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		var cp Checkpoint
		for pages := 0; !cp.Done; pages++ {
			if pages > len(content)+2 {
				t.Fatalf("no end after %d pages", pages)
			}
			p, err := r.ReadPage(context.Background(), cp, max)
			if err != nil {
				return
			}
			if p.Next.Offset < cp.Offset || (!p.Next.Done && p.Next.Offset == cp.Offset && len(p.Contacts)+len(p.Bad) > 0 && cp != (Checkpoint{})) {
				t.Fatalf("page from %+v ends at %+v", cp, p.Next)
			}
			cp = p.Next
		}
	})
}
