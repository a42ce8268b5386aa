package filesource

import (
	"context"
	"os"
	"syscall"
	"time"
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
	replaced := false
	if !f.draining {
		if st, err := os.Stat(f.path); err != nil || keyOf(st) != f.key {
			// Rotated, deleted or swapped: keep reading the old file (the
			// writer may not have reopened yet) until it has been idle for
			// partial_line_timeout, and follow what is at the path now.
			replaced, f.draining = true, true
			s.unlink(f)
			s.opts.Metrics.rotations.WithLabelValues(s.opts.Name).Inc()
			s.opts.Logger.Debug("rotated; reading the old file to its end", "source", s.opts.Name, "path", f.path)
		}
	}
	st, err := f.fh.Stat()
	if err != nil {
		s.report(f.path, "stat", err)
		return
	}
	// The first bytes are compared only when the size moved: a rewrite to
	// the very same size is not worth a read per file and poll.
	if size := st.Size(); size < f.readOff || size != f.lastSize && f.fp.changed(f.fh, size) {
		s.truncated(f)
	}
	f.lastSize = st.Size()
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
	s.opts.Metrics.truncations.WithLabelValues(s.opts.Name).Inc()
	s.opts.Logger.Info("file truncated; reading again from its start", "source", s.opts.Name, "path", f.path, "offset", f.readOff)
	f.mu.Lock()
	f.generation++
	f.inflight = nil
	f.committed = 0
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
	linked := true
	if st, err := f.fh.Stat(); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink == 0 {
			linked = false
		}
	}
	f.fh.Close()
	f.fh = nil
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
