package filesource

import (
	"sync"
	"time"
)

// progress tells, from outside the source's loop, how long the loop has
// been in its current piece of work: a look at a file, a rescan. It waits,
// and is then not busy, on events, ticks, batch buffers and the pipeline
// (whose own progress the pipeline's watchdog watches); anything else that
// lasts is a stall: a read or a stat hanging on a dead network filesystem,
// a log handler that blocks.
type progress struct {
	mu    sync.Mutex
	since time.Time // zero while waiting
	what  string    // the path being looked at, or what is being done
}

// busy marks the start of a piece of work on what.
func (p *progress) busy(now time.Time, what string) {
	p.mu.Lock()
	p.since, p.what = now, what
	p.mu.Unlock()
}

// waiting marks the loop as waiting, not stuck; resume goes back to the
// work it was doing.
func (p *progress) waiting() {
	p.mu.Lock()
	p.since = time.Time{}
	p.mu.Unlock()
}

func (p *progress) resume(now time.Time) {
	p.mu.Lock()
	p.since = now
	p.mu.Unlock()
}

// Busy reports how long the source's loop has been in its current piece
// of work, and on what; zero while it waits (for events, time, buffers or
// the pipeline). It is safe to call while the source runs.
func (s *Source) Busy(now time.Time) (time.Duration, string) {
	s.progress.mu.Lock()
	defer s.progress.mu.Unlock()
	if s.progress.since.IsZero() {
		return 0, ""
	}
	return now.Sub(s.progress.since), s.progress.what
}
