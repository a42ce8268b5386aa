// Package filesource follows log files matched by globs and hands their
// lines, in batches, to the pipeline, without losing a line or counting one
// twice across rotation, truncation and restarts.
//
// What it promises:
//   - A file is identified by device and inode plus a fingerprint (SHA-256)
//     of its first bytes, so a reused inode never resumes at a stale offset.
//   - Rotation by rename then create, by delete then re-create, and by
//     symlink swap: the old file is read to its end before it is let go,
//     and the new one is read from its start.
//   - Truncation (copytruncate, or rewriting in place) is seen when the size
//     drops below the read offset or the first bytes change; reading starts
//     again at 0. Lines written after a copy and before the truncate that
//     had not been read are lost: the file no longer holds them.
//   - A position (Positions) only moves past a line once the pipeline has
//     counted it: batches are committed in file order, whatever order the
//     workers finish them in.
//   - Lines longer than max_line_bytes are cut for scanning and flagged; a
//     last line without '\n' is held until its '\n' comes or the file has
//     been idle for partial_line_timeout.
//   - inotify (fsnotify) wakes it when a watched directory changes, with a
//     slower safety poll; without inotify (watch: poll, a filesystem where
//     it does not work, or the watch limit reached) it polls at
//     poll_interval. An unreadable file or directory is reported (log and
//     metric) and retried at each rescan, never fatal.
//   - Memory is bounded: batch buffers come from a fixed pool, and a line in
//     progress keeps at most max_line_bytes.
package filesource

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
)

// FingerprintBytes is how many of a file's first bytes identify it.
const FingerprintBytes = 1024

// Options configure a file source.
type Options struct {
	Name               string
	Paths, Exclude     []string
	StartAtEnd         bool // files that exist at start and have no position start at their end
	Poll               bool // poll only, no inotify
	PollInterval       time.Duration
	RescanInterval     time.Duration
	PartialLineTimeout time.Duration
	MaxFiles           int
	MaxLineBytes       int
	BatchBytes         int
	// Pool holds the batch buffers, each BatchBytes long, shared by the
	// sources of a daemon: the bound on the memory of lines in flight. Nil
	// gives the source a pool of its own, of Buffers buffers.
	Pool    chan []byte
	Buffers int
	Logger  *slog.Logger
	Metrics *Metrics
}

// Source follows the files of one source.
type Source struct {
	opts  Options
	out   chan<- *pipeline.Batch
	saved map[fileKey]positions.Entry
	pool  chan []byte

	mu    sync.Mutex // guards files (Positions reads it)
	files map[fileKey]*file

	byPath   map[string]*file // files by the path they are followed at
	byReal   map[string]*file // symlinked files by their target's path
	released map[fileKey]released
	reported map[string]string
	polling  bool
	watcher  *fsnotify.Watcher
	watched  map[string]bool
	now      func() time.Time
	ready    chan struct{}
	batches  sync.WaitGroup // batches sent and not yet done
}

// WaitBatches waits until every batch sent has been done (counted), so that
// Positions covers them.
func (s *Source) WaitBatches() { s.batches.Wait() }

type fileKey struct{ dev, ino uint64 }

// released is a file let go after rotation, remembered for a while in case
// it shows up again under a name the globs match.
type released struct {
	offset int64
	fp     fingerprint
	at     time.Time
}

// New returns a source that sends to out, resuming the files in saved
// (the positions of this source from the last run).
func New(opts Options, out chan<- *pipeline.Batch, saved []positions.Entry) *Source {
	s := &Source{
		opts:     opts,
		out:      out,
		saved:    make(map[fileKey]positions.Entry),
		pool:     opts.Pool,
		files:    make(map[fileKey]*file),
		byPath:   make(map[string]*file),
		byReal:   make(map[string]*file),
		released: make(map[fileKey]released),
		reported: make(map[string]string),
		watched:  make(map[string]bool),
		polling:  opts.Poll,
		now:      time.Now,
		ready:    make(chan struct{}),
	}
	if s.pool == nil {
		s.pool = NewPool(opts.Buffers, opts.BatchBytes)
	}
	// Series at 0 from the start, so that rate() and alerts see the first
	// rotation rather than a series appearing.
	m := opts.Metrics
	for _, c := range []*prometheus.CounterVec{m.rotations, m.truncations, m.watchFallbacks} {
		c.WithLabelValues(opts.Name)
	}
	for _, e := range saved {
		s.saved[fileKey{e.Device, e.Inode}] = e
	}
	return s
}

// NewPool returns a pool of n batch buffers of size bytes.
func NewPool(n, size int) chan []byte {
	p := make(chan []byte, n)
	for range n {
		p <- make([]byte, size)
	}
	return p
}

// Ready is closed once the source has found its files and set their
// start positions.
func (s *Source) Ready() <-chan struct{} { return s.ready }

// Positions returns the committed position of every file followed. It is
// safe to call while the source runs.
func (s *Source) Positions() []positions.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]positions.Entry, 0, len(s.files))
	for k, f := range s.files {
		f.mu.Lock()
		out = append(out, positions.Entry{
			Source: s.opts.Name, Path: f.path, Device: k.dev, Inode: k.ino,
			Fingerprint: f.fpHex, FingerprintLen: f.fpLen, Offset: f.committed,
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

// Run follows the files until ctx is done. Batches already sent keep their
// buffers until done; Run does not wait for them.
func (s *Source) Run(ctx context.Context) error {
	defer s.closeAll()
	if !s.polling {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			s.fallBackToPolling("cannot start inotify", err)
		} else {
			s.watcher = w
			defer w.Close()
		}
	}
	s.rescan(ctx, true)
	s.updateGauges()
	close(s.ready)
	s.checkAll(ctx, true)
	poll := time.NewTicker(s.pollEvery())
	defer poll.Stop()
	ticks := 0
	rescan := time.NewTicker(s.opts.RescanInterval)
	defer rescan.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if s.watcher != nil {
		events, errs = s.watcher.Events, s.watcher.Errors
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			s.onEvent(ctx, ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow or a failing watch: inotify can no longer be
			// trusted to wake us.
			s.fallBackToPolling("inotify failed", err)
			poll.Reset(s.pollEvery())
		case <-poll.C:
			// With inotify, most ticks look only at the files that wait
			// for time to pass (a partial line, a rotated file draining);
			// every file gets a full look every fullCheckEvery ticks, in
			// case an event was missed. Idle cost then stays low with many
			// files. Polling looks at every file every tick.
			ticks++
			full := s.polling || ticks%fullCheckEvery == 0
			s.checkAll(ctx, full)
			if full {
				s.updateGauges()
			}
		case <-rescan.C:
			s.rescan(ctx, false)
		}
		if s.polling && s.watcher != nil {
			s.watcher.Close()
			s.watcher, events, errs = nil, nil, nil
			poll.Reset(s.pollEvery())
		}
	}
}

// pollEvery is the polling period: poll_interval when polling, and a safety
// poll four times slower with inotify (at least every second), which also
// drives partial-line timeouts.
func (s *Source) pollEvery() time.Duration {
	if s.polling {
		return s.opts.PollInterval
	}
	return min(max(4*s.opts.PollInterval, 100*time.Millisecond), time.Second)
}

func (s *Source) fallBackToPolling(why string, err error) {
	if s.polling {
		return
	}
	s.polling = true
	s.opts.Metrics.watchFallbacks.WithLabelValues(s.opts.Name).Inc()
	s.opts.Logger.Warn("falling back to polling", "source", s.opts.Name, "reason", why, "err", err, "poll_interval", s.opts.PollInterval)
}

func (s *Source) onEvent(ctx context.Context, ev fsnotify.Event) {
	if (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) && s.watched[ev.Name] {
		// The kernel dropped the watch with the directory; a new one is
		// added at the next rescan if it comes back.
		delete(s.watched, ev.Name)
	}
	if f, ok := s.byPath[ev.Name]; ok {
		s.check(ctx, f)
		return
	}
	if f, ok := s.byReal[ev.Name]; ok {
		s.check(ctx, f)
		return
	}
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Write) {
		// A new file in a watched directory: follow it at once if it
		// matches, rather than at the next rescan.
		if s.matches(ev.Name) {
			s.discover(ctx, ev.Name, false)
		}
	}
}

// matches reports whether path is selected by the source's globs.
func (s *Source) matches(path string) bool {
	ok := false
	for _, p := range s.opts.Paths {
		if m, _ := doublestar.PathMatch(filepath.Clean(p), path); m {
			ok = true
			break
		}
	}
	return ok && !s.excluded(path)
}

func (s *Source) excluded(path string) bool {
	for _, x := range s.opts.Exclude {
		if m, _ := doublestar.PathMatch(x, filepath.Base(path)); m {
			return true
		}
		if m, _ := doublestar.PathMatch(x, path); m {
			return true
		}
	}
	return false
}

// rescan expands the globs, follows new files and notices the ones gone.
func (s *Source) rescan(ctx context.Context, startup bool) {
	seen := make(map[string]bool)
	for _, pattern := range s.opts.Paths {
		base, _ := doublestar.SplitPattern(filepath.ToSlash(pattern))
		s.watchDir(filepath.FromSlash(base))
		matches, err := doublestar.FilepathGlob(pattern, doublestar.WithFailOnIOErrors())
		if err != nil {
			s.report(pattern, "glob", fmt.Errorf("cannot expand %s: %w", pattern, err))
			// A partial answer is better than none: try without failing.
			matches, _ = doublestar.FilepathGlob(pattern)
		}
		for _, path := range matches {
			if s.excluded(path) || seen[path] {
				continue
			}
			seen[path] = true
			s.discover(ctx, path, startup)
		}
	}
	// Followed paths that no glob gives any more: renamed out of the glob or
	// deleted. check() reads them to their end and lets them go.
	for path, f := range s.byPath {
		if !seen[path] {
			s.check(ctx, f)
		} else {
			s.watchDir(filepath.Dir(path)) // again, if its directory was re-created
		}
	}
	// Problems of paths no glob gives any more are forgotten, so that the
	// map holds at most the paths matched now (and the globs).
	for path := range s.reported {
		if !seen[path] && !slices.Contains(s.opts.Paths, path) {
			delete(s.reported, path)
		}
	}
	for k, r := range s.released {
		if s.now().Sub(r.at) > 2*s.opts.RescanInterval {
			delete(s.released, k)
		}
	}
	if startup {
		// Saved positions of files that are gone (deleted, or their path now
		// holds another file) are dropped; those of files that cannot be
		// looked at now are kept for later.
		for k, e := range s.saved {
			st, err := os.Stat(e.Path)
			if errors.Is(err, fs.ErrNotExist) || err == nil && keyOf(st) != k {
				s.mu.Lock()
				delete(s.saved, k)
				s.mu.Unlock()
			}
		}
	}
}

func (s *Source) watchDir(dir string) {
	if s.watcher == nil || s.watched[dir] {
		return
	}
	if err := s.watcher.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			s.fallBackToPolling("inotify watch limit reached", err)
			return
		}
		if !errors.Is(err, fs.ErrNotExist) {
			s.report(dir, "watch", fmt.Errorf("cannot watch %s: %w", dir, err))
		}
		return
	}
	s.watched[dir] = true
}

// report logs a problem with path once, until it changes, and counts it.
func (s *Source) report(path, reason string, err error) {
	s.opts.Metrics.readErrors.WithLabelValues(s.opts.Name, reason).Inc()
	if s.reported[path] == err.Error() {
		return
	}
	s.reported[path] = err.Error()
	s.opts.Logger.Warn("cannot follow a file; retrying at each rescan", "source", s.opts.Name, "path", path, "reason", reason, "err", err)
}

// discover starts following path if it is a file not followed yet.
func (s *Source) discover(ctx context.Context, path string, startup bool) {
	// The path can be rotated between the stat and the open: a few tries
	// until both see the same file.
	for range 3 {
		if s.tryDiscover(ctx, path, startup) {
			return
		}
	}
}

// tryDiscover is one attempt of discover; it reports false when the path
// changed under it and it should try again.
func (s *Source) tryDiscover(ctx context.Context, path string, startup bool) bool {
	st, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.report(path, "stat", err)
		}
		return true
	}
	if st.IsDir() {
		s.report(path, "directory", fmt.Errorf("%s matches the glob but is a directory", path))
		return true
	}
	if !st.Mode().IsRegular() {
		// A FIFO would block the open; a device is no log file.
		s.report(path, "irregular", fmt.Errorf("%s matches the glob but is not a regular file (%s)", path, st.Mode().Type()))
		return true
	}
	key := keyOf(st)
	if f, ok := s.files[key]; ok {
		if f.path != path && s.byPath[f.path] == f {
			// The same file under a new name inside the globs: follow it
			// there (rename rotation to a name that still matches).
			delete(s.byPath, f.path)
		}
		if cur, ok := s.byPath[path]; ok && cur != f {
			s.check(ctx, cur)
		}
		f.mu.Lock()
		f.path = path
		f.mu.Unlock()
		s.byPath[path] = f
		f.draining = false // followed on under its new name
		s.check(ctx, f)
		return true
	}
	if cur, ok := s.byPath[path]; ok {
		// The path now holds another file: let the old one finish first.
		s.check(ctx, cur)
		if s.byPath[path] != nil {
			return true
		}
	}
	if len(s.files) >= s.opts.MaxFiles {
		s.report(path, "max_files", fmt.Errorf("already following max_files=%d files", s.opts.MaxFiles))
		return true
	}
	fh, err := os.Open(path)
	if err != nil {
		s.report(path, "open", err)
		return true
	}
	// Identity comes from what was opened, not from the path's stat.
	if fst, err := fh.Stat(); err != nil || keyOf(fst) != key {
		fh.Close()
		return false
	}
	delete(s.reported, path)
	f := &file{path: path, fh: fh, key: key, lastSize: -1}
	if err := f.fp.read(fh, st.Size()); err != nil {
		fh.Close()
		s.report(path, "read", err)
		return true
	}
	f.setFingerprint()
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		f.real = real
	}
	f.readOff = s.startOffset(f, st, startup)
	f.committed = f.readOff
	f.pendingStart = f.readOff
	f.lastRead = s.now()
	s.mu.Lock()
	s.files[key] = f
	s.mu.Unlock()
	s.byPath[path] = f
	s.watchDir(filepath.Dir(path))
	if f.real != "" {
		// A symlink: writes show up in the target's directory.
		s.byReal[f.real] = f
		s.watchDir(filepath.Dir(f.real))
	}
	s.opts.Logger.Debug("following", "source", s.opts.Name, "path", path, "offset", f.readOff)
	if !startup {
		// At start-up, files are only opened and placed: the source is
		// ready (and positions can be saved) before any backlog is read.
		s.check(ctx, f)
	}
	return true
}

// startOffset decides where a newly followed file is read from: its saved
// position if it is the same file (inode and fingerprint), else its end if
// it was there at start-up and start_at is end, else its start.
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
	if startup && s.opts.StartAtEnd {
		return st.Size()
	}
	return 0
}

func keyOf(st os.FileInfo) fileKey {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return fileKey{uint64(sys.Dev), sys.Ino}
	}
	return fileKey{}
}

// fullCheckEvery is how many safety ticks pass, with inotify, between two
// looks at every file.
const fullCheckEvery = 10

// checkAll checks every file, or, unless full, only those waiting on time.
func (s *Source) checkAll(ctx context.Context, full bool) {
	for _, f := range s.snapshot() {
		if full || f.pendingLen > 0 || f.draining {
			s.check(ctx, f)
		}
	}
}

func (s *Source) snapshot() []*file {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*file, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, f)
	}
	return out
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
	if f.pendingLen > 0 && (idle || replaced && f.fh == nil) {
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
	f.readOff, f.pendingStart, f.pendingLen = 0, 0, 0
	f.pending = f.pending[:0]
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

func (s *Source) closeAll() {
	for _, f := range s.snapshot() {
		if f.fh != nil {
			f.fh.Close()
			f.fh = nil
		}
	}
}

// getBuffer waits for a free batch buffer: the pool is the source's share of
// memory, and waiting on it is how a slow pipeline slows the source down.
func (s *Source) getBuffer(ctx context.Context) ([]byte, bool) {
	select {
	case b := <-s.pool:
		return b[:0], true
	case <-ctx.Done():
		return nil, false
	}
}

// putBuffer gives a pool buffer back. It never blocks: the pool has room
// for every buffer it handed out.
func (s *Source) putBuffer(b []byte) {
	select {
	case s.pool <- b[:0]:
	default:
		panic("BUG: more buffers given back to the pool than taken")
	}
}

// read reads f from its read offset up to size (or its current end) and
// sends the whole lines it holds.
func (s *Source) read(ctx context.Context, f *file, size int64) error {
	// Up to the size seen by the caller's stat, and a little more: a writer
	// faster than us must not keep this file's check from ever returning.
	for f.readOff < size {
		buf, ok := s.getBuffer(ctx)
		if !ok {
			return ctx.Err()
		}
		start := f.readOff
		// A short partial line moves to the front of the batch, to be
		// completed by what comes next; a long one stays in pending.
		if f.pendingLen > 0 && f.pendingLen == int64(len(f.pending)) && len(f.pending) <= cap(buf)/2 {
			buf = append(buf, f.pending...)
			start = f.pendingStart
			f.pending, f.pendingLen = f.pending[:0], 0
		}
		n, err := f.fh.ReadAt(buf[len(buf):cap(buf)], f.readOff)
		if n > 0 && s.rewritten(f) {
			// Truncated or rewritten in place while being read: what was
			// just read may be the new content at the old offset. Drop it
			// and start again from 0.
			s.putBuffer(buf)
			s.truncated(f)
			st, serr := f.fh.Stat()
			if serr != nil {
				return serr
			}
			size = st.Size()
			f.lastSize = size
			continue
		}
		buf = buf[:len(buf)+n]
		f.readOff += int64(n)
		if n > 0 {
			f.lastRead = s.now()
			f.growFingerprint(buf[len(buf)-n:], f.readOff-int64(n))
		}
		if err != nil && err != io.EOF {
			s.putBuffer(buf)
			return err
		}
		if !s.emit(ctx, f, buf, start) {
			return ctx.Err()
		}
		if n == 0 || err == io.EOF {
			return nil
		}
	}
	return nil
}

// emit sends the whole lines of data (which starts at offset start) and
// keeps the partial line at its end in pending. It owns data's buffer.
func (s *Source) emit(ctx context.Context, f *file, data []byte, start int64) bool {
	if f.pendingLen > 0 {
		// A long line in progress: data continues it.
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			f.appendPending(data, s.opts.MaxLineBytes)
			s.putBuffer(data)
			return true
		}
		f.appendPending(data[:nl], s.opts.MaxLineBytes)
		if !s.sendPending(ctx, f, f.pendingStart+f.pendingLen+1) {
			s.putBuffer(data)
			return false
		}
		// Move the rest to the front of the buffer, which must go back to
		// the pool whole.
		data = data[:copy(data, data[nl+1:])]
		start += int64(nl) + 1
	}
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		f.pendingStart = start
		f.appendPending(data, s.opts.MaxLineBytes)
		s.putBuffer(data)
		return true
	}
	tail := data[last+1:]
	if len(tail) > 0 {
		f.pendingStart = start + int64(last) + 1
		f.appendPending(tail, s.opts.MaxLineBytes)
	}
	lines := data[:last+1]
	return s.send(ctx, f, lines, start, start+int64(last)+1, false, true)
}

// sendPending sends the line in pending, which ends at end (after its '\n',
// or at the partial line's end).
func (s *Source) sendPending(ctx context.Context, f *file, end int64) bool {
	line := f.pending
	cut := f.pendingLen > int64(len(line))
	f.pending, f.pendingLen = nil, 0 // the batch owns the old buffer now
	return s.send(ctx, f, line, f.pendingStart, end, cut, false)
}

// flushPending sends a last line without '\n' as it is.
func (s *Source) flushPending(ctx context.Context, f *file) {
	if f.pendingLen == 0 {
		return
	}
	end := f.pendingStart + f.pendingLen
	s.sendPending(ctx, f, end)
	f.pendingStart = end
}

// send hands lines [start, end) of f to the pipeline and registers them, so
// that f's position moves past them once they are counted. pooled says data
// is a pool buffer, to give back when the batch is done (a pending line has
// a buffer of its own, left to the collector).
func (s *Source) send(ctx context.Context, f *file, data []byte, start, end int64, cut, pooled bool) bool {
	f.mu.Lock()
	gen := f.generation
	ib := &inflight{end: end}
	f.inflight = append(f.inflight, ib)
	f.mu.Unlock()
	b := &pipeline.Batch{Source: s.opts.Name, Origin: f.path, Offset: start, End: end, Data: data, Cut: cut}
	s.batches.Add(1)
	b.Done = func() {
		defer s.batches.Done()
		f.commit(ib, gen)
		if pooled {
			s.putBuffer(data)
		}
	}
	if !pipeline.Send(ctx, s.out, b) {
		s.batches.Done()
		if pooled {
			s.putBuffer(data)
		}
		return false
	}
	return true
}

func (s *Source) updateGauges() {
	s.mu.Lock()
	n := len(s.files)
	var lag int64
	for _, f := range s.files {
		if f.fh == nil {
			continue
		}
		if st, err := f.fh.Stat(); err == nil {
			f.mu.Lock()
			lag += max(0, st.Size()-f.committed)
			f.mu.Unlock()
		}
	}
	s.mu.Unlock()
	m := s.opts.Metrics
	m.watched.WithLabelValues(s.opts.Name).Set(float64(n))
	m.lag.WithLabelValues(s.opts.Name).Set(float64(lag))
	polling := 0.0
	if s.polling {
		polling = 1
	}
	m.polling.WithLabelValues(s.opts.Name).Set(polling)
}

// file is one followed file.
type file struct {
	path string
	fh   *os.File
	key  fileKey
	fp   fingerprint

	real         string // the file's path with symlinks resolved, for events
	draining     bool   // its path leads elsewhere now: read until idle, then let go
	readOff      int64  // next byte to read
	lastSize     int64  // size at the last check
	pending      []byte // a partial line, at most max_line_bytes of it
	pendingStart int64  // offset of pending[0]
	pendingLen   int64  // the partial line's whole length so far
	lastRead     time.Time

	mu         sync.Mutex // guards the fields below, shared with workers and Positions
	fpHex      string     // hash of fp.head
	fpLen      int
	committed  int64
	inflight   []*inflight // in file order
	generation int         // bumped by truncation
}

type inflight struct {
	end  int64
	done bool
}

// growFingerprint adds bytes read at off to the fingerprint while it is
// short of FingerprintBytes.
func (f *file) growFingerprint(b []byte, off int64) {
	if len(f.fp.head) >= FingerprintBytes {
		return
	}
	f.fp.grow(b, off)
	f.setFingerprint()
}

func (f *file) setFingerprint() {
	h := f.fp.hex()
	f.mu.Lock()
	f.fpHex, f.fpLen = h, len(f.fp.head)
	f.mu.Unlock()
}

func (f *file) appendPending(p []byte, limit int) {
	f.pendingLen += int64(len(p))
	if room := limit - len(f.pending); room > 0 {
		f.pending = append(f.pending, p[:min(room, len(p))]...)
	}
}

// commit marks a batch counted and moves the committed offset past every
// batch counted before the first one still in flight.
func (f *file) commit(ib *inflight, gen int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.generation {
		return
	}
	ib.done = true
	i := 0
	for ; i < len(f.inflight) && f.inflight[i].done; i++ {
		f.committed = f.inflight[i].end
	}
	f.inflight = f.inflight[i:]
}

// fingerprint is a file's first bytes (up to FingerprintBytes) and their
// hash.
type fingerprint struct {
	head []byte
}

func (p *fingerprint) read(fh *os.File, size int64) error {
	n := min(size, FingerprintBytes)
	p.head = make([]byte, n, FingerprintBytes)
	if n == 0 {
		return nil
	}
	got, err := fh.ReadAt(p.head, 0)
	p.head = p.head[:got]
	if err == io.EOF {
		err = nil
	}
	return err
}

// grow adds bytes read at offset off to the fingerprint while it is short.
func (p *fingerprint) grow(b []byte, off int64) {
	if int64(len(p.head)) >= FingerprintBytes || off > int64(len(p.head)) {
		return
	}
	skip := int64(len(p.head)) - off
	if skip >= int64(len(b)) {
		return
	}
	b = b[skip:]
	p.head = append(p.head, b[:min(len(b), FingerprintBytes-len(p.head))]...)
}

// changed reports whether the file's first bytes differ from the
// fingerprint: the file was truncated and written again.
func (p *fingerprint) changed(fh *os.File, size int64) bool {
	n := int64(len(p.head))
	if n == 0 {
		return false
	}
	if size < n {
		return true
	}
	var buf [FingerprintBytes]byte
	got, err := fh.ReadAt(buf[:n], 0)
	if err != nil && err != io.EOF {
		return false
	}
	return !bytes.Equal(buf[:got], p.head)
}

func (p *fingerprint) hex() string {
	if len(p.head) == 0 {
		return ""
	}
	sum := sha256.Sum256(p.head)
	return hex.EncodeToString(sum[:])
}

func (p *fingerprint) matches(e positions.Entry) bool {
	if e.FingerprintLen == 0 {
		return true
	}
	if len(p.head) < e.FingerprintLen {
		return false
	}
	sum := sha256.Sum256(p.head[:e.FingerprintLen])
	return hex.EncodeToString(sum[:]) == e.Fingerprint
}
