package filesource

// Rotation under load: one writer appends numbered lines as fast as it can
// while the file is rotated every 1 000–3 000 lines, by each method a log
// writer or logrotate uses. TestRotationUnderLoad checks the source's
// promises against it; TestNxadmTailBaseline (nxtail_baseline_test.go, run
// by bench/rotation.sh) runs the same workloads against github.com/nxadm/tail
// (bench/nxtail, in a process of its own) and reports what it loses.
// bench/rotation.md has the figures.
//
// The writer waits for one thing only: before rotating, that the tailer has
// delivered a line of the current file (or of the current epoch, for the
// truncating methods). A file renamed out of the globs before anything has
// opened it cannot be followed by anyone, however fast; real rotations are
// minutes apart, not microseconds. The tailer is still far behind when the
// file rotates: it has seen one line of up to 3 000.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

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
