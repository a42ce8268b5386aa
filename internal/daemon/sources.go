package daemon

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/filesource"
)

// sourceRecord is what the daemon knows of one source name, across
// reloads: the source running under it, the file source a reload stopped
// (whose batches still in the pipeline move its positions on), and the
// positions loaded at start for a source not started yet.
type sourceRecord struct {
	running *runningSource     // nil: none runs under the name
	stopped *filesource.Source // the last one stopped by a reload, if a file source
	saved   filesource.Resume  // loaded at start; taken by the first source started
	loaded  bool               // saved holds positions loaded at start, not yet taken
}

// positions are the positions to save for the name, and whether there
// are any: the running source's (or, while it waits, its predecessor's),
// else the stopped one's, else those loaded at start.
func (r *sourceRecord) positions() (filesource.Resume, bool) {
	switch {
	case r.running != nil:
		if f := r.running.file.Load(); f != nil {
			return f.Resume(), true
		}
		if r.running.predecessor != nil {
			return r.running.predecessor.Resume(), true
		}
		return filesource.Resume{}, false // a Kafka source: its offsets are the group's
	case r.stopped != nil:
		return r.stopped.Resume(), true
	}
	return r.saved, r.loaded // nothing, for a Kafka source stopped
}

// record returns the record of name, made if there is none. d.mu is held
// (or the daemon is not running yet).
func (d *Daemon) record(name string) *sourceRecord {
	r := d.sources[name]
	if r == nil {
		r = &sourceRecord{}
		d.sources[name] = r
	}
	return r
}

// runningLocked returns the sources running, by name. d.mu is held.
func (d *Daemon) runningLocked() map[string]*runningSource {
	m := make(map[string]*runningSource, len(d.sources))
	for name, r := range d.sources {
		if r.running != nil {
			m[name] = r.running
		}
	}
	return m
}

type runningSource struct {
	cfg config.Source
	src source // nil while a file source waits for its predecessor's batches
	// file is the file source once it runs; nil for a Kafka source, whose
	// offsets live in Kafka.
	file atomic.Pointer[filesource.Source]
	// predecessor is the source of the same name stopped by a reload, whose
	// batches still in the pipeline this one waits for: its positions
	// stand for this source's until then.
	predecessor *filesource.Source
	cancel      context.CancelFunc
	done        chan struct{}
}

// source is what the daemon runs of a source, of any type.
type source interface {
	Run(ctx context.Context) error
	Ready() <-chan struct{}
}

// startSource starts a source, a file source with its saved positions. d.mu
// is held.
func (d *Daemon) startSource(sc config.Source) error {
	d.pipe.AddSource(sc.Name)
	if sc.Type == "kafka" {
		src, err := d.newKafkaSource(sc)
		if err != nil {
			return err
		}
		d.run(sc, src, nil)
		return nil
	}
	g := d.cfg.Global
	opts := filesource.Options{
		Name: sc.Name, Paths: sc.Paths, Exclude: sc.Exclude, StartAtEnd: sc.StartAt == "end", Poll: sc.Watch == "poll",
		PollInterval: time.Duration(sc.PollInterval), RescanInterval: time.Duration(sc.RescanInterval),
		PartialLineTimeout: time.Duration(sc.PartialLineTimeout), MaxFiles: sc.MaxFiles,
		MaxLineBytes: g.MaxLineBytes, BatchBytes: g.BatchBytes, Pool: d.pool,
		Logger: d.log, Metrics: d.fileMet,
	}
	r := d.record(sc.Name)
	if r.stopped != nil {
		d.runAfter(sc, r.stopped, opts)
		return nil
	}
	src := filesource.New(opts, d.pipe.Input(), r.saved)
	r.saved, r.loaded = filesource.Resume{}, false
	d.run(sc, src, src)
	return nil
}

// runAfter runs a file source that a reload has stopped and started again
// (its configuration changed), from its predecessor's positions once the
// predecessor's batches still in the pipeline are counted, so that none
// is read twice. That wait is the source's own, not the daemon loop's: it
// can be long (an event sink that is down holds batches) and the loop must
// go on answering the watchdog, reloads and signals. d.mu is held.
func (d *Daemon) runAfter(sc config.Source, old *filesource.Source, opts filesource.Options) {
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningSource{cfg: sc, predecessor: old, cancel: cancel, done: make(chan struct{})}
	d.record(sc.Name).running = rs
	d.publishSources()
	go func() {
		defer close(rs.done)
		counted := make(chan struct{})
		// Ends when the pipeline has counted or dropped old's batches,
		// by shutdown's drain at the latest.
		go func() { old.WaitBatches(); close(counted) }()
		select {
		case <-counted:
		case <-ctx.Done():
			return // stopped again first: old stays the stopped one
		}
		// old stays the record's stopped one until this source is
		// stopped and takes its place there: taking d.mu here could
		// deadlock with a stopSource waiting on rs.done, and a running
		// source's record's stopped one is never read.
		src := filesource.New(opts, d.pipe.Input(), old.Resume())
		rs.file.Store(src)
		if err := src.Run(ctx); err != nil {
			d.log.Error("source stopped", "source", sc.Name, "err", err)
		}
	}()
}

// run runs a source in its own goroutine. d.mu is held.
func (d *Daemon) run(sc config.Source, src source, file *filesource.Source) {
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningSource{cfg: sc, src: src, cancel: cancel, done: make(chan struct{})}
	if file != nil {
		rs.file.Store(file)
	}
	d.record(sc.Name).running = rs
	d.publishSources()
	go func() {
		defer close(rs.done)
		if err := src.Run(ctx); err != nil {
			d.log.Error("source stopped", "source", sc.Name, "err", err)
		}
	}()
}

// stopSource stops a source and keeps its positions. d.mu is held.
func (d *Daemon) stopSource(name string) {
	r := d.sources[name]
	rs := r.running
	rs.cancel()
	<-rs.done
	if f := rs.file.Load(); f != nil {
		r.stopped = f // its positions move on as its batches are counted
	} // else a file source that never started leaves its predecessor there
	r.running = nil
	d.publishSources()
}

func (d *Daemon) waitSourcesReady(ctx context.Context) {
	d.mu.Lock()
	var waits []<-chan struct{}
	for _, rs := range d.runningLocked() {
		if rs.src == nil {
			continue // started after a reload: the daemon was ready before
		}
		waits = append(waits, rs.src.Ready(), rs.done)
	}
	d.mu.Unlock()
	for i := 0; i < len(waits); i += 2 {
		select {
		case <-waits[i]:
		case <-waits[i+1]:
		case <-ctx.Done():
			return
		}
	}
}
