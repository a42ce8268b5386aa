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
