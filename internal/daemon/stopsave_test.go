package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func bigLog(t *testing.T, path string, lines int) int64 {
	var b strings.Builder
	for i := range lines {
		fmt.Fprintf(&b, "line %08d FAILED: ODPS-0420095: Access Denied - no privilege padding padding padding\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(b.Len())
}

func savedOffset(t *testing.T, state string) int64 {
	data, err := os.ReadFile(filepath.Join(state, "positions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files []struct{ Offset int64 }
	}
	json.Unmarshal(data, &doc)
	var off int64
	for _, f := range doc.Files {
		off += f.Offset
	}
	return off
}

// A clean shutdown must save positions past every batch it drained.
func TestShutdownSavesPositionsAfterTheDrain(t *testing.T) {
	dir := t.TempDir()
	logs, state := filepath.Join(dir, "logs"), filepath.Join(dir, "state")
	os.Mkdir(logs, 0o755)
	const n = 400000
	size := bigLog(t, filepath.Join(logs, "job.log"), n)
	cfgPath := filepath.Join(dir, "odpswatch.yml")
	writeConfig(t, cfgPath, "global:\n  workers: 1\n  batch_bytes: 4096\n  queue_batches: 4096\nsources:\n"+sourceYAML("jobs", filepath.Join(logs, "*.log")))

	td := startDaemon(t, cfgPath, state)
	td.waitFor("the first bytes counted", func() bool { return td.metric(`odpswatch_source_bytes_total{source="jobs"}`) > 0 })
	if err := td.stop(); err != nil {
		t.Fatal(err)
	}
	counted1 := td.metric0(`odpswatch_source_bytes_total{source="jobs"}`)
	errs1 := td.metric0(accessDenied)
	off := savedOffset(t, state)
	t.Logf("file %d bytes; run 1 counted %v bytes, %v codes; saved offset %d", size, counted1, errs1, off)

	td2 := startDaemon(t, cfgPath, state)
	td2.waitMetric(`odpswatch_source_bytes_total{source="jobs"}`, float64(size-off))
	errs2 := max(td2.metric(accessDenied), 0) // no series: nothing counted
	td2.stop()
	if errs1+errs2 != n {
		t.Errorf("codes counted over two runs: %v + %v = %v, want %d (%v counted twice)", errs1, errs2, errs1+errs2, n, errs1+errs2-n)
	}
	if float64(off) != counted1 {
		t.Errorf("clean shutdown saved offset %d, but %v bytes were counted", off, counted1)
	}
}

// metric0 reads a series from the registry directly (HTTP may be down).
func (td *testDaemon) metric0(series string) float64 {
	fams, _ := td.d.Registry().Gather()
	var names []string
	for _, f := range fams {
		names = append(names, f.GetName())
	}
	body, _ := gatherText(td.d, names)
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, series+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(l, series+" "), &v)
			return v
		}
	}
	return -1
}

// A reload that restarts a changed source while its batches are in flight
// resumes it at a position behind them: they are counted twice.
func TestReloadDoesNotCountInflightTwice(t *testing.T) {
	dir := t.TempDir()
	logs, state := filepath.Join(dir, "logs"), filepath.Join(dir, "state")
	os.Mkdir(logs, 0o755)
	const n = 400000
	size := bigLog(t, filepath.Join(logs, "job.log"), n)
	cfgPath := filepath.Join(dir, "odpswatch.yml")
	head := "global:\n  workers: 1\n  batch_bytes: 4096\n  queue_batches: 4096\nsources:\n"
	writeConfig(t, cfgPath, head+sourceYAML("jobs", filepath.Join(logs, "*.log")))
	td := startDaemon(t, cfgPath, state)
	td.waitFor("the first bytes counted", func() bool { return td.metric(`odpswatch_source_bytes_total{source="jobs"}`) > 0 })
	// Any change to the source restarts it.
	writeConfig(t, cfgPath, head+strings.Replace(sourceYAML("jobs", filepath.Join(logs, "*.log")), "rescan_interval: 100ms", "rescan_interval: 200ms", 1))
	if code, body := td.post("/-/reload"); code != 200 {
		t.Fatal(code, body)
	}
	// Wait until the file is read to its end and nothing is in flight:
	// then any batch read twice has been counted twice.
	td.waitFor("the file read to its end and the queue empty", func() bool {
		return td.metric(`odpswatch_source_bytes_total{source="jobs"}`) >= float64(size) &&
			td.metric("odpswatch_pipeline_queued_batches") == 0 && td.metric(`odpswatch_file_lag_bytes{source="jobs"}`) == 0
	})
	if got := td.metric(accessDenied); got != n {
		t.Errorf("codes counted: %v, want %d; bytes counted %v of %d", got, n, td.metric(`odpswatch_source_bytes_total{source="jobs"}`), size)
	}
}
