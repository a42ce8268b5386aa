package oneshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/testwait"
)

// writeGzip writes text, gzipped, to a new file in dir.
func writeGzip(t *testing.T, dir, name, text string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(text))
	zw.Close()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// undocumentedLog holds one line for each of the undocumented codes
// from, from+1, … (family 20, severity 5), in a random order, with
// documented codes and a failed job between, and every line twice.
func undocumentedLog(rng *rand.Rand, from, n int) string {
	var b strings.Builder
	b.WriteString("Instance ID: 20261201090240093gb7kq1m5\nFAILED: ODPS-0130013:Authorization exception\n")
	for _, i := range rng.Perm(n) {
		line := fmt.Sprintf("ODPS-%07d:g - c\n", 2_000_000+(from+i)*10+5)
		b.WriteString(line)
		if i%7 == 0 {
			b.WriteString("2026-12-01 09:02:44 ERROR ODPS-0420095: Access Denied\n")
		}
		b.WriteString(line)
	}
	return b.String()
}

// reportOutputs renders r in JSON and as a table.
func reportOutputs(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	if err := WriteTableWidth(&b, r, 0, 100); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Gzip files scanned side by side, each into a report of its own merged
// in order, give what scanning them one after the other gives: counts,
// first and last lines, samples, jobs, and which undocumented codes are
// detailed and which folded when the bound (MaxUndocumentedCodes) is
// crossed between files, reached by a file, or passed within one (that
// file is scanned again); and errors in order.
func TestScanSideBySideAsOneAfterAnother(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	sets := map[string][]string{
		"under the bound": {
			writeGzip(t, dir, "a.gz", undocumentedLog(rng, 0, 300)),
			writeGzip(t, dir, "b.gz", undocumentedLog(rng, 200, 300)),
		},
		"crossed between files": {
			writeGzip(t, dir, "c.gz", undocumentedLog(rng, 0, 700)),
			writeGzip(t, dir, "d.gz", undocumentedLog(rng, 500, 700)),
			writeGzip(t, dir, "e.gz", undocumentedLog(rng, 100, 50)),
		},
		"passed within a file": {
			writeGzip(t, dir, "f.gz", undocumentedLog(rng, 0, 100)),
			writeGzip(t, dir, "g.gz", undocumentedLog(rng, 50, MaxUndocumentedCodes+200)),
			writeGzip(t, dir, "h.gz", undocumentedLog(rng, 3000, 10)),
		},
		"errors": {
			writeGzip(t, dir, "i.gz", undocumentedLog(rng, 0, 10)),
			filepath.Join(dir, "missing.gz"),
			truncated(t, writeGzip(t, dir, "j.gz", undocumentedLog(rng, 0, 2000))),
			writeGzip(t, dir, "k.gz", undocumentedLog(rng, 5, 10)),
		},
	}
	for name, paths := range sets {
		t.Run(name, func(t *testing.T) {
			seq := NewReport()
			var seqErrs []string
			for _, p := range paths {
				seqErrs = append(seqErrs, fmt.Sprint(ScanFile(context.Background(), seq, p, Options{})))
			}
			for _, n := range []int{2, 3} {
				side := NewReport()
				var sideErrs []string
				for _, err := range ScanSideBySide(context.Background(), side, paths, n, Options{}) {
					sideErrs = append(sideErrs, fmt.Sprint(err))
				}
				if fmt.Sprint(sideErrs) != fmt.Sprint(seqErrs) {
					t.Errorf("%d at a time: errors %q, one after another %q", n, sideErrs, seqErrs)
				}
				if got, want := reportOutputs(t, side), reportOutputs(t, seq); got != want {
					t.Errorf("%d at a time: the report differs from one after another's:\n%s\nwant:\n%s", n, got, want)
				}
			}
			if seq.Matches == 0 || len(seq.Files) < 2 {
				t.Fatalf("%d matches in %d files: the inputs show little", seq.Matches, len(seq.Files))
			}
		})
	}
}

// truncated cuts the last quarter off the file at path.
func truncated(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()*3/4); err != nil {
		t.Fatal(err)
	}
	return path
}

// Found by review: telling a gzip file does not open what is not a
// regular file. Opening a named pipe blocks until a writer comes, and
// opening and closing it loses what its writer wrote.
func TestIsGzipFileLeavesPipesAlone(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan bool, 1)
	go func() { done <- IsGzipFile(fifo) }()
	select {
	case gz := <-done:
		if gz {
			t.Error("a named pipe taken for a gzip file")
		}
	case <-time.After(10 * time.Second):
		// Unblock the open, then fail.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("IsGzipFile opened a named pipe (and waited for a writer)")
	}
	gz := writeGzip(t, t.TempDir(), "a.gz", "ODPS-0130071:x\n")
	if !IsGzipFile(gz) || IsGzipFile(filepath.Dir(gz)) || IsGzipFile(filepath.Join(t.TempDir(), "missing")) {
		t.Error("IsGzipFile: a gzip file not told, or a directory or a missing file taken for one")
	}
}

// Found by review: at most n files are in hand at once, scanning or
// scanned and waiting for their turn to be merged; a report waiting for a
// slow first file holds its slot.
func TestScanSideBySideHoldsAtMostN(t *testing.T) {
	const files, n = 12, 3
	release := make(chan struct{}) // the first file's scan ends when closed
	var mu sync.Mutex
	started := 0
	startedCh := make(chan int, files)
	scanFileSideBySide = func(ctx context.Context, r *Report, path string, opts Options) error {
		mu.Lock()
		started++
		startedCh <- started
		mu.Unlock()
		if path == "0" {
			<-release
		}
		return nil
	}
	t.Cleanup(func() { scanFileSideBySide = ScanFile })
	paths := make([]string, files)
	for i := range paths {
		paths[i] = strconv.Itoa(i)
	}
	done := make(chan []error, 1)
	go func() { done <- ScanSideBySide(context.Background(), NewReport(), paths, n, Options{}) }()
	// The first n start; the others wait for the first file, however soon
	// the second and third are done.
	for range n {
		testwait.Receive(t, 10*time.Second, "a file started", startedCh)
	}
	select {
	case k := <-startedCh:
		t.Fatalf("file %d started while the first %d were in hand", k, n)
	case <-time.After(100 * time.Millisecond):
		// What a 100 ms window can show; a wrong bound starts the fourth
		// file within microseconds.
	}
	close(release)
	select {
	case errs := <-done:
		if len(errs) != files {
			t.Fatalf("%d errors for %d files", len(errs), files)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after 10s for the scan's end")
	}
	mu.Lock()
	defer mu.Unlock()
	if started != files {
		t.Errorf("%d files scanned, want %d", started, files)
	}
}
