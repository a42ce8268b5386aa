// Package pipeline runs the bounded pool of workers between the sources and
// the sinks: sources hand over batches of whole lines, workers scan and
// classify them and count the codes, then tell the source the batch is done
// so that its position can move past it.
//
// The queue between sources and workers is a bounded channel: when workers
// (or the sinks behind them) are slow, sources block on it and stop reading,
// so nothing is ever dropped. A batch is never split: each goes to one
// worker, which counts every code of it before calling its Done.
//
// Besides the prints of each code (odpswatch_errors_total), it counts the
// failures they stand for (odpswatch_failures_total): each origin's
// batches go, in order, through a tracker of its jobs (see streams.go).
package pipeline

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// Batch is a run of whole lines from one origin.
//
// The source owns Data until it is told the batch is done: the pipeline
// must not keep Data after calling Done.
type Batch struct {
	// Source is the name of the source (the `source` label).
	Source string
	// Origin says where the lines come from: a file's path.
	Origin string
	// Offset is where the batch starts in the origin, and End where it
	// ends: for a file, the byte offsets of Data[0] and past the last
	// line's '\n', which Data may lack (a line cut at max_line_bytes holds
	// only its first bytes); for Kafka, the first message's offset and the
	// next one's.
	Offset, End int64
	// Bytes is how much of the origin the batch consumed, for
	// odpswatch_source_bytes_total: a file's bytes from Offset to End (a
	// cut line's whole length), a Kafka batch's message values.
	Bytes int64
	// Data holds whole lines. The last may lack its '\n' (a line emitted
	// after the file went idle, or cut at max_line_bytes).
	Data []byte
	// Cut reports that the batch's single line was cut at max_line_bytes.
	Cut bool
	// Context says that Data holds lines before where the origin is read
	// from (counted by an earlier run, or skipped by start_at): they only
	// tell the origin's job tracker which failures are under way, so that
	// a failure printed on both sides of a restart counts once. Nothing of
	// them is counted or published.
	Context bool
	// Messages, for a batch of Kafka messages, says where each message's
	// bytes start in Data, in order; nil for a file.
	Messages []Message
	// Done is called once every code in Data has been counted.
	Done func()
}

// Message is where one Kafka message's value starts in a batch's Data.
type Message struct {
	Start     int // in Data
	Topic     string
	Partition int
	Offset    int64
}

// Options configure a pipeline.
type Options struct {
	Workers      int // workers scanning at once (at least 1)
	QueueBatches int // batches waiting for a worker (at least 1)
	Scanner      scan.Scanner
	// Events, if set, gets one event per code found, and a batch is done
	// only once Events has delivered them: positions and offsets stay
	// behind what the event sink accepted.
	Events sink.EventPublisher
	// Host names this machine in events.
	Host string
	// Observe, if set, is told of every code counted in a batch: its
	// prints and the failures they began, with the line of the first
	// print and the failing jobs. It must be quick and must keep neither
	// the sample nor the slice of jobs (both are reused). (The alert
	// detectors.)
	Observe func(alert.Observation)
	// MaxStreams bounds the origins whose jobs are tracked (0:
	// DefaultMaxStreams), StreamJobs the jobs each keeps (0:
	// DefaultStreamJobs).
	MaxStreams, StreamJobs int
	// Logger, at debug level, logs every batch counted, with its origin
	// and offsets, before the batch is done: a record of what was counted
	// that survives a kill -9 (the crash test reads it).
	Logger *slog.Logger
}

// Pipeline scans and classifies batches and counts their codes.
type Pipeline struct {
	opts    Options
	in      chan *Batch
	work    chan task // from the dispatcher to the workers
	streams *streams
	spare   spareWork
	// inflight holds a token for each batch from its dispatch to its end
	// (counted, and its events published): at most twice the workers, so
	// that a worker whose batch is parked can take another, and parked
	// batches stay bounded when a worker is held up (a full event sink).
	inflight chan struct{}
	counters *sink.ErrorCounters
	metrics  *metrics

	completed atomic.Uint64
	wg        sync.WaitGroup
}

type metrics struct {
	lines, bytes, cut *prometheus.CounterVec
	scanSeconds       prometheus.Counter
	queued            prometheus.GaugeFunc
}

// New returns a pipeline that counts into counters and registers its own
// metrics with reg. Start it with Start.
func New(opts Options, counters *sink.ErrorCounters, reg prometheus.Registerer) (*Pipeline, error) {
	opts.Workers = max(opts.Workers, 1)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.QueueBatches = max(opts.QueueBatches, 1)
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = DefaultMaxStreams
	}
	if opts.StreamJobs <= 0 {
		opts.StreamJobs = DefaultStreamJobs
	}
	p := &Pipeline{opts: opts, in: make(chan *Batch, opts.QueueBatches), work: make(chan task),
		inflight: make(chan struct{}, 2*opts.Workers),
		streams:  newStreams(opts.MaxStreams, opts.StreamJobs), counters: counters}
	p.metrics = &metrics{
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_source_lines_total", Help: "Lines read and scanned, by source.",
		}, []string{"source"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_source_bytes_total", Help: "Bytes of lines read and scanned, by source.",
		}, []string{"source"}),
		cut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_source_lines_cut_total", Help: "Lines longer than max_line_bytes: only their first max_line_bytes were scanned.",
		}, []string{"source"}),
		scanSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "odpswatch_scan_seconds_total", Help: "Time workers spent scanning, classifying and counting.",
		}),
		queued: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "odpswatch_pipeline_queued_batches", Help: "Batches waiting for a worker; the queue holds at most global.queue_batches.",
		}, func() float64 { return float64(len(p.in)) }),
	}
	for _, c := range []prometheus.Collector{p.metrics.lines, p.metrics.bytes, p.metrics.cut, p.metrics.scanSeconds, p.metrics.queued,
		p.streams.gauge, p.streams.evicted, p.streams.jobsEvicted} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// AddSource creates the source's series at 0, so that they exist before
// its first line.
func (p *Pipeline) AddSource(name string) {
	for _, c := range []*prometheus.CounterVec{p.metrics.lines, p.metrics.bytes, p.metrics.cut} {
		c.WithLabelValues(name)
	}
}

// Input is where sources send batches. A send blocks while the queue is
// full: that is the back-pressure on sources.
func (p *Pipeline) Input() chan<- *Batch { return p.in }

// Start starts the workers. They run until Close.
func (p *Pipeline) Start() {
	p.wg.Go(p.dispatch)
	for range p.opts.Workers {
		p.wg.Go(p.runWorker)
	}
}

// task is a batch, its origin's stream and its number in it.
type task struct {
	b   *Batch
	st  *stream
	seq uint64
}

// dispatch hands the batches to the workers in the order they came,
// numbered per origin.
func (p *Pipeline) dispatch() {
	defer close(p.work)
	for b := range p.in {
		p.inflight <- struct{}{}
		st, seq := p.streams.next(b)
		p.work <- task{b, st, seq}
	}
}

// Close stops the pipeline once every batch sent has been counted. Sources
// must have stopped sending.
func (p *Pipeline) Close() {
	close(p.in)
	p.wg.Wait()
}

// Completed returns how many batches have been counted, for the watchdog:
// a pipeline with batches queued whose count does not move is wedged.
func (p *Pipeline) Completed() uint64 { return p.completed.Load() }

// Queued returns how many batches wait for a worker.
func (p *Pipeline) Queued() int { return len(p.in) }

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

	matches []scan.Match
	counts  map[scan.Code]int
	first   map[scan.Code]scan.Span // line of each code's first match

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
	w.t, w.spent = task{}, 0
	s.mu.Lock()
	s.free = append(s.free, w)
	s.mu.Unlock()
}

// process counts the codes of its batch, the seq-th of its origin: what
// needs nothing of the origin's earlier batches now, the rest in the
// origin's turn, here or, parked, in the worker that ends the batch
// before it.
func (w *batchWork) process() {
	start := time.Now()
	b := w.t.b
	sc := w.p.opts.Scanner
	// Descriptions are for the events; without an event sink only the
	// codes are counted.
	sc.CodesOnly = w.p.opts.Events == nil || b.Context
	w.matches = sc.Scan(w.matches[:0], b.Data)
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
	if !w.t.st.enter(w.t.seq, w) {
		return // parked
	}
	for w != nil {
		next := w.attribute()
		w.end()
		w = next
	}
}

// end counts the batch, attributed, and hands it to the event sink or
// marks it done.
func (w *batchWork) end() {
	start := time.Now()
	p, b := w.p, w.t.b
	defer func() { <-p.inflight }()
	if b.Context {
		p.finish(b)
		p.spare.put(w)
		return
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
		if w.p.opts.Observe != nil {
			w.p.opts.Observe(alert.Observation{Source: b.Source, Class: cl, Prints: n, Failures: w.failures[c],
				Sample: w.first[c].Of(b.Data), Jobs: w.failingJobs(c)})
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
	if w.p.opts.Events != nil && len(w.matches) > 0 {
		// Publish may block while the event sink is full: back-pressure.
		// The events are made first: the batch may be done before
		// Publish returns.
		events := w.events(b)
		p.spare.put(w)
		p.opts.Events.Publish(events, func() { p.finish(b) })
		return
	}
	p.spare.put(w)
	p.finish(b)
}

// finish marks a batch done, from a worker or from the event sink.
func (p *Pipeline) finish(b *Batch) {
	if b.Done != nil {
		b.Done()
	}
	p.completed.Add(1)
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

// Watchdog reports whether the pipeline is making progress: it is, unless
// batches have waited all along since the previous call while none was
// counted. Call it from one goroutine, at the watchdog's interval.
type Watchdog struct {
	p    *Pipeline
	last uint64
}

// NewWatchdog returns a progress check of p.
func NewWatchdog(p *Pipeline) *Watchdog { return &Watchdog{p: p, last: p.Completed()} }

// Healthy reports progress since the previous call.
func (w *Watchdog) Healthy() bool {
	done := w.p.Completed()
	moved := done != w.last
	w.last = done
	return moved || w.p.Queued() == 0
}

// Send hands b to the pipeline, or gives up when ctx is done.
func Send(ctx context.Context, in chan<- *Batch, b *Batch) bool {
	select {
	case in <- b:
		return true
	case <-ctx.Done():
		return false
	}
}
