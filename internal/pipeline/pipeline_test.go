package pipeline

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/odpswatch/odpswatch/internal/sink"
)

func newPipeline(t *testing.T, workers, queue int) (*Pipeline, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	c, err := sink.NewErrorCounters(reg, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{Workers: workers, QueueBatches: queue}, c, reg)
	if err != nil {
		t.Fatal(err)
	}
	return p, reg
}

func TestCountsThenDone(t *testing.T) {
	p, reg := newPipeline(t, 3, 4)
	p.Start()
	done := make(chan int, 100)
	for i := range 100 {
		data := "ok\nFAILED: ODPS-0420095: Access Denied\nODPS-0130071 ODPS-0130071\n"
		p.Input() <- &Batch{Source: "jobs", Data: []byte(data), Cut: i == 7, Done: func() { done <- i }}
	}
	p.Close()
	if len(done) != 100 {
		t.Fatalf("%d batches done, want 100", len(done))
	}
	want := `
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"} 200
odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="jobs"} 100
# HELP odpswatch_source_lines_total Lines read and scanned, by source.
# TYPE odpswatch_source_lines_total counter
odpswatch_source_lines_total{source="jobs"} 300
# HELP odpswatch_source_lines_cut_total Lines longer than max_line_bytes: only their first max_line_bytes were scanned.
# TYPE odpswatch_source_lines_cut_total counter
odpswatch_source_lines_cut_total{source="jobs"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"odpswatch_errors_total", "odpswatch_source_lines_total", "odpswatch_source_lines_cut_total"); err != nil {
		t.Error(err)
	}
	if p.Completed() != 100 {
		t.Errorf("completed %d", p.Completed())
	}
}

// TestBackPressure: with no worker taking batches, the queue fills and a
// send blocks rather than dropping.
func TestBackPressure(t *testing.T) {
	p, _ := newPipeline(t, 1, 2)
	for range 2 {
		p.Input() <- &Batch{Source: "s"}
	}
	select {
	case p.Input() <- &Batch{Source: "s"}:
		t.Fatal("a third batch went into a queue of 2 with no worker")
	default:
	}
	p.Start()
	p.Close()
}

// TestWatchdogSeesAWedgedPipeline: batches queued and none counted since
// the last check is unhealthy; an idle pipeline is healthy.
func TestWatchdogSeesAWedgedPipeline(t *testing.T) {
	p, _ := newPipeline(t, 1, 4)
	w := NewWatchdog(p)
	if !w.Healthy() {
		t.Error("an idle pipeline is unhealthy")
	}
	p.Input() <- &Batch{Source: "s", Data: []byte("x\n")}
	if w.Healthy() {
		t.Error("a batch queued and no worker: healthy")
	}
	p.Start()
	p.Close()
	if !w.Healthy() {
		t.Error("after the batch was counted: unhealthy")
	}
}
