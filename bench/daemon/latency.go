package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

const (
	latencySource = "follow"
	// latencyCode is on every appended line, once.
	latencyCode = "ODPS-0123105"
)

// latencyResult is one following-latency measurement.
type latencyResult struct {
	mode     string
	interval time.Duration
	lat      []time.Duration // sorted
	scrapes  []time.Duration // duration of every scrape, sorted
	stopErr  error
}

// runLatency starts the daemon following an empty file, appends one line
// with latencyCode at every tick of a ticker, and measures for each line
// the time from its write returning to the scrape of /metrics that shows
// the counter past it.
//
// The writer and the scraper are independent: the writer keeps its ticker's
// pace whatever the daemon does, so writes fall at every phase of a polling
// daemon's timer, and the scraper resolves samples in order as the counter
// grows (line i is counted when the counter is past i).
func runLatency(bin, work, mode string, samples int, interval, pollInterval time.Duration) (*latencyResult, error) {
	dir := filepath.Join(work, "latency-"+mode)
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(logs, "job.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg := fmt.Sprintf(`sources:
  - name: %s
    type: file
    paths:
      - %q
    start_at: end
    watch: %s
    poll_interval: %s
`, latencySource, filepath.Join(logs, "*.log"), mode, pollInterval)
	d, err := startDaemon(bin, dir, cfg)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	m, _, err := d.waitFor(20*time.Millisecond, 15*time.Second, "odpswatch_files_watched == 1", func(m metrics) bool {
		return m.value("odpswatch_files_watched", "source", latencySource) == 1
	})
	if err != nil {
		return nil, err
	}
	base := m.value("odpswatch_errors_total", "code", latencyCode, "source", latencySource)

	var mu sync.Mutex
	writes := make([]time.Time, 0, samples) // guarded by mu
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for i := range samples {
			select {
			case <-t.C:
			case <-stop:
				writerDone <- nil
				return
			}
			line := fmt.Sprintf("2026-11-27 16:00:00,000 ERROR [main] SQLTask - FAILED: %s:Job got killed - latency sample %06d\n", latencyCode, i)
			if _, err := f.WriteString(line); err != nil {
				writerDone <- err
				return
			}
			now := time.Now()
			mu.Lock()
			writes = append(writes, now)
			mu.Unlock()
		}
		writerDone <- nil
	}()
	writerRunning := true
	defer func() {
		if writerRunning {
			close(stop)
			<-writerDone
		}
	}()

	res := &latencyResult{mode: mode, interval: interval}
	res.lat = make([]time.Duration, 0, samples)
	deadline := time.Now().Add(time.Duration(samples)*interval + 15*time.Second)
	failures := 0
	for len(res.lat) < samples {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("latency (%s): only %d of %d lines counted by the deadline", mode, len(res.lat), samples)
		}
		if err := d.alive(); err != nil {
			return nil, err
		}
		if writerRunning {
			select {
			case err := <-writerDone:
				writerRunning = false
				if err != nil {
					return nil, fmt.Errorf("latency (%s): writing: %v", mode, err)
				}
			default:
			}
		}
		t0 := time.Now()
		m, err := d.scrape()
		t1 := time.Now()
		if err != nil {
			if failures++; failures > 100 {
				return nil, fmt.Errorf("latency (%s): 100 failed scrapes, the last: %v", mode, err)
			}
			continue
		}
		res.scrapes = append(res.scrapes, t1.Sub(t0))
		n := int(m.value("odpswatch_errors_total", "code", latencyCode, "source", latencySource) - base)
		mu.Lock()
		if n > len(writes) && len(writes) == samples {
			mu.Unlock()
			return nil, fmt.Errorf("latency (%s): counter grew by %d, but only %d lines were written", mode, n, samples)
		}
		// A line counted before its write time was recorded (the
		// daemon won the race back from write(2)) is resolved at the
		// next scrape: a few µs late.
		for len(res.lat) < n && len(res.lat) < len(writes) {
			res.lat = append(res.lat, t1.Sub(writes[len(res.lat)]))
		}
		mu.Unlock()
	}
	if writerRunning {
		if err := <-writerDone; err != nil {
			return nil, fmt.Errorf("latency (%s): writing: %v", mode, err)
		}
		writerRunning = false
	}
	// Nothing more may be counted than was written.
	m, err = d.scrape()
	if err != nil {
		return nil, err
	}
	if n := int(m.value("odpswatch_errors_total", "code", latencyCode, "source", latencySource) - base); n != samples {
		return nil, fmt.Errorf("latency (%s): %d lines written, counter grew by %d", mode, samples, n)
	}
	res.stopErr = d.stop()
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	sort.Slice(res.scrapes, func(i, j int) bool { return res.scrapes[i] < res.scrapes[j] })
	return res, nil
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
