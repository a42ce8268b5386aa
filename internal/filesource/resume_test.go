package filesource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// caughtUp waits until the source's positions have reached the end of
// every file in paths, so that the lines counted are all it will count of
// what was written, then returns them sorted.
func (h *harness) caughtUp(paths ...string) []string {
	h.t.Helper()
	h.col.waitFor(h.t, fmt.Sprintf("positions at the end of %q", paths), func([]string) bool {
		at := make(map[string]int64)
		for _, e := range h.src.Positions() {
			at[e.Path] = e.Offset
		}
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil || at[p] != st.Size() {
				return false
			}
		}
		return true
	})
	// The lines now: those waitFor passed were taken before the
	// positions were read, and a batch may have been counted between.
	got := h.col.snapshot()
	slices.Sort(got)
	return got
}

// sameLines reports the lines missing from got and those counted more than
// once, against want (each line once).
func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	seen := make(map[string]int)
	for _, l := range got {
		seen[l]++
	}
	var lost, twice []string
	for _, l := range want {
		switch n := seen[l]; {
		case n == 0:
			lost = append(lost, l)
		case n > 1:
			twice = append(twice, l)
		}
		delete(seen, l)
	}
	var extra []string
	for l := range seen {
		extra = append(extra, l)
	}
	if len(lost)+len(twice)+len(extra) > 0 {
		t.Errorf("%d lines lost %q, %d counted twice %q, %d never written %q",
			len(lost), tail(lost), len(twice), tail(twice), len(extra), tail(extra))
	}
}

// A rotation while the source is down, with start_at: end: the file
// rotated in at the saved path, and a new file born in a followed
// directory, are read from their start; a file of a directory the last run
// did not follow (a newly added glob) starts at its end.
func TestRotatedInWhileDownIsReadWhole(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, numbered("before", 0, 10)...)
	appendLines(t, filepath.Join(other, "old.log"), "old, before the glob was added")
	opts := testOptions(t, "jobs", glob(dir, "job.log"))
	opts.StartAtEnd = true
	h := start(t, opts, nil)
	appendLines(t, path, numbered("run1", 0, 50)...)
	if got := h.caughtUp(path); !slices.Equal(got, numbered("run1", 0, 50)) {
		t.Fatalf("first run counted %d lines, want the 50 written after start: %q", len(got), tail(got))
	}
	h.stop()
	saved := h.src.Resume()

	// Down: logrotate's create, the writer fills the new file, and a new
	// file appears beside it.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, numbered("rotated-in", 0, 40)...)
	appendLines(t, filepath.Join(dir, "job.log.new"), "not matched")
	opts.Paths = append(opts.Paths, glob(dir, "*.new"), glob(other, "*.log"))
	appendLines(t, filepath.Join(other, "old.log"), "old, still before")

	h2 := startFrom(t, opts, saved)
	appendLines(t, path, numbered("run2", 0, 5)...)
	appendLines(t, filepath.Join(other, "old.log"), "old, after the restart")
	got := h2.caughtUp(path, filepath.Join(dir, "job.log.new"), filepath.Join(other, "old.log"))
	want := append(append(numbered("rotated-in", 0, 40), numbered("run2", 0, 5)...), "not matched", "old, after the restart")
	sameLines(t, got, want)
}

// A crash between two saves, then a rotation while down: the positions
// are older than what was counted. Nothing is lost; only what was counted
// after the last save is counted again.
func TestRotatedAfterACrashBetweenSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	opts.StartAtEnd = true
	appendLines(t, path, numbered("a", 0, 1)...)
	h := start(t, opts, nil)
	appendLines(t, path, numbered("a", 1, 99)...)
	h.caughtUp(path)
	lastSave := h.src.Resume()
	appendLines(t, path, numbered("a", 100, 30)...) // counted, not saved
	h.caughtUp(path)
	h.stop() // killed: its final positions are never saved

	if err := os.Rename(path, filepath.Join(dir, "job.old")); err != nil { // out of the glob
		t.Fatal(err)
	}
	appendLines(t, path, numbered("b", 0, 20)...)
	h2 := startFrom(t, opts, lastSave)
	got := h2.caughtUp(path, filepath.Join(dir, "job.old"))
	// The saved file now lies outside the glob: its unread end (a 100 to
	// a 129) is counted when the rotated-out file is drained; what
	// follows is the new file's.
	sameLines(t, got, append(numbered("a", 100, 30), numbered("b", 0, 20)...))
}

// A file rotated out of the globs, still written by a writer that has not
// reopened, is read on the write's own event, not at the next safety poll:
// the source here has no poll at all, only the events it is handed.
func TestRotatedOutWritesAreReadOnTheirEvent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, "first")
	out := make(chan *pipeline.Batch, 16)
	s := New(testOptions(t, "jobs", glob(dir, "job.log")), out, Resume{})
	ctx := context.Background()
	take := func() []string { return taken(out) }
	s.rescan(ctx, false)
	if got := take(); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("before the rotation: %q", got)
	}
	w, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	s.onEvent(ctx, fsnotify.Event{Name: path, Op: fsnotify.Rename})
	if _, err := w.WriteString("after the rotation\n"); err != nil {
		t.Fatal(err)
	}
	s.onEvent(ctx, fsnotify.Event{Name: path + ".1", Op: fsnotify.Write})
	if got := take(); !slices.Equal(got, []string{"after the rotation"}) {
		t.Fatalf("after a write to the rotated file: %q, want the line written", got)
	}
	s.closeAll()
}

// A FIFO swapped in for a log file between the stat and the open: the open
// must not wait for a writer (it would freeze the source for good). open
// is called on the FIFO directly, as it would be after that swap.
func TestOpenNeverBlocksOnAFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "job.log")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	s := New(testOptions(t, "jobs", glob(dir, "*.log")), make(chan *pipeline.Batch), Resume{})
	done := make(chan error, 1)
	go func() {
		_, _, err := s.open(fifo, keyOf(st))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errIrregular) {
			t.Fatalf("open of a FIFO: %v, want errIrregular", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the open with a writer, so the test ends.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("open blocked on a FIFO")
	}
}

// copytruncate while the source is down: the copy is known by the
// truncated file's saved fingerprint, matched by the glob (job.log*) or
// not (job.log), and read only from the saved offset (it alone holds the
// lines written after the last read and before the copy); the truncated
// file is read from its start.
func TestCopytruncateWhileDown(t *testing.T) {
	for _, pattern := range []string{"job.log*", "job.log"} {
		t.Run(pattern, func(t *testing.T) { testCopytruncateWhileDown(t, pattern) })
	}
}

func testCopytruncateWhileDown(t *testing.T, pattern string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, numbered("a", 0, 100)...)
	opts := testOptions(t, "jobs", glob(dir, pattern))
	h := start(t, opts, nil)
	h.caughtUp(path)
	h.stop()
	saved := h.src.Resume()

	appendLines(t, path, numbered("a", 100, 20)...) // never read before the copy
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, numbered("b", 0, 10)...)

	h2 := startFrom(t, opts, saved)
	got := h2.caughtUp(path, path+".1")
	sameLines(t, got, append(numbered("a", 100, 20), numbered("b", 0, 10)...))
	if n := counterValue(t, opts.Metrics.copies.WithLabelValues("jobs")); n != 1 {
		t.Errorf("odpswatch_file_copies_total %v, want 1", n)
	}
}

// copytruncate while running, step by step as the events come: the copy
// is created empty and filled in pieces (held, unread, all along), then
// the original is truncated; the copy is then read only from where the
// original had been read to, which gives the lines written to the
// original after its last read and before the copy.
func TestCopytruncateCopyIsHeldUntilDecided(t *testing.T) {
	dir := t.TempDir()
	path, copyPath := filepath.Join(dir, "job.log"), filepath.Join(dir, "job.log.1")
	appendLines(t, path, numbered("a", 0, 50)...)
	out := make(chan *pipeline.Batch, 64)
	opts := testOptions(t, "jobs", glob(dir, "job.log*"))
	s := New(opts, out, Resume{})
	ctx := context.Background()
	defer s.closeAll()
	take := func() []string { return taken(out) }
	s.rescan(ctx, false)
	if got := take(); len(got) != 50 {
		t.Fatalf("read %d lines of the original, want 50", len(got))
	}
	appendLines(t, path, numbered("a", 50, 5)...) // not read before the copy
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	event := func(name string, op fsnotify.Op) { s.onEvent(ctx, fsnotify.Event{Name: name, Op: op}) }
	appendLines(t, copyPath) // created empty
	event(copyPath, fsnotify.Create)
	for _, piece := range [][]byte{data[:100], data[100 : len(data)-7], data[len(data)-7:]} {
		f, err := os.OpenFile(copyPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(piece)
		f.Close()
		event(copyPath, fsnotify.Write)
		if got := take(); len(got) != 0 {
			t.Fatalf("the copy in progress was read: %q", tail(got))
		}
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, numbered("b", 0, 3)...)
	event(path, fsnotify.Write)
	event(copyPath, fsnotify.Write)
	sameLines(t, take(), append(numbered("a", 50, 5), numbered("b", 0, 3)...))
	if n := counterValue(t, opts.Metrics.copies.WithLabelValues("jobs")); n != 1 {
		t.Errorf("odpswatch_file_copies_total %v, want 1", n)
	}
}

// A file rotated in (create) is no copy of the file rotated out, whatever
// their names and contents: it is read at once, even when it stays empty
// until the next rotation, and never blocks its path.
func TestRotatedInEmptyFileIsNotHeld(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendLines(t, a, "a 1")
	appendLines(t, b, "b 1")
	h := start(t, testOptions(t, "jobs", glob(dir, "*.log")), nil)
	h.caughtUp(a, b)
	bKey := func() fileKey {
		st, err := os.Stat(b)
		if err != nil {
			t.Fatal(err)
		}
		return keyOf(st)
	}
	for round := range 2 { // the second rotation while b.log is still empty
		if err := os.Rename(b, b+".1"); err != nil {
			t.Fatal(err)
		}
		appendLines(t, b) // created empty
		k := bKey()
		h.col.waitFor(t, fmt.Sprintf("the empty b.log of rotation %d followed", round+1), func([]string) bool {
			for _, e := range h.src.Positions() {
				if e.Path == b && (fileKey{e.Device, e.Inode}) == k {
					return true
				}
			}
			return false
		})
	}
	appendLines(t, b, "b 2")
	// (A held file has no position: each b.log being in the positions
	// above says none was held.)
	h.col.waitFor(t, "the line written to the last b.log", func(l []string) bool { return slices.Contains(l, "b 2") })
}

// Only a file whose name begins an original's, in its directory, can be
// its copy: a new file that starts like another (a banner line) is read
// whole.
func TestBannerIsNoCopy(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendLines(t, a, "service starting", "a 1")
	h := start(t, testOptions(t, "jobs", glob(dir, "*.log")), nil)
	h.caughtUp(a)
	appendLines(t, b, "service starting")
	h.caughtUp(a, b)
	appendLines(t, b, "b 1")
	got := h.caughtUp(a, b)
	want := []string{"a 1", "b 1", "service starting", "service starting"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// taken returns, sorted, the lines of the batches waiting in out, and
// marks those batches done: for tests that drive a source by hand.
func taken(out chan *pipeline.Batch) []string {
	var lines []string
	for {
		select {
		case b := <-out:
			if !b.Context { // counted nowhere
				lines = append(lines, strings.Split(strings.TrimSuffix(string(b.Data), "\n"), "\n")...)
			}
			b.Done()
		default:
			slices.Sort(lines)
			return lines
		}
	}
}
