package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/odpswatch/odpswatch/internal/oneshot"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// pyodpsJobs is a PyODPS log of n failed instances, each printing its
// code twice (the exception's header, then the message): 2n prints, n
// failures.
func pyodpsJobs(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		id := fmt.Sprintf("2026120110%07d%sq", i, tag)
		fmt.Fprintf(&b, "2026-12-01 10:00:%02d,001 INFO Instance ID: %s\n", i%60, id)
		fmt.Fprintf(&b, "Traceback (most recent call last):\n  File \"job.py\", line 9, in <module>\n    inst.wait_for_success()\n")
		fmt.Fprintf(&b, "odps.errors.ODPSError: ODPS-0130071: InstanceId: %s\n", id)
		fmt.Fprintf(&b, "ODPS-0130071:[1,8] Semantic analysis exception - column c%d cannot be resolved\n", i)
		fmt.Fprintf(&b, "2026-12-01 10:00:%02d,009 INFO retrying in a new instance\n", i%60)
	}
	return b.String()
}

// splitLines cuts log into batches of 1 to 6 whole lines.
func splitLines(log string, r *rand.Rand) []string {
	lines := strings.SplitAfter(log, "\n")
	var out []string
	for len(lines) > 0 && lines[0] != "" {
		n := min(1+r.IntN(6), len(lines))
		out = append(out, strings.Join(lines[:n], ""))
		lines = lines[n:]
	}
	return out
}

// Failures are counted per origin in its order, however its batches are
// cut and however many workers take them at once: origins interleaved,
// four workers, batches of a few lines.
func TestFailuresCountedPerOriginInOrder(t *testing.T) {
	const jobs = 200
	r := rand.New(rand.NewPCG(1, 2))
	p, reg := newPipeline(t, 4, 8)
	p.Start()
	a, b := splitLines(pyodpsJobs(jobs, "a"), r), splitLines(pyodpsJobs(jobs, "b"), r)
	for len(a) > 0 || len(b) > 0 {
		for _, o := range []struct {
			name    string
			batches *[]string
		}{{"/var/log/a.log", &a}, {"/var/log/b.log", &b}} {
			for n := r.IntN(4); n > 0 && len(*o.batches) > 0; n-- {
				p.Input() <- &Batch{Source: "jobs", Origin: o.name, Data: []byte((*o.batches)[0])}
				*o.batches = (*o.batches)[1:]
			}
		}
	}
	p.Close()
	want := fmt.Sprintf(`
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} %d
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} %d
# HELP odpswatch_attribution_streams Origins (files, Kafka partitions) whose jobs are tracked; at most global.attribution_streams, more only while all are in use.
# TYPE odpswatch_attribution_streams gauge
odpswatch_attribution_streams 2
`, 4*jobs, 2*jobs)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"odpswatch_errors_total", "odpswatch_failures_total", "odpswatch_attribution_streams"); err != nil {
		t.Error(err)
	}
}

// Past max streams, the origin used least recently is forgotten; a job
// whose failure spans it counts again, which the metric owns up to.
func TestAttributionStreamsBounded(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c, err := sink.NewErrorCounters(reg, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{Workers: 2, QueueBatches: 4, MaxStreams: 2, StreamJobs: 1}, c, reg)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	done := make(chan struct{})
	send := func(origin, data string) {
		p.Input() <- &Batch{Source: "jobs", Origin: origin, Data: []byte(data), Done: func() { done <- struct{}{} }}
		<-done // one at a time: each stream is idle when the next comes
	}
	header := "odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gq\n"
	message := "ODPS-0130071:[1,8] Semantic analysis exception\n"
	send("a", header)
	send("b", header)
	send("a", message) // a's failure goes on: not counted
	send("c", header)  // b is forgotten
	send("b", message) // b's failure is counted again; a is forgotten
	// One job a stream: the second instance of c forgets the first.
	send("c", "Instance ID: 20261201100000002gq\nODPS-0130071:[1,8] x\n")
	p.Close()
	if got := testutil.ToFloat64(p.streams.jobsEvicted); got != 1 {
		t.Errorf("evicted %v jobs, want 1", got)
	}
	if got := testutil.ToFloat64(p.streams.evicted); got != 2 {
		t.Errorf("evicted %v streams, want 2", got)
	}
	if got := testutil.ToFloat64(p.streams.gauge); got != 2 {
		t.Errorf("%v streams, want 2", got)
	}
	want := `
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_failures_total"); err != nil {
		t.Error(err)
	}
}

// A failure retried and recovered counts as a failure, and as recovered.
func TestRecoveredFailures(t *testing.T) {
	p, reg := newPipeline(t, 2, 4)
	p.Start()
	for _, data := range []string{
		"2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gjoba\n" +
			"odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gjoba\n",
		"ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved\n" +
			"2026-12-01 10:01:00,001 WARN retrying in a new instance\n",
		"2026-12-01 10:01:30,003 INFO instance 20261201100100002gjobb status=Terminated, success\n",
	} {
		p.Input() <- &Batch{Source: "jobs", Origin: "/var/log/a.log", Data: []byte(data)}
	}
	p.Close()
	want := `
# HELP odpswatch_failures_recovered_total Failures (counted in odpswatch_failures_total) that were retried and recovered: a retry announced, then another instance succeeded; by the failure's code.
# TYPE odpswatch_failures_recovered_total counter
odpswatch_failures_recovered_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 1
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_failures_total", "odpswatch_failures_recovered_total"); err != nil {
		t.Error(err)
	}
}

// The daemon counts the failures scan counts, on each real form of
// ../oneshot/testdata/failures, its lines cut in batches of a few lines
// taken by three workers at once.
func TestFailuresAsScanCounts(t *testing.T) {
	files, err := filepath.Glob("../oneshot/testdata/failures/*.log")
	if err != nil || len(files) < 5 {
		t.Fatalf("the forms: %v %v", files, err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rep := oneshot.NewReport()
		if err := oneshot.ScanFile(context.Background(), rep, file, oneshot.Options{}); err != nil {
			t.Fatal(err)
		}
		_, byCode := rep.Failures()
		var want strings.Builder
		want.WriteString("# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.\n# TYPE odpswatch_failures_total counter\n")
		for _, c := range rep.Codes(0) {
			cl := c.Class
			fmt.Fprintf(&want, "odpswatch_failures_total{code=%q,family=%q,module=%q,severity=\"%d\",source=\"jobs\"} %d\n",
				cl.Code.String(), cl.Family.Label, cl.Module.Label, cl.Severity, byCode[cl.Code])
		}
		// The same with CRLF line ends (found by review: an exception's
		// lines went to another job than its log line's).
		for _, text := range []string{string(data), strings.ReplaceAll(string(data), "\n", "\r\n")} {
			p, reg := newPipeline(t, 3, 4)
			p.Start()
			for _, b := range splitLines(text, r) {
				p.Input() <- &Batch{Source: "jobs", Origin: file, Data: []byte(b)}
			}
			p.Close()
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want.String()), "odpswatch_failures_total"); err != nil {
				t.Errorf("%s (CRLF %v): %v", filepath.Base(file), strings.Contains(text, "\r"), err)
			}
		}
	}
}

// Found by review: a source restarted by a reload sends its context
// again, into a tracker that read those lines already. A context batch
// goes only to a tracker that starts: here, were it read, its other code
// would end the failure under way and the next print would count again.
func TestContextOnlyForANewTracker(t *testing.T) {
	p, reg := newPipeline(t, 2, 4)
	p.Start()
	for _, b := range []*Batch{
		{Data: []byte("2026-12-01 10:00:01,000 ERROR ODPS-0420095: Access Denied - no privilege\n")},
		{Data: []byte("2026-12-01 10:00:01,500 ERROR ODPS-0130071:[1,8] Semantic analysis exception\n"), Context: true},
		{Data: []byte("2026-12-01 10:00:02,000 ERROR ODPS-0420095: Access Denied - no privilege\n")},
	} {
		b.Source, b.Origin = "jobs", "/var/log/a.log"
		p.Input() <- b
	}
	p.Close()
	want := `
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="jobs"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_failures_total"); err != nil {
		t.Error(err)
	}
}
