package positions

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func entries() Saved {
	return Saved{
		Files: []Entry{
			{Source: "jobs", Path: "/var/log/odps/a.log", Device: 2049, Inode: 12, Fingerprint: strings.Repeat("ab", 32), FingerprintLen: 1024, Offset: 4096},
			{Source: "jobs", Path: "/var/log/odps/b.log", Device: 2049, Inode: 13, Offset: 0},
		},
		Sources: []Source{{Name: "jobs", Dirs: []string{"/var/log/odps"}, Scanned: time.Date(2026, 12, 6, 15, 4, 5, 123456789, time.UTC)}},
	}
}

func TestSaveLoad(t *testing.T) {
	s := NewStore(t.TempDir())
	if got, err := s.Load(); got.Files != nil || got.Sources != nil || err != nil {
		t.Fatalf("no file: %v, %v; want nothing", got, err)
	}
	if err := s.Save(entries()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil || !reflect.DeepEqual(got, entries()) {
		t.Fatalf("Load = %v, %v; want %v", got, err, entries())
	}
	// Nothing but the positions file is left behind.
	names, _ := os.ReadDir(s.dir)
	if len(names) != 1 || names[0].Name() != FileName {
		t.Errorf("state directory holds %v", names)
	}
	if err := s.Save(Saved{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(); len(got.Files) != 0 || len(got.Sources) != 0 || err != nil {
		t.Errorf("after saving none: %v, %v", got, err)
	}
}

func TestSaveRecreatesDeletedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := NewStore(dir)
	if err := s.Save(entries()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(entries()); err != nil {
		t.Fatalf("save after the directory was deleted: %v", err)
	}
	if got, _ := s.Load(); len(got.Files) != 2 {
		t.Errorf("loaded %d entries", len(got.Files))
	}
}

func TestCorruptIsKeptAside(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      "{\"version\": 1, \"files\": [",
		"wrong version": `{"version": 7, "files": []}`,
		"bad entry":     `{"version": 1, "files": [{"source": "", "path": "x", "offset": 3}]}`,
		"negative":      `{"version": 1, "files": [{"source": "s", "path": "x", "offset": -3}]}`,
		"nameless":      `{"version": 1, "files": [], "sources": [{"dirs": ["/x"]}]}`,
		"empty file":    ``,
	} {
		t.Run(name, func(t *testing.T) {
			s := NewStore(t.TempDir())
			s.now = func() time.Time { return time.Unix(1700000000, 0) }
			if err := os.WriteFile(s.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load()
			kept := s.Path() + ".bad-1700000000"
			if got.Files != nil || got.Sources != nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "kept as "+kept) {
				t.Fatalf("Load = %v, %v; want nothing and ErrCorrupt kept as %s", got, err, kept)
			}
			if b, err := os.ReadFile(kept); err != nil || string(b) != content {
				t.Errorf("kept file: %q, %v", b, err)
			}
			if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the corrupt file is still in place: %v", err)
			}
			// The next save works and the next load uses it.
			if err := s.Save(entries()); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Load(); err != nil || len(got.Files) != 2 {
				t.Errorf("after a new save: %v, %v", got, err)
			}
		})
	}
}

func TestUnreadableIsKeptAside(t *testing.T) {
	s := NewStore(t.TempDir())
	// A directory where the file should be cannot be read as one.
	if err := os.Mkdir(s.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if got.Files != nil || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load = %v, %v", got, err)
	}
}

func TestSaveFailsClearly(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "file")
	os.WriteFile(blocker, nil, 0o600)
	s := NewStore(filepath.Join(blocker, "state")) // a file stands where a directory must be
	err := s.Save(entries())
	if err == nil || !strings.Contains(err.Error(), "cannot create state directory") {
		t.Errorf("Save under a file: %v", err)
	}
}

// A file written before sources were recorded loads its entries and no
// source.
func TestLoadWithoutSources(t *testing.T) {
	s := NewStore(t.TempDir())
	old := `{"version": 1, "saved": "2026-12-01T10:00:00Z", "files": [{"source": "jobs", "path": "/l/a.log", "device": 1, "inode": 2, "fingerprint": "", "fingerprint_len": 0, "offset": 7}]}`
	if err := os.WriteFile(s.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil || len(got.Files) != 1 || got.Files[0].Offset != 7 || got.Sources != nil {
		t.Fatalf("Load = %+v, %v; want the one entry and no source", got, err)
	}
}

// A positions file larger than the bound (MaxFileBytes; 1 KiB here) is
// unusable: kept aside, not read without end.
func TestHugeIsKeptAside(t *testing.T) {
	s := NewStore(t.TempDir())
	s.maxBytes = 1024
	if err := os.WriteFile(s.Path(), bytes.Repeat([]byte(" "), 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if len(got.Files) != 0 || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Load = %v, %v; want nothing and ErrCorrupt saying the file is too large", got, err)
	}
}
