// Command daemon measures `odpswatch run` against its performance bars, on
// loopback, with the baseline run in the same invocation:
//
//   - catch-up: a backlog file from its start to the counters on /metrics,
//     in MB/s and MB/s per core of CPU time, with global.workers 0 (one per
//     CPU), 1 and 2; against bench/nxtail (github.com/nxadm/tail printing
//     every line) on the same file;
//   - following latency: one line with a code appended at a time, from the
//     write returning to the counter moving on /metrics, with watch: auto
//     (inotify) and watch: poll;
//   - idle cost: CPU and memory while following many files that do not
//     change, with watch: auto and watch: poll.
//
// It prints a table per measurement with its targets. Targets are reported,
// not enforced: the exit status is 1 only when a measurement could not be
// made or counts disagree, 2 on bad flags. bench/daemon.sh builds the
// binaries and runs it; see bench/daemon.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	odpswatch, nxtail, file, work string
	only                          map[string]bool
	catchupRuns, nxtailRuns       int
	readPoll, scrapeEvery         time.Duration
	catchupTimeout                time.Duration
	nxtailDeadline                time.Duration
	workers                       []int
	samples                       int
	interval, pollInterval        time.Duration
	idleFiles                     int
	idleSettle, idleWindow        time.Duration
}

func main() {
	var o options
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.StringVar(&o.odpswatch, "odpswatch", "", "odpswatch binary (required)")
	fs.StringVar(&o.nxtail, "nxtail", "", "bench/nxtail binary (required for catchup)")
	fs.StringVar(&o.file, "file", "/tmp/odpswatch-bench/job-1g.log", "backlog for the catch-up measurement")
	fs.StringVar(&o.work, "work", "", "directory for configurations, state and generated files (default: a new temporary directory, removed at the end)")
	only := fs.String("only", "catchup,latency,idle", "measurements to run, comma-separated")
	fs.IntVar(&o.catchupRuns, "catchup-runs", 3, "runs of odpswatch per workers setting (round-robin)")
	fs.IntVar(&o.nxtailRuns, "nxtail-runs", 1, "runs of the nxadm/tail baseline")
	fs.DurationVar(&o.readPoll, "read-poll", 2*time.Millisecond, "catch-up: /proc/PID/io polling period, until the daemon has read the file's size")
	fs.DurationVar(&o.scrapeEvery, "scrape-every", 2*time.Millisecond, "catch-up: /metrics polling period, once the daemon has read the file's size")
	fs.DurationVar(&o.catchupTimeout, "catchup-timeout", 2*time.Minute, "catch-up: give up on an odpswatch run after this long")
	fs.DurationVar(&o.nxtailDeadline, "nxtail-deadline", 3*time.Minute, "catch-up: stop nxtail after this long and report its rate so far")
	workers := fs.String("workers", "0,1,2", "catch-up: global.workers settings to run (0: one per CPU)")
	fs.IntVar(&o.samples, "samples", 400, "latency: lines appended per mode")
	fs.DurationVar(&o.interval, "interval", 30*time.Millisecond, "latency: one line per tick of this period")
	fs.DurationVar(&o.pollInterval, "poll-interval", 250*time.Millisecond, "latency: poll_interval of the sources")
	fs.IntVar(&o.idleFiles, "idle-files", 1000, "idle: files followed")
	fs.DurationVar(&o.idleSettle, "idle-settle", 2*time.Second, "idle: pause between everything read and the window")
	fs.DurationVar(&o.idleWindow, "idle-window", 30*time.Second, "idle: the window CPU time is measured over")
	fs.Float64Var(&clkTck, "clk-tck", 100, "unit of /proc/PID/stat's utime and stime (getconf CLK_TCK)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	usage := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "daemon: "+format+"\n", a...)
		os.Exit(2)
	}
	o.only = make(map[string]bool)
	for s := range strings.SplitSeq(*only, ",") {
		if s = strings.TrimSpace(s); s != "catchup" && s != "latency" && s != "idle" {
			usage("-only: unknown measurement %q (catchup, latency, idle)", s)
		}
		o.only[s] = true
	}
	for s := range strings.SplitSeq(*workers, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &n); err != nil || n < 0 || n > 256 {
			usage("-workers: bad value %q", s)
		}
		o.workers = append(o.workers, n)
	}
	switch {
	case o.odpswatch == "":
		usage("-odpswatch is required")
	case o.only["catchup"] && o.nxtail == "":
		usage("-nxtail is required for the catch-up measurement")
	case o.catchupRuns < 1 || o.nxtailRuns < 0 || o.samples < 1 || o.idleFiles < 1:
		usage("runs, samples and files must be positive")
	case o.interval <= 0 || o.readPoll <= 0 || o.scrapeEvery <= 0 || o.idleWindow <= 0:
		usage("periods must be positive")
	}
	if o.work == "" {
		dir, err := os.MkdirTemp("", "odpswatch-daemon-bench.")
		if err != nil {
			fmt.Fprintln(os.Stderr, "daemon:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		o.work = dir
	}
	code := run(o, os.Stdout)
	if code != 0 {
		fmt.Fprintf(os.Stderr, "daemon: FAIL: a measurement could not be made or counts disagree (odpswatch logs and configurations in %s)\n", o.work)
		os.Exit(code)
	}
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
}

func run(o options, out io.Writer) int {
	failed := false
	fail := func(what string, err error) {
		fmt.Fprintf(out, "\n%s: FAILED: %v\n", what, err)
		failed = true
	}
	fmt.Fprintf(out, "machine: %d CPUs; %s/%s; built with %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(out, "load average at start: %s\n", strings.TrimSpace(string(b)))
	}
	if o.only["catchup"] {
		if err := catchup(o, out); err != nil {
			fail("catch-up", err)
		}
	}
	if o.only["latency"] {
		if err := latency(o, out); err != nil {
			fail("following latency", err)
		}
	}
	if o.only["idle"] {
		if err := idle(o, out); err != nil {
			fail("idle", err)
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(out, "\nload average at end: %s (other work on the machine shows up in every figure)\n", strings.TrimSpace(string(b)))
	}
	if failed {
		return 1
	}
	return 0
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "BELOW TARGET"
}

func mb(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }

func workersLabel(w int) string {
	if w == 0 {
		return fmt.Sprintf("0 (=%d)", runtime.NumCPU())
	}
	return fmt.Sprint(w)
}

func catchup(o options, out io.Writer) error {
	st, err := os.Stat(o.file)
	if err != nil {
		return err
	}
	size := st.Size()
	logf("warming the page cache with %s (%d bytes)", o.file, size)
	f, err := os.Open(o.file)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, f)
	f.Close()
	if err != nil {
		return err
	}
	logf("odpswatch scan --format json: the reference counts")
	want, err := runScan(o.odpswatch, o.file)
	if err != nil {
		return err
	}
	if want.Bytes != size {
		return fmt.Errorf("odpswatch scan read %d bytes of the %d-byte file", want.Bytes, size)
	}

	results := make(map[int][]*catchupResult)
	var disagree []string
	for r := 1; r <= o.catchupRuns; r++ {
		for _, w := range o.workers {
			logf("catch-up run %d/%d, workers %s", r, o.catchupRuns, workersLabel(w))
			res, err := runCatchup(o.odpswatch, o.work, o.file, size, w, r, o.readPoll, o.scrapeEvery, o.catchupTimeout)
			if err != nil {
				return fmt.Errorf("workers %d, run %d: %v", w, r, err)
			}
			for _, b := range checkCounts(res, want) {
				disagree = append(disagree, fmt.Sprintf("workers %d, run %d: %s", w, r, b))
			}
			results[w] = append(results[w], res)
		}
	}
	var nx []*nxtailResult
	for r := 1; r <= o.nxtailRuns; r++ {
		logf("nxadm/tail run %d/%d (about 15 s per GiB)", r, o.nxtailRuns)
		res, err := runNxtail(o.nxtail, o.file, want.Lines, o.nxtailDeadline)
		if err != nil {
			return fmt.Errorf("nxtail run %d: %v", r, err)
		}
		if res.reached && res.bytes != size {
			disagree = append(disagree, fmt.Sprintf("nxtail run %d printed %d bytes in %d lines, the file has %d bytes", r, res.bytes, res.lines, size))
		}
		nx = append(nx, res)
	}

	fmt.Fprintf(out, "\n== 1. catch-up: %s, %d bytes, %d lines, %d codes (odpswatch scan), page cache warm\n", o.file, size, want.Lines, want.Matches)
	fmt.Fprintf(out, "   odpswatch run, start_at: beginning; time from process start until odpswatch_source_bytes_total\n")
	fmt.Fprintf(out, "   equals the file size, /metrics polled every %v once the daemon has read as many bytes (rchar of\n", o.scrapeEvery)
	fmt.Fprintf(out, "   /proc/PID/io, polled every %v: it costs the daemon nothing); CPU = utime+stime from /proc/PID/stat then.\n\n", o.readPoll)
	fmt.Fprintf(out, "%-12s %4s %8s %8s %7s %6s %10s %10s  %s\n", "workers", "run", "wall s", "MB/s", "CPU s", "cores", "MB/s/core", "VmHWM MiB", "counts vs scan")
	for r := 0; r < o.catchupRuns; r++ {
		for _, w := range o.workers {
			c := results[w][r]
			counts := "agree"
			if len(checkCounts(c, want)) > 0 {
				counts = "DISAGREE"
			}
			fmt.Fprintf(out, "%-12s %4d %8.3f %8.0f %7.2f %6.2f %10.0f %10.1f  %s (%d codes, %d lines)\n",
				workersLabel(w), r+1, c.wall.Seconds(), mb(size, c.wall), c.cpu, c.cpu/c.wall.Seconds(),
				float64(size)/1e6/c.cpu, float64(c.hwmKiB)/1024, counts, c.matches, c.lines)
			if c.stopErr != nil {
				fmt.Fprintf(out, "    note: stopping odpswatch: %v\n", c.stopErr)
			}
		}
	}
	fmt.Fprintf(out, "\n%-12s %21s %21s\n", "workers", "MB/s best (range)", "MB/s/core best (range)")
	best := make(map[int]float64)
	bestCore := make(map[int]float64)
	for _, w := range o.workers {
		var rates, cores []float64
		for _, c := range results[w] {
			rates = append(rates, mb(size, c.wall))
			cores = append(cores, float64(size)/1e6/c.cpu)
		}
		best[w], bestCore[w] = slices.Max(rates), slices.Max(cores)
		fmt.Fprintf(out, "%-12s %8.0f (%5.0f–%5.0f) %8.0f (%5.0f–%5.0f)\n", workersLabel(w),
			best[w], slices.Min(rates), slices.Max(rates), bestCore[w], slices.Min(cores), slices.Max(cores))
	}

	fmt.Fprintf(out, "\nbaseline: nxtail FILE (github.com/nxadm/tail, Follow+ReOpen, one line at a time to stdout),\n")
	fmt.Fprintf(out, "          timed from process start until the harness has read as many lines as the file holds\n\n")
	fmt.Fprintf(out, "%-8s %4s %8s %10s %8s %7s %6s %10s  %s\n", "tool", "run", "wall s", "lines", "MB/s", "CPU s", "cores", "MB/s/core", "")
	var nxBest, nxBestCore float64
	for i, r := range nx {
		rate, core := mb(r.bytes, r.wall), float64(r.bytes)/1e6/r.cpu
		nxBest, nxBestCore = max(nxBest, rate), max(nxBestCore, core)
		note := "all lines"
		if !r.reached {
			note = fmt.Sprintf("DEADLINE after %v: rate over the lines printed so far", o.nxtailDeadline)
		}
		fmt.Fprintf(out, "%-8s %4d %8.3f %10d %8.1f %7.2f %6.2f %10.1f  %s\n", "nxtail", i+1, r.wall.Seconds(), r.lines, rate, r.cpu, r.cpu/r.wall.Seconds(), core, note)
	}

	ref := o.workers[0]
	fmt.Fprintf(out, "\ntargets (odpswatch with workers %s, best of %d runs; nxtail best of %d)\n", workersLabel(ref), o.catchupRuns, len(nx))
	row := func(what, measured, want, status string) {
		fmt.Fprintf(out, "  %-42s %10s   %-14s %s\n", what, measured, want, status)
	}
	if len(nx) > 0 {
		ratio := best[ref] / nxBest
		row("odpswatch / nxadm, MB/s", fmt.Sprintf("%.1fx", ratio), ">= 20x", mark(ratio >= 20))
		row("odpswatch / nxadm, MB/s per core", fmt.Sprintf("%.1fx", bestCore[ref]/nxBestCore), "", "(for information)")
	}
	for _, w := range o.workers {
		row("odpswatch MB/s per core, workers "+workersLabel(w), fmt.Sprintf("%.0f", bestCore[w]), ">= 1000", mark(bestCore[w] >= 1000))
	}
	// Issue 20: the catch-up's wall-clock rate from process start.
	row("odpswatch MB/s from process start, workers "+workersLabel(ref), fmt.Sprintf("%.0f", best[ref]), ">= 2000", mark(best[ref] >= 2000))
	if len(disagree) > 0 {
		return fmt.Errorf("counts disagree:\n  %s", strings.Join(disagree, "\n  "))
	}
	fmt.Fprintln(out, "counts: every run's odpswatch_errors_total (total and per code) and odpswatch_source_lines_total equal odpswatch scan's")
	return nil
}

func latency(o options, out io.Writer) error {
	var results []*latencyResult
	for _, mode := range []string{"auto", "poll"} {
		logf("latency, watch: %s: %d lines, one every %v", mode, o.samples, o.interval)
		r, err := runLatency(o.odpswatch, o.work, mode, o.samples, o.interval, o.pollInterval)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "\n== 2. following latency: one line with %s appended every %v (ticker) to a followed file;\n", latencyCode, o.interval)
	fmt.Fprintf(out, "   time from write(2) returning to the end of the first /metrics scrape whose counter includes the line\n")
	fmt.Fprintf(out, "   (/metrics scraped back to back; poll_interval %v)\n\n", o.pollInterval)
	fmt.Fprintf(out, "%-6s %7s %8s %8s %8s %8s %8s %14s  %s\n", "watch", "samples", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "scrape p50 ms", "p99 < 250 ms")
	for _, r := range results {
		var sum time.Duration
		for _, l := range r.lat {
			sum += l
		}
		ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
		p99 := quantile(r.lat, 0.99)
		status := mark(p99 < 250*time.Millisecond)
		if r.mode == "poll" {
			status += " (comparison)"
		}
		fmt.Fprintf(out, "%-6s %7d %8.1f %8.1f %8.1f %8.1f %8.1f %14.2f  %s\n", r.mode, len(r.lat),
			ms(quantile(r.lat, 0.5)), ms(quantile(r.lat, 0.9)), ms(p99), ms(r.lat[len(r.lat)-1]),
			ms(sum/time.Duration(len(r.lat))), ms(quantile(r.scrapes, 0.5)), status)
		if r.stopErr != nil {
			fmt.Fprintf(out, "    note: stopping odpswatch: %v\n", r.stopErr)
		}
	}
	fmt.Fprintf(out, "(a figure is an upper bound: it ends when a scrape's response is read; scrape p50 is the resolution)\n")
	return nil
}

func idle(o options, out io.Writer) error {
	var results []*idleResult
	for _, mode := range []string{"auto", "poll"} {
		logf("idle, watch: %s: %d files, then %v settle and a %v window", mode, o.idleFiles, o.idleSettle, o.idleWindow)
		r, err := runIdle(o.odpswatch, o.work, mode, o.idleFiles, o.idleSettle, o.idleWindow)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "\n== 3. idle: %d files of 4 lines in %d directories, source paths DIR/**/*.log, start_at: beginning;\n", o.idleFiles, idleDirs)
	fmt.Fprintf(out, "   once odpswatch_files_watched is %d and every byte and code is counted, %v settle, then CPU\n", o.idleFiles, o.idleSettle)
	fmt.Fprintf(out, "   (utime+stime from /proc/PID/stat) over a %v window with no writes and no scrapes; memory at its end\n\n", o.idleWindow)
	fmt.Fprintf(out, "%-6s %6s %8s %9s %10s %10s %10s %5s  %s\n", "watch", "files", "read s", "CPU s", "% of core", "VmRSS MiB", "VmHWM MiB", "fds", "CPU < 1 %, RSS < 64 MiB")
	for _, r := range results {
		pct := r.cpu / r.window.Seconds() * 100
		rss, hwm := float64(r.rssKiB)/1024, float64(r.hwmKiB)/1024
		status := fmt.Sprintf("CPU %s, VmRSS %s, VmHWM %s", mark(pct < 1), mark(rss < 64), mark(hwm < 64))
		if r.mode == "poll" {
			status += " (comparison)"
		}
		fmt.Fprintf(out, "%-6s %6d %8.2f %9.2f %10.2f %10.1f %10.1f %5d  %s\n", r.mode, r.files, r.readAfter.Seconds(), r.cpu, pct, rss, hwm, r.fds, status)
		if r.stopErr != nil {
			fmt.Fprintf(out, "    note: stopping odpswatch: %v\n", r.stopErr)
		}
	}
	fmt.Fprintf(out, "(CPU time is counted in ticks of 1/%g s: %.3f %% of a core over the window)\n", clkTck, 100/clkTck/o.idleWindow.Seconds())
	return nil
}
