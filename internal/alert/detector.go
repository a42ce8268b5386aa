// Package alert detects spikes of severe ODPS errors and turns them into
// alerts.
//
// The Detector is pure bookkeeping over time it is given: Observe adds
// counts at an instant, Tick closes the windows that have ended and reports
// alerts that start firing or resolve. It reads no clock, so tests drive it
// with a fake one; the daemon calls Tick from a ticker. It is safe for
// concurrent use, and Observe costs a map update under a mutex: cheap enough
// for the pipeline's workers, which call it once per code and batch.
//
// A rule counts failures (the default in the configuration) or prints of
// codes: the pipeline tells it both (Observation), with the failing jobs,
// and an alert names up to MaxJobs of them with their LogView links.
//
// A group (by source, and optionally by code or module) fires when a
// window's count reaches both the rule's min_count and factor × its
// baseline, the baseline being an exponentially weighted mean of past
// windows with a floor, so that a burst from a source with no history
// fires. It resolves once the count has stayed below that threshold for
// resolve_after. Memory is bounded: at most MaxGroups groups are tracked.
package alert

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Rule says what a spike is.
type Rule struct {
	// Name becomes the alert's alertname.
	Name string
	// MinSeverity selects the codes counted (the severity digit).
	MinSeverity int
	// Window is the length of a counting window.
	Window time.Duration
	// MinCount is the least count in a window that can fire.
	MinCount int
	// Factor is how many times its baseline a window's count must reach.
	Factor float64
	// BaselineWeight is the weight of the newest window in the baseline's
	// exponentially weighted mean (0 < w ≤ 1).
	BaselineWeight float64
	// BaselineFloor is the least baseline, so that a source with no
	// history (baseline 0) needs MinCount and Factor × floor to fire.
	BaselineFloor float64
	// ByCode and ByModule split groups further than by source.
	ByCode, ByModule bool
	// ResolveAfter is how long the count must stay below the threshold for
	// a firing alert to resolve.
	ResolveAfter time.Duration
	// Severity is the alert's severity label (e.g. "critical").
	Severity string
	// Labels are added to every alert (e.g. instance: the host).
	Labels map[string]string
	// CountFailures counts failures (one error event however many times
	// it is printed, see attrib.Tracker) rather than prints.
	CountFailures bool
}

// Observation is what the pipeline saw of one code in one batch of a
// source.
type Observation struct {
	Source string
	Class  classify.Class
	// Prints counts its occurrences, Failures the failures they began.
	Prints, Failures int
	// Sample is a line holding it (kept, redacted and bounded, for the
	// alert).
	Sample []byte
	// Jobs are jobs whose failure of the code began in the batch, with
	// an instance or a LogView link (at most MaxJobs are kept). Like
	// Sample, the slice is the caller's again once Add returns: what is
	// kept is copied.
	Jobs []FailingJob
}

// FailingJob names a failing job for an alert's annotations.
type FailingJob struct {
	Instance, Project string
	LogView           string // without its token
}

// MaxGroups bounds the groups a detector tracks; observations of further
// groups are counted (Detector.Dropped).
const MaxGroups = 10000

// maxSamples bounds the sample lines kept per group and window, and
// maxSampleBytes each of them.
const (
	maxSamples     = 3
	maxSampleBytes = 512
	maxTopCodes    = 3
)

// MaxJobs bounds the failing jobs an alert names (job_1 to job_5), and
// maxJobBytes each of them.
const (
	MaxJobs     = 5
	maxJobBytes = 1024
)

// Key identifies a group.
type Key struct {
	Source string
	Code   scan.Code // 0 unless the rule groups by code
	Module string    // "" unless the rule groups by module
}

// Detector tracks the groups of one rule.
type Detector struct {
	rule   Rule
	mu     sync.Mutex
	groups map[Key]*group
	// dropped counts observations of groups past MaxGroups.
	dropped int64
}

type group struct {
	key       Key
	window    time.Time // start of the window being counted
	count     int
	codes     map[scan.Code]int // this window's codes, for the top codes
	samples   []string
	jobs      []string // this window's failing jobs, as annotated
	baseline  float64
	windows   int // windows closed so far
	firing    *Alert
	belowFrom time.Time // when the count went below the threshold while firing
	lastSeen  time.Time
}

// NewDetector returns a detector of rule.
func NewDetector(rule Rule) *Detector {
	return &Detector{rule: rule, groups: make(map[Key]*group)}
}

// Dropped returns how many observations were not counted because their
// group would have been one past MaxGroups.
func (d *Detector) Dropped() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// Rule returns the detector's rule.
func (d *Detector) Rule() Rule { return d.rule }

// Observe counts n prints of a classified code seen at now in source,
// with no failure or job: Add for a rule that counts prints, as tests
// and the prints-only callers need.
func (d *Detector) Observe(now time.Time, source string, cl classify.Class, n int, sample []byte) {
	d.Add(now, Observation{Source: source, Class: cl, Prints: n, Sample: sample})
}

// Add counts what o says of a code seen at now: its failures, or its
// prints (Rule.CountFailures).
func (d *Detector) Add(now time.Time, o Observation) {
	n := o.Prints
	if d.rule.CountFailures {
		n = o.Failures
	}
	cl := o.Class
	if cl.Severity < d.rule.MinSeverity || n <= 0 {
		return
	}
	k := Key{Source: o.Source}
	if d.rule.ByCode {
		k.Code = cl.Code
	}
	if d.rule.ByModule {
		k.Module = cl.Module.Label
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.groups[k]
	if !ok {
		if len(d.groups) >= MaxGroups {
			d.dropped++
			return
		}
		g = &group{key: k, window: now.Truncate(d.rule.Window), codes: make(map[scan.Code]int)}
		d.groups[k] = g
	}
	d.roll(g, now)
	g.lastSeen = now
	g.count += n
	g.codes[cl.Code] += n
	if len(g.samples) < maxSamples && len(o.Sample) > 0 {
		// Redacted here, where a sample is kept (at most maxSamples a
		// window), not by every caller for every batch; and before the
		// cut, so that no part of a token is left outside what was
		// redacted.
		g.samples = append(g.samples, string(scan.CutUTF8(redact.Bytes(o.Sample), maxSampleBytes)))
	}
	for _, j := range o.Jobs {
		if len(g.jobs) >= MaxJobs {
			break
		}
		if a := jobAnnotation(j); a != "" && !slices.Contains(g.jobs, a) {
			g.jobs = append(g.jobs, a)
		}
	}
}

// Tick closes the windows ended by now and returns the alerts that started
// firing or resolved, and those still firing (to be sent again). They are
// copies, the caller's to keep: the detector goes on updating its own.
func (d *Detector) Tick(now time.Time) (changed, firing []*Alert) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range d.groups {
		if a := d.roll(g, now); a != nil {
			changed = append(changed, a.clone())
		}
		if g.firing != nil {
			firing = append(firing, g.firing.clone())
		}
		// A group idle for long, with nothing firing, is forgotten, so
		// that groups stay bounded by the active ones; if it comes back,
		// it comes back with no history, which the floor is for.
		if g.firing == nil && now.Sub(g.lastSeen) > max(10*d.rule.Window, d.rule.ResolveAfter) {
			delete(d.groups, g.key)
		}
	}
	sortAlerts(changed)
	sortAlerts(firing)
	return changed, firing
}

func sortAlerts(as []*Alert) {
	slices.SortFunc(as, func(a, b *Alert) int {
		return cmp.Or(cmp.Compare(a.Labels["source"], b.Labels["source"]), cmp.Compare(a.Labels["code"], b.Labels["code"]),
			cmp.Compare(a.Labels["module"], b.Labels["module"]))
	})
}

// threshold is the count a window needs to fire.
func (d *Detector) threshold(g *group) float64 {
	return max(float64(d.rule.MinCount), d.rule.Factor*max(g.baseline, d.rule.BaselineFloor))
}

// roll closes every window of g that ended by now, evaluating each, and
// returns the alert whose state changed, if any.
func (d *Detector) roll(g *group, now time.Time) *Alert {
	var changed *Alert
	for !now.Before(g.window.Add(d.rule.Window)) {
		end := g.window.Add(d.rule.Window)
		thr := d.threshold(g)
		switch {
		case float64(g.count) >= thr:
			g.belowFrom = time.Time{}
			if g.firing == nil {
				g.firing = d.newAlert(g, end, thr)
				changed = g.firing
			} else {
				d.refresh(g.firing, g, thr)
			}
		case g.firing != nil:
			if g.belowFrom.IsZero() {
				g.belowFrom = g.window
			}
			if end.Sub(g.belowFrom) >= d.rule.ResolveAfter {
				g.firing.EndsAt = end
				g.firing.Resolved = true
				changed = g.firing
				g.firing = nil
				g.belowFrom = time.Time{}
			}
		}
		// The baseline learns every window, a spike included but capped
		// at the threshold, so that one burst does not teach it that
		// bursts are normal, while a lasting rise still becomes the norm.
		w := d.rule.BaselineWeight
		if g.windows == 0 {
			w = 1 // the first window is all the history there is
		}
		g.baseline = (1-w)*g.baseline + w*min(float64(g.count), thr)
		g.windows++
		g.count = 0
		clear(g.codes)
		g.samples = g.samples[:0]
		g.jobs = g.jobs[:0]
		g.window = end
		if now.Sub(g.window) > 1000*d.rule.Window {
			// Long idle: skip the empty windows in one step.
			g.window = now.Truncate(d.rule.Window)
			g.baseline = 0
		}
	}
	return changed
}
