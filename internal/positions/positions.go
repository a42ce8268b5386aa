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

type document struct {
	Version int     `json:"version"`
	Saved   string  `json:"saved"`
	Files   []Entry `json:"files"`
}

// ErrCorrupt is wrapped by Load's error for a positions file it could not
// use.
var ErrCorrupt = errors.New("positions file unusable")

// Store reads and writes the positions file of a state directory.
type Store struct {
	dir string
	now func() time.Time
}

// NewStore returns the store of the state directory dir.
func NewStore(dir string) *Store { return &Store{dir: dir, now: time.Now} }

// Path returns the positions file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Load returns the saved positions. A missing file gives none and no error.
// A file that cannot be read or decoded is renamed to
// positions.json.bad-<unix time>, and Load returns no positions and an
// error wrapping ErrCorrupt that names where the file was kept.
func (s *Store) Load() ([]Entry, error) {
	data, err := os.ReadFile(s.Path())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, s.keepAside(err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, s.keepAside(err)
	}
	if doc.Version != formatVersion {
		return nil, s.keepAside(fmt.Errorf("version %d, want %d", doc.Version, formatVersion))
	}
	for i, e := range doc.Files {
		if e.Source == "" || e.Offset < 0 || e.FingerprintLen < 0 || len(e.Fingerprint) != 64 && e.FingerprintLen > 0 {
			return nil, s.keepAside(fmt.Errorf("entry %d (%s) is invalid", i, e.Path))
		}
	}
	return doc.Files, nil
}

func (s *Store) keepAside(cause error) error {
	kept := fmt.Sprintf("%s.bad-%d", s.Path(), s.now().Unix())
	if err := os.Rename(s.Path(), kept); err != nil {
		return fmt.Errorf("%w: %s: %w; and cannot keep it aside: %w", ErrCorrupt, s.Path(), cause, err)
	}
	return fmt.Errorf("%w: %s: %w; kept as %s", ErrCorrupt, s.Path(), cause, kept)
}

// Save replaces the positions with entries, atomically.
func (s *Store) Save(entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	data, err := json.MarshalIndent(document{Version: formatVersion, Saved: s.now().UTC().Format(time.RFC3339), Files: entries}, "", " ")
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
