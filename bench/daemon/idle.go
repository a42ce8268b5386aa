package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	idleSource = "idle"
	idleDirs   = 10 // the files are spread over this many directories
)

// idleResult is one idle-cost measurement.
type idleResult struct {
	mode      string
	files     int
	readAfter time.Duration // process start until every file was followed and read
	window    time.Duration // the idle window, as measured
	cpu       float64       // utime+stime seconds over the window
	rssKiB    int64         // VmRSS at the end of the window
	hwmKiB    int64         // VmHWM at the end of the window
	fds       int           // open file descriptors at the end of the window
	stopErr   error
}

// makeIdleFiles writes n files of a few lines, one with a code each, under
// dir/dNN/, and returns their total size.
func makeIdleFiles(dir string, n int) (int64, error) {
	var total int64
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%idleDirs))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return 0, err
		}
		body := fmt.Sprintf(`2026-11-27 16:00:00,000 INFO  [main] SQLTask - Instance %06d submitted
2026-11-27 16:00:01,000 INFO  [main] SQLTask - M1_job_0:0/0/1[0%%] R2_1_job_0:0/0/1[0%%]
2026-11-27 16:00:02,000 ERROR [main] SQLTask - FAILED: ODPS-0130071:[1,8] Semantic analysis exception - table %06d not found
2026-11-27 16:00:03,000 INFO  [main] SQLTask - Job %06d finished
`, i, i, i)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("job-%04d.log", i)), []byte(body), 0o644); err != nil {
			return 0, err
		}
		total += int64(len(body))
	}
	return total, nil
}

// runIdle starts the daemon on n files, waits until it follows all of them
// and has read them, lets it settle, then measures its CPU time over the
// window, during which nothing touches the files or scrapes /metrics.
func runIdle(bin, work, mode string, n int, settle, window time.Duration) (*idleResult, error) {
	dir := filepath.Join(work, "idle-"+mode)
	logs := filepath.Join(dir, "logs")
	total, err := makeIdleFiles(logs, n)
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`sources:
  - name: %s
    type: file
    paths:
      - %q
    start_at: beginning
    watch: %s
`, idleSource, filepath.Join(logs, "**", "*.log"), mode)
	d, err := startDaemon(bin, dir, cfg)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	_, at, err := d.waitFor(100*time.Millisecond, 2*time.Minute, fmt.Sprintf("%d files watched and read", n), func(m metrics) bool {
		return m.value("odpswatch_files_watched", "source", idleSource) == float64(n) &&
			m.value("odpswatch_source_bytes_total", "source", idleSource) == float64(total) &&
			m.value("odpswatch_errors_total", "source", idleSource) == float64(n)
	})
	if err != nil {
		return nil, err
	}
	res := &idleResult{mode: mode, files: n, readAfter: at.Sub(d.start)}

	// Let the last scrape and the reading wind down; then measure with
	// nothing touching the daemon.
	time.Sleep(settle)
	c0, err := cpuSeconds(d.pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	time.Sleep(window)
	c1, err := cpuSeconds(d.pid)
	if err != nil {
		return nil, err
	}
	res.window = time.Since(t0)
	res.cpu = c1 - c0
	if res.rssKiB, res.hwmKiB, err = memStatus(d.pid); err != nil {
		return nil, err
	}
	res.fds = openFDs(d.pid)

	// Still following all of them, nothing new read.
	m, err := d.scrape()
	if err != nil {
		return nil, err
	}
	if w, b := m.value("odpswatch_files_watched", "source", idleSource), m.value("odpswatch_source_bytes_total", "source", idleSource); w != float64(n) || b != float64(total) {
		return nil, fmt.Errorf("idle (%s): after the window %g files watched and %g bytes read, want %d and %d", mode, w, b, n, total)
	}
	res.stopErr = d.stop()
	return res, nil
}
