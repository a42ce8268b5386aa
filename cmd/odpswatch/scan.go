package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/odpswatch/odpswatch/internal/oneshot"
)

const scanUsage = `scan [flags] [FILE...|-]

Classifies every ODPS error code in the files (gzip-compressed ones too,
recognised by their magic bytes) or in standard input ("-" or no FILE), and
prints one row per code: most severe first, then most frequent.

Exit status: 0, or 1 when --fail-on finds what it is set to (a failure, or a
code at or above a severity) and says why on stderr, or 2 on any failure (an
unreadable file, bad flags).`

// progressThreshold is the input size from which a progress bar is drawn.
const progressThreshold = 64 << 20

// maxScanWorkers bounds --workers: each worker holds a block buffer of a
// few MiB, so a mistyped 100000 would exhaust memory rather than help.
const maxScanWorkers = 64

func runScan(e env, args []string) int {
	fs := newFlags(e, "scan", scanUsage)
	format := fs.String("format", "table", "output format: table, json or prom")
	minSeverity := fs.Int("min-severity", 0, "list only codes of this severity (0-9) or above")
	failOnSeverity := fs.Int("fail-on-severity", -1, "the same as --fail-on severity:N")
	failOn := fs.String("fail-on", "", "exit with status 1, saying why on stderr, on: failure (any failed job or error event) or severity:N (a code of severity N, 0-9, or above)")
	workers := fs.Int("workers", 0, "blocks scanned at once, and gzip files inflated at once (0: one per CPU)")
	maxLine := fs.Int("max-line-bytes", 1<<20, "bytes of a line scanned at most, when it crosses a block boundary (blocks are 64 KiB to 1 MiB); longer lines are cut and counted")
	source := fs.String("source", oneshot.DefaultPromSource, "the source label of --format prom's counters: one per file in a node_exporter textfile directory, which drops series two files share")
	progress := fs.String("progress", "auto", "progress bar on stderr: auto (when stderr is a terminal and the input is over 64 MiB), always or never")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	write, ok := map[string]func(io.Writer, *oneshot.Report, int) error{
		"table": func(w io.Writer, r *oneshot.Report, minSeverity int) error {
			return oneshot.WriteTableWidth(w, r, minSeverity, tableWidth(e))
		},
		"json": oneshot.WriteJSON,
		"prom": func(w io.Writer, r *oneshot.Report, minSeverity int) error {
			return oneshot.WritePromSource(w, r, minSeverity, *source)
		},
	}[*format]
	switch {
	case !ok:
		return failUsage(e, "scan: --format %q: want table, json or prom", *format)
	case *minSeverity < 0 || *minSeverity > 9:
		return failUsage(e, "scan: --min-severity %d: want 0 to 9", *minSeverity)
	case *failOnSeverity < -1 || *failOnSeverity > 9:
		return failUsage(e, "scan: --fail-on-severity %d: want 0 to 9", *failOnSeverity)
	case *failOnSeverity >= 0 && *failOn != "":
		return failUsage(e, "scan: --fail-on-severity and --fail-on: give one")
	case *workers < 0 || *workers > maxScanWorkers:
		return failUsage(e, "scan: --workers %d: want 0 (one per CPU) to %d", *workers, maxScanWorkers)
	case *maxLine < 1024 || *maxLine > 64<<20:
		return failUsage(e, "scan: --max-line-bytes %d: want 1024 to 67108864 (64 MiB)", *maxLine)
	case !validLabelValue(*source):
		return failUsage(e, "scan: --source %q: want 1 to 64 printable characters", *source)
	case *progress != "auto" && *progress != "always" && *progress != "never":
		return failUsage(e, "scan: --progress %q: want auto, always or never", *progress)
	}
	if *failOnSeverity >= 0 {
		*failOn = "severity:" + strconv.Itoa(*failOnSeverity)
	}
	gate, err := parseGate(*failOn)
	if err != nil {
		return failUsage(e, "scan: %v", err)
	}
	if len(files) == 0 {
		files = []string{"-"}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	report := oneshot.NewReport()
	status := exitOK
	// Gzip files in a row (without a progress bar) are inflated side by
	// side, as many at once as there are workers: inflating one takes a
	// core.
	sideBySide := *workers
	if sideBySide <= 0 {
		sideBySide = runtime.GOMAXPROCS(0)
	}
	for i := 0; i < len(files); i++ {
		name := files[i]
		opts := oneshot.Options{Workers: *workers, MaxLine: *maxLine}
		if run := gzipRun(e, files[i:], *progress, sideBySide); len(run) > 1 {
			for _, err := range oneshot.ScanSideBySide(ctx, report, run, sideBySide, opts) {
				if err != nil {
					fmt.Fprintf(e.stderr, "odpswatch: %v\n", err)
					status = exitFailure
					if errors.Is(err, context.Canceled) {
						return exitFailure
					}
				}
			}
			if ctx.Err() != nil {
				return exitFailure
			}
			i += len(run) - 1
			continue
		}
		bar := newProgressBar(e, name, *progress)
		opts.Progress = bar.update
		if name == "-" {
			err = oneshot.ScanReader(ctx, report, "-", e.stdin, opts)
		} else {
			err = oneshot.ScanFile(ctx, report, name, opts)
		}
		bar.close()
		if err != nil {
			fmt.Fprintf(e.stderr, "odpswatch: %v\n", err)
			status = exitFailure
			if ctx.Err() != nil {
				return exitFailure
			}
		}
	}
	for _, f := range report.Files {
		if f.Binary {
			fmt.Fprintf(e.stderr, "odpswatch: warning: %s holds NUL bytes, it may be binary; scanned as text\n", f.Name)
		}
		if f.TrailingGarbage > 0 {
			fmt.Fprintf(e.stderr, "odpswatch: warning: %s: all its gzip data was read; %d bytes of trailing garbage after it were ignored\n", f.Name, f.TrailingGarbage)
		}
		if f.CutLines > 0 {
			fmt.Fprintf(e.stderr, "odpswatch: warning: %s: %d lines were longer than %d bytes; codes past that in them were not counted (see --max-line-bytes)\n", f.Name, f.CutLines, *maxLine)
		}
	}
	if err := write(e.stdout, report, *minSeverity); err != nil {
		fmt.Fprintf(e.stderr, "odpswatch: cannot write the report: %v\n", err)
		return exitFailure
	}
	if why := gate.check(report); status == exitOK && len(why) > 0 {
		for _, line := range why {
			fmt.Fprintf(e.stderr, "odpswatch: %s\n", line)
		}
		status = exitFound
	}
	return status
}

// tableWidth is the width the table is laid out for: $COLUMNS when it is
// a number, else the terminal's when standard output is one, else
// oneshot.DefaultTableWidth.
func tableWidth(e env) int {
	if n, err := strconv.Atoi(strings.TrimSpace(e.getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := e.stdout.(*os.File); ok && isTerminal(f) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return oneshot.DefaultTableWidth
}

func failUsage(e env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "odpswatch "+format+"\n", args...)
	return exitFailure
}

// progressBar draws the bytes consumed of one input on a terminal's stderr.
type progressBar struct {
	consumed atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

// gzipRun returns the gzip files that names starts with, in a row, that
// show no progress bar; none when sideBySide is 1 (its files are not
// opened then: the caller scans one file at a time).
func gzipRun(e env, names []string, mode string, sideBySide int) []string {
	n := 0
	for sideBySide > 1 && n < len(names) && names[n] != "-" && !showsProgress(e, names[n], mode) && oneshot.IsGzipFile(names[n]) {
		n++
	}
	return names[:n]
}

// showsProgress reports whether scanning name draws a progress bar.
func showsProgress(e env, name, mode string) bool {
	_, ok := progressSize(e, name, mode)
	return ok
}

// progressSize returns the size of name (-1 for a stream) and whether it
// gets a progress bar: on a terminal's stderr, always, or when it is big
// (mode auto).
func progressSize(e env, name, mode string) (int64, bool) {
	f, isFile := e.stderr.(*os.File)
	if mode == "never" || !isFile || (mode == "auto" && !isTerminal(f)) {
		return 0, false
	}
	size := int64(-1)
	if name != "-" {
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return size, mode != "auto" || size < 0 || size >= progressThreshold
}

func newProgressBar(e env, name, mode string) *progressBar {
	p := &progressBar{}
	size, ok := progressSize(e, name, mode)
	if !ok {
		return p
	}
	f := e.stderr.(*os.File)
	p.stop = make(chan struct{})
	p.wg.Go(func() {
		start := time.Now()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-tick.C:
				n := p.consumed.Load()
				if mode == "auto" && size < 0 && n < progressThreshold {
					continue
				}
				rate := float64(n) / time.Since(start).Seconds() / 1e6
				if size > 0 {
					const width = 30
					done := int(min(n, size) * width / size)
					fmt.Fprintf(f, "\r%s [%-*s] %3d%% %.0f MB/s", name, width, bar(done), min(n, size)*100/size, rate)
				} else {
					fmt.Fprintf(f, "\r%s %d MB %.0f MB/s", name, n/1e6, rate)
				}
			}
		}
	})
	return p
}

func bar(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '='
	}
	return string(b)
}

func (p *progressBar) update(consumed int64) { p.consumed.Store(consumed) }

func (p *progressBar) close() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// validLabelValue reports whether s can be the source label: 1 to 64
// printable UTF-8 characters.
func validLabelValue(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 64 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
