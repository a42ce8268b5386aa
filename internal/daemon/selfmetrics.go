package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The daemon's own metrics: saves of positions, reloads, HTTP connections,
// registered beside the sources' and the pipeline's.

type metrics struct {
	saves, saveFailures, corrupt prometheus.Counter
	lastSave                     prometheus.Gauge
	reloadOK, reloadTime         prometheus.Gauge
	persisted                    prometheus.Gauge
	httpOpen, httpMax            prometheus.Gauge
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
		httpOpen:     gauge("odpswatch_http_connections", "HTTP connections open now (at most odpswatch_http_connections_max; more wait to be accepted)."),
		httpMax:      gauge("odpswatch_http_connections_max", "How many HTTP connections are served at once."),
	}
	d.metrics = m
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "odpswatch_build_info", Help: "A metric with a constant 1 labelled by odpswatch's version, revision (commit), the commit's date and Go version.",
		ConstLabels: prometheus.Labels{"version": d.opts.Version.Version, "revision": d.opts.Version.Revision,
			"builddate": d.opts.Version.Date, "goversion": d.opts.Version.GoVersion},
	})
	build.Set(1)
	m.reloadOK.Set(1)
	m.reloadTime.SetToCurrentTime()
	if d.store != nil {
		m.persisted.Set(1)
	}
	for _, c := range []prometheus.Collector{
		m.saves, m.saveFailures, m.corrupt, m.lastSave, m.reloadOK, m.reloadTime, m.persisted, m.httpOpen, m.httpMax, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := d.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
