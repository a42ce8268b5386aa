package filesource

import (
	"maps"
	"time"
)

// FileStatus is what the status page shows of a followed file.
type FileStatus struct {
	Path     string
	Offset   int64     // counted up to
	Size     int64     // at the source's last look at it; -1: not known
	LastRead time.Time // when bytes were last read from it; zero: never
}

// Status returns the files followed and the problems reported now (path:
// error), for the status page. It may be called from any goroutine.
func (s *Source) Status() ([]FileStatus, map[string]string) {
	s.mu.Lock()
	files := make([]FileStatus, 0, len(s.files))
	for _, f := range s.files {
		f.mu.Lock()
		fs := FileStatus{Path: f.path, Offset: f.offsets.Committed(), Size: f.size.Load()}
		f.mu.Unlock()
		if at := f.readAt.Load(); at != 0 {
			fs.LastRead = time.Unix(0, at)
		}
		files = append(files, fs)
	}
	s.mu.Unlock()
	var problems map[string]string
	if p := s.problems.Load(); p != nil {
		problems = *p
	}
	return files, problems
}

// publishProblems publishes a copy of what is reported now, for Status.
func (s *Source) publishProblems() {
	p := maps.Clone(s.reported)
	s.problems.Store(&p)
}
