package filesource

// The rotation workload's parts, shared by rotation_test.go and the
// nxadm/tail baseline (nxtail_baseline_test.go): the rotation methods, the
// writer that numbers its lines, and the tracker that checks what a
// tailer delivered.

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	rotTotal    = 30000 // lines written per run
	rotMinEvery = 1000  // lines between rotations, at least
	rotMaxEvery = 3000  // and at most
	rotMaxBatch = 6     // lines per write call, at most
)

// rotMethod is a way of rotating job.log.
type rotMethod struct {
	name string
	glob string // the source's glob, relative to the directory
	// lossy: the method truncates the file, so lines not read yet when it
	// is truncated are gone (copytruncate's documented loss).
	lossy bool
}

var rotMethods = []rotMethod{
	{"rename", "*.log", false},             // job.log → job.log.1 (outside the glob), new job.log
	{"rename-matching", "job.log*", false}, // the same, job.log.1 inside the glob
	{"delete", "*.log", false},             // job.log deleted, new job.log
	{"symlink", "*.log", false},            // job.log → data/job-N.txt, link replaced by rename
	{"copytruncate", "*.log", true},        // copied to job.log.1, truncated, written on through O_APPEND
	{"truncate", "*.log", true},            // reopened with O_TRUNC, written on
}

// rotSeed is the seed of m's workload: the same rotation points for every
// tailer.
func rotSeed(m rotMethod) uint64 {
	for i := range rotMethods {
		if rotMethods[i].name == m.name {
			return uint64(i)
		}
	}
	return 0
}

func rotMethodNamed(name string) rotMethod {
	for _, m := range rotMethods {
		if m.name == name {
			return m
		}
	}
	panic("no rotation method " + name)
}

// rotLine is line n of the workload: a log4j-like line, every 20th an error
// with a code.
func rotLine(n int) string {
	if n%20 == 7 {
		return fmt.Sprintf("2026-03-01 10:%02d:%02d ERROR [job-%d] seq=%06d FAILED: ODPS-0130071:[1,8] Semantic analysis exception - column c%d cannot be resolved",
			n/60%60, n%60, n/1000, n, n%97)
	}
	return fmt.Sprintf("2026-03-01 10:%02d:%02d INFO  [job-%d] seq=%06d Stage M%d_Stg1 running, progress %d%%",
		n/60%60, n%60, n/1000, n, n%7, n%100)
}

// rotSeq returns n if line is exactly rotLine(n), else -1.
func rotSeq(line string) int {
	i := strings.Index(line, "seq=")
	if i < 0 || len(line) < i+10 {
		return -1
	}
	n, err := strconv.Atoi(line[i+4 : i+10])
	if err != nil || n < 0 || n >= rotTotal || line != rotLine(n) {
		return -1
	}
	return n
}

// rotWriter writes the workload to dir/job.log and rotates it.
type rotWriter struct {
	t      testing.TB
	m      rotMethod
	dir    string
	path   string
	rng    *rand.Rand
	fh     *os.File
	target int   // symlink: the number of the current target
	n      int   // lines written so far
	starts []int // first line of each file (truncating methods: of each epoch)
	buf    []byte
}

// newRotWriter creates job.log, empty.
func newRotWriter(t testing.TB, m rotMethod, dir string, seed uint64) *rotWriter {
	w := &rotWriter{t: t, m: m, dir: dir, path: filepath.Join(dir, "job.log"),
		rng: rand.New(rand.NewPCG(seed, 0x0d95)), starts: []int{0}}
	var err error
	if m.name == "symlink" {
		if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		w.fh, err = w.newTarget()
	} else {
		w.fh, err = os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newTarget creates data/job-N.txt for the next N and points job.log at it,
// atomically: a temporary link renamed over job.log.
func (w *rotWriter) newTarget() (*os.File, error) {
	rel := filepath.Join("data", fmt.Sprintf("job-%d.txt", w.target))
	w.target++
	fh, err := os.OpenFile(filepath.Join(w.dir, rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(w.dir, "job.log.tmp")
	if err := os.Symlink(rel, tmp); err != nil {
		return nil, err
	}
	return fh, os.Rename(tmp, w.path)
}

// write writes the next k lines in one write call.
func (w *rotWriter) write(k int) {
	w.buf = w.buf[:0]
	for i := range k {
		w.buf = append(w.buf, rotLine(w.n+i)...)
		w.buf = append(w.buf, '\n')
	}
	if _, err := w.fh.Write(w.buf); err != nil {
		w.t.Fatal(err)
	}
	w.n += k
}

func (w *rotWriter) batch() int { return 1 + w.rng.IntN(rotMaxBatch) }

// run writes rotTotal lines, rotating every 1 000–3 000. Before each
// rotation it calls gate with the first line of the current file (or
// epoch).
func (w *rotWriter) run(gate func(first int)) {
	next := w.n + rotMinEvery + w.rng.IntN(rotMaxEvery-rotMinEvery+1)
	for w.n < rotTotal {
		if w.n >= next {
			gate(w.starts[len(w.starts)-1])
			w.rotate()
			next = w.n + rotMinEvery + w.rng.IntN(rotMaxEvery-rotMinEvery+1)
		}
		w.write(min(w.batch(), rotTotal-w.n, max(next-w.n, 1)))
	}
	if err := w.fh.Close(); err != nil {
		w.t.Fatal(err)
	}
}

func (w *rotWriter) rotate() {
	must := func(err error) {
		if err != nil {
			w.t.Helper()
			w.t.Fatalf("%s: %v", w.m.name, err)
		}
	}
	// After a rename, delete or link swap the application writes on to the
	// old file for a moment, until it reopens: the tailer must read that
	// too.
	lateWrite := func() { w.write(min(w.batch(), rotTotal-w.n)) }
	reopen := func() {
		must(w.fh.Close())
		var err error
		w.fh, err = os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		must(err)
	}
	switch w.m.name {
	case "rename", "rename-matching":
		must(os.Rename(w.path, w.path+".1"))
		lateWrite()
		reopen()
	case "delete":
		must(os.Remove(w.path))
		lateWrite()
		reopen()
	case "symlink":
		fh, err := w.newTarget()
		must(err)
		lateWrite()
		must(w.fh.Close())
		w.fh = fh
	case "copytruncate":
		data, err := os.ReadFile(w.path)
		must(err)
		must(os.WriteFile(w.path+".1", data, 0o644))
		must(os.Truncate(w.path, 0))
	case "truncate":
		must(w.fh.Close())
		var err error
		w.fh, err = os.OpenFile(w.path, os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
		must(err)
	default:
		w.t.Fatalf("no rotation method %q", w.m.name)
	}
	w.starts = append(w.starts, w.n)
}

// rotTracker records the lines a tailer delivered.
type rotTracker struct {
	mu      sync.Mutex
	seen    []int32 // deliveries of each line
	garbled []string
	lines   int
	max     int           // highest line number delivered
	last    time.Time     // when the last line came
	changed chan struct{} // a line came
	done    chan struct{} // nothing more will come
}

func newRotTracker() *rotTracker {
	return &rotTracker{seen: make([]int32, rotTotal), max: -1,
		changed: make(chan struct{}, 1), done: make(chan struct{})}
}

func (tr *rotTracker) add(lines ...string) {
	tr.mu.Lock()
	for _, l := range lines {
		tr.lines++
		n := rotSeq(l)
		if n < 0 {
			tr.garbled = append(tr.garbled, l)
			continue
		}
		tr.seen[n]++
		tr.max = max(tr.max, n)
	}
	if len(lines) > 0 {
		tr.last = time.Now()
	}
	tr.mu.Unlock()
	select {
	case tr.changed <- struct{}{}:
	default:
	}
}

func (tr *rotTracker) maxSeq() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.max
}

// all reports whether every line in [from, to) was delivered.
func (tr *rotTracker) all(from, to int) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, c := range tr.seen[from:to] {
		if c == 0 {
			return false
		}
	}
	return true
}

// until waits until cond holds, up to timeout, and reports whether it did.
// It wakes on every delivery and on a short tick, for conditions that do not
// come with a line.
func (tr *rotTracker) until(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tr.changed:
		case <-tick.C:
		case <-tr.done:
			return cond()
		case <-deadline.C:
			return cond()
		}
	}
	return true
}

// rotResult is what one run lost and duplicated; it is logged as one line of
// JSON, prefixed ROTATION, which bench/rotation.md is made from.
type rotResult struct {
	Tailer     string  `json:"tailer"`
	Method     string  `json:"method"`
	Watch      string  `json:"watch"`
	Written    int     `json:"written"`
	Rotations  int     `json:"rotations"`
	Delivered  int     `json:"delivered"`
	Lost       int     `json:"lost"`
	Duplicated int     `json:"duplicated"` // extra deliveries of lines delivered more than once
	Garbled    int     `json:"garbled"`    // delivered lines that are no line written
	Seconds    float64 `json:"seconds"`    // from the first write to the last line delivered
	Note       string  `json:"note,omitempty"`

	missing, dups []int
}

// result compares what was delivered with what w wrote, from began.
func (tr *rotTracker) result(tailer string, m rotMethod, watch string, w *rotWriter, began time.Time) rotResult {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := rotResult{Tailer: tailer, Method: m.name, Watch: watch, Written: w.n,
		Rotations: len(w.starts) - 1, Delivered: tr.lines, Garbled: len(tr.garbled)}
	if tr.last.After(began) {
		r.Seconds = tr.last.Sub(began).Seconds()
	}
	for n, c := range tr.seen[:w.n] {
		switch {
		case c == 0:
			r.missing = append(r.missing, n)
		case c > 1:
			r.dups = append(r.dups, n)
			r.Duplicated += int(c) - 1
		}
	}
	r.Lost = len(r.missing)
	return r
}

func (r rotResult) log(t *testing.T) {
	t.Helper()
	j, _ := json.Marshal(r)
	t.Logf("ROTATION %s", j)
}

// ranges writes sorted numbers as ranges, "3-7 12", the first limit ranges
// of them.
func ranges(ns []int, limit int) string {
	var b strings.Builder
	for i, k := 0, 0; i < len(ns); k++ {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if k == limit {
			fmt.Fprintf(&b, "… (%d more numbers)", len(ns)-i)
			break
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d ", ns[i], ns[j])
		} else {
			fmt.Fprintf(&b, "%d ", ns[i])
		}
		i = j + 1
	}
	return strings.TrimSpace(b.String())
}

// epochOf returns the epoch (file, or stretch between truncations) line n
// was written in.
func epochOf(starts []int, n int) int {
	e := 0
	for e+1 < len(starts) && starts[e+1] <= n {
		e++
	}
	return e
}

// pump feeds tr from h's collector, a batch at a time, until stop is
// called. pull takes what the collector holds now (and returns true, to be
// used in conditions).
func pump(h *harness, tr *rotTracker) (pull func() bool, stop func()) {
	var mu sync.Mutex
	from := 0
	pull = func() bool {
		mu.Lock()
		defer mu.Unlock()
		h.col.mu.Lock()
		lines := h.col.lines[from:]
		from = len(h.col.lines)
		h.col.mu.Unlock()
		tr.add(lines...)
		return true
	}
	stopPump := make(chan struct{})
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		for {
			select {
			case <-h.col.changed:
				pull()
			case <-stopPump:
				return
			}
		}
	}()
	return pull, func() { close(stopPump); <-pumped }
}

// settled reports whether the source follows exactly the files its glob
// gives, each read and committed to its end: rotated files have been
// drained and let go.
func settled(src *Source, glob string) bool {
	matches, _ := filepath.Glob(glob)
	ps := src.Positions()
	if len(ps) != len(matches) {
		return false
	}
	for _, p := range ps {
		st, err := os.Stat(p.Path)
		if err != nil || keyOf(st) != (fileKey{p.Device, p.Inode}) || st.Size() != p.Offset {
			return false
		}
	}
	return true
}

func watchName(poll bool) string {
	if poll {
		return "poll"
	}
	return "inotify"
}

func rotOptions(t *testing.T, dir string, m rotMethod, poll bool) Options {
	opts := testOptions(t, "jobs", filepath.Join(dir, m.glob))
	opts.Poll = poll
	opts.PollInterval = 10 * time.Millisecond
	opts.RescanInterval = 50 * time.Millisecond
	opts.PartialLineTimeout = 200 * time.Millisecond
	// ROTATION_DEBUG=1 shows the source's own log, to see what it did.
	if os.Getenv("ROTATION_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return opts
}
