package journal

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEntriesAreKeptUntilRemovedAndListedInCallOrder(t *testing.T) {
	j := New(filepath.Join(t.TempDir(), "journal"))
	if got, err := j.List(); err != nil || len(got) != 0 {
		t.Fatalf("a journal never written lists %v, %v; want nothing", got, err)
	}
	for _, id := range []int64{12, 3, 7} {
		if err := j.Put(id, []byte(`{"id":`+string(rune('0'+id%10))+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Put(7, []byte("second")); err != nil {
		t.Fatal(err)
	}
	// Files that are not entries are left alone.
	if err := os.WriteFile(filepath.Join(j.Dir(), "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := j.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != 3 || got[1].ID != 7 || got[2].ID != 12 || string(got[1].Data) != "second" {
		t.Fatalf("entries = %+v; want 3, 7 (replaced), 12", got)
	}
	if err := j.Remove(3); err != nil {
		t.Fatal(err)
	}
	if err := j.Remove(3); err != nil {
		t.Fatalf("removing an entry already gone: %v", err)
	}
	if to, err := j.SetAside(12); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(to); err != nil {
		t.Fatalf("the entry set aside is gone: %v", err)
	}
	if j.Len() != 1 {
		t.Fatalf("Len = %d; want 1 (7)", j.Len())
	}
	fi, err := os.Stat(j.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("journal directory mode %v; want 0700", fi.Mode().Perm())
	}
}

func TestAFailedPutLeavesNoEntry(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	j := New(filepath.Join(blocker, "journal")) // a file where the directory should be
	if err := j.Put(1, []byte("x")); err == nil {
		t.Fatal("Put into an impossible directory succeeded")
	}
	if j.Len() != 0 {
		t.Fatal("a failed Put left an entry")
	}
}
