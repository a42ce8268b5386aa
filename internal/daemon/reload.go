package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/odpswatch/odpswatch/internal/config"
)

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

// reload loads the configuration again and applies what changed in the
// sources. Global settings other than max_unknown_codes take effect at the
// next start.
func (d *Daemon) reload() (err error) {
	defer func() { d.noteReload(err) }()
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
	if !reflect.DeepEqual(cfg.Alerts, d.cfg.Alerts) {
		d.log.Warn("changes under alerts take effect at the next start")
	}
	cfg.Global, cfg.Alerts = d.cfg.Global, d.cfg.Alerts
	d.counters.SetMaxUnknown(maxUnknown(cfg))
	want := make(map[string]config.Source)
	for _, sc := range cfg.Sources {
		want[sc.Name] = sc
	}
	stopped, started := 0, 0
	for name, rs := range d.runningLocked() {
		if sc, ok := want[name]; !ok || !reflect.DeepEqual(sc, rs.cfg) {
			d.stopSource(name)
			stopped++
		}
	}
	d.cfg = cfg
	var startErr error
	for _, sc := range cfg.Sources {
		if r := d.sources[sc.Name]; r == nil || r.running == nil {
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
	d.warnAbout(cfg)
	return nil
}

// warnAbout logs what in cfg is valid but likely a mistake (a secret file
// others can read, a source whose paths match no file).
func (d *Daemon) warnAbout(cfg *config.Config) {
	for _, w := range cfg.Warnings() {
		d.log.Warn("configuration warning", "warning", w)
	}
	d.warnFDs(cfg)
}
