package oneshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"github.com/odpswatch/odpswatch/internal/scan/scantest"
)

// naive is the obvious implementation: one line at a time with the
// reference rule (scantest). Scan results must equal it.
type naive struct {
	lines, matches, matchedLines int64
	count                        map[string]int64
	first, last                  map[string]int64
}

func naiveScan(data []byte) naive {
	n := naive{count: map[string]int64{}, first: map[string]int64{}, last: map[string]int64{}}
	for lineNo, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		n.lines++
		text := bytes.TrimSuffix(line, []byte("\n"))
		found := scantest.Codes(text)
		if len(found) > 0 {
			n.matchedLines++
		}
		for _, f := range found {
			c := string(text[f[0]:f[1]])
			n.matches++
			n.count[c]++
			if _, ok := n.first[c]; !ok {
				n.first[c] = int64(lineNo + 1)
			}
			n.last[c] = int64(lineNo + 1)
		}
	}
	return n
}

func checkReport(t *testing.T, r *Report, data []byte) {
	t.Helper()
	want := naiveScan(data)
	if r.Lines != want.lines || r.Matches != want.matches || r.MatchedLines != want.matchedLines || r.Bytes != int64(len(data)) {
		t.Fatalf("lines %d, matches %d on %d lines, %d bytes; want %d, %d on %d, %d",
			r.Lines, r.Matches, r.MatchedLines, r.Bytes, want.lines, want.matches, want.matchedLines, len(data))
	}
	codes := r.Codes(0)
	if len(codes) != len(want.count) {
		t.Fatalf("%d distinct codes, want %d", len(codes), len(want.count))
	}
	for _, s := range codes {
		c := s.Class.Code.String()
		if s.Count != want.count[c] || s.First.Line != want.first[c] || s.Last.Line != want.last[c] {
			t.Errorf("%s: count %d lines %d-%d, want %d lines %d-%d", c, s.Count, s.First.Line, s.Last.Line, want.count[c], want.first[c], want.last[c])
		}
		if !strings.Contains(s.Sample, c) {
			t.Errorf("%s: sample %q does not hold the code", c, s.Sample)
		}
	}
}

func examples(t *testing.T) []byte {
	t.Helper()
	files, _ := filepath.Glob("../../examples/*.log")
	if len(files) == 0 {
		t.Fatal("no example logs")
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job.log")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBlockBoundaries scans the examples with blocks so small that nearly
// every line crosses one, and with several workers finishing out of order:
// the result must not depend on where the blocks fall.
func TestBlockBoundaries(t *testing.T) {
	data := examples(t)
	path := writeTemp(t, data)
	for _, bs := range []int{1, 7, 64, 4093, 1 << 20} {
		for _, workers := range []int{1, 2, 5} {
			t.Run(fmt.Sprintf("block=%d/workers=%d", bs, workers), func(t *testing.T) {
				opts := Options{BlockSize: bs, Workers: workers, MaxLine: 1 << 20}
				r := NewReport()
				if err := ScanFile(context.Background(), r, path, opts); err != nil {
					t.Fatal(err)
				}
				checkReport(t, r, data)
				r = NewReport()
				if err := ScanReader(context.Background(), r, "-", bytes.NewReader(data), opts); err != nil {
					t.Fatal(err)
				}
				checkReport(t, r, data)
			})
		}
	}
}

// TestOneByteReader feeds a stream one byte per Read.
func TestOneByteReader(t *testing.T) {
	data := examples(t)
	r := NewReport()
	err := ScanReader(context.Background(), r, "-", iotest.OneByteReader(bytes.NewReader(data)), Options{BlockSize: 4096, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, data)
}

func TestEdgeInputs(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"empty", ""},
		{"no trailing newline", "a\nODPS-0130071:x - y"},
		{"only newlines", "\n\n\n"},
		{"code on the last byte", "ODPS-0130071"},
		{"crlf", "ODPS-0130071:a\r\nODPS-0420095\r\n"},
		{"nul bytes", "\x00\x00ODPS-0130071\x00\nbinary\xff\xfe ODPS-0420095\n"},
		{"invalid utf-8", "\xc3\x28 ODPS-0130071:\xe2\x28\xa1 - \xf0\x28\x8c\x28\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, bs := range []int{1, 3, 1 << 20} {
				r := NewReport()
				if err := ScanFile(context.Background(), r, writeTemp(t, []byte(tc.data)), Options{BlockSize: bs}); err != nil {
					t.Fatal(err)
				}
				checkReport(t, r, []byte(tc.data))
			}
		})
	}
}

func TestBinaryIsFlagged(t *testing.T) {
	r := NewReport()
	if err := ScanFile(context.Background(), r, writeTemp(t, []byte("ok\x00ODPS-0130071\n")), Options{}); err != nil {
		t.Fatal(err)
	}
	if !r.Files[0].Binary || r.Matches != 1 {
		t.Errorf("binary %v matches %d, want true 1", r.Files[0].Binary, r.Matches)
	}
}

func TestGzipByMagic(t *testing.T) {
	data := examples(t)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data[:len(data)/2])
	zw.Close()
	// A second member, as when logs are concatenated: still one stream.
	zw = gzip.NewWriter(&z)
	zw.Write(data[len(data)/2:])
	zw.Close()
	// No .gz suffix: detection is by content.
	path := writeTemp(t, z.Bytes())
	r := NewReport()
	if err := ScanFile(context.Background(), r, path, Options{BlockSize: 4096}); err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, data)
	if r.Files[0].Bytes != int64(len(data)) {
		t.Errorf("file bytes %d, want the %d decompressed", r.Files[0].Bytes, len(data))
	}
}

func TestCorruptGzip(t *testing.T) {
	data := examples(t)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	cut := z.Bytes()[:z.Len()/2]
	err := ScanFile(context.Background(), NewReport(), writeTemp(t, cut), Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Errorf("truncated gzip: error %v, want a read error", err)
	}
}

func TestLongLineIsCutAndCounted(t *testing.T) {
	// A line of 3 MiB with a code in its first MiB and one past it, then a
	// normal line.
	var b bytes.Buffer
	b.WriteString("head ODPS-0130071:kept - x ")
	b.Write(bytes.Repeat([]byte("y"), 2<<20))
	b.WriteString(" ODPS-0420095:lost\nODPS-0130161:next line\n")
	r := NewReport()
	if err := ScanFile(context.Background(), r, writeTemp(t, b.Bytes()), Options{BlockSize: 64 << 10, MaxLine: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if r.CutLines != 1 || r.Lines != 2 || r.Matches != 2 {
		t.Fatalf("cut %d lines %d matches %d, want 1, 2, 2", r.CutLines, r.Lines, r.Matches)
	}
	for _, s := range r.Codes(0) {
		if s.Class.Code == 420095 {
			t.Error("a code past the line bound was counted")
		}
	}
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := ScanFile(context.Background(), NewReport(), dir, Options{}); !errors.Is(err, ErrIsDirectory) {
		t.Errorf("directory: %v, want ErrIsDirectory", err)
	}
	if err := ScanFile(context.Background(), NewReport(), filepath.Join(dir, "missing.log"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	if os.Geteuid() != 0 { // root reads everything
		p := writeTemp(t, []byte("x"))
		os.Chmod(p, 0)
		if err := ScanFile(context.Background(), NewReport(), p, Options{}); !errors.Is(err, os.ErrPermission) {
			t.Errorf("unreadable file: %v, want ErrPermission", err)
		}
	}
}

func TestManyFilesKeepTheirLines(t *testing.T) {
	r := NewReport()
	a := writeTemp(t, []byte("x\nODPS-0130071\n"))
	b := filepath.Join(t.TempDir(), "b.log")
	os.WriteFile(b, []byte("ODPS-0130071\ny\nz\nODPS-0130071\n"), 0o644)
	for _, p := range []string{a, b} {
		if err := ScanFile(context.Background(), r, p, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	s := r.Codes(0)[0]
	if s.Count != 3 || s.First != (Position{a, 2}) || s.Last != (Position{b, 4}) || r.Lines != 6 {
		t.Errorf("count %d first %v last %v lines %d", s.Count, s.First, s.Last, r.Lines)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := bytes.Repeat([]byte("ODPS-0130071 line\n"), 1<<16)
	err := ScanFile(ctx, NewReport(), writeTemp(t, data), Options{BlockSize: 4096})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestSampleIsBounded(t *testing.T) {
	long := "ODPS-0130071:" + strings.Repeat("错", 1000) + "\n"
	r := NewReport()
	if err := ScanReader(context.Background(), r, "-", strings.NewReader(long), Options{}); err != nil {
		t.Fatal(err)
	}
	s := r.Codes(0)[0]
	if len(s.Sample) > MaxSample || !strings.HasPrefix(s.Sample, "ODPS-0130071:") || !bytes.Equal([]byte(s.Sample), bytes.ToValidUTF8([]byte(s.Sample), nil)) {
		t.Errorf("sample of %d bytes (bound %d) is not a valid UTF-8 prefix of the line: %q", len(s.Sample), MaxSample, s.Sample[:40])
	}
}

// lineReader yields one line of n bytes without a newline: a code at its
// start, one in its middle, 'x' elsewhere. It makes the bytes as they are
// read, so a 1 GiB line costs no memory in the test itself.
type lineReader struct{ n, off int64 }

var xs = bytes.Repeat([]byte("x"), 64<<10)

func (l *lineReader) Read(p []byte) (int, error) {
	if l.off >= l.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), l.n-l.off)]
	for k := 0; k < len(p); k += copy(p[k:], xs) {
	}
	for _, at := range []int64{0, l.n / 2} {
		code := []byte(" ODPS-0420095 ")
		for i, c := range code {
			if k := at + int64(i) - l.off; k >= 0 && k < int64(len(p)) {
				p[k] = c
			}
		}
	}
	l.off += int64(len(p))
	return len(p), nil
}

// TestGigabyteLineMemoryIsBounded streams a 1 GiB line with no newline: the
// code in its first MiB counts, the one past it does not, the line is
// counted as cut, and the scan allocates a bounded amount whatever the
// line's length.
func TestGigabyteLineMemoryIsBounded(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReport()
	if err := ScanReader(context.Background(), r, "-", &lineReader{n: 1 << 30}, Options{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if r.Bytes != 1<<30 || r.Lines != 1 || r.CutLines != 1 || r.Matches != 1 {
		t.Errorf("bytes %d lines %d cut %d matches %d; want 1 GiB, 1, 1, 1", r.Bytes, r.Lines, r.CutLines, r.Matches)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("scanning a 1 GiB line allocated %d MiB, want at most 64", alloc>>20)
	}
}

// TestProgressIsMonotonic checks the progress callback on a file and on a
// stream: called from one goroutine, never decreasing, ending at the input's
// size.
func TestProgressIsMonotonic(t *testing.T) {
	data := examples(t)
	for _, stream := range []bool{false, true} {
		var calls int
		var last int64
		opts := Options{BlockSize: 512, Workers: 3, Progress: func(n int64) {
			if n < last {
				t.Errorf("progress went back from %d to %d", last, n)
			}
			last = n
			calls++
		}}
		var err error
		if stream {
			err = ScanReader(context.Background(), NewReport(), "-", bytes.NewReader(data), opts)
		} else {
			err = ScanFile(context.Background(), NewReport(), writeTemp(t, data), opts)
		}
		if err != nil {
			t.Fatal(err)
		}
		if last != int64(len(data)) || calls < len(data)/512 {
			t.Errorf("stream %v: progress ended at %d after %d calls, want %d after at least %d", stream, last, calls, len(data), len(data)/512)
		}
	}
}

// TestCutInventsNoCode cuts a long line right after the seventh digit of
// an eight-digit non-code: the cut is no word boundary.
func TestCutInventsNoCode(t *testing.T) {
	for _, tail := range []string{" ODPS-01300712 tail\n", " ODPS-0130071 tail\n"} {
		data := []byte(strings.Repeat("x", 1011) + tail) // the seventh digit is byte 1024
		r := NewReport()
		if err := ScanFile(context.Background(), r, writeTemp(t, data), Options{BlockSize: 512, MaxLine: 1024}); err != nil {
			t.Fatal(err)
		}
		// A real code touching the cut cannot be told from a longer
		// number either: neither counts, and the line is counted as cut.
		if r.Matches != 0 || r.CutLines != 1 {
			t.Errorf("%q: %d matches, %d cut lines; want 0, 1", tail, r.Matches, r.CutLines)
		}
	}
}

// TestFIFO scans a named pipe given as a file: a stream, not a regular file.
func TestFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	data := examples(t)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data)
		f.Close()
	}()
	r := NewReport()
	if err := ScanFile(context.Background(), r, p, Options{BlockSize: 4096}); err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, data)
}

// TestFileShrinks reports a file that is shorter than its size said.
func TestFileShrinks(t *testing.T) {
	p := writeTemp(t, []byte("ODPS-0130071\nline\n"))
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReport()
	r.beginFile(p, 1<<20)
	err = newEngine(r, p, Options{BlockSize: 4096}.withDefaults()).run(context.Background(), f, 1<<20)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("error %v, want one saying the file shrank", err)
	}
}

// TestDistinctCodesAreBounded feeds more undocumented codes than a report
// details: the rest are folded by family, module and severity, and every
// match is still counted.
func TestDistinctCodesAreBounded(t *testing.T) {
	var b bytes.Buffer
	const n = MaxUndocumentedCodes + 500
	for i := range n {
		fmt.Fprintf(&b, "ODPS-%07d:g - c\n", 2_000_000+i*10+5) // family 20, severity 5: undocumented
	}
	b.WriteString("ODPS-0130071:documented\n")
	r := NewReport()
	if err := ScanReader(context.Background(), r, "-", &b, Options{BlockSize: 4096}); err != nil {
		t.Fatal(err)
	}
	detailed := r.Codes(0)
	if len(detailed) != MaxUndocumentedCodes+1 || r.FoldedMatches != 500 || r.Matches != n+1 {
		t.Fatalf("%d codes detailed, %d folded, %d matches; want %d, 500, %d", len(detailed), r.FoldedMatches, r.Matches, MaxUndocumentedCodes+1, n+1)
	}
	f := r.Folded(0)
	if len(f) != 1 || f[0].Count != 500 || f[0].Class.Severity != 5 || r.MaxSeverity() != 5 {
		t.Errorf("folded %+v, max severity %d", f, r.MaxSeverity())
	}
	var out bytes.Buffer
	if err := WriteProm(&out, r, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `odpswatch_errors_total{code="other",family="unknown",module="unknown",severity="5",source="scan"} `) {
		t.Errorf("prom output lacks the folded codes:\n%s", out.String()[:400])
	}
}

// TestStreamCancel cancels a scan of a stream that never ends: ScanReader
// returns without waiting for it.
func TestStreamCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		pw.Write(bytes.Repeat([]byte("ODPS-0130071 line\n"), 1<<12))
		close(first)
		pw.Write([]byte("more")) // blocks: nobody reads past the cancel
	}()
	go func() { <-first; cancel() }()
	err := ScanReader(ctx, NewReport(), "-", pr, Options{BlockSize: 4096})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	pr.Close()
}

// After the last gzip member: zero padding is ignored silently, anything
// else is trailing garbage, counted and ignored once every member's data
// was read (as gzip -d does); several members are read one after another.
func TestGzipEnds(t *testing.T) {
	data := examples(t)
	member := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	plain := NewReport()
	if err := ScanFile(context.Background(), plain, writeTemp(t, data), Options{}); err != nil {
		t.Fatal(err)
	}
	half := len(data) / 2
	for len(data) > half && data[half-1] != '\n' {
		half++
	}
	for _, tc := range []struct {
		name     string
		gz       []byte
		trailing int64
	}{
		{"two members", append(member(data[:half]), member(data[half:])...), 0},
		{"zero padding", append(member(data), make([]byte, 4096)...), 0},
		{"trailing garbage", append(member(data), []byte("\x00\x00garbage after the data\n")...), int64(len("garbage after the data\n"))},
		{"one stray byte", append(member(data), 'x'), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReport()
			if err := ScanFile(context.Background(), r, writeTemp(t, tc.gz), Options{}); err != nil {
				t.Fatalf("error %v, want none: all the data is there", err)
			}
			if r.Matches != plain.Matches || r.Lines != plain.Lines {
				t.Errorf("%d matches on %d lines, want %d on %d as from the plain file", r.Matches, r.Lines, plain.Matches, plain.Lines)
			}
			if got := r.Files[0].TrailingGarbage; got != tc.trailing {
				t.Errorf("trailing garbage %d bytes, want %d", got, tc.trailing)
			}
		})
	}
}

// A small file gets buffers of its size, not InFlight blocks of BlockSize:
// scanning thousands of small logs costs what reading them does.
func TestBuffersFitTheFile(t *testing.T) {
	o := Options{Workers: 8}.withDefaults()
	for _, tc := range []struct {
		size            int64
		block, inFlight int
	}{
		{0, 4096, 1},
		{10_000, 12_288, 1},
		{1 << 20, 1 << 20, 1},
		{5<<20 + 1, 1 << 20, 6},
		{1 << 30, 1 << 20, o.InFlight},
	} {
		got := o.forSize(tc.size)
		if got.BlockSize != tc.block || got.InFlight != tc.inFlight {
			t.Errorf("size %d: blocks of %d, %d in flight; want %d, %d", tc.size, got.BlockSize, got.InFlight, tc.block, tc.inFlight)
		}
	}
}
