package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// A batch's work, from its scan to its end (see batchWork), and what
// happens when it fails.

func (p *Pipeline) runWorker() {
	for t := range p.work {
		w := p.spare.get(p)
		w.t = t
		w.process()
	}
}

// batchWork is a batch's work, from its scan to its end, and what it
// needs on the way. It goes with the batch: a batch whose origin's
// earlier batches are not attributed yet is parked in its stream with it,
// and the worker goes on with another batch; whoever attributes the
// batch before it then finishes it (see stream.enter). So no worker
// waits for another's batch.
type batchWork struct {
	p     *Pipeline
	t     task
	spent time.Duration // in workers, for odpswatch_scan_seconds_total

	matches  []scan.Match
	newlines int // in the batch, counted by the scan
	counts   map[scan.Code]int
	first    map[scan.Code]scan.Span // line of each code's first match

	// The batch's attribution (see prepare and attribute).
	codeLines []attrib.CodeLine
	codesAt   []attrib.CodeAt
	prepared  attrib.Prepared
	lineJobs  []lineJob // of each code line
	started   []scan.Code
	failures  map[scan.Code]int
	recovered []scan.Code        // the codes of the failures recovered
	lines     int                // in the batch, as the tracker counted them
	jobsOf    []alert.FailingJob // failingJobs', reused
	// failed is what a panic while the batch was worked on said (see
	// guard), nil if none.
	failed any
	stack  []byte
}

// spareWork holds the batchWork of batches that ended, for the next ones:
// at most as many as there were batches in workers at once.
type spareWork struct {
	mu   sync.Mutex
	free []*batchWork
}

func (s *spareWork) get(p *Pipeline) *batchWork {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		w := s.free[n-1]
		s.free = s.free[:n-1]
		return w
	}
	return &batchWork{p: p, counts: make(map[scan.Code]int), first: make(map[scan.Code]scan.Span), failures: make(map[scan.Code]int)}
}

func (s *spareWork) put(w *batchWork) {
	w.t, w.spent, w.failed, w.stack = task{}, 0, nil, nil
	s.mu.Lock()
	s.free = append(s.free, w)
	s.mu.Unlock()
}

// process counts the codes of its batch, the seq-th of its origin: what
// needs nothing of the origin's earlier batches now, the rest in the
// origin's turn, here or, parked, in the worker that ends the batch
// before it.
func (w *batchWork) process() {
	w.guard("scan", w.read)
	if !w.t.st.enter(w.t.seq, w) {
		return // parked
	}
	for w != nil {
		next := w.attributeInTurn()
		w.end()
		w = next
	}
}

// guard runs f; a panic in it fails the batch instead of the process (a
// line that crashed the daemon would crash it again after each restart,
// its position never saved): the batch is not counted (its alerts may
// have been told of part of it), the origin's job tracking starts again
// after it if it failed before its tracker read it all, and end logs it
// and counts it in odpswatch_pipeline_batches_failed_total. stage names
// f for the tests' hook (Pipeline.panicAt).
func (w *batchWork) guard(stage string, f func()) {
	if w.failed != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			w.failed, w.stack = r, debug.Stack()
		}
	}()
	if h := w.p.panicAt; h != nil {
		h(stage, w.t.b)
	}
	f()
}

// attributeInTurn attributes the batch (unless it failed), in its
// origin's turn, then ends the turn; it returns the next batch's work, if
// it is parked: the caller attributes it too.
func (w *batchWork) attributeInTurn() *batchWork {
	st := w.t.st
	w.guard("attribute", w.attribute)
	if w.failed != nil && !(w.t.b.Context && w.t.seq > 0) {
		// The tracker may have read part of the batch, or missed it:
		// the origin's jobs start again after it. (A context batch
		// after the first is not for the tracker.)
		st.s = attrib.NewStream(attrib.NewStreamTracker(w.p.streams.jobs))
	}
	return st.leave()
}

// read scans the batch and reads what needs nothing of the origin's
// earlier batches.
func (w *batchWork) read() {
	start := time.Now()
	b := w.t.b
	sc := w.p.opts.Scanner
	// Descriptions are for the events; without an event sink only the
	// codes are counted.
	sc.CodesOnly = w.p.opts.Events == nil || b.Context
	w.matches, w.newlines = sc.ScanLines(w.matches[:0], b.Data)
	clear(w.counts)
	clear(w.first)
	if !b.Context {
		for _, m := range w.matches {
			if w.counts[m.Code] == 0 {
				w.first[m.Code] = m.Line
			}
			w.counts[m.Code]++
		}
	}
	if !b.Context || w.t.seq == 0 {
		w.prepare()
	}
	w.spent += time.Since(start)
}

// end counts the batch, attributed, and hands it to the event sink or
// marks it done; a batch that failed is logged, counted as such and
// marked done.
func (w *batchWork) end() {
	p, b := w.p, w.t.b
	defer func() { <-p.inflight }()
	var events []sink.Event
	if !b.Context {
		w.guard("count", func() { events = w.count() })
	}
	if w.failed != nil {
		p.failedBatch(w)
	}
	p.spare.put(w)
	if events != nil {
		// Publish may block while the event sink is full: back-pressure.
		p.opts.Events.Publish(events, func() { p.finish(b) })
		return
	}
	p.finish(b)
}

// failedBatch logs the batch w failed on and counts it.
func (p *Pipeline) failedBatch(w *batchWork) {
	b := w.t.b
	p.metrics.failed.WithLabelValues(b.Source).Inc()
	// The panic's words, not the lines: they may hold secrets.
	p.opts.Logger.Error("a batch failed: its lines were not counted",
		"source", b.Source, "origin", b.Origin, "offset", b.Offset, "end", b.End,
		"panic", redact.String(scan.CutUTF8(fmt.Sprint(w.failed), 300)), "stack", string(w.stack))
}

// count counts the batch, attributed, and returns its events for the
// event sink, if there is one and the batch has codes.
func (w *batchWork) count() []sink.Event {
	start := time.Now()
	b := w.t.b
	// What may fail comes first (the events' redaction, the alerts'
	// callback), the counters last: a batch that fails is not counted.
	var events []sink.Event
	if w.p.opts.Events != nil && len(w.matches) > 0 {
		// Made now: the batch may be done before Publish returns.
		events = w.events(b)
	}
	if w.p.opts.Observe != nil {
		for c, n := range w.counts {
			w.p.opts.Observe(alert.Observation{Source: b.Source, Class: classify.Classify(c), Prints: n, Failures: w.failures[c],
				Sample: w.first[c].Of(b.Data), Jobs: w.failingJobs(c)})
		}
	}
	// Failures recovered in the batch, of its codes or of earlier ones.
	for _, c := range w.recovered {
		w.p.counters.AddRecovered(b.Source, classify.Classify(c), 1)
	}
	// One counter update per code and batch, not per match.
	for c, n := range w.counts {
		cl := classify.Classify(c)
		w.p.counters.Add(b.Source, cl, n)
		if f := w.failures[c]; f > 0 {
			w.p.counters.AddFailures(b.Source, cl, f)
		}
	}
	m := w.p.metrics
	m.lines.WithLabelValues(b.Source).Add(float64(w.lines))
	m.bytes.WithLabelValues(b.Source).Add(float64(b.Bytes))
	if b.Cut {
		m.cut.WithLabelValues(b.Source).Inc()
	}
	m.scanSeconds.Add((w.spent + time.Since(start)).Seconds())
	if log := w.p.opts.Logger; log.Enabled(context.Background(), slog.LevelDebug) {
		log.Debug("batch counted", "source", b.Source, "origin", b.Origin, "offset", b.Offset,
			"end", b.End, "lines", w.lines, "codes", len(w.matches))
	}
	return events
}

// events turns the batch's matches into events, with the jobs their lines
// were attributed to.
func (w *batchWork) events(b *Batch) []sink.Event {
	now := time.Now().UTC()
	out := make([]sink.Event, len(w.matches))
	line := -1 // the code line of the match, in w.codeLines and w.lineJobs
	var started []scan.Code
	for i, m := range w.matches {
		if line < 0 || w.codeLines[line].Line != m.Line {
			line++
			lj := w.lineJobs[line]
			started = append(started[:0], w.started[lj.from:lj.to]...)
		}
		lj := &w.lineJobs[line]
		cl := classify.Classify(m.Code)
		e := sink.Event{
			Schema: sink.EventSchema, Time: now, Host: w.p.opts.Host, Source: b.Source,
			Origin: origin(b, m), Code: m.Code.String(), Family: cl.Family.Label, Module: cl.Module.Label,
			Severity: cl.Severity, Title: cl.Title(),
			General:  string(scan.CutUTF8(redact.Bytes(m.General.Of(b.Data)), sink.MaxEventDescription)),
			Context:  string(scan.CutUTF8(redact.Bytes(m.Context.Of(b.Data)), sink.MaxEventDescription)),
			Line:     string(scan.CutUTF8(redact.Bytes(m.Line.Of(b.Data)), sink.MaxEventLine)),
			Instance: lj.instance, Project: lj.project, LogView: lj.logView, RequestID: lj.requestID,
			Failure: sink.FailureRepeat,
		}
		if lj.root != 0 {
			e.RootCause = lj.root.String()
		}
		// The first print on the line of a code that began a failure there.
		if k := slices.Index(started, m.Code); k >= 0 {
			e.Failure = sink.FailureFirst
			started = slices.Delete(started, k, k+1)
		}
		out[i] = e
	}
	return out
}

// origin is where m's line was read: the Kafka message holding it, or the
// file offset of the line.
func origin(b *Batch, m scan.Match) sink.Origin {
	if len(b.Messages) == 0 {
		return sink.Origin{File: b.Origin, Offset: b.Offset + int64(m.Line.Start)}
	}
	i, found := slices.BinarySearchFunc(b.Messages, m.Offset, func(msg Message, pos int) int { return cmp.Compare(msg.Start, pos) })
	if !found {
		i-- // the message starting before the match
	}
	msg := b.Messages[max(i, 0)]
	return sink.Origin{Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset}
}
