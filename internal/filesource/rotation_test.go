package filesource

// Rotation under load: one writer appends numbered lines as fast as it can
// while the file is rotated every 1 000–3 000 lines, by each method a log
// writer or logrotate uses. TestRotationUnderLoad checks the source's
// promises against it; TestNxadmTailBaseline runs the same workloads against
// github.com/nxadm/tail (bench/nxtail, in a process of its own) and reports
// what it loses. bench/rotation.md has the figures.
//
// The writer waits for one thing only: before rotating, that the tailer has
// delivered a line of the current file (or of the current epoch, for the
// truncating methods). A file renamed out of the globs before anything has
// opened it cannot be followed by anyone, however fast; real rotations are
// minutes apart, not microseconds. The tailer is still far behind when the
// file rotates: it has seen one line of up to 3 000.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/pipeline"
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

// quiet waits until no line has come for idle, up to limit, and reports
// whether it did.
func (tr *rotTracker) quiet(idle, limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		timer := time.NewTimer(idle)
		select {
		case <-tr.changed:
			timer.Stop()
		case <-timer.C:
			return true
		case <-tr.done:
			timer.Stop()
			return true
		case <-deadline.C:
			timer.Stop()
			return false
		}
	}
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

// TestRotationUnderLoad: every line is read exactly once across rotation by
// rename (to a name outside or inside the glob), delete and symlink swap,
// with inotify and with polling; across copytruncate and truncation in
// place, no line is read twice and the only lines lost are lines that were
// not read yet when their file was truncated.
func TestRotationUnderLoad(t *testing.T) {
	for _, m := range rotMethods {
		for _, poll := range []bool{false, true} {
			t.Run(m.name+"/"+watchName(poll), func(t *testing.T) {
				runRotation(t, m, poll, rotSeed(m))
			})
		}
	}
}

func runRotation(t *testing.T, m rotMethod, poll bool, seed uint64) {
	dir := t.TempDir()
	w := newRotWriter(t, m, dir, seed)
	opts := rotOptions(t, dir, m, poll)
	h := start(t, opts, nil)
	tr := newRotTracker()
	pull, stopPump := pump(h, tr)
	defer stopPump()

	began := time.Now()
	w.run(func(first int) {
		if !tr.until(10*time.Second, func() bool { return tr.maxSeq() >= first }) {
			t.Fatalf("the source delivered no line of the current file (from %d) in 10s; last line %d", first, tr.maxSeq())
		}
	})
	wrote := time.Since(began)
	last := w.starts[len(w.starts)-1]
	if !m.lossy {
		last = 0
	}
	glob := filepath.Join(dir, m.glob)
	// Settled means every batch was done, so the collector has every line:
	// pull them before looking.
	ok := tr.until(15*time.Second, func() bool { return settled(h.src, glob) && pull() && tr.all(last, rotTotal) })
	r := tr.result("odpswatch", m, watchName(poll), w, began)
	r.log(t)
	t.Logf("%s/%s: %d lines in %d files or epochs written in %v; %d delivered, %d lost, %d duplicated, %d garbled, in %.2fs",
		m.name, watchName(poll), w.n, len(w.starts), wrote.Round(time.Millisecond), r.Delivered, r.Lost, r.Duplicated, r.Garbled, r.Seconds)
	if !ok {
		t.Errorf("not settled after 15s: positions %+v", h.src.Positions())
	}
	if r.Garbled > 0 {
		t.Errorf("%d delivered lines were never written, e.g. %q", r.Garbled, tail(tr.garbled))
	}
	if len(r.dups) > 0 {
		t.Errorf("%d lines delivered more than once: %s", len(r.dups), ranges(r.dups, 20))
	}
	if !m.lossy {
		if len(r.missing) > 0 {
			t.Errorf("%d lines lost: %s (files started at %v)", len(r.missing), ranges(r.missing, 20), w.starts)
		}
		return
	}
	// Truncation: a line may be lost only if it was in the file when the
	// file was truncated, and, since a file is read in order, the lines lost
	// from an epoch are its last ones: those not read yet.
	var late, holes []int
	lostBy := make([]int, len(w.starts))
	for _, n := range r.missing {
		e := epochOf(w.starts, n)
		lostBy[e]++
		if e == len(w.starts)-1 {
			late = append(late, n)
		}
	}
	lastRead := make([]int, len(w.starts)) // the last line of each epoch delivered
	tr.mu.Lock()
	for n, c := range tr.seen {
		if c > 0 {
			lastRead[epochOf(w.starts, n)] = n
		}
	}
	tr.mu.Unlock()
	for _, n := range r.missing {
		if n < lastRead[epochOf(w.starts, n)] {
			holes = append(holes, n)
		}
	}
	t.Logf("%s/%s: lost per epoch %v (epochs start at %v)", m.name, watchName(poll), lostBy, w.starts)
	if len(late) > 0 {
		t.Errorf("%d lines written after the last truncation lost: %s", len(late), ranges(late, 20))
	}
	if len(holes) > 0 {
		t.Errorf("%d lines lost although a later line of the same epoch was read: %s", len(holes), ranges(holes, 20))
	}
}

// TestNxadmTailBaseline runs the workloads against github.com/nxadm/tail
// (bench/nxtail, Follow + ReOpen, as `tail -F`) and reports what it loses
// and reads twice. It asserts only that the program ran: losing lines is
// what the baseline is known for (see bench/rotation.md).
func TestNxadmTailBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bench/nxtail; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build bench/nxtail")
	}
	bin := filepath.Join(t.TempDir(), "nxtail")
	build := exec.Command(goBin, "build", "-o", bin, "./bench/nxtail")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building bench/nxtail: %v\n%s", err, out)
	}
	runs := []struct {
		method string
		poll   bool
	}{
		{"rename", false}, {"rename", true},
		{"rename-matching", false},
		{"delete", false},
		{"symlink", false},
		{"copytruncate", false}, {"copytruncate", true},
		{"truncate", false},
	}
	for _, run := range runs {
		m := rotMethodNamed(run.method)
		t.Run(m.name+"/"+watchName(run.poll), func(t *testing.T) {
			runNxtail(t, bin, m, run.poll, rotSeed(m))
		})
	}
}

// nxGate is how long the writer waits, before rotating, for nxadm/tail to
// deliver a line of the current file. It waits no longer: when nxadm/tail
// has missed a rotation it waits for an event that does not come. Polling,
// it looks every 250ms (watch.POLL_DURATION), so it gets three of those.
func nxGate(poll bool) time.Duration {
	if poll {
		return 750 * time.Millisecond
	}
	return 250 * time.Millisecond
}

func runNxtail(t *testing.T, bin string, m rotMethod, poll bool, seed uint64) {
	dir := t.TempDir()
	w := newRotWriter(t, m, dir, seed)
	tr := newRotTracker()
	args := []string{"-start", "beginning"}
	if poll {
		args = append(args, "-poll")
	}
	cmd := exec.Command(bin, append(args, w.path)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		logText   strings.Builder
		stderrEOF = make(chan struct{})
	)
	go func() {
		defer close(tr.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			tr.add(sc.Text())
		}
	}()
	go func() {
		defer close(stderrEOF)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logText.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	exited := false
	stop := func() {
		if exited {
			return
		}
		exited = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-tr.done:
		case <-time.After(5 * time.Second):
			t.Logf("nxtail did not exit 5s after SIGTERM; killing it")
			cmd.Process.Kill()
			<-tr.done
		}
		<-stderrEOF
		cmd.Wait()
	}
	defer stop()

	// The writer gives nxadm/tail the same chance as the file source (see
	// the file's comment), but only up to nxGate.
	missedGates := 0
	gate := func(first int) {
		if !tr.until(nxGate(poll), func() bool { return tr.maxSeq() >= first }) {
			missedGates++
		}
	}
	began := time.Now()
	w.run(gate)
	quiet := tr.quiet(time.Second, 20*time.Second)
	stop()
	r := tr.result("nxadm/tail", m, watchName(poll), w, began)
	mu.Lock()
	defer mu.Unlock()
	if missedGates > 0 {
		r.Note = fmt.Sprintf("%d times the writer waited %v in vain", missedGates, nxGate(poll))
	}
	if !quiet {
		r.Note = strings.TrimPrefix(r.Note+"; still delivering 20s after the writer finished", "; ")
	}
	reopens := strings.Count(logText.String(), "Re-opening")
	t.Logf("%s/%s: nxadm/tail delivered %d of %d lines: %d lost, %d duplicated, %d garbled; %d rotations, %d reopens; %v",
		m.name, watchName(poll), r.Delivered, r.Written, r.Lost, r.Duplicated, r.Garbled, r.Rotations, reopens, cmd.ProcessState)
	if r.Lost > 0 {
		t.Logf("lost: %s", ranges(r.missing, 10))
	}
	if r.Duplicated > 0 {
		t.Logf("duplicated: %s", ranges(r.dups, 10))
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		// It gave up by itself (or was killed): say why.
		log := strings.Split(strings.TrimSpace(logText.String()), "\n")
		r.Note = strings.TrimPrefix(r.Note+"; "+fmt.Sprintf("exited %d: %s", code, log[len(log)-1]), "; ")
		t.Logf("nxtail exited %d; its last messages: %q", code, log[max(0, len(log)-3):])
	}
	r.log(t)
	if r.Delivered == 0 {
		t.Errorf("nxtail delivered nothing; stderr:\n%s", logText.String())
	}
}

// TestRotationStorm: the file is rotated every 9 lines, with nothing
// waiting for the source, so files come and go faster than it can look. It
// may lose whole files, but must never read a line twice. It caught
// discover() taking a file's identity from os.Stat(path) and then reading
// what os.Open(path) gave: a path rotated in between made the newer file be
// read under the older one's identity, then again from its start under its
// own (fixed in 40ec7e4; before that, this failed in 4 runs out of 5).
func TestRotationStorm(t *testing.T) {
	for i, name := range []string{"rename", "rename-matching", "symlink"} {
		t.Run(name, func(t *testing.T) {
			m := rotMethodNamed(name)
			dir := t.TempDir()
			w := newRotWriter(t, m, dir, uint64(100+i))
			h := start(t, rotOptions(t, dir, m, false), nil)
			tr := newRotTracker()
			pull, stopPump := pump(h, tr)
			defer stopPump()
			for k := 1; w.n < rotTotal; k++ {
				w.write(min(3, rotTotal-w.n))
				if k%3 == 0 && w.n < rotTotal {
					w.rotate()
				}
			}
			if err := w.fh.Close(); err != nil {
				t.Fatal(err)
			}
			glob := filepath.Join(dir, m.glob)
			if !tr.until(10*time.Second, func() bool { return settled(h.src, glob) }) {
				t.Errorf("not settled after 10s: positions %+v", h.src.Positions())
			}
			pull()
			r := tr.result("odpswatch", m, "inotify", w, time.Time{})
			t.Logf("%s: %d rotations; %d lines lost (files gone before the source looked), %d duplicated, %d garbled",
				name, r.Rotations, r.Lost, r.Duplicated, r.Garbled)
			if r.Garbled > 0 {
				t.Errorf("%d delivered lines were never written, e.g. %q", r.Garbled, tail(tr.garbled))
			}
			if len(r.dups) > 0 {
				t.Errorf("%d lines delivered more than once: %s", len(r.dups), ranges(r.dups, 20))
			}
		})
	}
}

// TestTruncationDuringRead: a file rewritten in place, longer, while the
// source is in its read loop (here: waiting to hand over its next batch)
// must not be read on at the old offset, as if the new content continued
// the old. Before 40ec7e4 it was: check() compared the first bytes only
// before read(), so the partial line kept from the old content was glued to
// a piece of a new line, the new content's lines before the offset were
// skipped, and those after it were delivered twice once the next check saw
// the new first bytes and read again from 0.
func TestTruncationDuringRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	text := func(from, to int) []byte {
		var b []byte
		for n := from; n < to; n++ {
			b = append(append(b, rotLine(n)...), '\n')
		}
		return b
	}
	const oldLines, newLines = 1000, 3000 // about 90 KB, then 270 KB
	if err := os.WriteFile(path, text(0, oldLines), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := rotOptions(t, dir, rotMethodNamed("truncate"), true)
	out := make(chan *pipeline.Batch) // unbuffered: the source waits for us
	src := New(opts, out, Resume{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { src.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	tr := newRotTracker()
	take := func(b *pipeline.Batch) {
		if b.Context {
			b.Done() // counted nowhere
			return
		}
		for _, l := range strings.SplitAfter(string(b.Data), "\n") {
			if l != "" {
				tr.add(strings.TrimSuffix(l, "\n"))
			}
		}
		b.Done()
	}
	select {
	case b := <-out:
		take(b)
	case <-time.After(10 * time.Second):
		t.Fatal("no batch in 10s")
	}
	// The source is in read(): it saw a 90 KB file and has sent its first
	// batch; it now waits to send the next. Rewrite the file in place,
	// longer.
	if err := os.WriteFile(path, text(oldLines, oldLines+newLines), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	glob := filepath.Join(dir, "*.log")
wait:
	for !(tr.all(oldLines, oldLines+newLines) && settled(src, glob)) {
		select {
		case b := <-out:
			take(b)
		case <-tick.C:
		case <-deadline:
			st, _ := os.Stat(path)
			t.Errorf("not settled after 10s: all new lines delivered: %v; positions %+v, file size %d",
				tr.all(oldLines, oldLines+newLines), src.Positions(), st.Size())
			break wait
		}
	}
	var w rotWriter
	w.n, w.starts = oldLines+newLines, []int{0, oldLines}
	r := tr.result("odpswatch", rotMethodNamed("truncate"), "poll", &w, time.Time{})
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var lostOld, lostNew []int
	for _, n := range r.missing {
		if n < oldLines {
			lostOld = append(lostOld, n)
		} else {
			lostNew = append(lostNew, n)
		}
	}
	t.Logf("%d lines delivered; %d garbled, %d duplicated; lost: old content %s, new content %s",
		r.Delivered, r.Garbled, r.Duplicated, ranges(lostOld, 5), ranges(lostNew, 5))
	if r.Garbled > 0 {
		t.Errorf("%d delivered lines were never written: %q", r.Garbled, tail(tr.garbled))
	}
	if len(r.dups) > 0 {
		t.Errorf("%d lines of the new content delivered twice: %s", len(r.dups), ranges(r.dups, 20))
	}
	if len(lostNew) > 0 {
		t.Errorf("%d lines of the new content lost: %s", len(lostNew), ranges(lostNew, 20))
	}
	for _, n := range lostOld {
		if n+1 < oldLines && tr.seen[n+1] > 0 {
			t.Errorf("old lines lost although later ones were read: %s", ranges(lostOld, 20))
			break
		}
	}
}
