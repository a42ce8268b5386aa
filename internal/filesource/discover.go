package filesource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/bmatcuk/doublestar/v4"
)

// matches reports whether path is selected by the source's globs.
func (s *Source) matches(path string) bool {
	ok := false
	for _, p := range s.opts.Paths {
		if m, _ := doublestar.PathMatch(filepath.Clean(p), path); m {
			ok = true
			break
		}
	}
	return ok && !s.excluded(path)
}

func (s *Source) excluded(path string) bool {
	for _, x := range s.opts.Exclude {
		if m, _ := doublestar.PathMatch(x, filepath.Base(path)); m {
			return true
		}
		if m, _ := doublestar.PathMatch(x, path); m {
			return true
		}
	}
	return false
}

// rescan expands the globs, follows new files and notices the ones gone.
func (s *Source) rescan(ctx context.Context, startup bool) {
	// A file born after this moment may be missed by this look: the next
	// run reads such a file from its start (bornSinceLastRun).
	s.mu.Lock()
	s.scanned = s.now()
	s.mu.Unlock()
	if startup {
		s.truncatedWhileDown()
	}
	seen := make(map[string]bool)
	for _, pattern := range s.opts.Paths {
		base, _ := doublestar.SplitPattern(filepath.ToSlash(pattern))
		s.watchDir(filepath.FromSlash(base))
		matches, err := doublestar.FilepathGlob(pattern, doublestar.WithFailOnIOErrors())
		if err != nil {
			s.report(pattern, "glob", fmt.Errorf("cannot expand %s: %w", pattern, err))
			// A partial answer is better than none: try without failing.
			matches, _ = doublestar.FilepathGlob(pattern)
		}
		for _, path := range matches {
			if s.excluded(path) || seen[path] {
				continue
			}
			seen[path] = true
			s.discover(ctx, path, startup)
		}
	}
	// Followed paths that no glob gives any more: renamed out of the glob or
	// deleted. check() reads them to their end and lets them go.
	for path, f := range s.byPath {
		if !seen[path] {
			s.check(ctx, f)
		} else {
			s.watchDir(filepath.Dir(path)) // again, if its directory was re-created
		}
	}
	// Problems of paths no glob gives any more are forgotten, so that the
	// map holds at most the paths matched now (and the globs).
	for path := range s.reported {
		if !seen[path] && !slices.Contains(s.opts.Paths, path) {
			delete(s.reported, path)
		}
	}
	s.publishProblems()
	s.forgetTruncations()
	for k, r := range s.released {
		if s.now().Sub(r.at) > 2*s.opts.RescanInterval {
			delete(s.released, k)
		}
	}
	if startup {
		s.resumeRotatedOut()
	}
}

// report logs a problem with path once, until it changes, and counts it.
func (s *Source) report(path, reason string, err error) {
	s.opts.Metrics.readErrors.WithLabelValues(s.opts.Name, reason).Inc()
	if s.reported[path] == err.Error() {
		return
	}
	s.reported[path] = err.Error()
	s.publishProblems()
	s.opts.Logger.Warn("cannot follow a file; retrying at each rescan", "source", s.opts.Name, "path", path, "reason", reason, "err", err)
}

// discover starts following path if it is a file not followed yet.
func (s *Source) discover(ctx context.Context, path string, startup bool) {
	// The path can be rotated between the stat and the open: a few tries
	// until both see the same file.
	for range 3 {
		if s.tryDiscover(ctx, path, startup) {
			return
		}
	}
}

// tryDiscover is one attempt of discover; it reports false when the path
// changed under it and it should try again.
func (s *Source) tryDiscover(ctx context.Context, path string, startup bool) bool {
	st, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.report(path, "stat", err)
		}
		return true
	}
	if st.IsDir() {
		s.report(path, "directory", fmt.Errorf("%s matches the glob but is a directory", path))
		return true
	}
	if !st.Mode().IsRegular() {
		// A FIFO would block the open; a device is no log file.
		s.report(path, "irregular", fmt.Errorf("%s matches the glob but is not a regular file (%s)", path, st.Mode().Type()))
		return true
	}
	key := keyOf(st)
	if f, ok := s.files[key]; ok {
		if f.path != path && s.byPath[f.path] == f {
			// The same file under a new name inside the globs: follow it
			// there (rename rotation to a name that still matches).
			delete(s.byPath, f.path)
		}
		if cur, ok := s.byPath[path]; ok && cur != f {
			s.check(ctx, cur)
		}
		f.mu.Lock()
		f.path = path
		f.mu.Unlock()
		s.byPath[path] = f
		s.setDraining(f, false) // followed on under its new name
		s.check(ctx, f)
		return true
	}
	if cur, ok := s.byPath[path]; ok {
		// The path now holds another file: let the old one finish first.
		s.check(ctx, cur)
		if s.byPath[path] != nil {
			return true
		}
	}
	if len(s.files) >= s.opts.MaxFiles {
		s.report(path, "max_files", fmt.Errorf("already following max_files=%d files", s.opts.MaxFiles))
		return true
	}
	f, fst, err := s.open(path, key)
	switch {
	case errors.Is(err, errChanged):
		return false
	case errors.Is(err, errIrregular):
		s.report(path, "irregular", fmt.Errorf("%s matches the glob but is not a regular file (%s)", path, fst.Mode().Type()))
		return true
	case err != nil:
		s.report(path, "open", err)
		return true
	}
	if _, ok := s.reported[path]; ok {
		delete(s.reported, path)
		s.publishProblems()
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		f.real = real
	}
	f.lastRead = s.now()
	f.readOff = s.startOffset(f, fst, startup)
	f.context = f.readOff > 0
	f.offsets.Reset(f.readOff) // not shared yet: no lock
	f.lines.start = f.readOff
	s.mu.Lock()
	s.files[key] = f
	s.mu.Unlock()
	s.byPath[path] = f
	s.watchDir(filepath.Dir(path))
	if f.real != "" {
		// A symlink: writes show up in the target's directory.
		s.byReal[f.real] = f
		s.watchDir(filepath.Dir(f.real))
	}
	s.opts.Logger.Debug("following", "source", s.opts.Name, "path", path, "offset", f.readOff)
	if !startup {
		// At start-up, files are only opened and placed: the source is
		// ready (and positions can be saved) before any backlog is read.
		s.check(ctx, f)
	}
	return true
}
