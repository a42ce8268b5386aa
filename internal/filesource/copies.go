package filesource

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/odpswatch/odpswatch/internal/positions"
)

// Copies: logrotate's copytruncate copies job.log to job.log.1, then
// truncates job.log. With a glob that matches the copy (job.log*), the
// copy is a new inode holding what was already read from the original; it
// is recognised by its content and read only from where the original had
// been read to, so that nothing is counted twice. Lines the copy holds
// past that point (written to the original after its last read) are read
// from the copy: only what was written between the copy and the truncate
// is lost.
//
// A new file whose name begins that of a followed file of its directory
// (job.log.1, job.log-20261206 for job.log) is held, not read, while it
// may still be its copy: while it is empty, or all it holds equals that
// file's first bytes and it is no longer than that file (a copy in
// progress, or the copy of a file not truncated yet). It is decided, and
// read, as soon as it differs (a new file: from its start), once it holds
// the whole fingerprint of a file truncated since (a copy: from where that
// file was read to), or once it has been idle for partial_line_timeout (a
// finished copy of a live file: from where that file is read to; anything
// else: from its start).

// truncation is what a file held before it was truncated, kept for a
// while to recognise its copy.
type truncation struct {
	path   string // where it was followed
	head   []byte // its first bytes (the fingerprint), if known
	fp     positions.Entry
	offset int64 // where it had been read to: its copy is read from there
	at     time.Time
}

// matches reports whether head is all of the truncated file's first bytes
// (full), or a part of them so far (prefix).
func (t truncation) matches(head []byte) (full, prefix bool) {
	if t.head == nil {
		// Known by its saved fingerprint only: all of it, or nothing.
		return t.fp.FingerprintLen > 0 && len(head) >= t.fp.FingerprintLen &&
			(&fingerprint{head: head}).matches(t.fp), false
	}
	m := min(len(head), len(t.head))
	if m == 0 || !bytes.Equal(head[:m], t.head[:m]) {
		return false, false
	}
	return m == len(t.head), m < len(t.head)
}

// keepTruncation remembers what f held before its truncation.
func (s *Source) keepTruncation(f *file) {
	if len(f.fp.head) == 0 {
		return
	}
	s.truncations = append(s.truncations, truncation{path: f.path, head: f.fp.head, offset: f.countedTo(), at: s.now()})
}

// countedTo is where f has been read to in whole lines: its read offset,
// or the start of its line in progress, which is not counted yet (a copy
// of f has that line whole).
func (f *file) countedTo() int64 {
	if f.lines.pending() {
		return f.lines.start
	}
	return f.readOff
}

// truncatedWhileDown remembers, at start-up, the saved files whose path
// still holds the same inode with other first bytes, or fewer bytes than
// were read: truncated while odpswatch was down, maybe copied first. A
// copy matched by the globs is recognised when it is found; one that is
// not (job.log.1 with a glob job.log) is looked for here, among the files
// of the directories followed, and read from the saved offset to its end:
// it alone holds the lines written after the last read and before the
// copy.
func (s *Source) truncatedWhileDown() {
	var truncated []positions.Entry
	dirs := make(map[string]bool)
	for k, e := range s.saved {
		if e.FingerprintLen == 0 {
			continue
		}
		st, err := os.Stat(e.Path)
		if err != nil || keyOf(st) != k {
			continue
		}
		f, _, err := s.open(e.Path, k)
		if err != nil {
			continue
		}
		if st.Size() < e.Offset || !f.fp.matches(e) {
			s.truncations = append(s.truncations, truncation{path: e.Path, fp: e, offset: e.Offset, at: s.now()})
			truncated = append(truncated, e)
			dirs[filepath.Dir(e.Path)] = true
		}
		f.fh.Close()
	}
	if len(truncated) == 0 {
		return
	}
	for d := range s.lastDirs {
		dirs[d] = true
	}
	for k, path := range filesIn(dirs) {
		if _, ok := s.saved[k]; ok {
			continue // a file of its own
		}
		f, st, err := s.open(path, k)
		if err != nil {
			continue
		}
		i := slices.IndexFunc(truncated, func(e positions.Entry) bool { return copyName(path, e.Path) && s.drainAs(f, st, e) })
		if i < 0 {
			f.fh.Close()
			continue
		}
		s.copyFound(f, truncated[i].Offset)
		truncated = slices.Delete(truncated, i, i+1)
		if len(truncated) == 0 {
			return
		}
	}
}

// forgetTruncations drops those kept longer than a copy takes to be found.
func (s *Source) forgetTruncations() {
	keep := s.truncations[:0]
	for _, t := range s.truncations {
		if s.now().Sub(t.at) <= max(2*s.opts.RescanInterval, s.opts.PartialLineTimeout) {
			keep = append(keep, t)
		}
	}
	clear(s.truncations[len(keep):])
	s.truncations = keep
}

// copyVerdict is what is known of a new file: a copy of another, or not.
type copyVerdict int

const (
	notACopy copyVerdict = iota
	maybeACopy
	aCopy
)

// copyOf decides whether the new file f, of size bytes, is a copy, and if
// so where it is read from. Only files of the same directory whose name
// begins f's can be its original (job.log for job.log.1 or
// job.log-20261206), as logrotate names its copies: a new job.log is
// never taken for a copy of job.log.1, nor a.log of b.log. Unless live,
// f is compared only with the files truncated since they were read: at
// start-up, a file that starts like another is no copy in progress.
func (s *Source) copyOf(f *file, size int64, live bool) (copyVerdict, int64) {
	head := f.fp.head
	verdict := notACopy
	for _, t := range s.truncations {
		if !copyName(f.path, t.path) {
			continue
		}
		full, prefix := t.matches(head)
		if full {
			return aCopy, min(t.offset, size)
		}
		if prefix || len(head) == 0 {
			verdict = maybeACopy
		}
	}
	if !live {
		return verdict, 0
	}
	var original *file
	for _, o := range s.originals(f) {
		m := min(len(head), len(o.fp.head))
		if !bytes.Equal(head[:m], o.fp.head[:m]) {
			continue
		}
		st, err := o.fh.Stat()
		if err != nil {
			continue
		}
		if st.Size() < o.readOff || o.fp.changed(o.fh, st.Size()) {
			// Truncated since it was last looked at (its event is
			// still queued behind the copy's): as if that truncation
			// had been seen.
			t := truncation{path: o.path, head: o.fp.head, offset: o.countedTo()}
			if full, prefix := t.matches(head); full {
				return aCopy, min(t.offset, size)
			} else if prefix || m == 0 {
				verdict = maybeACopy
			}
			continue
		}
		// A copy is never longer than its original (as it is now: it
		// may have grown since it was last read).
		if size <= st.Size() && original == nil {
			verdict, original = maybeACopy, o
		}
	}
	if verdict == maybeACopy && s.now().Sub(f.lastRead) >= s.opts.PartialLineTimeout {
		// Idle all that time: decided by what it holds. All of a live
		// file's fingerprint is a finished copy of a file that was not
		// truncated, and what it holds was read from that file; less
		// (nothing, or a part) is a file of its own.
		if original != nil && len(head) > 0 && len(head) >= len(original.fp.head) {
			return aCopy, min(original.readOff, size)
		}
		return notACopy, 0
	}
	return verdict, 0
}

// originals returns the followed files that may be f's original, shortest
// name first: those of f's directory whose name is a proper prefix of f's.
// It costs a map look-up per byte of f's name, not a look at every file.
func (s *Source) originals(f *file) []*file {
	dir, name := filepath.Split(f.path)
	var out []*file
	for n := 1; n < len(name); n++ {
		o := s.byPath[dir+name[:n]]
		if o != nil && o != f && o.fh != nil && !o.copyWait && len(o.fp.head) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// copyName reports whether a file at path may be a copy of the file at
// original: in the same directory, its name beginning with the original's.
func copyName(path, original string) bool {
	if original == "" {
		return false
	}
	dir, name := filepath.Split(path)
	odir, oname := filepath.Split(original)
	return dir == odir && len(name) > len(oname) && strings.HasPrefix(name, oname)
}

// hold keeps the new file f unread while it may be a copy.
func (s *Source) hold(f *file) {
	f.mu.Lock()
	f.copyWait = true
	f.mu.Unlock()
	s.holding++
}

// copyFound counts and logs the copy f, read from off.
func (s *Source) copyFound(f *file, off int64) {
	s.opts.Metrics.copies.WithLabelValues(s.opts.Name).Inc()
	s.opts.Logger.Info("a copy of a file already read (copytruncate); reading it from where the original was read to",
		"source", s.opts.Name, "path", f.path, "offset", off)
}

// decideHeld looks again at the file f held as a possible copy, and places
// it once decided. It reports whether f is still held.
func (s *Source) decideHeld(f *file) bool {
	st, err := f.fh.Stat()
	if err != nil {
		s.report(f.path, "stat", err)
		return true
	}
	if !linked(f.fh) {
		s.release(f) // deleted before anything was decided: nothing to read
		return true
	}
	if st.Size() != f.size.Load() {
		f.setSize(st.Size())
		f.lastRead = s.now() // growing: not idle
	}
	// Its first bytes again, each look: it may have grown, or been
	// rewritten. (A new file's were read when it was opened.)
	if err := f.fp.read(f.fh, st.Size()); err != nil {
		return true
	}
	verdict, off := s.copyOf(f, st.Size(), true)
	if verdict == maybeACopy {
		return true
	}
	f.mu.Lock()
	f.copyWait = false
	f.mu.Unlock()
	s.holding--
	s.place(f, off)
	if verdict == aCopy {
		s.copyFound(f, off)
	}
	return false
}

// place sets where f is read from.
func (s *Source) place(f *file, off int64) {
	f.readOff = off
	f.lines.start = off
	f.setSize(-1)
	f.fp = fingerprint{}
	f.fp.read(f.fh, off)
	f.setFingerprint()
	f.mu.Lock()
	f.offsets.Reset(off)
	f.mu.Unlock()
}

// decideAllHeld looks again at every file held as a possible copy: a
// truncation was just seen, which may decide them.
func (s *Source) decideAllHeld(ctx context.Context) {
	for _, f := range s.snapshot() {
		if f.copyWait {
			s.check(ctx, f)
		}
	}
}
