package alert

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// What an alert says: its labels and annotations, made when it starts and
// refreshed as its group counts (the summary, the samples, the failing
// jobs).

// jobAnnotation writes a failing job as an alert shows it: "instance
// 2026… of project p: https://logview…", redacted (a LogView link comes
// without its token; this makes sure) and bounded.
func jobAnnotation(j FailingJob) string {
	var b []byte
	if j.Instance != "" {
		b = fmt.Appendf(b, "instance %s", j.Instance)
	} else {
		b = append(b, "no instance"...)
	}
	if j.Project != "" {
		b = fmt.Appendf(b, " of project %s", j.Project)
	}
	if j.LogView != "" {
		b = fmt.Appendf(b, ": %s", j.LogView)
	} else if j.Instance == "" {
		return ""
	}
	return string(scan.CutUTF8(redact.Bytes(b), maxJobBytes))
}

// Alert is a spike, firing or resolved.
type Alert struct {
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	// EndsAt is zero while firing.
	EndsAt   time.Time
	Resolved bool
	// Count and Baseline are those of the window that fired (or the
	// latest above the threshold).
	Count    int
	Baseline float64
}

// clone copies a. The maps are shared: the detector replaces them and never
// changes them in place.
func (a *Alert) clone() *Alert {
	c := *a
	return &c
}

// Fingerprint identifies an alert across re-sends.
func (a *Alert) Fingerprint() string {
	return a.Labels["alertname"] + "|" + a.Labels["source"] + "|" + a.Labels["code"] + "|" + a.Labels["module"]
}

func (d *Detector) newAlert(g *group, at time.Time, thr float64) *Alert {
	a := &Alert{StartsAt: at}
	d.refresh(a, g, thr)
	return a
}

// refresh sets an alert's annotations, count and baseline from the window
// that just closed above the threshold, and its labels when it starts.
// Labels are the alert's identity (its fingerprint, Alertmanager's, the
// Kafka key): a later window led by another code must not make it another
// alert, which would leave the first never resolved.
func (d *Detector) refresh(a *Alert, g *group, thr float64) {
	type codeCount struct {
		code scan.Code
		n    int
	}
	var top []codeCount
	for c, n := range g.codes {
		top = append(top, codeCount{c, n})
	}
	slices.SortFunc(top, func(x, y codeCount) int { return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.code, y.code)) })
	top = top[:min(len(top), maxTopCodes)]

	a.Count, a.Baseline = g.count, g.baseline
	if a.Labels == nil {
		a.Labels = maps.Clone(d.rule.Labels)
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		a.Labels["alertname"], a.Labels["severity"], a.Labels["source"] = d.rule.Name, d.rule.Severity, g.key.Source
		if len(top) > 0 {
			cl := classify.Classify(top[0].code)
			a.Labels["code"] = top[0].code.String()
			a.Labels["module"] = cl.Module.Label
			a.Labels["family"] = cl.Family.Label
		}
	}
	a.Annotations = map[string]string{
		"summary": fmt.Sprintf("%d severity-%d+ ODPS %s in %s on source %s (baseline %.1f, threshold %.0f)",
			g.count, d.rule.MinSeverity, d.counted(), d.rule.Window, g.key.Source, g.baseline, thr),
		"count":    fmt.Sprint(g.count),
		"baseline": fmt.Sprintf("%.2f", g.baseline),
	}
	var desc, hints []byte
	for i, t := range top {
		cl := classify.Classify(t.code)
		title := cl.Title()
		if title == "" {
			title = "undocumented"
		}
		desc = fmt.Appendf(desc, "%s%s ×%d: %s", sep(i), t.code, t.n, title)
		if cl.Entry != nil {
			hints = fmt.Appendf(hints, "%s%s: %s", sep(i), t.code, cl.Entry.Hint)
		}
	}
	a.Annotations["description"] = string(desc)
	if len(hints) > 0 {
		a.Annotations["hint"] = string(hints)
	}
	for i, s := range g.samples {
		a.Annotations[fmt.Sprintf("sample_%d", i+1)] = s
	}
	for i, j := range g.jobs {
		a.Annotations[fmt.Sprintf("job_%d", i+1)] = j
	}
}

// counted names what the rule counts.
func (d *Detector) counted() string {
	if d.rule.CountFailures {
		return "failures"
	}
	return "errors"
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return "; "
}
