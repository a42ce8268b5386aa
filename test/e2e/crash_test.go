package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/positions"
)

// logWriter appends numbered lines to a file at a steady, bounded rate,
// every tenth with an error code, and remembers where each line starts.
type logWriter struct {
	path    string
	perTick int
	every   time.Duration
	max     int

	stop    chan struct{}
	done    chan struct{}
	written atomic.Int64

	// Read only after done is closed.
	starts       []int64 // offset of each line; line i has seq i
	size         int64
	began, ended time.Time
	err          error
}

// lineHasCode says which lines carry a code: every tenth.
func lineHasCode(seq int) bool { return seq%10 == 0 }

func appendLogLine(b []byte, seq int) []byte {
	b = append(b, "2026-11-27 08:15:42.123 seq="...)
	b = append(b, fmt.Sprintf("%06d", seq)...)
	if lineHasCode(seq) {
		return append(b, " FAILED: ODPS-0420095: Access Denied - x\n"...)
	}
	return append(b, " INFO SQLTask progress: stage M1_job_0 running, 42/100\n"...)
}

func startWriter(path string, perTick int, every time.Duration, max int) *logWriter {
	w := &logWriter{path: path, perTick: perTick, every: every, max: max, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *logWriter) run() {
	defer close(w.done)
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		w.err = err
		return
	}
	defer f.Close()
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	var buf []byte
	for seq := 0; seq < w.max; {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		buf = buf[:0]
		for i := 0; i < w.perTick && seq < w.max; i++ {
			w.starts = append(w.starts, w.size+int64(len(buf)))
			buf = appendLogLine(buf, seq)
			seq++
		}
		// One write per tick: a line is never split across writes.
		if _, err := f.Write(buf); err != nil {
			w.err = err
			return
		}
		now := time.Now()
		if w.began.IsZero() {
			w.began = now
		}
		w.ended = now
		w.size += int64(len(buf))
		w.written.Store(int64(seq))
	}
}

// finish stops the writer and waits for it.
func (w *logWriter) finish() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *logWriter) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// TestKillNineLosesNothing kills the daemon with SIGKILL at random moments
// while a file it follows grows, restarts it each time, and checks from the
// "batch counted" records of every run (logged before a batch's position
// can be committed, so they survive kill -9) that every line was counted
// at least once, and that lines counted again after a restart are no more
// than about one positions_save_interval's worth per kill.
func TestKillNineLosesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ODPSWATCH_E2E_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ODPSWATCH_E2E_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (ODPSWATCH_E2E_SEED=%d repeats the kill moments)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x0d95))

	dir := t.TempDir()
	logDir, state := filepath.Join(dir, "logs"), filepath.Join(dir, "state")
	mkdir(t, logDir)
	logPath := filepath.Join(logDir, "job.log")
	writeFile(t, logPath, nil, 0o644)
	const saveInterval = time.Second
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("  positions_save_interval: 1s\n  shutdown_timeout: 20s\n", filepath.Join(logDir, "*.log"), "")), 0o644)

	// 25 lines every 10 ms: 2 500 lines/s if the ticker keeps up; the rate
	// used below is the one measured. The limit is far more than the kills
	// need; the writer is stopped once they are done.
	w := startWriter(logPath, 25, 10*time.Millisecond, 150_000)
	t.Cleanup(w.finish)

	kills := 6 + rng.IntN(3)
	var runs []*daemon
	for k := range kills {
		d := startDaemon(t, daemonOptions{config: cfg, stateDir: state, logFile: filepath.Join(dir, fmt.Sprintf("run-%02d.stderr", k))})
		runs = append(runs, d)
		// Each run saves its positions at least once before it is killed:
		// what a kill costs is then what was counted since the last save.
		d.waitMetricFunc("a positions save", func(v float64) bool { return v >= 1 }, "odpswatch_positions_saves_total")
		seen := d.log.count("batch counted")
		// The kill moment: a random point of the save interval after that
		// save, and not before this run has counted something more.
		killAt := time.Now().Add(time.Duration(rng.Int64N(int64(saveInterval * 6 / 5))))
		d.waitFor("a batch counted after the save, and the kill moment", func() (bool, string) {
			n := d.log.count("batch counted")
			return n > seen && !time.Now().Before(killAt), fmt.Sprintf("%d batches counted, %d before the save", n, seen)
		})
		if w.finished() {
			t.Fatalf("the writer stopped (%v) after %d lines, before kill %d of %d", w.err, w.written.Load(), k+1, kills)
		}
		d.kill()
	}
	w.finish()
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
	size := w.size
	// Lines written after the first write, over the time they took.
	rate := float64(len(w.starts)-w.perTick) / w.ended.Sub(w.began).Seconds()

	// The last run catches up, then stops in order.
	final := startDaemon(t, daemonOptions{config: cfg, stateDir: state, logFile: filepath.Join(dir, "run-final.stderr")})
	runs = append(runs, final)
	// The final run counts the file to its end, or starts there: when
	// the last killed run saved a position past every line (the writer
	// wrote nothing between that save and the kill, as on a loaded
	// machine), nothing is left to count.
	final.waitFor(fmt.Sprintf("the final run to count the file to its end (%d bytes)", size), func() (bool, string) {
		var end int64
		for _, r := range final.log.records {
			switch {
			case r.Msg == "batch counted" && r.Origin == logPath:
				end = max(end, r.End)
			case r.Msg == "following" && r.Path == logPath:
				end = max(end, r.Offset)
			}
		}
		return end == size, fmt.Sprintf("counted up to %d", end)
	})
	if err := final.terminate(); err != nil {
		t.Fatalf("odpswatch did not exit 0 on SIGTERM: %v\nstderr:\n%s", err, final.log.text())
	}

	// How many times each line was counted, from every run's records.
	starts := w.starts
	lineAt := func(off int64) (int, bool) { // index of the line starting at off; len(starts) for the end
		if off == size {
			return len(starts), true
		}
		i := sort.Search(len(starts), func(i int) bool { return starts[i] >= off })
		return i, i < len(starts) && starts[i] == off
	}
	diff := make([]int, len(starts)+1)
	var batches, maxBatchLines int
	for i, d := range runs {
		for _, r := range d.log.records {
			if r.Msg != "batch counted" {
				continue
			}
			batches++
			if r.Origin != logPath || r.Source != "jobs" {
				t.Fatalf("run %d: a batch of another origin: %s", i, r.Raw)
			}
			lo, ok1 := lineAt(r.Offset)
			hi, ok2 := lineAt(r.End)
			if !ok1 || !ok2 || lo >= hi {
				t.Fatalf("run %d: a batch that is not a run of whole lines of the file (size %d): %s", i, size, r.Raw)
			}
			if int64(hi-lo) != r.Lines {
				t.Errorf("run %d: batch [%d, %d) holds %d lines, its record says %d: %s", i, r.Offset, r.End, hi-lo, r.Lines, r.Raw)
			}
			codes := 0
			for seq := lo; seq < hi; seq++ {
				if lineHasCode(seq) {
					codes++
				}
			}
			if int64(codes) != r.Codes {
				t.Errorf("run %d: batch [%d, %d) holds %d codes, its record says %d", i, r.Offset, r.End, codes, r.Codes)
			}
			maxBatchLines = max(maxBatchLines, hi-lo)
			diff[lo]++
			diff[hi]--
		}
		if len(d.log.partial) > 0 && i == len(runs)-1 {
			t.Errorf("the final run's stderr ends in a partial record: %q", d.log.partial)
		}
	}
	var lost []int
	dups, twice, maxCount, count := 0, 0, 0, 0
	for seq := range starts {
		count += diff[seq]
		switch {
		case count == 0:
			lost = append(lost, seq)
		case count > 1:
			dups += count - 1
			twice++
		}
		maxCount = max(maxCount, count)
	}
	if len(lost) > 0 {
		show := lost[:min(len(lost), 20)]
		t.Errorf("%d of %d lines were never counted; seq %v…", len(lost), len(starts), show)
	}
	// What each kill cost: the lines the killed run counted at or past where
	// the next run resumed (the position saved last before the kill).
	firstLine := func(off int64) int { return sort.Search(len(starts), func(i int) bool { return starts[i] >= off }) }
	costs := make([]int, kills)
	for k := range kills {
		resume := size
		for _, r := range runs[k+1].log.records {
			if r.Msg == "batch counted" {
				resume = min(resume, r.Offset)
			}
		}
		for _, r := range runs[k].log.records {
			if r.Msg == "batch counted" && r.End > resume {
				costs[k] += firstLine(r.End) - firstLine(max(r.Offset, resume))
			}
		}
	}
	perKill := rate*saveInterval.Seconds()*1.5 + float64(maxBatchLines)
	bound := float64(kills) * perKill
	t.Logf("%d kills, %d runs, %d batches; %d lines (%d bytes) written at %.0f lines/s; "+
		"%d lines counted more than once, %d extra counts in all (at most %d times a line; per kill %v), "+
		"bound %.0f = %d kills × (%.0f lines/s × %v × 1.5 + %d lines of the largest batch)",
		kills, len(runs), batches, len(starts), size, rate, twice, dups, maxCount, costs,
		bound, kills, rate, saveInterval, maxBatchLines)
	if float64(dups) > bound {
		t.Errorf("%d lines counted again after restarts, more than the bound %.0f = %d kills × (%.0f lines/s × %v × 1.5 + %d lines of the largest batch)",
			dups, bound, kills, rate, saveInterval, maxBatchLines)
	}

	// After SIGTERM the saved position is the file's end.
	data, err := os.ReadFile(filepath.Join(state, positions.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version int               `json:"version"`
		Files   []positions.Entry `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v\n%s", positions.FileName, err, data)
	}
	var found []string
	for _, e := range doc.Files {
		if e.Path == logPath {
			found = append(found, strconv.FormatInt(e.Offset, 10))
			if e.Offset != size || e.Source != "jobs" {
				t.Errorf("saved position %+v, want source jobs and offset %d (the file's size)", e, size)
			}
		}
	}
	if len(found) != 1 {
		t.Errorf("%d positions for %s (offsets %s) in %s", len(found), logPath, strings.Join(found, ", "), data)
	}
}

// TestBatchRecordsTileTheFile checks what TestKillNineLosesNothing relies
// on: the "batch counted" records of a file, in offset order, tile it from
// 0 to its size, each record's end being where the next batch starts (the
// position the batch commits). It does so with the lines that take the
// source's long-line path: one longer than half of batch_bytes but not cut,
// and one cut at max_line_bytes.
func TestBatchRecordsTileTheFile(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	mkdir(t, logs)
	path := filepath.Join(logs, "job.log")
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("  batch_bytes: 65536\n  max_line_bytes: 262144\n", filepath.Join(logs, "*.log"), fastSource)), 0o644)
	long := func(n int) []byte {
		b := bytes.Repeat([]byte("y"), n)
		copy(b, "FAILED: ODPS-0420095: Access Denied - ")
		return append(b, '\n')
	}
	var data []byte
	data = append(data, "first\n"...)
	data = append(data, long(100_000)...) // over batch_bytes/2, under max_line_bytes
	data = append(data, "FAILED: ODPS-0420095: Access Denied - between\n"...)
	data = append(data, long(1_000_000)...) // cut at max_line_bytes
	data = append(data, "last\n"...)
	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()
	appendFile(t, path, data)
	d.waitMetric(5, linesTotal, "source", "jobs")
	d.waitMetric(3, errorsTotal, "source", "jobs", "code", denied)
	d.waitMetric(1, cutTotal, "source", "jobs")
	if err := d.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}

	var recs []logRecord
	for _, r := range d.log.records {
		if r.Msg == "batch counted" && r.Origin == path {
			recs = append(recs, r)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Offset < recs[j].Offset })
	var at, lines int64
	for _, r := range recs {
		if r.Offset != at {
			t.Errorf("a batch starts at %d, but the records before end at %d: %s", r.Offset, at, r.Raw)
		}
		at = max(at, r.End)
		lines += r.Lines
	}
	if at != int64(len(data)) || lines != 5 {
		t.Errorf("the records cover [0, %d) with %d lines; the file has %d bytes, 5 lines", at, lines, len(data))
	}
}
