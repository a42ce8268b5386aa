package filesource

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/positions"
)

func TestFollowAppends(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "inotify", true: "poll"}[poll], func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "job.log")
			appendLines(t, path, numbered("a", 0, 3)...)
			opts := testOptions(t, "jobs", glob(dir, "*.log"))
			opts.Poll = poll
			h := start(t, opts, nil)
			h.col.waitFor(t, "the existing lines", count(3))
			appendLines(t, path, numbered("a", 3, 5000)...)
			got := h.col.waitFor(t, "appended lines", count(5003))
			if !slices.Equal(got, numbered("a", 0, 5003)) {
				t.Fatalf("lines differ: %q", tail(got))
			}
		})
	}
}

func TestStartAt(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.log")
	appendLines(t, old, "before start")
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	opts.StartAtEnd = true
	h := start(t, opts, nil)
	// A file created after start is read from its start, whatever start_at.
	appendLines(t, filepath.Join(dir, "new.log"), "new file line")
	appendLines(t, old, "after start")
	got := h.col.waitFor(t, "two lines", count(2))
	slices.Sort(got)
	if !slices.Equal(got, []string{"after start", "new file line"}) {
		t.Errorf("lines %q", got)
	}
}

func TestExcludeAndDoubleStar(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	appendLines(t, filepath.Join(dir, "a", "b", "deep.log"), "deep")
	appendLines(t, filepath.Join(dir, "top.log"), "top")
	appendLines(t, filepath.Join(dir, "a", "skip.log"), "skipped")
	opts := testOptions(t, "jobs", glob(dir, "**/*.log"))
	opts.Exclude = []string{"skip.*"}
	h := start(t, opts, nil)
	got := h.col.waitFor(t, "two lines", count(2))
	slices.Sort(got)
	if !slices.Equal(got, []string{"deep", "top"}) {
		t.Errorf("lines %q", got)
	}
	// A directory created later, with a file in it, is found by the rescan.
	os.MkdirAll(filepath.Join(dir, "c"), 0o755)
	appendLines(t, filepath.Join(dir, "c", "later.log"), "later")
	h.col.waitFor(t, "the later file", func(l []string) bool { return slices.Contains(l, "later") })
	if got := h.col.snapshot(); slices.Contains(got, "skipped") {
		t.Errorf("an excluded file was read: %q", got)
	}
}

func TestPartialLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	h := start(t, opts, nil)
	f, _ := os.Create(path)
	defer f.Close()
	f.WriteString("complete\nhalf a li")
	h.col.waitFor(t, "the complete line", count(1))
	f.WriteString("ne\n")
	got := h.col.waitFor(t, "the completed line", count(2))
	if !slices.Equal(got, []string{"complete", "half a line"}) {
		t.Errorf("lines %q", got)
	}
}

func TestPartialLineTimeout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	opts.PartialLineTimeout = 50 * time.Millisecond
	h := start(t, opts, nil)
	os.WriteFile(path, []byte("no newline at the end ODPS-0130071"), 0o644)
	got := h.col.waitFor(t, "the idle partial line", count(1))
	if got[0] != "no newline at the end ODPS-0130071" {
		t.Errorf("line %q", got[0])
	}
	// Its position is past it: a restart does not read it again.
	h.col.waitFor(t, "the position", func([]string) bool {
		p := h.src.Positions()
		return len(p) == 1 && p[0].Offset == int64(len(got[0]))
	})
}

func TestLongLineIsCut(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	opts.MaxLineBytes = 10000
	long := "ODPS-0130071 " + strings.Repeat("x", 50000) + " ODPS-0420095"
	appendLines(t, path, "before", long, "after")
	h := start(t, opts, nil)
	got := h.col.waitFor(t, "three lines", count(3))
	if got[0] != "before" || got[1] != long[:10000] || got[2] != "after" || h.col.cut != 1 {
		t.Errorf("lines %d %d %q, cut %d", len(got[0]), len(got[1]), got[2], h.col.cut)
	}
	h.col.waitFor(t, "the position past everything", func([]string) bool {
		p := h.src.Positions()
		return len(p) == 1 && p[0].Offset == int64(len("before\n")+len(long)+1+len("after\n"))
	})
}

func TestResumeFromPositions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, numbered("a", 0, 100)...)
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	h := start(t, opts, nil)
	h.col.waitFor(t, "100 lines", count(100))
	var saved []positions.Entry
	h.col.waitFor(t, "the position", func([]string) bool {
		saved = h.src.Positions()
		return len(saved) == 1 && saved[0].Offset > 0 && saved[0].Offset == int64(100*len("a 000000\n"))
	})
	h.stop()
	appendLines(t, path, numbered("a", 100, 10)...)
	h2 := start(t, opts, saved)
	got := h2.col.waitFor(t, "the 10 new lines", count(10))
	if !slices.Equal(got, numbered("a", 100, 10)) {
		t.Errorf("after restart: %q", got)
	}
}

func TestReusedInodeStartsAfresh(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, "new content in a reused inode")
	st, _ := os.Stat(path)
	k := keyOf(st)
	// A position saved for this inode, but for a file with other first bytes.
	saved := []positions.Entry{{Source: "jobs", Path: path, Device: k.dev, Inode: k.ino,
		Fingerprint: strings.Repeat("0", 64), FingerprintLen: 10, Offset: 15}}
	h := start(t, testOptions(t, "jobs", glob(dir, "*.log")), saved)
	got := h.col.waitFor(t, "the whole line", count(1))
	if got[0] != "new content in a reused inode" {
		t.Errorf("line %q: resumed at a stale offset", got[0])
	}
}

func TestDirectoryAndFIFOAreReported(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "adir.log"), 0o755)
	if err := mkfifo(filepath.Join(dir, "pipe.log")); err != nil {
		t.Fatal(err)
	}
	appendLines(t, filepath.Join(dir, "ok.log"), "ok")
	h := start(t, testOptions(t, "jobs", glob(dir, "*.log")), nil)
	h.col.waitFor(t, "the regular file", count(1))
	h.col.waitFor(t, "both reported", func([]string) bool {
		return counterValue(t, h.opts.Metrics.readErrors.WithLabelValues("jobs", "directory")) > 0 &&
			counterValue(t, h.opts.Metrics.readErrors.WithLabelValues("jobs", "irregular")) > 0
	})
}

func TestPositionsSnapshotIsSorted(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"c.log", "a.log", "b.log"} {
		appendLines(t, filepath.Join(dir, n), n)
	}
	h := start(t, testOptions(t, "jobs", glob(dir, "*.log")), nil)
	h.col.waitFor(t, "three lines", count(3))
	var paths []string
	for _, p := range h.src.Positions() {
		paths = append(paths, filepath.Base(p.Path))
	}
	if !reflect.DeepEqual(paths, []string{"a.log", "b.log", "c.log"}) {
		t.Errorf("paths %v", paths)
	}
}

// A file read from a saved position, or from its end (start_at: end),
// first hands the pipeline the whole lines of the attrib.Window bytes
// before it as context, counted nowhere: the file's job tracker learns
// which failures are under way.
func TestContextBeforeWhereReadingStarts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	appendLines(t, path, numbered("a", 0, 2000)...) // 18 000 bytes
	opts := testOptions(t, "jobs", glob(dir, "*.log"))
	h := start(t, opts, nil)
	h.col.waitFor(t, "2000 lines", count(2000))
	var saved []positions.Entry
	h.col.waitFor(t, "the position", func([]string) bool {
		saved = h.src.Positions()
		return len(saved) == 1 && saved[0].Offset == 18000
	})
	h.stop()
	h.col.mu.Lock()
	first := len(h.col.context)
	h.col.mu.Unlock()
	if first != 0 {
		t.Errorf("a file read from its start had context: %d batches", first)
	}
	appendLines(t, path, numbered("a", 2000, 10)...)
	h2 := start(t, opts, saved)
	if got := h2.col.waitFor(t, "the 10 new lines", count(10)); !slices.Equal(got, numbered("a", 2000, 10)) {
		t.Errorf("after restart: %q", got)
	}
	// 18 000 - 8192 = 9808: the first line starting at or after it is line
	// 1090 (at 9810).
	want := strings.Join(numbered("a", 1090, 910), "\n") + "\n"
	h2.col.mu.Lock()
	defer h2.col.mu.Unlock()
	if len(h2.col.context) != 1 || h2.col.context[0] != want {
		t.Errorf("context %d batches, want 1 of lines 1090 to 1999: %.60q", len(h2.col.context), h2.col.context)
	}

	// start_at: end: what is skipped is context.
	dir2 := t.TempDir()
	appendLines(t, filepath.Join(dir2, "old.log"), "before start")
	opts2 := testOptions(t, "jobs", glob(dir2, "*.log"))
	opts2.StartAtEnd = true
	h3 := start(t, opts2, nil)
	appendLines(t, filepath.Join(dir2, "old.log"), "after start")
	h3.col.waitFor(t, "the new line", count(1))
	h3.col.mu.Lock()
	defer h3.col.mu.Unlock()
	if len(h3.col.context) != 1 || h3.col.context[0] != "before start\n" {
		t.Errorf("context %q, want the line before start", h3.col.context)
	}
}
