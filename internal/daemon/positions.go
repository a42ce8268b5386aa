package daemon

import (
	"slices"
	"sort"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/filesource"
	"github.com/odpswatch/odpswatch/internal/positions"
)

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
		r := d.record(e.Source)
		r.saved.Files = append(r.saved.Files, e)
		r.loaded = true
	}
	for _, src := range saved.Sources {
		r := d.record(src.Name)
		r.saved.Dirs, r.saved.Scanned = src.Dirs, src.Scanned
		r.loaded = true
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
	for name, r := range d.sources {
		if resume, ok := r.positions(); ok {
			add(name, resume)
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
