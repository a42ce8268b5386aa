package filesource

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

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
