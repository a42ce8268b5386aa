package sink

import (
	"strings"
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
