// Package daemon runs odpswatch as a service: it starts the sources, the
// pipeline and the HTTP server, saves positions, reloads the configuration,
// speaks to systemd, and stops everything in order.
//
// Shutdown goes: stop the sources, drain the pipeline (every batch read is
// counted), save the positions, stop HTTP; all of it within the configured
// shutdown_timeout. A reload applies source changes without resetting a
// counter or losing a position; an invalid configuration leaves the running
// one in place and sets odpswatch_config_last_reload_successful to 0.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/filesource"
	"github.com/odpswatch/odpswatch/internal/kafkasource"
	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
	"github.com/odpswatch/odpswatch/internal/sdnotify"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// Options are what the daemon needs from its command line.
type Options struct {
	// Config is the configuration to start with.
	Config *config.Config
	// LoadConfig reads the configuration again, for a reload; nil when
	// there is no file to reload (odpswatch run GLOB...).
	LoadConfig func() (*config.Config, error)
	// StateDir holds the positions; "" keeps them in memory only.
	StateDir string
	// Listeners serve HTTP (the caller opens them, so that tests can use
	// port 0); WebConfigFile is exporter-toolkit's TLS and auth file.
	Listeners     []net.Listener
	WebConfigFile string
	Logger        *slog.Logger
	Notifier      *sdnotify.Notifier
	// WatchdogInterval is how often to ping systemd's watchdog (0: never).
	WatchdogInterval time.Duration
	// StuckAfter is how long a file source may be on one piece of work
	// before the daemon is unhealthy (0: DefaultStuckAfter).
	StuckAfter time.Duration
	Version    BuildInfo
	// Getenv reads the environment for secrets the configuration names (a
	// SASL password_env); Host names this machine in events.
	Getenv func(string) string
	Host   string
	// Reload delivers reload requests from signals (SIGHUP).
	Reload <-chan struct{}
}

// BuildInfo labels odpswatch_build_info.
type BuildInfo struct{ Version, Revision, GoVersion string }

// Daemon is a running odpswatch.
type Daemon struct {
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	counters *sink.ErrorCounters
	pipe     *pipeline.Pipeline
	fileMet  *filesource.Metrics
	pool     chan []byte // batch buffers shared by the sources
	alerts   *alerting
	kafkaMet *kafkasource.Metrics
	// events is the Kafka event sink (nil when off); batches are done only
	// once it has delivered their events.
	events     *sink.KafkaEvents
	stopEvents context.CancelFunc
	eventsDone chan struct{}
	store      *positions.Store
	metrics    *metrics

	mu      sync.Mutex // guards cfg, sources and saved
	cfg     *config.Config
	sources map[string]*runningSource
	// saved holds positions of sources not running (yet): loaded at start,
	// and kept from sources stopped by a reload until they start again.
	saved map[string]filesource.Resume
	// stopped holds sources stopped whose batches may still be counted.
	stopped map[string]*filesource.Source
	// running is a copy of sources for the health check, which must
	// answer while d.mu is held by a reload or a save that waits on a
	// stuck source.
	running atomic.Pointer[map[string]*runningSource]

	ready    chan struct{}
	reloadCh chan chan error
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

type metrics struct {
	saves, saveFailures, corrupt prometheus.Counter
	lastSave                     prometheus.Gauge
	reloadOK, reloadTime         prometheus.Gauge
	persisted                    prometheus.Gauge
}

// New builds a daemon; Run starts it.
func New(opts Options) (*Daemon, error) {
	d := &Daemon{
		opts: opts, log: opts.Logger, reg: prometheus.NewRegistry(), cfg: opts.Config,
		sources: make(map[string]*runningSource), saved: make(map[string]filesource.Resume), stopped: make(map[string]*filesource.Source),
		ready: make(chan struct{}), reloadCh: make(chan chan error), eventsDone: make(chan struct{}),
	}
	if opts.StateDir != "" {
		d.store = positions.NewStore(opts.StateDir)
	}
	if opts.WebConfigFile != "" {
		if err := web.Validate(opts.WebConfigFile); err != nil {
			return nil, fmt.Errorf("cannot use web config %s: %w", opts.WebConfigFile, err)
		}
	}
	if err := d.register(); err != nil {
		return nil, err
	}
	g := opts.Config.Global
	var err error
	if d.counters, err = sink.NewErrorCounters(d.reg, maxUnknown(opts.Config)); err != nil {
		return nil, err
	}
	if d.kafkaMet, err = kafkasource.NewMetrics(d.reg); err != nil {
		return nil, err
	}
	if d.events, err = d.newKafkaEvents(opts.Config.Sinks.Kafka); err != nil {
		return nil, err
	}
	if d.alerts, err = newAlerting(opts.Config.Alerts, d.reg, d); err != nil {
		return nil, err
	}
	po := pipeline.Options{
		Workers: workers(g.Workers), QueueBatches: g.QueueBatches, Logger: opts.Logger, Observe: d.alerts.observe, Host: opts.Host,
	}
	if d.events != nil {
		po.Events = d.events // not a typed nil: no sink, no events
	}
	if d.pipe, err = pipeline.New(po, d.counters, d.reg); err != nil {
		return nil, err
	}
	if d.fileMet, err = filesource.NewMetrics(d.reg); err != nil {
		return nil, err
	}
	// Enough buffers for a full queue and one batch per worker: the memory
	// of lines in flight is (queue_batches + workers) × batch_bytes,
	// however many sources there are.
	d.pool = filesource.NewPool(g.QueueBatches+workers(g.Workers), g.BatchBytes)
	return d, nil
}

// workers maps the config's 0 to one worker per CPU.
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// maxUnknown maps the config's 0 ("none get a series") to the sink's
// negative value: the sink's 0 means its default.
func maxUnknown(c *config.Config) int {
	if n := c.Sinks.Prometheus.MaxUnknownCodes; n > 0 {
		return n
	}
	return -1
}

func (d *Daemon) register() error {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &metrics{
		saves:        counter("odpswatch_positions_saves_total", "Times the positions were saved."),
		saveFailures: counter("odpswatch_positions_save_failures_total", "Times saving the positions failed."),
		corrupt:      counter("odpswatch_positions_load_failures_total", "Positions files that could not be used at start and were kept aside."),
		lastSave:     gauge("odpswatch_positions_last_save_success_timestamp_seconds", "When the positions were last saved."),
		reloadOK:     gauge("odpswatch_config_last_reload_successful", "Whether the last configuration reload succeeded (1) or not (0)."),
		reloadTime:   gauge("odpswatch_config_last_reload_success_timestamp_seconds", "When the configuration was last loaded successfully."),
		persisted:    gauge("odpswatch_positions_persisted", "1 when positions are saved to a state directory, 0 when they live in memory only."),
	}
	d.metrics = m
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "odpswatch_build_info", Help: "A metric with a constant 1 labelled by odpswatch's version, revision and Go version.",
		ConstLabels: prometheus.Labels{"version": d.opts.Version.Version, "revision": d.opts.Version.Revision, "goversion": d.opts.Version.GoVersion},
	})
	build.Set(1)
	m.reloadOK.Set(1)
	m.reloadTime.SetToCurrentTime()
	if d.store != nil {
		m.persisted.Set(1)
	}
	for _, c := range []prometheus.Collector{
		m.saves, m.saveFailures, m.corrupt, m.lastSave, m.reloadOK, m.reloadTime, m.persisted, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := d.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Registry returns the daemon's registry (for tests).
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// Ready is closed once positions are loaded and every source has started.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Reload reloads the configuration, as SIGHUP does, and returns the error
// that kept the new configuration from being used.
func (d *Daemon) Reload(ctx context.Context) error {
	res := make(chan error, 1)
	select {
	case d.reloadCh <- res:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run runs the daemon until ctx is done, then shuts down in order.
func (d *Daemon) Run(ctx context.Context) error {
	d.pipe.Start()
	d.loadPositions()
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() {
		addrs := make([]string, len(d.opts.Listeners))
		for i, l := range d.opts.Listeners {
			addrs[i] = l.Addr().String()
		}
		systemdSocket := false
		err := web.ServeMultiple(d.opts.Listeners, srv, &web.FlagConfig{
			WebListenAddresses: &addrs, WebSystemdSocket: &systemdSocket, WebConfigFile: &d.opts.WebConfigFile,
		}, d.log)
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	}()

	alertCtx, stopAlerts := context.WithCancel(context.Background())
	alertsDone := make(chan struct{})
	go func() { d.alerts.run(alertCtx); close(alertsDone) }()
	defer func() { stopAlerts(); <-alertsDone }()

	if d.events != nil {
		eventsCtx, stopEvents := context.WithCancel(context.Background())
		d.stopEvents = stopEvents
		go func() {
			if err := d.events.Run(eventsCtx); err != nil {
				d.log.Error("the Kafka event sink stopped", "err", err)
			}
			close(d.eventsDone)
		}()
	}
	d.mu.Lock()
	var startErr error
	for _, sc := range d.cfg.Sources {
		if err := d.startSource(sc); err != nil {
			startErr = errors.Join(startErr, err)
		}
	}
	d.mu.Unlock()
	if startErr != nil {
		return errors.Join(fmt.Errorf("cannot start sources: %w", startErr), d.shutdown(srv))
	}
	d.waitSourcesReady(ctx)
	close(d.ready)
	d.notify(d.opts.Notifier.Ready, "READY")
	d.opts.Notifier.Status(fmt.Sprintf("following %d sources", len(d.cfg.Sources)))
	d.log.Info("odpswatch is ready", "sources", len(d.cfg.Sources), "state_dir", d.opts.StateDir)

	saveEvery := time.NewTicker(time.Duration(d.cfg.Global.PositionsSaveInterval))
	defer saveEvery.Stop()
	var watchdog <-chan time.Time
	if d.opts.WatchdogInterval > 0 {
		t := time.NewTicker(d.opts.WatchdogInterval)
		defer t.Stop()
		watchdog = t.C
	}
	wd := pipeline.NewWatchdog(d.pipe)
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-serveErr:
			err = fmt.Errorf("cannot serve HTTP: %w", err)
			break loop
		case <-saveEvery.C:
			d.savePositions()
		case <-watchdog:
			// No ping while batches wait and none gets counted: systemd
			// then restarts a wedged daemon.
			// Nor while a file source is stuck in a call that never
			// returns: only a restart frees it.
			moving := wd.Healthy()
			stuck := d.stuck(time.Now())
			switch {
			case !moving:
				d.log.Warn("pipeline makes no progress; withholding the watchdog ping", "queued", d.pipe.Queued())
			case len(stuck) > 0:
				d.log.Warn("a file source makes no progress; withholding the watchdog ping", "stuck", stuck)
			default:
				d.notify(d.opts.Notifier.Watchdog, "WATCHDOG")
			}
		case <-d.opts.Reload:
			if rerr := d.reload(); rerr != nil {
				d.log.Error("reload failed; keeping the running configuration", "err", rerr)
			}
		case res := <-d.reloadCh:
			res <- d.reload()
		}
	}
	return errors.Join(err, d.shutdown(srv))
}

func (d *Daemon) notify(send func() error, what string) {
	if err := send(); err != nil {
		d.log.Warn("cannot notify systemd", "state", what, "err", err)
	}
}

// shutdown stops everything in order within shutdown_timeout.
func (d *Daemon) shutdown(srv *http.Server) error {
	d.notify(d.opts.Notifier.Stopping, "STOPPING")
	timeout := time.Duration(d.cfg.Global.ShutdownTimeout)
	deadline := time.Now().Add(timeout)
	d.log.Info("shutting down", "timeout", timeout)
	var errs []error
	stepUntil := func(until time.Time, name string, f func() error) bool {
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			if err != nil {
				errs = append(errs, fmt.Errorf("cannot %s: %w", name, err))
			}
			d.log.Info("stopped", "step", name, "took", time.Since(start))
			return true
		case <-time.After(time.Until(until)):
			errs = append(errs, fmt.Errorf("cannot %s within its share of shutdown_timeout %s", name, timeout))
			return false
		}
	}
	step := func(name string, f func() error) bool { return stepUntil(deadline, name, f) }
	// All sources stop at once, and within half the timeout, without
	// holding d.mu: one that is stuck (a read of a hung filesystem, a
	// Kafka client's Close) leaves time, and the lock, to save positions.
	stopped := stepUntil(time.Now().Add(timeout/2), "stop sources", func() error {
		d.mu.Lock()
		var running []*runningSource
		for _, rs := range d.sources {
			rs.cancel()
			running = append(running, rs)
		}
		d.mu.Unlock()
		for _, rs := range running {
			<-rs.done
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		for name := range d.sources {
			d.stopSource(name) // returns at once: it has stopped
		}
		return nil
	})
	// Closing the pipeline under a source still running (stuck in a read
	// of a hung filesystem, say) would make its next send panic: then the
	// positions are saved as they are, without the drain.
	if stopped {
		step("drain the pipeline", func() error { d.pipe.Close(); return nil })
	}
	if d.events != nil {
		// The event sink flushes within its flush_timeout; batches whose
		// events it could not deliver stay behind the saved positions.
		step("flush events", func() error { d.stopEvents(); <-d.eventsDone; return nil })
	}
	step("save positions", func() error { return d.savePositions() })
	step("stop HTTP", func() error {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	return errors.Join(errs...)
}

func (d *Daemon) loadPositions() {
	if d.store == nil {
		// Only files have positions here: a Kafka source's are its
		// group's committed offsets, kept by the brokers.
		if slices.ContainsFunc(d.cfg.Sources, func(s config.Source) bool { return s.Type == "file" }) {
			d.log.Warn("positions are kept in memory only: a restart reads files again as configured; set --state.dir to keep them")
		}
		return
	}
	saved, err := d.store.Load()
	if err != nil {
		d.metrics.corrupt.Inc()
		d.log.Error("cannot use the saved positions; sources start as configured", "err", err)
	}
	for _, e := range saved.Files {
		r := d.saved[e.Source]
		r.Files = append(r.Files, e)
		d.saved[e.Source] = r
	}
	for _, src := range saved.Sources {
		r := d.saved[src.Name]
		r.Dirs, r.Scanned = src.Dirs, src.Scanned
		d.saved[src.Name] = r
	}
	d.log.Info("positions loaded", "files", len(saved.Files), "path", d.store.Path())
}

// savePositions saves the positions of the running sources and those kept
// for sources not running.
func (d *Daemon) savePositions() error {
	if d.store == nil {
		return nil
	}
	d.mu.Lock()
	var all positions.Saved
	add := func(name string, r filesource.Resume) {
		all.Files = append(all.Files, r.Files...)
		all.Sources = append(all.Sources, positions.Source{Name: name, Dirs: r.Dirs, Scanned: r.Scanned})
	}
	for name, rs := range d.sources {
		if f := rs.file.Load(); f != nil {
			add(name, f.Resume())
		} else if rs.predecessor != nil {
			add(name, rs.predecessor.Resume())
		}
	}
	for name, src := range d.stopped {
		if _, running := d.sources[name]; !running {
			add(name, src.Resume())
		}
	}
	for name, r := range d.saved {
		if _, stopped := d.stopped[name]; stopped {
			continue
		}
		if _, running := d.sources[name]; !running {
			add(name, r)
		}
	}
	d.mu.Unlock()
	// In a stable order, so that two saves of one state are the same file.
	sort.Slice(all.Sources, func(i, j int) bool { return all.Sources[i].Name < all.Sources[j].Name })
	if err := d.store.Save(all); err != nil {
		d.metrics.saveFailures.Inc()
		d.log.Error("cannot save positions", "err", err)
		return err
	}
	d.metrics.saves.Inc()
	d.metrics.lastSave.SetToCurrentTime()
	return nil
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
	if old, ok := d.stopped[sc.Name]; ok {
		d.runAfter(sc, old, opts)
		return nil
	}
	src := filesource.New(opts, d.pipe.Input(), d.saved[sc.Name])
	delete(d.saved, sc.Name)
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
	d.sources[sc.Name] = rs
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
		// old stays in d.stopped until this source is stopped and takes
		// its place there: taking d.mu here could deadlock with a
		// stopSource waiting on rs.done, and a running source's entry
		// there is never read.
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
	d.sources[sc.Name] = rs
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
	rs := d.sources[name]
	rs.cancel()
	<-rs.done
	if f := rs.file.Load(); f != nil {
		d.stopped[name] = f // its positions move on as its batches are counted
	} // else a file source that never started leaves its predecessor there
	delete(d.sources, name)
	d.publishSources()
}

func (d *Daemon) waitSourcesReady(ctx context.Context) {
	d.mu.Lock()
	var waits []<-chan struct{}
	for _, rs := range d.sources {
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

// reload loads the configuration again and applies what changed in the
// sources. Global settings other than max_unknown_codes take effect at the
// next start.
func (d *Daemon) reload() error {
	if d.opts.LoadConfig == nil {
		return errors.New("nothing to reload: odpswatch was started without --config.file")
	}
	d.notify(d.opts.Notifier.Reloading, "RELOADING")
	defer d.notify(d.opts.Notifier.Ready, "READY")
	cfg, err := d.opts.LoadConfig()
	if err != nil {
		d.metrics.reloadOK.Set(0)
		return err
	}
	d.mu.Lock()
	if !reflect.DeepEqual(cfg.Global, d.cfg.Global) {
		d.log.Warn("changes under global take effect at the next start")
	}
	if !sameAlerts(cfg.Alerts, d.cfg.Alerts) {
		d.log.Warn("changes under alerts take effect at the next start")
	}
	cfg.Global, cfg.Alerts = d.cfg.Global, d.cfg.Alerts
	d.counters.SetMaxUnknown(maxUnknown(cfg))
	want := make(map[string]config.Source)
	for _, sc := range cfg.Sources {
		want[sc.Name] = sc
	}
	stopped, started := 0, 0
	for name, rs := range d.sources {
		if sc, ok := want[name]; !ok || !sameSource(sc, rs.cfg) {
			d.stopSource(name)
			stopped++
		}
	}
	d.cfg = cfg
	var startErr error
	for _, sc := range cfg.Sources {
		if _, running := d.sources[sc.Name]; !running {
			if err := d.startSource(sc); err != nil {
				startErr = errors.Join(startErr, err)
				continue
			}
			started++
		}
	}
	d.mu.Unlock()
	d.savePositions()
	if startErr != nil {
		d.metrics.reloadOK.Set(0)
		return fmt.Errorf("cannot start sources: %w", startErr)
	}
	d.metrics.reloadOK.Set(1)
	d.metrics.reloadTime.SetToCurrentTime()
	d.log.Info("configuration reloaded", "sources_stopped", stopped, "sources_started", started)
	return nil
}

// sameAlerts compares alert settings, ignoring where rules stand in the
// file.
func sameAlerts(a, b config.Alerts) bool {
	a.Rules, b.Rules = slices.Clone(a.Rules), slices.Clone(b.Rules)
	for i := range a.Rules {
		a.Rules[i].Line = 0
	}
	for i := range b.Rules {
		b.Rules[i].Line = 0
	}
	return reflect.DeepEqual(a, b)
}

// sameSource compares sources, ignoring where they stand in the file.
func sameSource(a, b config.Source) bool {
	a.Line, b.Line = 0, 0
	return reflect.DeepEqual(a, b)
}
