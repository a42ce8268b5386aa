package filesource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
)

// TestPositionsWhileStarting calls Positions (as the daemon's save does,
// right after a reload starts a source) while the start-up rescan drops
// saved positions of files that are gone: the race detector guards it.
func TestPositionsWhileStarting(t *testing.T) {
	dir := t.TempDir()
	var saved []positions.Entry
	for i := range 2000 {
		saved = append(saved, positions.Entry{Source: "s", Path: filepath.Join(dir, fmt.Sprintf("gone-%d.log", i)), Device: 1, Inode: uint64(i + 1)})
	}
	os.WriteFile(filepath.Join(dir, "a.log"), []byte("x\n"), 0o644)
	src := New(testOptions(t, "s", glob(dir, "*.log")), make(chan *pipeline.Batch, 100), Resume{Files: saved})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.After(20 * time.Second)
	for {
		src.Positions()
		src.Resume()
		select {
		case <-src.Ready():
			return
		case <-deadline:
			t.Fatal("not ready")
		default:
		}
	}
}

// TestReadyBeforeTheBacklog: a source is ready once its files are placed,
// not once their backlog is read, so that systemd's READY and position
// saves do not wait for a catch-up (here, a pipeline that takes nothing).
func TestReadyBeforeTheBacklog(t *testing.T) {
	dir := t.TempDir()
	appendLines(t, filepath.Join(dir, "a.log"), numbered("x", 0, 10000)...)
	src := New(testOptions(t, "s", glob(dir, "*.log")), make(chan *pipeline.Batch, 4), Resume{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-src.Ready():
	case <-time.After(10 * time.Second):
		t.Error("not ready while the pipeline holds the backlog back")
	}
}

// TestDeletedFileInodeReuse deletes and re-creates a log that always starts
// with the same header: the new file often gets the old inode back, and
// must still be read from its start.
func TestDeletedFileInodeReuse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.log")
	opts := testOptions(t, "s", glob(dir, "*.log"))
	opts.PartialLineTimeout = 50 * time.Millisecond
	opts.RescanInterval = time.Second // a released file is remembered 2 s
	h := start(t, opts, nil)
	reused := 0
	var prev fileKey
	for round := range 10 {
		appendLines(t, path, "=== job log ===")
		st, _ := os.Stat(path)
		if keyOf(st) == prev {
			reused++
		}
		prev = keyOf(st)
		h.col.waitFor(t, "the header", count(2*round+1))
		appendLines(t, path, fmt.Sprintf("round %d", round))
		h.col.waitFor(t, "the round", count(2*round+2))
		os.Remove(path)
		h.col.waitFor(t, "the deleted file let go", func([]string) bool { return len(h.src.Positions()) == 0 })
	}
	if lines := h.col.snapshot(); len(lines) != 20 {
		t.Errorf("inode reused %d times; %d lines of 20 seen", reused, len(lines))
	}
}
