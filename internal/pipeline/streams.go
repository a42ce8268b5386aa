package pipeline

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Naming the jobs of codes, and so counting failures rather than prints
// (attrib.Tracker), needs each origin's lines in order, while the workers
// scan batches at once. A dispatcher takes the batches in the order
// sources sent them (each origin's batches come from one goroutine, so
// in its order) and numbers them per origin; a worker scans its batch as
// soon as it has it (and reads what attrib.Prepare can of it), then
// attributes it if the origin's batches before it are attributed, or
// else parks it in the stream and takes another batch: the worker that
// attributes the batch before it goes on with it. No worker waits, and
// none is left parked: the batches before it were dispatched before it,
// so they are in workers already, and the earliest of them waits on
// nothing.

// Defaults of the attribution's bounds.
const (
	// DefaultMaxStreams bounds the origins (files, Kafka partitions) with
	// a tracker: past it, the one used least recently and idle is
	// forgotten (its jobs and history).
	DefaultMaxStreams = 1024
	// DefaultStreamJobs bounds the jobs each origin's tracker keeps: past
	// it, the instance named least recently is forgotten.
	DefaultStreamJobs = 32
)

type streamKey struct{ source, origin string }

// stream is one origin's tracker and the order of its batches.
type stream struct {
	s *attrib.Stream
	// sent counts the batches dispatched and used is when the last was
	// (the dispatcher's clock): the dispatcher's alone.
	sent, used uint64

	mu     sync.Mutex
	done   uint64                // batches attributed
	parked map[uint64]*batchWork // by number: batches waiting for their turn
}

// enter reports whether the batches of the stream before the seq-th one
// are attributed, so that w, the seq-th's work, may be; if not, it parks
// w, for leave to give to whoever attributes the one before it.
func (st *stream) enter(seq uint64, w *batchWork) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done == seq {
		return true
	}
	if st.parked == nil {
		st.parked = make(map[uint64]*batchWork)
	}
	st.parked[seq] = w
	return false
}

// leave marks the batch that entered attributed, and returns the next
// one's work if it is parked: the caller attributes it.
func (st *stream) leave() *batchWork {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.done++
	w := st.parked[st.done]
	delete(st.parked, st.done)
	return w
}

// idle reports whether no batch of the stream is in a worker.
func (st *stream) idle() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.done == st.sent
}

// streams are the origins' trackers, the dispatcher's alone.
type streams struct {
	max, jobs int
	m         map[streamKey]*stream
	clock     uint64

	gauge   prometheus.GaugeFunc
	evicted prometheus.Counter
	// jobsEvicted counts the jobs the trackers forgot.
	jobsEvicted prometheus.Counter
	// size is len(m), for the gauge, read from the scrape's goroutine.
	mu   sync.Mutex
	size int
}

func newStreams(maxStreams, jobs int) *streams {
	ss := &streams{max: maxStreams, jobs: jobs, m: make(map[streamKey]*stream)}
	ss.gauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "odpswatch_attribution_streams",
		Help: "Origins (files, Kafka partitions) whose jobs are tracked; at most global.attribution_streams, more only while all are in use.",
	}, func() float64 {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return float64(ss.size)
	})
	ss.evicted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "odpswatch_attribution_streams_evicted_total",
		Help: "Origins whose job tracking was forgotten to make room for another (global.attribution_streams): a job failing across it may count twice.",
	})
	ss.jobsEvicted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "odpswatch_attribution_jobs_evicted_total",
		Help: "Job instances an origin's tracker forgot to make room for another (global.attribution_jobs): a failure printed across it counts twice.",
	})
	return ss
}

// next returns the stream of b's origin and the number of b in it.
func (ss *streams) next(b *Batch) (*stream, uint64) {
	k := streamKey{b.Source, b.Origin}
	st, ok := ss.m[k]
	if !ok {
		if len(ss.m) >= ss.max {
			ss.evictOldestIdle()
		}
		st = &stream{s: attrib.NewStream(attrib.NewStreamTracker(ss.jobs))}
		ss.m[k] = st
		ss.setSize()
	}
	ss.clock++
	st.used = ss.clock
	seq := st.sent
	st.mu.Lock()
	st.sent++
	st.mu.Unlock()
	return st, seq
}

// evictOldestIdle forgets the stream used least recently that no worker
// holds. When every one is held (more origins in flight than the bound),
// none is: the bound is passed for as long.
func (ss *streams) evictOldestIdle() {
	var oldest streamKey
	var at *stream
	for k, st := range ss.m {
		if (at == nil || st.used < at.used) && st.idle() {
			oldest, at = k, st
		}
	}
	if at != nil {
		delete(ss.m, oldest)
		ss.evicted.Inc()
	}
}

func (ss *streams) setSize() {
	ss.mu.Lock()
	ss.size = len(ss.m)
	ss.mu.Unlock()
}

// lineJob is what a line's codes were attributed to, copied for the
// batch's events when its line was attributed (the tracker goes on).
type lineJob struct {
	instance, project, logView, requestID string
	root                                  scan.Code
	// started are the codes of the line that began a failure:
	// batchWork.started[from:to].
	from, to int
}

// prepare reads what needs nothing of the origin's earlier batches: the
// lines with codes, and what attrib.Prepare reads of them.
func (w *batchWork) prepare() {
	b := w.t.b
	// The lines with codes, in order (matches are).
	w.codeLines = w.codeLines[:0]
	w.codesAt = w.codesAt[:0]
	for _, m := range w.matches {
		if n := len(w.codeLines); n == 0 || w.codeLines[n-1].Line != m.Line {
			w.codeLines = append(w.codeLines, attrib.CodeLine{Line: m.Line, Newlines: m.Newlines, NoAt: m.NoAt})
		}
		w.codesAt = append(w.codesAt, attrib.CodeAt{Code: m.Code, Offset: m.Offset - m.Line.Start})
	}
	// Each line's codes, now that the slice holding them is whole.
	at := 0
	for i := range w.codeLines {
		l := &w.codeLines[i]
		n := 0
		for at+n < len(w.matches) && w.matches[at+n].Line == l.Line {
			n++
		}
		l.Codes = w.codesAt[at : at+n]
		at += n
	}
	w.prepared = attrib.Prepare(b.Data, w.codeLines, w.newlines)
}

// attribute gives the batch to its origin's tracker, in the origin's
// turn (its earlier batches are), and counts the lines and the failures
// its codes began.
func (w *batchWork) attribute() {
	start := time.Now()
	defer func() { w.spent += time.Since(start) }()
	b, st := w.t.b, w.t.st
	w.lineJobs, w.started = w.lineJobs[:0], w.started[:0]
	clear(w.failures)
	w.recovered = w.recovered[:0]
	if b.Context && w.t.seq > 0 {
		// Context is for a tracker that starts: one that has read the
		// origin already (a source restarted by a reload) has read it.
		return
	}
	evicted := st.s.T.EvictedJobs
	w.lines = st.s.Chunk(b.Data, w.codeLines, w.prepared, func(_ int, j *attrib.Job, started []scan.Code) {
		lj := lineJob{from: len(w.started)}
		w.started = append(w.started, started...)
		lj.to = len(w.started)
		if j != nil {
			lj.instance, lj.project, lj.logView, lj.root = j.Instance, j.Project, j.LogView, j.Root
			if len(j.RequestIDs) > 0 {
				lj.requestID = j.RequestIDs[len(j.RequestIDs)-1]
			}
		}
		for _, c := range started {
			w.failures[c]++
		}
		w.lineJobs = append(w.lineJobs, lj)
	})
	evicted = st.s.T.EvictedJobs - evicted
	w.recovered = st.s.T.TakeRecovered(w.recovered[:0])
	if evicted > 0 {
		w.p.streams.jobsEvicted.Add(float64(evicted))
	}
}

// failingJobs returns the jobs whose failure of c began in the batch
// attributed last, with an instance or a LogView link, at most
// maxFailingJobs (an alert names 5, the status page 20).
const maxFailingJobs = 20

func (w *batchWork) failingJobs(c scan.Code) []alert.FailingJob {
	out := w.jobsOf[:0] // reused for the next code: Observe keeps none
	defer func() { w.jobsOf = out[:0] }()
	for _, lj := range w.lineJobs {
		if len(out) == maxFailingJobs {
			break
		}
		if lj.instance == "" && lj.logView == "" || !slices.Contains(w.started[lj.from:lj.to], c) {
			continue
		}
		j := alert.FailingJob{Instance: lj.instance, Project: lj.project, LogView: lj.logView}
		if !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	return out
}
