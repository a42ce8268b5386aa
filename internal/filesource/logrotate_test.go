package filesource

// Rotation by Debian's logrotate itself (logrotate -f, with a config and a
// state file of the test's own), as production logs are rotated: a writer
// appends numbered lines to job.log in small bursts, reopening the path for
// each burst as a logger that reopens does (Python's WatchedFileHandler),
// and every line must be counted exactly once across each rotation style,
// and across a rotation, a crash or a delete while the source is down.
//
// The writer never writes while logrotate runs (they share a mutex), so no
// line can fall between copytruncate's copy and its truncate, and no burst
// re-creates job.log between logrotate's rename and its create (logrotate
// would rename that file to job.log-<date>.backup).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const lrPrefix = "L" // lines are numbered("L", k, n): "L 000123"

type lrCase struct {
	name       string
	glob       string        // the source's glob, in the log's directory
	exclude    []string      // the source's Exclude
	directives string        // of the log's block in logrotate's config; {n} is the rotation's number
	copies     bool          // copytruncate: the source must have read all before each truncate
	every      time.Duration // rotate at this period whatever was read; else once a line of job.log was
	down       string        // "rotated", "crashed", "deleted" or "replaced": what happens while the source is down
}

var lrCases = []lrCase{
	{name: "1-create-outside-glob", glob: "job.log", directives: "rotate 5\ncreate"},
	{name: "2-create-inside-glob", glob: "job.log*", directives: "rotate 3\ncreate"},
	{name: "3-copytruncate-outside-glob", glob: "job.log", directives: "rotate 5\ncopytruncate", copies: true},
	{name: "4-copytruncate-inside-glob", glob: "job.log*", directives: "rotate 5\ncopytruncate", copies: true},
	{name: "5-compress-delaycompress", glob: "job.log*", exclude: []string{"*.gz"},
		directives: "rotate 5\ncreate\ncompress\ndelaycompress"},
	// dateformat -%s alone gives the same name to two rotations in the same
	// second ("destination ... already exists, skipping rotation"): a
	// counter follows it.
	{name: "6-dateext", glob: "job.log*", directives: "rotate 10\ncreate\ndateext\ndateformat -%s-{n}"},
	{name: "7-rotate1-at-4Hz", glob: "job.log", directives: "rotate 1\ncreate", every: 250 * time.Millisecond},
	{name: "8-rotated-while-stopped", glob: "job.log", directives: "rotate 5\ncreate", down: "rotated"},
	{name: "8b-rotated-while-stopped-inside-glob", glob: "job.log*", directives: "rotate 5\ncreate", down: "rotated"},
	{name: "8c-dateext-while-stopped", glob: "job.log*", directives: "rotate 5\ncreate\ndateext\ndateformat -%s-{n}", down: "rotated"},
	{name: "8d-delaycompress-while-stopped", glob: "job.log*", exclude: []string{"*.gz"},
		directives: "rotate 5\ncreate\ncompress\ndelaycompress", down: "rotated"},
	{name: "8e-copytruncate-while-stopped", glob: "job.log*", directives: "rotate 5\ncopytruncate", down: "rotated"},
	{name: "9-rotated-after-crash", glob: "job.log", directives: "rotate 5\ncreate", down: "crashed"},
	{name: "10-deleted-while-down", glob: "job.log", down: "deleted"},
	// The same, the new job.log written beside the old one then renamed
	// over it: it cannot get the old inode back (ext4 often gives it).
	{name: "10b-deleted-while-down-new-inode", glob: "job.log", down: "replaced"},
}

// TestLogrotate: every line counted once across rotations by logrotate.
func TestLogrotate(t *testing.T) {
	bin := needLogrotate(t)
	for _, c := range lrCases {
		t.Run(c.name, func(t *testing.T) {
			if c.down != "" {
				runLogrotateDown(t, bin, c)
			} else {
				runLogrotateLive(t, bin, c)
			}
		})
	}
}

// needLogrotate returns logrotate's path; without it the test is skipped,
// unless CI is set: CI must run it, so there it fails.
func needLogrotate(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("logrotate"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/logrotate"); err == nil { // /usr/sbin is not on every PATH
		return "/usr/sbin/logrotate"
	}
	msg := "logrotate not found on PATH nor at /usr/sbin/logrotate: install Debian's package logrotate"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI is set, so .ci/run must install it", msg)
	}
	t.Skip(msg)
	return ""
}

// lrRotator runs logrotate -f on dir/job.log, with its config and state
// file in a directory of their own.
type lrRotator struct {
	t                      *testing.T
	bin, conf, state, path string
	directives             string
	n                      int // rotations done
}

func newLrRotator(t *testing.T, bin, dir, directives string) *lrRotator {
	cfg := t.TempDir()
	return &lrRotator{t: t, bin: bin, conf: filepath.Join(cfg, "job.conf"), state: filepath.Join(cfg, "state"),
		path: filepath.Join(dir, "job.log"), directives: directives}
}

func (r *lrRotator) rotate() {
	r.t.Helper()
	r.n++
	conf := fmt.Sprintf("%q {\n%s\n}\n", r.path, strings.ReplaceAll(r.directives, "{n}", strconv.Itoa(r.n)))
	// Run as root, logrotate ignores a config writable by group or others.
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		r.t.Fatal(err)
	}
	out, err := exec.Command(r.bin, "-f", "-s", r.state, r.conf).CombinedOutput()
	if err != nil {
		r.t.Fatalf("logrotate, rotation %d: %v\n%s\nconfig:\n%s", r.n, err, out, conf)
	}
	if len(out) > 0 {
		r.t.Logf("logrotate, rotation %d, says: %s", r.n, out)
	}
}

// lrWriter appends lines to a path in bursts of 1 to 7 lines, paced by a
// ticker, opening the path with O_APPEND|O_CREATE for each burst.
type lrWriter struct {
	mu   sync.Mutex // held for a burst; the test holds it around logrotate
	n    int        // lines written
	err  error      // why it stopped early; read after done
	done chan struct{}
}

func startLrWriter(t *testing.T, path string, total int, every time.Duration) *lrWriter {
	w := &lrWriter{done: make(chan struct{})}
	stop := make(chan struct{})
	go func() {
		defer close(w.done)
		tick := time.NewTicker(every) // pacing only
		defer tick.Stop()
		for b := 0; ; b++ {
			w.mu.Lock()
			k := min(1+b%7, total-w.n)
			if k > 0 {
				w.err = lrWriteLines(path, numbered(lrPrefix, w.n, k))
				w.n += k
			}
			err := w.err
			w.mu.Unlock()
			if k == 0 || err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-w.done })
	return w
}

func (w *lrWriter) written() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// lrWriteLines is appendLines for a goroutine: it returns its error.
func lrWriteLines(path string, lines []string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lrTally counts the deliveries of each of lines 0..n-1; other lines are
// garbled.
func lrTally(lines []string, n int) (seen []int, garbled []string) {
	seen = make([]int, n)
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, lrPrefix+" ")
		k, err := strconv.Atoi(rest)
		if !ok || err != nil || len(rest) != 6 || k < 0 || k >= n {
			garbled = append(garbled, l)
			continue
		}
		seen[k]++
	}
	return seen, garbled
}

// lrSeen reports whether lines from..to-1 were all counted.
func lrSeen(from, to int) func([]string) bool {
	return func(l []string) bool {
		seen, _ := lrTally(l, to)
		return !slices.Contains(seen[from:], 0)
	}
}

// lrWait is waitFor with a limit of its own, reporting rather than failing.
func lrWait(h *harness, limit time.Duration, cond func([]string) bool) bool {
	deadline := time.After(limit)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond(h.col.snapshot()) {
		select {
		case <-h.col.changed:
		case <-tick.C:
		case <-deadline:
			return cond(h.col.snapshot())
		}
	}
	return true
}

// lrSettled reports whether every file the glob and excludes select is
// followed, read and committed to its end; strict, whether the source
// follows nothing else (rotated files out of the glob were let go), as
// settled (rotation_test.go) does.
func lrSettled(src *Source, glob string, exclude []string, strict bool) func([]string) bool {
	return func([]string) bool {
		ps := src.Positions()
		at := make(map[fileKey]int64, len(ps))
		for _, p := range ps {
			at[fileKey{p.Device, p.Inode}] = p.Offset
		}
		matches, _ := filepath.Glob(glob)
		n := 0
	match:
		for _, m := range matches {
			for _, x := range exclude {
				if ok, _ := filepath.Match(x, filepath.Base(m)); ok {
					continue match
				}
			}
			n++
			st, err := os.Stat(m)
			if err != nil {
				return false
			}
			if off, ok := at[keyOf(st)]; !ok || off != st.Size() {
				return false
			}
		}
		return !strict || len(ps) == n
	}
}

func lrMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lrBoth(a, b func([]string) bool) func([]string) bool {
	return func(l []string) bool { return a(l) && b(l) }
}

// lrCheck fails unless each of lines 0..n-1 was counted exactly once;
// dupOK, if not nil, allows more for some. what tells where lines were
// written, for the messages.
func lrCheck(t *testing.T, lines []string, n int, dupOK func(int) bool, what string) {
	t.Helper()
	seen, garbled := lrTally(lines, n)
	var lost, dups, allowed []int
	extra := 0
	for k, c := range seen {
		switch {
		case c == 0:
			lost = append(lost, k)
		case c > 1 && dupOK != nil && dupOK(k):
			allowed = append(allowed, k)
		case c > 1:
			dups = append(dups, k)
			extra += c - 1
		}
	}
	t.Logf("%d lines written, %d counted: %d lost, %d counted more than once (%d allowed), %d garbled; %s",
		n, len(lines), len(lost), len(dups)+len(allowed), len(allowed), len(garbled), what)
	if len(lost) > 0 {
		t.Errorf("LOST %d of %d lines (never counted): %s; %s", len(lost), n, ranges(lost, 8), what)
	}
	if len(dups) > 0 {
		t.Errorf("DOUBLED %d of %d lines (%d extra counts): %s; %s", len(dups), n, extra, ranges(dups, 8), what)
	}
	if len(garbled) > 0 {
		t.Errorf("GARBLED: %d counted lines were never written, e.g. %.60q", len(garbled), garbled[0])
	}
}

// runLogrotateLive rotates with logrotate while the writer writes and the
// source runs.
func runLogrotateLive(t *testing.T, bin string, c lrCase) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	lrMust(t, os.WriteFile(path, nil, 0o644))
	opts := rotOptions(t, dir, rotMethod{glob: c.glob}, false)
	opts.Exclude = c.exclude
	h := start(t, opts, nil)
	rot := newLrRotator(t, bin, dir, c.directives)
	total, pace, rotations := 3000, time.Millisecond, 5
	if c.every > 0 {
		total, pace, rotations = 5000, 2*time.Millisecond, 8
	}
	w := startLrWriter(t, path, total, pace)
	starts := []int{0} // first line of each job.log
	rotate := func() {
		w.mu.Lock() // the writer waits while logrotate runs
		defer w.mu.Unlock()
		if c.copies && !lrWait(h, 10*time.Second, lrSeen(0, w.n)) {
			t.Fatalf("before rotation %d: the source did not count lines 0-%d in 10s; copytruncate would lose them", rot.n+1, w.n-1)
		}
		rot.rotate()
		starts = append(starts, w.n)
	}
	if c.every > 0 {
		// Rotations at a fixed rate, whatever the source has read.
		tick := time.NewTicker(c.every)
		for range rotations {
			<-tick.C
			rotate()
		}
		tick.Stop()
	} else {
		// Rotation r once the source has counted line r*total/6 and a line
		// of the current job.log: it opened the file before it is renamed.
		for r := 1; r <= rotations; r++ {
			k := min(max(r*total/(rotations+1), starts[len(starts)-1]), total-1)
			if !lrWait(h, 10*time.Second, lrSeen(k, k+1)) {
				t.Fatalf("before rotation %d: the source did not count line %d in 10s (%d written, files from %v)", r, k, w.written(), starts)
			}
			rotate()
		}
	}
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the writer did not finish in 20s: %d of %d lines written", w.written(), total)
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	ok := lrWait(h, 10*time.Second, lrBoth(lrSeen(0, total), lrSettled(h.src, filepath.Join(dir, c.glob), c.exclude, true)))
	if !ok {
		names, _ := filepath.Glob(filepath.Join(dir, "job.log*"))
		t.Errorf("not every line counted and settled after 10s: positions %+v; files %v", h.src.Positions(), names)
	}
	lrCheck(t, h.col.snapshot(), total, nil, fmt.Sprintf("%d rotations by logrotate (%q), job.log files began at lines %v, glob %s",
		rot.n, c.directives, starts, c.glob))
}

// runLogrotateDown rotates (or deletes) job.log while the source is down,
// then restarts it from saved positions, with start_at: end.
func runLogrotateDown(t *testing.T, bin string, c lrCase) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	lrMust(t, os.WriteFile(path, nil, 0o644))
	opts := rotOptions(t, dir, rotMethod{glob: c.glob}, false)
	opts.StartAtEnd = true // start_at: end, production's default
	opts.Exclude = c.exclude
	write := func(p string, from, n int) { // in bursts of 10
		for k := from; k < from+n; k += 10 {
			appendLines(t, p, numbered(lrPrefix, k, min(10, from+n-k))...)
		}
	}
	glob := filepath.Join(dir, c.glob)
	h := start(t, opts, nil)
	write(path, 0, 1000)
	if !lrWait(h, 10*time.Second, lrBoth(lrSeen(0, 1000), lrSettled(h.src, glob, nil, true))) {
		t.Fatalf("the first run did not count and commit lines 0-999 in 10s: positions %+v", h.src.Positions())
	}
	saved, covered, n := h.src.Resume(), 1000, 1000
	what := "lines 0-999 read by the first run, positions saved then"
	if c.down == "crashed" {
		// Read on past the save; the positions of the stop are lost with
		// the crash: the restart resumes from saved.
		write(path, 1000, 800)
		if !lrWait(h, 10*time.Second, lrBoth(lrSeen(0, 1800), lrSettled(h.src, glob, nil, true))) {
			t.Fatalf("the first run did not count and commit lines 0-1799 in 10s: positions %+v", h.src.Positions())
		}
		n = 1800
		what = "lines 0-999 read before the last save, 1000-1799 after it (may be counted twice), then a crash"
	}
	h.stop()
	switch c.down {
	case "deleted":
		lrMust(t, os.Remove(path))
		write(path, n, 600)
		what += fmt.Sprintf("; job.log deleted while down; lines %d-%d written to a new job.log", n, n+599)
	case "replaced":
		write(path+".new", n, 600)
		lrMust(t, os.Remove(path))
		lrMust(t, os.Rename(path+".new", path))
		what += fmt.Sprintf("; job.log deleted while down; lines %d-%d written to a new job.log (by rename)", n, n+599)
	default:
		newLrRotator(t, bin, dir, c.directives).rotate()
		write(path, n, 600)
		what += fmt.Sprintf("; logrotate (%q) while down; lines %d-%d written to the new job.log", c.directives, n, n+599)
	}
	if st, err := os.Stat(path); err == nil && len(saved.Files) == 1 && keyOf(st) == (fileKey{saved.Files[0].Device, saved.Files[0].Inode}) {
		what += " (which got the old file's inode)"
	}
	h2 := startFrom(t, opts, saved)
	if !lrWait(h2, 10*time.Second, lrSettled(h2.src, glob, c.exclude, false)) {
		t.Errorf("the restarted source did not settle in 10s: positions %+v", h2.src.Positions())
	}
	lines := append(h.col.snapshot(), h2.col.snapshot()...)
	lrCheck(t, lines, n+600, func(k int) bool { return c.down == "crashed" && k >= covered }, what)
}
