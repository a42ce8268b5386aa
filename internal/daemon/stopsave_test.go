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

// backlogLines is the size of the backlog the tests below stop or reload
// in the middle of.
const backlogLines = 400000

// backlog is a file of backlogLines code lines in a directory of logs,
// and the configuration that reads it with one worker and small batches,
// so that thousands of batches are in flight at once; head is the
// configuration up to the sources, for a test to write it again changed.
type backlog struct {
	size                       int64
	cfgPath, state, glob, head string
}

func newBacklog(t *testing.T) backlog {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	b := backlog{
		size:    bigLog(t, filepath.Join(logs, "job.log"), backlogLines),
		cfgPath: filepath.Join(dir, "odpswatch.yml"), state: filepath.Join(dir, "state"),
		glob: filepath.Join(logs, "*.log"),
		head: "global:\n  workers: 1\n  batch_bytes: 4096\n  queue_batches: 4096\nsources:\n",
	}
	writeConfig(t, b.cfgPath, b.head+sourceYAML("jobs", b.glob))
	return b
}

// A clean shutdown must save positions past every batch it drained.
func TestShutdownSavesPositionsAfterTheDrain(t *testing.T) {
	const n = backlogLines
	b := newBacklog(t)
	cfgPath, state, size := b.cfgPath, b.state, b.size

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
	const n = backlogLines
	b := newBacklog(t)
	cfgPath, size := b.cfgPath, b.size
	td := startDaemon(t, cfgPath, b.state)
	td.waitFor("the first bytes counted", func() bool { return td.metric(`odpswatch_source_bytes_total{source="jobs"}`) > 0 })
	// Any change to the source restarts it.
	writeConfig(t, cfgPath, b.head+strings.Replace(sourceYAML("jobs", b.glob), "rescan_interval: 100ms", "rescan_interval: 200ms", 1))
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
