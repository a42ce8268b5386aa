// Package status keeps what odpswatch's status page and /api/v1/status
// show of the last hour: the codes counted minute by minute, with the
// failures they stood for, and the latest failing jobs.
//
// What it promises:
//   - Bounded memory whatever the input: Minutes minutes, at most
//     MaxCodesPerMinute distinct codes in each (more are added up as
//     "other"), MaxJobs jobs.
//   - It reads no clock: callers pass the time, tests inject it.
//   - It hands out no secret: jobs' LogView links come without their
//     token (attrib.LogView) and Jobs redacts them again as it copies
//     them out (not Add: a batch observes hundreds of jobs and only the
//     last MaxJobs are ever read; redacting each was 2 % of a daemon's
//     catch-up).
//   - Safe for concurrent use; Add costs a map update under a mutex.
package status

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Bounds of a Recorder.
const (
	Minutes           = 60
	MaxCodesPerMinute = 1000
	MaxJobs           = 20
)

// Count is what was counted of a code: its prints and the failures they
// began.
type Count struct {
	Prints   int64 `json:"prints"`
	Failures int64 `json:"failures"`
}

// CodeCount is a code's count over the last hour.
type CodeCount struct {
	Code scan.Code
	Count
}

// Job is a job whose failure began recently.
type Job struct {
	Source, Instance, Project string
	LogView                   string // without its token
	Code                      scan.Code
	At                        time.Time
}

// Recorder keeps the last hour of counts and the latest failing jobs.
type Recorder struct {
	mu      sync.Mutex
	minutes [Minutes]minute
	// jobs is a ring of the last MaxJobs jobs: jobs[next] is the oldest
	// once it is full.
	jobs [MaxJobs]Job
	next int
}

type minute struct {
	at    int64 // Unix minute; 0: unused
	codes map[scan.Code]*Count
	other Count // codes past MaxCodesPerMinute
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Add counts what o says at now, and keeps its failing jobs.
func (r *Recorder) Add(now time.Time, o alert.Observation) {
	if o.Prints <= 0 && o.Failures <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minute(now)
	c, ok := m.codes[o.Class.Code]
	switch {
	case ok:
	case len(m.codes) < MaxCodesPerMinute:
		c = &Count{}
		m.codes[o.Class.Code] = c
	default:
		c = &m.other
	}
	c.Prints += int64(o.Prints)
	c.Failures += int64(o.Failures)
	// Only the last MaxJobs can stay: the others are not even copied (a
	// batch observes up to 20 jobs for each of its codes).
	for _, j := range o.Jobs[max(len(o.Jobs)-MaxJobs, 0):] {
		r.jobs[r.next] = Job{Source: o.Source, Instance: j.Instance, Project: j.Project,
			LogView: j.LogView, Code: o.Class.Code, At: now}
		r.next = (r.next + 1) % MaxJobs
	}
}

// minute returns now's minute, reset if it held an older one.
func (r *Recorder) minute(now time.Time) *minute {
	at := now.Unix() / 60
	m := &r.minutes[at%Minutes]
	if m.at != at {
		*m = minute{at: at, codes: make(map[scan.Code]*Count)}
	}
	return m
}

// Top returns the n codes with the most failures in the hour before now,
// then the most prints; and what the codes past the per-minute bound
// added up to.
func (r *Recorder) Top(now time.Time, n int) ([]CodeCount, Count) {
	r.mu.Lock()
	defer r.mu.Unlock()
	from := now.Unix()/60 - Minutes + 1
	sum := map[scan.Code]Count{}
	var other Count
	for i := range r.minutes {
		m := &r.minutes[i]
		if m.at < from || m.at == 0 {
			continue
		}
		for code, c := range m.codes {
			s := sum[code]
			s.Prints += c.Prints
			s.Failures += c.Failures
			sum[code] = s
		}
		other.Prints += m.other.Prints
		other.Failures += m.other.Failures
	}
	out := make([]CodeCount, 0, len(sum))
	for code, c := range sum {
		out = append(out, CodeCount{code, c})
	}
	slices.SortFunc(out, func(a, b CodeCount) int {
		return cmp.Or(cmp.Compare(b.Failures, a.Failures), cmp.Compare(b.Prints, a.Prints), cmp.Compare(a.Code, b.Code))
	})
	return out[:min(n, len(out))], other
}

// Jobs returns the failing jobs of the hour before now, newest first.
func (r *Recorder) Jobs(now time.Time) []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Job
	for k := 1; k <= MaxJobs; k++ {
		j := &r.jobs[(r.next-k+MaxJobs)%MaxJobs]
		if !j.At.IsZero() && now.Sub(j.At) < Minutes*time.Minute {
			c := *j
			c.LogView = redact.String(c.LogView)
			out = append(out, c)
		}
	}
	return out
}
