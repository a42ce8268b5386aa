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
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/alert"
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

	// panicAt, set by tests, is called at each stage of a batch's work
	// ("scan", "attribute", "count"), to fail it there.
	panicAt func(stage string, b *Batch)
}

type metrics struct {
	lines, bytes, cut, failed *prometheus.CounterVec
	scanSeconds               prometheus.Counter
	queued                    prometheus.GaugeFunc
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
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_pipeline_batches_failed_total",
			Help: "Batches a worker failed on (a bug: logged with the batch's origin and offsets); their lines were not counted.",
		}, []string{"source"}),
		scanSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "odpswatch_scan_seconds_total", Help: "Time workers spent scanning, classifying and counting.",
		}),
		queued: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "odpswatch_pipeline_queued_batches", Help: "Batches waiting for a worker; the queue holds at most global.queue_batches.",
		}, func() float64 { return float64(len(p.in)) }),
	}
	for _, c := range []prometheus.Collector{p.metrics.lines, p.metrics.bytes, p.metrics.cut, p.metrics.failed, p.metrics.scanSeconds, p.metrics.queued,
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
	for _, c := range []*prometheus.CounterVec{p.metrics.lines, p.metrics.bytes, p.metrics.cut, p.metrics.failed} {
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

// finish marks a batch done, from a worker or from the event sink.
func (p *Pipeline) finish(b *Batch) {
	if b.Done != nil {
		b.Done()
	}
	p.completed.Add(1)
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
