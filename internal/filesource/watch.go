package filesource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// pollEvery is the polling period: poll_interval when polling, and a safety
// poll four times slower with inotify (at least every second), which also
// drives partial-line timeouts.
func (s *Source) pollEvery() time.Duration {
	if s.polling {
		return s.opts.PollInterval
	}
	return min(max(4*s.opts.PollInterval, 100*time.Millisecond), time.Second)
}

func (s *Source) fallBackToPolling(why string, err error) {
	if s.polling {
		return
	}
	s.polling = true
	s.opts.Metrics.watchFallbacks.WithLabelValues(s.opts.Name).Inc()
	s.opts.Logger.Warn("falling back to polling", "source", s.opts.Name, "reason", why, "err", err, "poll_interval", s.opts.PollInterval)
}

func (s *Source) onEvent(ctx context.Context, ev fsnotify.Event) {
	if (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) && s.watched[ev.Name] {
		// The kernel dropped the watch with the directory; a new one is
		// added at the next rescan if it comes back.
		delete(s.watched, ev.Name)
	}
	if f, ok := s.byPath[ev.Name]; ok {
		s.check(ctx, f)
		return
	}
	if f, ok := s.byReal[ev.Name]; ok {
		s.check(ctx, f)
		return
	}
	if s.draining > 0 && ev.Has(fsnotify.Write) {
		// A rotated file written to under a name outside the globs, by a
		// writer that has not reopened yet: read it now, rather than at
		// the next safety poll.
		if st, err := os.Stat(ev.Name); err == nil {
			if f, ok := s.files[keyOf(st)]; ok && f.draining {
				s.check(ctx, f)
				return
			}
		}
	}
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Write) {
		// A new file in a watched directory: follow it at once if it
		// matches, rather than at the next rescan.
		if s.matches(ev.Name) {
			s.discover(ctx, ev.Name, false)
		}
	}
}

func (s *Source) watchDir(dir string) {
	if s.watcher == nil || s.watched[dir] {
		return
	}
	if err := s.watcher.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			s.fallBackToPolling("inotify watch limit reached", err)
			return
		}
		if !errors.Is(err, fs.ErrNotExist) {
			s.report(dir, "watch", fmt.Errorf("cannot watch %s: %w", dir, err))
		}
		return
	}
	s.watched[dir] = true
}

// fullCheckEvery is how many safety ticks pass, with inotify, between two
// looks at every file.
const fullCheckEvery = 10

// checkAll checks every file, or, unless full, only those waiting on time.
func (s *Source) checkAll(ctx context.Context, full bool) {
	for _, f := range s.snapshot() {
		if full || f.lines.pending() || f.draining || f.copyWait {
			s.check(ctx, f)
		}
	}
}

func (s *Source) snapshot() []*file {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*file, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, f)
	}
	return out
}
