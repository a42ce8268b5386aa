// Package positions keeps, in one JSON file in the state directory, how far
// each followed file has been read and counted.
//
// Save writes atomically (a temporary file, fsync, rename, fsync of the
// directory), so a crash at any moment leaves either the previous positions
// or the new ones, never a torn file; it recreates the directory if it was
// deleted. Load never fails the caller's start: a missing file means no
// positions, and an unreadable or corrupt one is moved aside (and said so in
// the error) so that the caller can log it and start as configured.
package positions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// FileName is the positions file's name in the state directory.
const FileName = "positions.json"

const formatVersion = 1

// Entry is how far one file has been counted.
type Entry struct {
	// Source is the name of the source that follows the file.
	Source string `json:"source"`
	// Path is where the file was last seen.
	Path string `json:"path"`
	// Device and Inode identify the file; with the fingerprint they keep a
	// reused inode from resuming at a stale offset.
	Device uint64 `json:"device"`
	Inode  uint64 `json:"inode"`
	// Fingerprint is the hex SHA-256 of the file's first FingerprintLen
	// bytes.
	Fingerprint    string `json:"fingerprint"`
	FingerprintLen int    `json:"fingerprint_len"`
	// Offset is the byte after the last line counted.
	Offset int64 `json:"offset"`
}

// Source is what one file source followed when the positions were saved,
// besides its files' entries: what tells, at the next start, a file born
// while odpswatch was down (read from its start) from one the source never
// followed (placed as start_at says).
type Source struct {
	Name string `json:"source"`
	// Dirs are the directories it followed files in.
	Dirs []string `json:"dirs"`
	// Scanned is when its last look for new files began: a file born in
	// Dirs since then may have no entry yet.
	Scanned time.Time `json:"scanned"`
}

// Saved is the content of the positions file.
type Saved struct {
	Files   []Entry
	Sources []Source
}

type document struct {
	Version int      `json:"version"`
	Saved   string   `json:"saved"`
	Files   []Entry  `json:"files"`
	Sources []Source `json:"sources,omitempty"`
}

// MaxFileBytes bounds the positions file read at start: far above what
// max_files' worth of entries takes (about 300 bytes each), and a file
// larger is unusable, not read without end.
const MaxFileBytes = 256 << 20

// readAtMost reads the file at path, refusing it if it holds more than
// limit bytes.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("larger than %d bytes", limit)
	}
	return b, err
}

// ErrCorrupt is wrapped by Load's error for a positions file it could not
// use.
var ErrCorrupt = errors.New("positions file unusable")

// Store reads and writes the positions file of a state directory.
type Store struct {
	dir      string
	now      func() time.Time
	maxBytes int64 // MaxFileBytes; smaller in tests
}

// NewStore returns the store of the state directory dir.
func NewStore(dir string) *Store { return &Store{dir: dir, now: time.Now, maxBytes: MaxFileBytes} }

// Path returns the positions file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Load returns the saved positions. A missing file gives none and no error.
// A file that cannot be read or decoded is renamed to
// positions.json.bad-<unix time>, and Load returns no positions and an
// error wrapping ErrCorrupt that names where the file was kept. A file
// written before sources were recorded gives none: their files' entries
// are all there is.
func (s *Store) Load() (Saved, error) {
	data, err := readAtMost(s.Path(), s.maxBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Saved{}, nil
	case err != nil:
		return Saved{}, s.keepAside(err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return Saved{}, s.keepAside(err)
	}
	if doc.Version != formatVersion {
		return Saved{}, s.keepAside(fmt.Errorf("version %d, want %d", doc.Version, formatVersion))
	}
	for i, e := range doc.Files {
		if e.Source == "" || e.Offset < 0 || e.FingerprintLen < 0 || len(e.Fingerprint) != 64 && e.FingerprintLen > 0 {
			return Saved{}, s.keepAside(fmt.Errorf("entry %d (%s) is invalid", i, e.Path))
		}
	}
	for i, src := range doc.Sources {
		if src.Name == "" {
			return Saved{}, s.keepAside(fmt.Errorf("source %d has no name", i))
		}
	}
	return Saved{Files: doc.Files, Sources: doc.Sources}, nil
}

func (s *Store) keepAside(cause error) error {
	kept := fmt.Sprintf("%s.bad-%d", s.Path(), s.now().Unix())
	if err := os.Rename(s.Path(), kept); err != nil {
		return fmt.Errorf("%w: %s: %w; and cannot keep it aside: %w", ErrCorrupt, s.Path(), cause, err)
	}
	return fmt.Errorf("%w: %s: %w; kept as %s", ErrCorrupt, s.Path(), cause, kept)
}

// Save replaces the positions with saved, atomically.
func (s *Store) Save(saved Saved) error {
	files := saved.Files
	if files == nil {
		files = []Entry{}
	}
	doc := document{Version: formatVersion, Saved: s.now().UTC().Format(time.RFC3339Nano), Files: files, Sources: saved.Sources}
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return fmt.Errorf("cannot encode positions: %w", err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("cannot create state directory %s: %w", s.dir, err)
	}
	tmp, err := os.CreateTemp(s.dir, "."+FileName+"-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot save positions in %s: %w", s.dir, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.Path())
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("cannot save positions to %s: %w", s.Path(), err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
