package sink

import (
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

func TestErrorCountersFoldUnknownCodes(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e, err := NewErrorCounters(reg, 2)
	if err != nil {
		t.Fatal(err)
	}
	e.Add("jobs", classify.Classify(130071), 3)  // documented: never folded
	e.Add("jobs", classify.Classify(130999), 1)  // undocumented, 1st
	e.Add("jobs", classify.Classify(1850002), 1) // undocumented, 2nd
	e.Add("jobs", classify.Classify(640005), 2)  // 3rd: folded
	e.Add("other", classify.Classify(130999), 1) // already admitted
	e.Add("jobs", classify.Classify(9999999), 1) // 4th: folded
	e.Add("jobs", classify.Classify(scan.Code(420095)), 1)
	want := `
# HELP odpswatch_errors_folded_total Undocumented codes counted as code="other" because max_unknown_codes distinct ones already had a series.
# TYPE odpswatch_errors_folded_total counter
odpswatch_errors_folded_total 3
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 3
odpswatch_errors_total{code="ODPS-0130999",family="sql",module="parser",severity="9",source="jobs"} 1
odpswatch_errors_total{code="ODPS-0130999",family="sql",module="parser",severity="9",source="other"} 1
odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="jobs"} 1
odpswatch_errors_total{code="ODPS-1850002",family="session",module="unsupported_feature",severity="2",source="jobs"} 1
odpswatch_errors_total{code="other",family="unknown",module="unknown",severity="5",source="jobs"} 2
odpswatch_errors_total{code="other",family="unknown",module="unknown",severity="9",source="jobs"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// A code's counters are kept once made: updates of the same series add
// up, from goroutines at once too, and a kind never counted has no series
// (no failures series at 0 for a code that never failed).
func TestErrorCountersKeepTheirSeries(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e, err := NewErrorCounters(reg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				e.Add("jobs", classify.Classify(130071), 1)
				e.Add("jobs", classify.Classify(130999), 2)  // undocumented, admitted
				e.Add("jobs", classify.Classify(1850002), 1) // undocumented, folded
			}
		})
	}
	wg.Wait()
	e.AddFailures("jobs", classify.Classify(130071), 5)
	e.AddFailures("jobs", classify.Classify(130071), 1)
	e.AddRecovered("other", classify.Classify(130999), 1)
	e.AddFailures("jobs", classify.Classify(1850002), 2)
	want := `
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 400
odpswatch_errors_total{code="ODPS-0130999",family="sql",module="parser",severity="9",source="jobs"} 800
odpswatch_errors_total{code="other",family="session",module="unsupported_feature",severity="2",source="jobs"} 400
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 6
odpswatch_failures_total{code="other",family="session",module="unsupported_feature",severity="2",source="jobs"} 2
# HELP odpswatch_failures_recovered_total Failures (counted in odpswatch_failures_total) that were retried and recovered: a retry announced, then another instance succeeded; by the failure's code.
# TYPE odpswatch_failures_recovered_total counter
odpswatch_failures_recovered_total{code="ODPS-0130999",family="sql",module="parser",severity="9",source="other"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_errors_total", "odpswatch_failures_total", "odpswatch_failures_recovered_total"); err != nil {
		t.Error(err)
	}
}

// BenchmarkErrorCountersAdd is the daemon's update of a code's counters
// for a batch.
func BenchmarkErrorCountersAdd(b *testing.B) {
	e, err := NewErrorCounters(prometheus.NewRegistry(), 0)
	if err != nil {
		b.Fatal(err)
	}
	cl := classify.Classify(130071)
	b.ReportAllocs()
	for b.Loop() {
		e.Add("jobs", cl, 1)
		e.AddFailures("jobs", cl, 1)
	}
}
