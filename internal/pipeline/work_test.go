package pipeline

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// A panic while a batch is worked on, at any stage, fails that batch,
// not the process: it is logged (without its lines) and counted, marked
// done, and every other batch, of its origin too, is counted as without
// it. (Found by review: a line that panicked the redaction took the
// daemon down, on the same line again after each restart.)
func TestAPanicFailsItsBatchOnly(t *testing.T) {
	const perOrigin = 30
	// "observe": the alerts' callback panics, after the events are made
	// and before anything is counted.
	for _, stage := range []string{"scan", "attribute", "count", "observe"} {
		t.Run(stage, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			counters, err := sink.NewErrorCounters(reg, 0)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			observe := func(o alert.Observation) {
				if stage == "observe" && bytes.Contains(o.Sample, []byte("origin a job 7 ")) {
					panic("planted token=SECRETabc observe")
				}
			}
			p, err := New(Options{Workers: 3, QueueBatches: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observe: observe,
				Events: instantPublisher{}}, counters, reg)
			if err != nil {
				t.Fatal(err)
			}
			p.panicAt = func(at string, b *Batch) {
				if at == stage && b.Origin == "a" && b.Offset == 7 {
					panic("planted token=SECRETabc " + at)
				}
			}
			p.AddSource("s")
			p.Start()
			var done atomic.Int64
			for i := range perOrigin {
				for _, o := range []string{"a", "b"} {
					line := fmt.Sprintf("2026-12-07 08:00:%02d ERROR origin %s job %d FAILED: ODPS-0130071:[1,8] Semantic analysis exception\n", i%60, o, i)
					p.Input() <- &Batch{Source: "s", Origin: o, Offset: int64(i), Data: []byte(line), Bytes: int64(len(line)),
						Done: func() { done.Add(1) }}
				}
			}
			p.Close()
			if got := done.Load(); got != 2*perOrigin {
				t.Errorf("%d batches done, want %d", got, 2*perOrigin)
			}
			want := fmt.Sprintf(`
# HELP odpswatch_errors_total ODPS error codes found in log lines, by code and its classification.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="s"} %d
# HELP odpswatch_pipeline_batches_failed_total Batches a worker failed on (a bug: logged with the batch's origin and offsets); their lines were not counted.
# TYPE odpswatch_pipeline_batches_failed_total counter
odpswatch_pipeline_batches_failed_total{source="s"} 1
`, 2*perOrigin-1)
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "odpswatch_errors_total", "odpswatch_pipeline_batches_failed_total"); err != nil {
				t.Error(err)
			}
			log := logs.String()
			if !strings.Contains(log, "a batch failed") || !strings.Contains(log, "origin=a") || !strings.Contains(log, "offset=7") {
				t.Errorf("the failure is not logged with its origin and offset:\n%s", log)
			}
			if strings.Contains(log, "SECRETabc") || strings.Contains(log, "Semantic analysis") {
				t.Errorf("the log holds a token or the batch's lines:\n%s", log)
			}
		})
	}
}

// instantPublisher delivers every event at once.
type instantPublisher struct{}

func (instantPublisher) Publish(_ []sink.Event, done func()) { done() }
