package pipeline

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

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

// stuckPublisher is an event sink that cannot deliver: Publish blocks,
// as a full sink's does, until release is closed.
type stuckPublisher struct{ release chan struct{} }

func (p stuckPublisher) Publish(_ []sink.Event, done func()) {
	<-p.release
	done()
}

// TestBackPressure: while the event sink cannot deliver, the pipeline
// takes no more than its queue, the dispatcher and twice the workers hold
// (batches in workers and parked), and the sender blocks; nothing is done
// (positions stay put) and nothing is dropped: once the sink delivers,
// every batch is done and counted. Batches from four origins, and from
// one whose first batch is slow to scan, so that the next ones park
// behind it (found by review: a worker held up publishing held the
// origin's next batch, and the others parked every later one).
func TestBackPressure(t *testing.T) {
	line := []byte("FAILED: ODPS-0420095: Access Denied\n")
	for _, c := range []struct {
		name   string
		origin func(i int) string
		first  []byte
	}{
		{"four origins", func(i int) string { return fmt.Sprint(i % 4) }, line},
		{"one origin, a slow first batch", func(int) string { return "one" }, bytes.Repeat(line, 20000)},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const batches, workers, queue = 50, 2, 3
				reg := prometheus.NewPedanticRegistry()
				counters, err := sink.NewErrorCounters(reg, 0)
				if err != nil {
					t.Fatal(err)
				}
				pub := stuckPublisher{release: make(chan struct{})}
				p, err := New(Options{Workers: workers, QueueBatches: queue, Events: pub}, counters, reg)
				if err != nil {
					t.Fatal(err)
				}
				p.Start()
				var sent, done atomic.Int64
				go func() {
					for i := range batches {
						data := line
						if i == 0 {
							data = c.first
						}
						p.Input() <- &Batch{Source: "s", Origin: c.origin(i), Data: data, Done: func() { done.Add(1) }}
						sent.Add(1)
					}
				}()
				synctest.Wait() // everything blocked: the sender on a full queue
				if n := sent.Load(); n > queue+2*workers+1 || n == batches {
					t.Errorf("%d batches taken while the sink delivers nothing; want at most %d (queue, twice the workers, dispatcher)", n, queue+2*workers+1)
				}
				if n := done.Load(); n != 0 {
					t.Errorf("%d batches done while their events are not delivered", n)
				}
				close(pub.release)
				synctest.Wait()
				p.Close()
				if sent.Load() != batches || done.Load() != batches {
					t.Errorf("sent %d, done %d, want %d each", sent.Load(), done.Load(), batches)
				}
				want := fmt.Sprintf(`
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="s"} %d
`, batches-1+bytes.Count(c.first, []byte("\n")))
				if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_errors_total"); err != nil {
					t.Error(err)
				}
			})
		})
	}
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
