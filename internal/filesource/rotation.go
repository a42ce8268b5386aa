package filesource

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/odpswatch/odpswatch/internal/positions"
)

// released is a file let go after rotation, remembered for a while in case
// it shows up again under a name the globs match.
type released struct {
	offset int64
	fp     fingerprint
	at     time.Time
}

// check brings a followed file up to date: reads what was appended, notices
// truncation, and, if its path no longer leads to it, reads it to its end
// and lets it go.
func (s *Source) check(ctx context.Context, f *file) {
	if f.fh == nil {
		return
	}
	s.progress.busy(s.now(), f.path)
	truncations := len(s.truncations)
	defer func() {
		if len(s.truncations) > truncations && s.holding > 0 {
			s.decideAllHeld(ctx)
		}
	}()
	replaced := false
	if !f.draining {
		if st, err := os.Stat(f.path); err != nil || keyOf(st) != f.key {
			// Rotated, deleted or swapped: keep reading the old file (the
			// writer may not have reopened yet) until it has been idle for
			// partial_line_timeout, and follow what is at the path now.
			replaced = true
			s.setDraining(f, true)
			s.unlink(f)
			s.opts.Metrics.rotations.WithLabelValues(s.opts.Name).Inc()
			s.opts.Logger.Debug("rotated; reading the old file to its end", "source", s.opts.Name, "path", f.path)
		}
	}
	if f.copyWait && s.decideHeld(f) {
		// Not read while it may be a copy; a file at its path now is
		// followed all the same.
		if replaced && s.matches(f.path) {
			s.discover(ctx, f.path, false)
		}
		return
	}
	st, err := f.fh.Stat()
	if err != nil {
		s.report(f.path, "stat", err)
		return
	}
	// The first bytes are compared only when the size moved: a rewrite to
	// the very same size is not worth a read per file and poll.
	if size := st.Size(); size < f.readOff || size != f.size.Load() && f.fp.changed(f.fh, size) {
		s.truncated(f)
	}
	f.setSize(st.Size())
	if err := s.read(ctx, f, st.Size()); err != nil {
		if ctx.Err() == nil {
			s.report(f.path, "read", err)
		}
		return
	}
	idle := s.now().Sub(f.lastRead) >= s.opts.PartialLineTimeout
	if f.lines.pending() && (idle || replaced && f.fh == nil) {
		s.flushPending(ctx, f)
	}
	if f.draining && idle {
		s.flushPending(ctx, f)
		s.release(f)
	}
	if replaced && s.matches(f.path) {
		// Everything written to the old file before the rotation is read
		// now; the file now at the path is new: read it from its start.
		s.discover(ctx, f.path, false)
	}
}

// unlink stops finding f by its path, which now leads elsewhere.
func (s *Source) unlink(f *file) {
	if s.byPath[f.path] == f {
		delete(s.byPath, f.path)
	}
	if s.byReal[f.real] == f {
		delete(s.byReal, f.real)
	}
}

// rewritten reports whether f was truncated, or rewritten with other first
// bytes, since its fingerprint was taken. It is checked after each read, so
// that a rewrite during a read is never taken for more of the old content.
func (s *Source) rewritten(f *file) bool {
	st, err := f.fh.Stat()
	if err != nil {
		return false
	}
	return st.Size() < f.readOff || f.fp.changed(f.fh, st.Size())
}

// truncated starts the file again from 0; batches of the old content still
// in flight commit nothing.
func (s *Source) truncated(f *file) {
	s.keepTruncation(f)
	s.opts.Metrics.truncations.WithLabelValues(s.opts.Name).Inc()
	s.opts.Logger.Info("file truncated; reading again from its start", "source", s.opts.Name, "path", f.path, "offset", f.readOff)
	f.mu.Lock()
	f.offsets.Reset(0)
	f.mu.Unlock()
	f.readOff = 0
	f.lines.reset()
	f.fp = fingerprint{}
	f.fp.read(f.fh, 0)
	f.setFingerprint()
}

// release stops following f. Its batches in flight still complete.
func (s *Source) release(f *file) {
	// A deleted file cannot show up again under another name, and its inode
	// may soon belong to a new file: only a file still linked somewhere is
	// remembered.
	linked := linked(f.fh)
	f.fh.Close()
	f.fh = nil
	s.setDraining(f, false)
	if f.copyWait {
		f.mu.Lock()
		f.copyWait = false
		f.mu.Unlock()
		s.holding--
	}
	s.unlink(f)
	// If the file shows up again under a name the globs match (rotated to
	// job.log.1 with a glob job.log*), it resumes where it was read to,
	// rather than being taken for a new file.
	if linked {
		s.released[f.key] = released{offset: f.readOff, fp: f.fp, at: s.now()}
	}
	s.mu.Lock()
	delete(s.files, f.key)
	s.mu.Unlock()
}

// resumeRotatedOut finds, at start-up, the files of saved positions that
// are no longer at their saved path: rotated out of the globs while
// odpswatch was down, or after its last save. As Vector and Filebeat do,
// it looks for each by identity (device and inode, then fingerprint) among
// the files of the directories followed, matched by the globs or not, and
// follows it from its saved offset until it has been read to its end and
// is idle. A saved file found nowhere is gone (deleted, or compressed into
// another file) and its position is dropped; one whose path cannot be
// looked at now (a filesystem not mounted yet) is kept for later.
func (s *Source) resumeRotatedOut() {
	var gone []fileKey
	for k, e := range s.saved {
		st, err := os.Stat(e.Path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && keyOf(st) != k {
			gone = append(gone, k)
		}
	}
	if len(gone) == 0 {
		return
	}
	dirs := make(map[string]bool)
	for d := range s.lastDirs {
		dirs[d] = true
	}
	for _, k := range gone {
		dirs[filepath.Dir(s.saved[k].Path)] = true
	}
	found := filesIn(dirs)
	for _, k := range gone {
		e := s.saved[k]
		if path, ok := found[k]; ok && s.drainFrom(path, k, e) {
			continue
		}
		s.mu.Lock()
		delete(s.saved, k)
		s.mu.Unlock()
		s.opts.Logger.Info("a file of the saved positions is gone; its position is dropped",
			"source", s.opts.Name, "path", e.Path, "offset", e.Offset)
	}
}

// filesIn returns the regular files of dirs by identity.
func filesIn(dirs map[string]bool) map[fileKey]string {
	found := make(map[fileKey]string)
	for dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // gone or unreadable: nothing to find there
		}
		for _, de := range entries {
			if !de.Type().IsRegular() {
				continue
			}
			if info, err := de.Info(); err == nil {
				found[keyOf(info)] = filepath.Join(dir, de.Name())
			}
		}
	}
	return found
}

// drainFrom follows the file at path, of saved entry e, from e's offset as
// a rotated file: read to its end, then let go once idle. It reports false
// if path is not that file (another identity or other first bytes) or is
// shorter than what was read of it.
func (s *Source) drainFrom(path string, k fileKey, e positions.Entry) bool {
	f, st, err := s.open(path, k)
	if err != nil {
		return false
	}
	if !s.drainAs(f, st, e) {
		f.fh.Close()
		return false
	}
	s.mu.Lock()
	delete(s.saved, k)
	s.mu.Unlock()
	s.opts.Logger.Info("reading a file rotated out of the globs from its saved position",
		"source", s.opts.Name, "saved_path", e.Path, "path", f.path, "offset", e.Offset, "size", st.Size())
	return true
}

// drainAs follows the open file f as a rotated file from e's offset, if it
// holds what e was saved for: the same first bytes, and at least as many
// bytes as were read.
func (s *Source) drainAs(f *file, st os.FileInfo, e positions.Entry) bool {
	if !f.fp.matches(e) || st.Size() < e.Offset {
		return false
	}
	s.setDraining(f, true)
	f.readOff, f.lines.start = e.Offset, e.Offset
	f.mu.Lock()
	f.offsets.Reset(e.Offset)
	f.mu.Unlock()
	f.lastRead = s.now()
	s.mu.Lock()
	s.files[f.key] = f
	s.mu.Unlock()
	s.watchDir(filepath.Dir(f.path))
	return true
}

// setDraining marks f as read to its end before it is let go (its path
// leads elsewhere now), or not, keeping count of such files.
func (s *Source) setDraining(f *file, draining bool) {
	if f.draining == draining {
		return
	}
	f.draining = draining
	if draining {
		s.draining++
	} else {
		s.draining--
	}
}
