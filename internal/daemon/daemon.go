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
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/filesource"
	"github.com/odpswatch/odpswatch/internal/kafkasource"
	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
	"github.com/odpswatch/odpswatch/internal/sdnotify"
	"github.com/odpswatch/odpswatch/internal/sink"
	"github.com/odpswatch/odpswatch/internal/status"
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
	// HTTPIdleTimeout closes idle HTTP connections (0:
	// DefaultHTTPIdleTimeout); HTTPMaxConnections bounds those served at
	// once (0: DefaultHTTPMaxConnections).
	HTTPIdleTimeout    time.Duration
	HTTPMaxConnections int
	// EnableLifecycle serves POST /-/reload; off, it answers 403, as
	// Prometheus does: anyone who reaches the port could otherwise make
	// the daemon apply a half-edited file. SIGHUP works either way.
	EnableLifecycle bool
	Logger          *slog.Logger
	Notifier        *sdnotify.Notifier
	// WatchdogInterval is how often to ping systemd's watchdog (0: never).
	WatchdogInterval time.Duration
	// StuckAfter is how long a file source may be on one piece of work
	// before the daemon is unhealthy (0: DefaultStuckAfter).
	StuckAfter time.Duration
	Version    BuildInfo
	// ConfigFile is the configuration's path, for the status page; "" for
	// odpswatch run GLOB....
	ConfigFile string
	// Getenv reads the environment for secrets the configuration names (a
	// SASL password_env); Host names this machine in events.
	Getenv func(string) string
	Host   string
	// Reload delivers reload requests from signals (SIGHUP).
	Reload <-chan struct{}
}

// BuildInfo labels odpswatch_build_info: the version, the revision (a
// commit) and its date, and the Go version.
type BuildInfo struct{ Version, Revision, Date, GoVersion string }

// Daemon is a running odpswatch.
type Daemon struct {
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	counters *sink.ErrorCounters
	pipe     *pipeline.Pipeline
	fileMet  *filesource.Metrics
	pool     *filesource.Pool // batch buffers shared by the sources
	alerts   *alerting
	kafkaMet *kafkasource.Metrics
	// events is the Kafka event sink (nil when off); batches are done only
	// once it has delivered their events.
	events     *sink.KafkaEvents
	stopEvents context.CancelFunc
	eventsDone chan struct{}
	store      *positions.Store
	metrics    *metrics

	mu  sync.Mutex // guards cfg and sources
	cfg *config.Config
	// sources is what the daemon knows of each source name: the source
	// running, the one a reload stopped, the positions left (see
	// sourceRecord).
	sources map[string]*sourceRecord
	// running is a copy of the sources running for the health check,
	// which must answer while d.mu is held by a reload or a save that
	// waits on a stuck source.
	running atomic.Pointer[map[string]*runningSource]

	ready    chan struct{}
	reloadCh chan chan error

	// recorder keeps the last hour of codes and failing jobs, started the
	// daemon's start: the status page's (status.go).
	recorder *status.Recorder
	started  time.Time
	// lastReload is the last reload's result (nil before any).
	reloadMu   sync.Mutex
	lastReload *status.Reload
}

// New builds a daemon; Run starts it.
func New(opts Options) (*Daemon, error) {
	d := &Daemon{
		opts: opts, log: opts.Logger, reg: prometheus.NewRegistry(), cfg: opts.Config,
		sources: make(map[string]*sourceRecord),
		ready:   make(chan struct{}), reloadCh: make(chan chan error), eventsDone: make(chan struct{}),
		recorder: status.NewRecorder(), started: time.Now(),
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
		Workers: workers(g.Workers), QueueBatches: g.QueueBatches,
		MaxStreams: g.AttributionStreams, StreamJobs: g.AttributionJobs, Logger: opts.Logger, Observe: d.alerts.observe, Host: opts.Host,
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

// Registry returns the daemon's registry (for tests).
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// Ready is closed once positions are loaded and every source has started.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Run runs the daemon until ctx is done, then shuts down in order.
func (d *Daemon) Run(ctx context.Context) error {
	d.pipe.Start()
	d.loadPositions()
	srv := d.newHTTPServer()
	listeners := d.limitListeners()
	serveErr := make(chan error, 1)
	go func() {
		addrs := make([]string, len(listeners))
		for i, l := range listeners {
			addrs[i] = l.Addr().String()
		}
		systemdSocket := false
		err := web.ServeMultiple(listeners, srv, &web.FlagConfig{
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
	d.warnAbout(d.cfg)

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
		running := d.runningLocked()
		for _, rs := range running {
			rs.cancel()
		}
		d.mu.Unlock()
		for _, rs := range running {
			<-rs.done
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		for name := range running {
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
