package alert

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func testRule() Rule {
	return Rule{Name: "ODPSSeverity5Spike", MinSeverity: 5, Window: time.Minute, MinCount: 10, Factor: 3,
		BaselineWeight: 0.3, BaselineFloor: 1, ResolveAfter: 5 * time.Minute, Severity: "critical",
		Labels: map[string]string{"instance": "job-host-1"}}
}

var accessDenied = classify.Classify(420095) // severity 5

// event is what happened during one window of a timeline.
type timeline []int // count of severity-5 codes per minute

// run feeds a timeline minute by minute (observations spread inside each
// minute) and returns, per minute, "F" when an alert started firing at the
// end of it, "R" when one resolved, "." otherwise.
func run(d *Detector, counts timeline) string {
	var out strings.Builder
	for m, n := range counts {
		start := t0.Add(time.Duration(m) * time.Minute)
		for i := range n {
			at := start.Add(time.Duration(i) * time.Minute / time.Duration(n+1))
			d.Observe(at, "jobs", accessDenied, 1, []byte(fmt.Sprintf("line %d ODPS-0420095", i)))
		}
		changed, _ := d.Tick(start.Add(time.Minute))
		switch {
		case len(changed) == 0:
			out.WriteByte('.')
		case changed[0].Resolved:
			out.WriteByte('R')
		default:
			out.WriteByte('F')
		}
	}
	return out.String()
}

func repeat(n, times int) timeline {
	t := make(timeline, times)
	for i := range t {
		t[i] = n
	}
	return t
}

func cat(ts ...timeline) timeline {
	var out timeline
	for _, t := range ts {
		out = append(out, t...)
	}
	return out
}

func TestTimelines(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	noise := make(timeline, 60)
	for i := range noise {
		noise[i] = r.IntN(5) // 0-4 a minute
	}
	ramp := make(timeline, 40)
	for i := range ramp {
		ramp[i] = 1 + i
	}
	for _, tc := range []struct {
		name     string
		timeline timeline
		want     string
	}{
		{"steady noise", noise, strings.Repeat(".", 60)},
		{"spike in noise", cat(noise[:20], timeline{60}, repeat(1, 9)),
			strings.Repeat(".", 20) + "F" + "....R...."},
		{"slow ramp", ramp, strings.Repeat(".", 40)},
		{"flapping stays firing", cat(repeat(1, 5), timeline{40, 0, 40, 0, 40, 0}, repeat(0, 7)),
			"....." + "F....." + "...R..."},
		{"restart with no history", cat(timeline{20}, repeat(0, 6)), "F....R."},
		{"below min count", cat(timeline{9}, repeat(0, 3)), "...."},
		{"quiet", repeat(0, 10), strings.Repeat(".", 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(NewDetector(testRule()), tc.timeline); got != tc.want {
				t.Errorf("\ntimeline %v\n     got %s\n    want %s", tc.timeline, got, tc.want)
			}
		})
	}
}

func TestAlertContent(t *testing.T) {
	d := NewDetector(testRule())
	for i := range 30 {
		d.Observe(t0.Add(time.Duration(i)*time.Second), "jobs", accessDenied, 1, []byte(fmt.Sprintf("FAILED: ODPS-0420095: Access Denied %d", i)))
	}
	d.Observe(t0.Add(40*time.Second), "jobs", classify.Classify(123105), 2, []byte("ODPS-0123105 killed"))
	d.Observe(t0.Add(41*time.Second), "jobs", classify.Classify(130071), 50, []byte("severity 1: not counted"))
	changed, firing := d.Tick(t0.Add(time.Minute))
	if len(changed) != 1 || len(firing) != 1 {
		t.Fatalf("changed %d firing %d", len(changed), len(firing))
	}
	a := changed[0]
	want := map[string]string{"alertname": "ODPSSeverity5Spike", "severity": "critical", "source": "jobs",
		"code": "ODPS-0420095", "module": "worker", "family": "api", "instance": "job-host-1"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
	if a.Count != 32 || !a.StartsAt.Equal(t0.Add(time.Minute)) || !a.EndsAt.IsZero() {
		t.Errorf("count %d starts %v ends %v", a.Count, a.StartsAt, a.EndsAt)
	}
	e, _ := classify.Lookup(420095)
	for k, sub := range map[string]string{
		"summary":     "32 severity-5+ ODPS errors in 1m0s on source jobs",
		"description": "ODPS-0420095 ×30: Access Denied; ODPS-0123105 ×2: Job got killed",
		"hint":        e.Hint,
		"sample_1":    "FAILED: ODPS-0420095: Access Denied 0",
	} {
		if !strings.Contains(a.Annotations[k], sub) {
			t.Errorf("annotation %s = %q, want it to contain %q", k, a.Annotations[k], sub)
		}
	}
	if _, ok := a.Annotations["sample_4"]; ok {
		t.Error("more than 3 samples")
	}
	// Still firing next minute: re-sent, not changed.
	for i := range 30 {
		d.Observe(t0.Add(time.Minute+time.Duration(i)*time.Second), "jobs", accessDenied, 1, nil)
	}
	changed, firing = d.Tick(t0.Add(2 * time.Minute))
	if len(changed) != 0 || len(firing) != 1 || firing[0].StartsAt != a.StartsAt || firing[0].Labels["code"] != "ODPS-0420095" {
		t.Errorf("second minute: changed %d firing %d", len(changed), len(firing))
	}
	// A third minute led by another code is the same alert: same labels,
	// so Alertmanager does not see a new one beside one never resolved.
	killed := classify.Classify(123105)
	d.Observe(t0.Add(2*time.Minute+time.Second), "jobs", killed, 400, []byte("ODPS-0123105 killed"))
	changed, firing = d.Tick(t0.Add(3 * time.Minute))
	if len(changed) != 0 || len(firing) != 1 || firing[0].Fingerprint() != a.Fingerprint() || firing[0].Labels["code"] != "ODPS-0420095" {
		t.Errorf("third minute, led by %s: changed %d, firing %v", killed.Code, len(changed), firing)
	} else if got := firing[0].Annotations["description"]; !strings.Contains(got, "ODPS-0123105 ×400") || firing[0].Count != 400 {
		t.Errorf("third minute: count %d, description %q; want the new window's", firing[0].Count, got)
	}
}

func TestGroupByCode(t *testing.T) {
	rule := testRule()
	rule.ByCode = true
	d := NewDetector(rule)
	for _, c := range []scan.Code{420095, 123105} {
		d.Observe(t0, "jobs", classify.Classify(c), 20, nil)
	}
	d.Observe(t0, "other", accessDenied, 20, nil)
	changed, _ := d.Tick(t0.Add(time.Minute))
	var got []string
	for _, a := range changed {
		got = append(got, a.Labels["source"]+"/"+a.Labels["code"])
	}
	if strings.Join(got, ",") != "jobs/ODPS-0123105,jobs/ODPS-0420095,other/ODPS-0420095" {
		t.Errorf("alerts %v", got)
	}
}

func TestGroupsAreBounded(t *testing.T) {
	d := NewDetector(testRule())
	for i := range MaxGroups + 10 {
		d.Observe(t0, fmt.Sprintf("s%d", i), accessDenied, 1, nil)
	}
	if len(d.groups) != MaxGroups || d.Dropped() != 10 {
		t.Errorf("%d groups, %d dropped", len(d.groups), d.Dropped())
	}
	// Idle groups are forgotten.
	d.Tick(t0.Add(time.Hour))
	if len(d.groups) != 0 {
		t.Errorf("%d groups left after an idle hour", len(d.groups))
	}
}

func TestLongIdleDoesNotLoop(t *testing.T) {
	d := NewDetector(testRule())
	d.Observe(t0, "jobs", accessDenied, 1, nil)
	d.Observe(t0.Add(365*24*time.Hour), "jobs", accessDenied, 20, nil) // a year later
	changed, _ := d.Tick(t0.Add(365*24*time.Hour + time.Minute))
	if len(changed) != 1 {
		t.Errorf("a burst after a year of silence: %d alerts", len(changed))
	}
}

// A rule counting failures counts those, not prints; its alert names up
// to MaxJobs failing jobs, each once, without a token, and only those of
// the window that fired.
func TestFailuresAndFailingJobs(t *testing.T) {
	r := testRule()
	r.CountFailures = true
	d := NewDetector(r)
	job := func(i int) FailingJob {
		return FailingJob{Instance: fmt.Sprintf("2026112710000000%dgjob", i), Project: "p_sales",
			LogView: fmt.Sprintf("https://logview.example.com/logview/?i=2026112710000000%dgjob&token=secret%d", i, i)}
	}
	// An earlier window's job is not the spike's.
	d.Add(t0.Add(-30*time.Second), Observation{Source: "jobs", Class: accessDenied, Prints: 2, Failures: 1, Jobs: []FailingJob{job(9)}})
	d.Tick(t0)
	for i := range 12 {
		o := Observation{Source: "jobs", Class: accessDenied, Prints: 5, Failures: 1, Jobs: []FailingJob{job(i % 7)}}
		if i == 11 {
			o.Failures, o.Jobs = 0, nil // a print of a failure already counted
		}
		d.Add(t0.Add(time.Duration(i)*time.Second), o)
	}
	d.Add(t0.Add(20*time.Second), Observation{Source: "jobs", Class: accessDenied, Prints: 1, Failures: 1, Jobs: []FailingJob{{}}})
	changed, _ := d.Tick(t0.Add(time.Minute))
	if len(changed) != 1 {
		t.Fatalf("%d alerts changed, want 1 firing", len(changed))
	}
	a := changed[0].Annotations
	if a["count"] != "12" || !strings.Contains(a["summary"], "12 severity-5+ ODPS failures") {
		t.Errorf("count %q, summary %q: want 12 failures", a["count"], a["summary"])
	}
	for n := 1; n <= MaxJobs; n++ {
		want := fmt.Sprintf("instance 2026112710000000%dgjob of project p_sales: https://logview.example.com/logview/?i=2026112710000000%dgjob&token=REDACTED", n-1, n-1)
		if got := a[fmt.Sprintf("job_%d", n)]; got != want {
			t.Errorf("job_%d %q, want %q", n, got, want)
		}
	}
	if j, ok := a[fmt.Sprintf("job_%d", MaxJobs+1)]; ok {
		t.Errorf("a sixth job: %q", j)
	}
	for k, v := range a {
		if strings.Contains(v, "secret") {
			t.Errorf("%s carries a token: %q", k, v)
		}
	}
	// Prints alone, as a rule counting failures sees them: nothing.
	d2 := NewDetector(r)
	for i := range 50 {
		d2.Add(t0.Add(time.Duration(i)*time.Second), Observation{Source: "jobs", Class: accessDenied, Prints: 1})
	}
	if changed, _ := d2.Tick(t0.Add(time.Minute)); len(changed) != 0 {
		t.Errorf("prints without failures fired a rule counting failures: %+v", changed[0])
	}
}
