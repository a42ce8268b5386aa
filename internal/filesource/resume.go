package filesource

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/odpswatch/odpswatch/internal/positions"
)

// Resume is what a source starts from: what the last run of it saved.
// The zero Resume is a first start.
type Resume struct {
	// Files are the positions of the files it followed.
	Files []positions.Entry
	// Dirs are the directories it followed files in; nil takes those of
	// Files (positions saved before directories were).
	Dirs []string
	// Scanned is when it last began to look for new files; zero if
	// unknown.
	Scanned time.Time
}

// birthSlack is how much earlier than the last look for new files a file
// may have been born and still be taken for one born after it: file
// timestamps come from the kernel's coarse clock, a tick or so behind the
// clock the look was timed with. A file born in that second and not seen
// is read from its start; at worst that reads a file the last run never
// saw.
const birthSlack = time.Second

func (s *Source) resumeFrom(r Resume) {
	s.lastDirs, s.lastPaths, s.lastScanned = make(map[string]bool), make(map[string]bool), r.Scanned
	for _, e := range r.Files {
		s.saved[fileKey{e.Device, e.Inode}] = e
		s.lastPaths[e.Path] = true
		if r.Dirs == nil {
			s.lastDirs[filepath.Dir(e.Path)] = true
		}
	}
	for _, d := range r.Dirs {
		s.lastDirs[d] = true
	}
}

// Positions returns the committed position of every file followed. It is
// safe to call while the source runs.
func (s *Source) Positions() []positions.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.positions()
}

// positions is Positions with s.mu held.
func (s *Source) positions() []positions.Entry {
	out := make([]positions.Entry, 0, len(s.files))
	for k, f := range s.files {
		f.mu.Lock()
		if f.copyWait {
			// Not placed yet: if it is a copy, the next run knows it
			// by the truncated file's saved fingerprint.
			f.mu.Unlock()
			continue
		}
		out = append(out, positions.Entry{
			Source: s.opts.Name, Path: f.path, Device: k.dev, Inode: k.ino,
			Fingerprint: f.fpHex, FingerprintLen: f.fpLen, Offset: f.offsets.Committed(),
		})
		f.mu.Unlock()
	}
	// Saved positions of files not seen again (yet) are kept: a file on a
	// filesystem not mounted yet, or unreadable for now, resumes later.
	for k, e := range s.saved {
		if _, ok := s.files[k]; !ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Resume returns what the next run of this source starts from: the
// positions, the directories followed and when the source last looked for
// new files. It is safe to call while the source runs.
func (s *Source) Resume() Resume {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Resume{Files: s.positions(), Scanned: s.scanned}
	dirs := make(map[string]bool)
	for _, p := range s.opts.Paths {
		base, _ := doublestar.SplitPattern(filepath.ToSlash(p))
		dirs[filepath.Clean(filepath.FromSlash(base))] = true
	}
	for _, e := range r.Files {
		dirs[filepath.Dir(e.Path)] = true
	}
	if r.Scanned.IsZero() {
		// Not started yet: what the last run knew still holds.
		r.Scanned = s.lastScanned
		for d := range s.lastDirs {
			dirs[d] = true
		}
	}
	for d := range dirs {
		r.Dirs = append(r.Dirs, d)
	}
	sort.Strings(r.Dirs)
	return r
}

// startOffset decides where a newly followed file is read from: its saved
// position if it is the same file (inode and fingerprint); its start if
// the last run of the source could not have seen it (see bornSinceLastRun)
// or it shows up while running; else, at start-up, where start_at says.
func (s *Source) startOffset(f *file, st os.FileInfo, startup bool) int64 {
	if r, ok := s.released[f.key]; ok {
		delete(s.released, f.key)
		// The same file: its first bytes are those seen before (or more
		// of them), and it is at least as long as what was read of it.
		if bytes.HasPrefix(f.fp.head, r.fp.head) && st.Size() >= r.offset {
			return r.offset
		}
	}
	s.mu.Lock()
	e, ok := s.saved[f.key]
	delete(s.saved, f.key)
	s.mu.Unlock()
	if ok {
		if f.fp.matches(e) && e.Offset <= st.Size() {
			return e.Offset
		}
		s.opts.Logger.Info("saved position is for another file with the same inode; starting afresh",
			"source", s.opts.Name, "path", f.path)
		return 0
	}
	switch verdict, off := s.copyOf(f, st.Size(), !startup); verdict {
	case aCopy:
		s.copyFound(f, off)
		return off
	case maybeACopy:
		s.hold(f)
		return 0
	}
	if startup && s.opts.StartAtEnd && !s.bornSinceLastRun(f) {
		return st.Size()
	}
	return 0
}

// bornSinceLastRun reports whether f, a file without a saved position, is
// one the last run could not have read: at a path where it followed
// another file (a successor: rotated in while odpswatch was down), or born
// in a directory it followed after it last looked for new files (or born
// at an unknown time there). Such a file is new to the source, and all its
// lines are read; start_at is for the files of a first start or of a glob
// newly added.
func (s *Source) bornSinceLastRun(f *file) bool {
	if s.lastPaths[f.path] {
		return true
	}
	if !s.lastDirs[filepath.Dir(f.path)] {
		return false
	}
	born, ok := birthTime(f.fh)
	if !ok || s.lastScanned.IsZero() {
		return true
	}
	return born.After(s.lastScanned.Add(-birthSlack))
}
