package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/daemon"
	"github.com/odpswatch/odpswatch/internal/sdnotify"
)

const runUsage = `run [flags] [GLOB...]

Follows log files, counts the ODPS error codes in them, and serves the
counts on /metrics. With --config.file the sources come from the file;
without, the GLOBs are followed from their start (e.g. odpswatch run
'examples/*.log'). Positions are saved in --state.dir, or in
$STATE_DIRECTORY under systemd; with neither they are kept in memory only.

Endpoints: /metrics, /-/healthy, /-/ready, /-/reload (POST). SIGHUP reloads
the configuration; SIGTERM and SIGINT stop odpswatch in order.`

// defaultListenAddress is odpswatch's HTTP port.
const defaultListenAddress = ":9781"

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runRun(e env, args []string) int {
	fs := newFlags(e, "run", runUsage)
	configFile := fs.String("config.file", "", "YAML configuration file (see configs/odpswatch.yaml)")
	var listen listFlag
	fs.Var(&listen, "web.listen-address", "address to serve HTTP on; may be repeated (default "+defaultListenAddress+")")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web configuration file for TLS and basic auth")
	lifecycle := fs.Bool("web.enable-lifecycle", false, "serve POST /-/reload (SIGHUP reloads either way); behind the web configuration's auth when it sets one")
	stateDir := fs.String("state.dir", "", "directory of the positions file (default $STATE_DIRECTORY; none: positions in memory only)")
	logLevel := fs.String("log.level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log.format", "logfmt", "log format: logfmt or json")
	globs, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	logger, err := newLogger(e, *logLevel, *logFormat)
	if err != nil {
		return failUsage(e, "run: %v", err)
	}
	if len(listen) == 0 {
		listen = listFlag{defaultListenAddress}
	}

	var cfg *config.Config
	var load func() (*config.Config, error)
	switch {
	case *configFile != "" && len(globs) > 0:
		return failUsage(e, "run: give either --config.file or GLOBs, not both")
	case *configFile != "":
		path := *configFile
		load = func() (*config.Config, error) { return config.Load(path) }
		cfg, err = load()
	case len(globs) > 0:
		cfg, err = config.ForGlobs(globs)
	default:
		return failUsage(e, "run: give --config.file or at least one GLOB of files to follow")
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "odpswatch run: %v\n", err)
		return exitFailure
	}

	dir := *stateDir
	if dir == "" {
		// systemd's StateDirectory= may list several, colon-separated.
		dir, _, _ = strings.Cut(e.getenv("STATE_DIRECTORY"), ":")
	}
	notifier, err := sdnotify.New(e.getenv("NOTIFY_SOCKET"))
	if err != nil {
		logger.Warn("not notifying systemd", "err", err)
		notifier, _ = sdnotify.New("")
	}
	interval, err := sdnotify.WatchdogInterval(e.getenv("WATCHDOG_USEC"), e.getenv("WATCHDOG_PID"), os.Getpid())
	if err != nil && !errors.Is(err, sdnotify.ErrNoWatchdog) {
		logger.Warn("no watchdog pings", "err", err)
	}

	var listeners []net.Listener
	for _, addr := range listen {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			fmt.Fprintf(e.stderr, "odpswatch run: cannot listen on %s: %v\n", addr, err)
			return exitFailure
		}
		listeners = append(listeners, l)
	}

	reload := make(chan struct{}, 1)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				select {
				case reload <- struct{}{}:
				default: // a reload is already pending
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	d, err := daemon.New(daemon.Options{
		Config: cfg, LoadConfig: load, ConfigFile: *configFile, StateDir: dir, Listeners: listeners, WebConfigFile: *webConfig, EnableLifecycle: *lifecycle,
		Logger: logger, Notifier: notifier, WatchdogInterval: interval, Version: buildInfo(), Reload: reload,
		Getenv: e.getenv, Host: hostname(),
	})
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		fmt.Fprintf(e.stderr, "odpswatch run: %v\n", err)
		return exitFailure
	}
	logger.Info("starting odpswatch", "version", versionString(), "listen", listen.String(), "config", *configFile)
	if err := d.Run(ctx); err != nil {
		logger.Error("odpswatch stopped with an error", "err", err)
		return exitFailure
	}
	logger.Info("odpswatch stopped")
	return exitOK
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func newLogger(e env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log.level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log.format %q: want logfmt or json", format)
}

// buildInfo is what odpswatch knows of its build: the version set at link
// time (-X main.version), else the module's; the revision and its date set
// at link time, else the ones the go command recorded; the Go version.
func buildInfo() daemon.BuildInfo {
	b := daemon.BuildInfo{Version: version, Revision: commit, Date: date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = bi.GoVersion
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Revision == "":
				b.Revision = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

const checkConfigUsage = `check-config FILE...

Loads each configuration file strictly (unknown keys are errors, with their
line) and reports every problem. Exit status: 0 when all are valid, 1 when
one is not, 2 on bad usage.`

func runCheckConfig(e env, args []string) int {
	fs := newFlags(e, "check-config", checkConfigUsage)
	printIt := fs.Bool("print", false, "print the effective configuration, defaults applied")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(files) == 0 {
		return failUsage(e, "check-config: name a configuration file")
	}
	status := exitOK
	for _, f := range files {
		cfg, err := config.Load(f)
		if err != nil {
			fmt.Fprintf(e.stderr, "%v\n", err)
			status = exitFound
			continue
		}
		fmt.Fprintf(e.stdout, "%s: valid, %d sources\n", f, len(cfg.Sources))
		for _, w := range cfg.Warnings() {
			fmt.Fprintf(e.stderr, "%s: warning: %s\n", f, w)
		}
		if *printIt {
			fmt.Fprint(e.stdout, cfg.String())
		}
	}
	return status
}
