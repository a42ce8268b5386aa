package daemon

import (
	"fmt"
	"slices"
	"time"
)

// DefaultStuckAfter is how long a file source's loop may spend on one
// piece of work (a look at a file, a rescan) before the daemon is
// unhealthy: a read, a stat or an open that hangs (a dead network
// filesystem) freezes the source, and only a restart frees it.
const DefaultStuckAfter = time.Minute

// stuck describes the file sources whose loop has been on one piece of
// work for longer than StuckAfter, sorted; none when all make progress.
// /-/healthy then answers 503 and the watchdog is not pinged, so that
// systemd restarts the daemon.
func (d *Daemon) stuck(now time.Time) []string {
	after := d.opts.StuckAfter
	if after <= 0 {
		after = DefaultStuckAfter
	}
	running := d.running.Load()
	if running == nil {
		return nil
	}
	var out []string
	for name, rs := range *running {
		f := rs.file.Load()
		if f == nil {
			continue
		}
		if busy, what := f.Busy(now); busy > after {
			out = append(out, fmt.Sprintf("source %s has been on %s for %s (more than %s)", name, what, busy.Round(100*time.Millisecond), after))
		}
	}
	slices.Sort(out)
	return out
}

// publishSources copies the sources running for the health check. d.mu
// is held.
func (d *Daemon) publishSources() {
	m := d.runningLocked()
	d.running.Store(&m)
}
