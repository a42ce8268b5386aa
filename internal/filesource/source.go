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
//     again at 0. copytruncate's copy is read only from where the original
//     was read to (copies.go); what was written between the copy and the
//     truncate is in neither file.
//   - Across a stop or a crash (resume.go): a file rotated in at a saved
//     path, or born in a followed directory since the last look, is read
//     from its start; a saved file rotated out of the globs is found by
//     identity and drained from its saved offset; start_at is only for
//     files the last run could not have known.
//   - Opening never blocks (a FIFO swapped in is refused), and Busy tells
//     how long the loop has been on one piece of work, so that a call that
//     hangs makes the daemon unhealthy.
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
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
)

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
	Pool    *Pool
	Buffers int
	Logger  *slog.Logger
	Metrics *Metrics
}

// Source follows the files of one source.
type Source struct {
	opts  Options
	out   chan<- *pipeline.Batch
	saved map[fileKey]positions.Entry
	pool  *Pool
	// What the last run followed: its directories, when it last looked
	// for new files, and the paths it followed files at.
	lastDirs    map[string]bool
	lastScanned time.Time
	lastPaths   map[string]bool

	mu      sync.Mutex // guards files and scanned (Positions and Resume read them)
	files   map[fileKey]*file
	scanned time.Time // when the last rescan began

	byPath   map[string]*file // files by the path they are followed at
	draining int              // how many files are read to their end before they are let go
	holding  int              // how many new files are held as possible copies (copies.go)
	// truncations are what files held before they were truncated, for
	// a while: their copies are recognised by them.
	truncations []truncation
	byReal      map[string]*file // symlinked files by their target's path
	released    map[fileKey]released
	reported    map[string]string
	// problems is a copy of reported, for Status.
	problems atomic.Pointer[map[string]string]
	polling  bool
	watcher  *fsnotify.Watcher
	watched  map[string]bool
	now      func() time.Time
	ready    chan struct{}
	batches  sync.WaitGroup // batches sent and not yet done
	progress progress
}

// WaitBatches waits until every batch sent has been done (counted), so that
// Positions covers them.
func (s *Source) WaitBatches() { s.batches.Wait() }

// New returns a source that sends to out, resuming from what the last run
// of this source saved (nothing on a first start).
func New(opts Options, out chan<- *pipeline.Batch, from Resume) *Source {
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
	for _, c := range []*prometheus.CounterVec{m.rotations, m.truncations, m.copies, m.watchFallbacks} {
		c.WithLabelValues(opts.Name)
	}
	s.resumeFrom(from)
	return s
}

// Ready is closed once the source has found its files and set their
// start positions.
func (s *Source) Ready() <-chan struct{} { return s.ready }

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
	s.progress.busy(s.now(), "the first look for files")
	s.rescan(ctx, true)
	s.updateGauges()
	close(s.ready)
	s.checkAll(ctx, true)
	s.progress.waiting()
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
		s.progress.waiting()
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			s.progress.busy(s.now(), ev.Name)
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
			s.progress.busy(s.now(), "a look at the files")
			full := s.polling || ticks%fullCheckEvery == 0
			s.checkAll(ctx, full)
			if full {
				s.updateGauges()
			}
		case <-rescan.C:
			s.progress.busy(s.now(), "a look for new files")
			s.rescan(ctx, false)
		}
		if s.polling && s.watcher != nil {
			s.watcher.Close()
			s.watcher, events, errs = nil, nil, nil
			poll.Reset(s.pollEvery())
		}
	}
}

func (s *Source) closeAll() {
	for _, f := range s.snapshot() {
		if f.fh != nil {
			f.fh.Close()
			f.fh = nil
		}
	}
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
			lag += max(0, st.Size()-f.offsets.Committed())
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
