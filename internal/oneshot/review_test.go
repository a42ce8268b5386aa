package oneshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Found by review: the same input gives the same report in every scan,
// whatever the workers' timing, when lines longer than MaxLine are cut
// where they cross blocks (the blocks' sizes follow the merged blocks,
// not when a buffer frees).
func TestSameReportEveryScan(t *testing.T) {
	var b bytes.Buffer
	for i := 0; b.Len() < 6<<20; i++ {
		fmt.Fprintf(&b, "%s ODPS-0130071\n", strings.Repeat("x", 3000+i%1000))
	}
	path := writeTemp(t, b.Bytes())
	seen := map[string]int{}
	for range 12 {
		r := NewReport()
		if err := ScanFile(context.Background(), r, path, Options{Workers: 2, MaxLine: 1024}); err != nil {
			t.Fatal(err)
		}
		seen[fmt.Sprintf("lines %d matches %d cut %d", r.Lines, r.Matches, r.CutLines)]++
	}
	if len(seen) > 1 {
		t.Errorf("one file, %d different reports: %v", len(seen), seen)
	}
}

// Found by review: a panic that ends a gzip stream's scan early leaves
// the stream to its reader, which may be in a Read (the race detector
// saw ScanReader close it meanwhile).
func TestAPanicInAGzipStreamLeavesItToItsReader(t *testing.T) {
	var plain bytes.Buffer
	for plain.Len() < 6*minBlockSize+1000 {
		plain.WriteString("2026-12-01 09:02:44 ERROR ODPS-0130071:[1,8] Semantic analysis exception - x\n")
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(plain.Bytes())
	zw.Close()
	z.WriteString("garbage")
	path := writeTemp(t, z.Bytes())
	for range 20 {
		opts := Options{Workers: 2, panicAt: func(s string, seq int) {
			if s == "scan" && seq == 0 {
				panic("boom")
			}
		}}
		if err := ScanFile(context.Background(), NewReport(), path, opts); err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Fatalf("error %v, want the panic's", err)
		}
	}
	// Without a panic, the trailing garbage is still counted.
	r := NewReport()
	if err := ScanFile(context.Background(), r, path, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if got := r.Files[0].TrailingGarbage; got != int64(len("garbage")) {
		t.Errorf("trailing garbage %d bytes, want %d", got, len("garbage"))
	}
}

// Found by the fourth review: a Windows log (CRLF line ends) lost every
// LogView link, the '\r' taken into the link; its jobs are the same as
// the same log's with '\n' alone.
func TestCRLFLogsNameTheSameJobs(t *testing.T) {
	files, _ := filepath.Glob("testdata/jobs/*.log")
	if len(files) < 5 {
		t.Fatalf("%d job logs", len(files))
	}
	links := 0
	for _, f := range files {
		lf, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		want, got := scanJobs(t, lf, 1<<20), scanJobs(t, crlf, 1<<20)
		if got != want {
			t.Errorf("%s with CRLF:\n%s\nwith LF:\n%s", f, got, want)
		}
		links += strings.Count(want, "lv \"http")
	}
	if links == 0 {
		t.Fatal("no LogView link in the job logs: the test tests nothing")
	}
}
