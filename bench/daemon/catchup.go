package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// scanReport is what the catch-up check needs of `odpswatch scan --format json`.
type scanReport struct {
	Bytes         int64 `json:"bytes"`
	Lines         int64 `json:"lines"`
	Matches       int64 `json:"matches"`
	FoldedMatches int64 `json:"folded_matches"`
	Codes         []struct {
		Code  string `json:"code"`
		Count int64  `json:"count"`
	} `json:"codes"`
}

func runScan(bin, file string) (*scanReport, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "scan", "--format", "json", "--progress", "never", file)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("odpswatch scan --format json %s: %v: %s", file, err, stderr.String())
	}
	var r scanReport
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("odpswatch scan's JSON: %v", err)
	}
	return &r, nil
}

// catchupResult is one run of the daemon over the backlog.
type catchupResult struct {
	workers int           // global.workers as configured (0: one per CPU)
	wall    time.Duration // process start to bytes_total == file size
	cpu     float64       // utime+stime seconds at that moment
	hwmKiB  int64         // VmHWM at that moment
	lines   int64
	matches int64
	codes   map[string]int64
	stopErr error
}

const catchupSource = "catchup"

// runCatchup starts the daemon on file from its beginning and times it
// until /metrics says every byte was counted. It scrapes (every every)
// only once the daemon has read as many bytes as the file holds
// (/proc/PID/io, polled every readPoll): a scrape costs the daemon about
// 3 ms of CPU time, and polling every 20 ms all along both stole a tenth
// of its CPU time and added up to 20 ms to the wall time.
func runCatchup(bin, work, file string, size int64, workers int, run int, readPoll, every, timeout time.Duration) (*catchupResult, error) {
	dir := filepath.Join(work, fmt.Sprintf("catchup-w%d-r%d", workers, run))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Join(dir, "state"))
	cfg := fmt.Sprintf(`global:
  workers: %d
sources:
  - name: %s
    type: file
    paths:
      - %s
    start_at: beginning
`, workers, catchupSource, strconv.Quote(file))
	d, err := startDaemon(bin, dir, cfg)
	if err != nil {
		return nil, err
	}
	res := &catchupResult{workers: workers}
	if err := d.waitRead(size, readPoll, timeout); err != nil {
		d.stop()
		return nil, err
	}
	var cpuErr, memErr error
	_, at, err := d.waitFor(every, timeout, "odpswatch_source_bytes_total == file size", func(m metrics) bool {
		if m.value("odpswatch_source_bytes_total", "source", catchupSource) < float64(size) {
			return false
		}
		// Read the CPU time now, before anything else runs.
		res.cpu, cpuErr = cpuSeconds(d.pid)
		_, res.hwmKiB, memErr = memStatus(d.pid)
		return true
	})
	if err != nil {
		d.stop()
		return nil, err
	}
	res.wall = at.Sub(d.start)
	if err := errors.Join(cpuErr, memErr); err != nil {
		d.stop()
		return nil, err
	}
	// The registry gathers its collectors concurrently, so the scrape that
	// saw the last bytes may have read the error counters a moment
	// earlier; a batch's codes are counted before its bytes, so a scrape
	// from now on sees them all.
	m, err := d.scrape()
	if err != nil {
		d.stop()
		return nil, fmt.Errorf("final scrape: %v", err)
	}
	res.lines = int64(m.value("odpswatch_source_lines_total", "source", catchupSource))
	res.codes = m.byLabel("odpswatch_errors_total", catchupSource, "code")
	for _, n := range res.codes {
		res.matches += n
	}
	res.stopErr = d.stop()
	return res, nil
}

// checkCounts compares a run's counters with `odpswatch scan`'s report.
func checkCounts(r *catchupResult, want *scanReport) []string {
	var bad []string
	if r.matches != want.Matches {
		bad = append(bad, fmt.Sprintf("odpswatch_errors_total sums to %d, odpswatch scan found %d matches", r.matches, want.Matches))
	}
	if r.lines != want.Lines {
		bad = append(bad, fmt.Sprintf("odpswatch_source_lines_total is %d, odpswatch scan counted %d lines", r.lines, want.Lines))
	}
	// Code by code, unless codes were folded (the daemon folds
	// undocumented codes past max_unknown_codes, scan past 1 000).
	if _, folded := r.codes["other"]; folded || want.FoldedMatches > 0 {
		return bad
	}
	wantCodes := make(map[string]int64)
	for _, c := range want.Codes {
		wantCodes[c.Code] += c.Count
	}
	var keys []string
	for k := range wantCodes {
		keys = append(keys, k)
	}
	for k := range r.codes {
		if _, ok := wantCodes[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if r.codes[k] != wantCodes[k] {
			bad = append(bad, fmt.Sprintf("%s: /metrics %d, odpswatch scan %d", k, r.codes[k], wantCodes[k]))
		}
	}
	return bad
}

// nxtailResult is one run of the nxadm/tail baseline.
type nxtailResult struct {
	wall    time.Duration // process start to the last line printed (or the deadline)
	lines   int64
	bytes   int64 // bytes printed, newlines included: the file's bytes for complete lines
	cpu     float64
	reached bool // printed every line before the deadline
}

// runNxtail starts nxtail on file from its beginning and counts the lines
// it prints until there are wantLines of them or the deadline passes.
func runNxtail(bin, file string, wantLines int64, deadline time.Duration) (*nxtailResult, error) {
	cmd := exec.Command(bin, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	type progress struct {
		lines, bytes int64
		at           time.Time
		cpu          float64
		cpuErr       error
	}
	reached := make(chan progress, 1)
	readDone := make(chan error, 1)
	var lines, nbytes int64 // owned by the reader until readDone
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	go func() {
		buf := make([]byte, 1<<20)
		sent := false
		for {
			n, err := out.Read(buf)
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			nbytes += int64(n)
			if !sent && lines >= wantLines {
				p := progress{lines: lines, bytes: nbytes, at: time.Now()}
				p.cpu, p.cpuErr = cpuSeconds(pid)
				reached <- p
				sent = true
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				readDone <- err
				return
			}
		}
	}()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	res := &nxtailResult{}
	var fail error
	select {
	case p := <-reached:
		res.wall, res.lines, res.bytes, res.cpu, res.reached = p.at.Sub(start), p.lines, p.bytes, p.cpu, true
		fail = p.cpuErr
		cmd.Process.Signal(syscall.SIGTERM)
	case <-timer.C:
		// Partial: the rate so far is still a measurement.
		res.cpu, fail = cpuSeconds(pid)
		res.wall = time.Since(start)
		cmd.Process.Signal(syscall.SIGTERM)
	case err := <-readDone:
		cmd.Wait()
		return nil, fmt.Errorf("nxtail stopped early after %d lines (%v): %s", lines, err, strings.TrimSpace(stderr.String()))
	}
	// Drain its output until it exits; bounded: nxtail bounds its own
	// stop to 2 s, and it is killed if it takes longer than 10.
	kill := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer kill.Stop()
	rerr := <-readDone
	werr := cmd.Wait()
	if !res.reached {
		// Lines read by the reader up to the deadline: take the count
		// now that it is done (it includes the lines flushed at stop,
		// a few ms' worth).
		res.lines, res.bytes = lines, nbytes
	}
	if fail != nil {
		return nil, fail
	}
	if rerr != nil {
		return nil, fmt.Errorf("reading nxtail's output: %v", rerr)
	}
	if werr != nil && !res.reached {
		return nil, fmt.Errorf("nxtail: %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}
