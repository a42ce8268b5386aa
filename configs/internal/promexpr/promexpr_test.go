package promexpr

import (
	"slices"
	"testing"
)

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (job, instance) (rate(odpswatch_errors_total{severity=~"[5-9]", code="x_y"}[1h] offset 5m))`: {"odpswatch_errors_total"},
		`time() - (a_b > 0 or (c and on (job) d)) > 900`:                                                     {"a_b", "c", "d"},
		`up{job="odpswatch"} == 0 or absent(up{job="odpswatch"})`:                                            {"up", "up"},
		`label_replace(x unless x offset 1h, "a", "$1", "b", "(.*)") and on (s) (y offset 1h)`:               {"x", "x", "y"},
		`rec:ord:rate5m / 300 > 1e9 * 2`:                                                                     {"rec:ord:rate5m"},
	} {
		if got := MetricNames(expr); !slices.Equal(got, want) {
			t.Errorf("MetricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}

func TestKnown(t *testing.T) {
	known, err := Known("../../../docs/daemon.md", "../../../internal/daemon/testdata/metrics.golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"odpswatch_errors_total", "odpswatch_file_lag_bytes", "odpswatch_kafka_consumer_lag", "up", "process_start_time_seconds"} {
		if !known[m] {
			t.Errorf("%s is not among the known metrics", m)
		}
	}
	for _, m := range []string{"odpswatch_made_up_total", "go_made_up_seconds"} {
		if known[m] {
			t.Errorf("%s is among the known metrics", m)
		}
	}
}
