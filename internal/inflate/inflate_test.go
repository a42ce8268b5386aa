package inflate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// logText returns n bytes of log-like text: repeated phrases, numbers,
// IDs, the matches and literals a real log's gzip holds.
func logText(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"INFO", "ERROR", "WARN", "com.aliyun.odps.Instance", "ODPS-0130071:", "Semantic analysis exception",
		"instance", "20261120100000030g8mqdze2px", "project", "ds_prod_dw", "logview", "retry", "of", "3", "\t", "[", "]", "{\"level\":\"error\"}"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "2026-11-20 10:%02d:%02d,%03d ", rng.IntN(60), rng.IntN(60), rng.IntN(1000))
		for k := 3 + rng.IntN(12); k > 0; k-- {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(4) == 0 {
				fmt.Fprintf(&b, "%d", rng.Uint32())
			}
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()[:n]
}

// randomBytes returns n bytes of noise, which deflate stores or codes
// with few matches.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func deflate(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var z bytes.Buffer
	w, err := flate.NewWriter(&z, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return z.Bytes()
}

// inflateAll inflates stream, followed by after, reading chunk bytes a
// Read, through a bufio.Reader of size bufSize; it returns the output,
// what the bufio.Reader has left, and the error.
func inflateAll(stream, after []byte, chunk, bufSize int) (out, rest []byte, err error) {
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(stream), bytes.NewReader(after)), bufSize)
	d := NewReader(br)
	var b bytes.Buffer
	p := make([]byte, chunk)
	for {
		var n int
		n, err = d.Read(p)
		b.Write(p[:n])
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	rest, _ = io.ReadAll(br)
	return b.Bytes(), rest, err
}

func TestInflateMatchesCompressFlate(t *testing.T) {
	inputs := map[string][]byte{
		"empty":       {},
		"one byte":    {'x'},
		"log 100":     logText(1, 100),
		"log 70 KiB":  logText(2, 70<<10),
		"log 1.2 MiB": logText(3, 1200<<10), // past two windows of output
		"noise 100":   randomBytes(4, 100),
		"noise 300":   randomBytes(5, 300<<10),
		"zeros 1 MiB": make([]byte, 1<<20),
		"runs":        []byte(strings.Repeat("a", 1000) + strings.Repeat("ab", 1000) + strings.Repeat("abcdefg", 1000) + strings.Repeat("abcdefgh", 1000)),
		"mixed":       append(append(logText(6, 400<<10), randomBytes(7, 100<<10)...), logText(8, 300<<10)...),
	}
	for name, data := range inputs {
		for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, 6, flate.BestCompression} {
			stream := deflate(t, data, level)
			after := []byte("TRAILER!")
			for _, chunk := range []int{1 << 20, 4096, 7} {
				if chunk == 7 && len(data) > 100<<10 {
					continue
				}
				got, rest, err := inflateAll(stream, after, chunk, 64<<10)
				if err != nil {
					t.Fatalf("%s, level %d, reads of %d: %v", name, level, chunk, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("%s, level %d, reads of %d: %d bytes out, want %d (first difference at %d)", name, level, chunk, len(got), len(data), firstDiff(got, data))
				}
				if !bytes.Equal(rest, after) {
					t.Fatalf("%s, level %d: %q left after the stream, want %q", name, level, rest, after)
				}
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A small bufio.Reader (16 bytes, its minimum) makes the decoder refill
// its input in the middle of every header and symbol.
func TestInflateSmallInputBuffer(t *testing.T) {
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, 1, 6} {
		data := logText(11, 200<<10)
		got, rest, err := inflateAll(deflate(t, data, level), []byte("xyz"), 1000, 16)
		if err != nil || !bytes.Equal(got, data) || string(rest) != "xyz" {
			t.Fatalf("level %d: err %v, %d bytes (want %d), %q left", level, err, len(got), len(data), rest)
		}
	}
}

// Several streams one after the other through one Reader (Reset), as the
// members of a gzip file: no match reaches into the stream before.
func TestInflateReset(t *testing.T) {
	a, b := logText(12, 100<<10), logText(12, 50<<10) // b repeats a's start
	var in bytes.Buffer
	in.Write(deflate(t, a, 6))
	in.WriteString("AB")
	in.Write(deflate(t, b, 6))
	br := bufio.NewReaderSize(&in, 64<<10)
	d := NewReader(br)
	for i, want := range [][]byte{a, b} {
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("stream %d: err %v, %d bytes, want %d", i, err, len(got), len(want))
		}
		if i == 0 {
			var sep [2]byte
			io.ReadFull(br, sep[:])
			if string(sep[:]) != "AB" {
				t.Fatalf("between the streams: %q", sep)
			}
			d.Reset(br)
		}
	}
}

// Every cut of a stream: the data before the cut (a prefix of the whole),
// then io.ErrUnexpectedEOF.
func TestInflateCutStreams(t *testing.T) {
	data := logText(13, 6<<10)
	for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, 1, 6} {
		stream := deflate(t, data, level)
		for cut := 0; cut < len(stream); cut++ {
			got, _, err := inflateAll(stream[:cut], nil, 4096, 64<<10)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("level %d, cut at %d of %d: error %v, want io.ErrUnexpectedEOF", level, cut, len(stream), err)
			}
			if !bytes.HasPrefix(data, got) {
				t.Fatalf("level %d, cut at %d: the output is no prefix of the data (differs at %d)", level, cut, firstDiff(got, data))
			}
		}
	}
}

// Damaged streams: where compress/flate reads one, the same output and
// the same bytes read; where it fails, an error too.
func TestInflateDamagedStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	data := logText(15, 30<<10)
	for _, level := range []int{1, 6, flate.HuffmanOnly} {
		stream := deflate(t, data, level)
		for range 300 {
			bad := bytes.Clone(stream)
			for k := 1 + rng.IntN(3); k > 0; k-- {
				bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			}
			compare(t, bad)
		}
	}
}

// compare inflates stream with this package and with compress/flate,
// both through a bufio.Reader followed by a marker, and fails when they
// disagree: an error for one only, different output, or different bytes
// read. When both fail, the output of each must be a prefix of the
// other's.
func compare(t *testing.T, stream []byte) {
	t.Helper()
	const marker = "<after>"
	got, rest, err := inflateAll(stream, []byte(marker), 32<<10, 4096)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(stream), strings.NewReader(marker)), 4096)
	want, werr := io.ReadAll(flate.NewReader(br))
	wrest, _ := io.ReadAll(br)
	switch {
	case werr == nil && err != nil:
		t.Fatalf("compress/flate reads %x (%d bytes out); this package: %v", head(stream), len(want), err)
	case werr != nil && err == nil:
		t.Fatalf("compress/flate fails on %x (%v); this package reads %d bytes", head(stream), werr, len(got))
	case werr == nil && (!bytes.Equal(got, want) || !bytes.Equal(rest, wrest)):
		t.Fatalf("%x: %d bytes out, %q left; compress/flate %d bytes, %q left", head(stream), len(got), head(rest), len(want), head(wrest))
	case werr != nil && !bytes.HasPrefix(want, got) && !bytes.HasPrefix(got, want):
		t.Fatalf("%x: both fail (%v; %v), with different output (first difference at %d)", head(stream), err, werr, firstDiff(got, want))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 64)] }

func FuzzInflate(f *testing.F) {
	for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, 1, 6} {
		f.Add(deflate(f, logText(16, 300), level))
	}
	f.Add([]byte{0x03, 0x00}) // an empty fixed block
	f.Fuzz(func(t *testing.T, stream []byte) {
		compare(t, stream)
	})
}

// bitWriter packs fields as DEFLATE does: values from their least
// significant bit, Huffman codes from their most significant.
type bitWriter struct {
	out   []byte
	nbits uint
}

func (w *bitWriter) value(v uint32, n uint) {
	for i := range n {
		if w.nbits%8 == 0 {
			w.out = append(w.out, 0)
		}
		w.out[len(w.out)-1] |= byte(v>>i&1) << (w.nbits % 8)
		w.nbits++
	}
}

func (w *bitWriter) code(c uint32, n uint) {
	for i := n; i > 0; i-- {
		w.value(c>>(i-1)&1, 1)
	}
}

// fixedMatchFirst is a final fixed block whose first symbol is a match of
// 3 bytes at distance 1: before the stream's start.
func fixedMatchFirst() []byte {
	var w bitWriter
	w.value(1, 1) // final
	w.value(1, 2) // fixed codes
	w.code(1, 7)  // 257: length 3
	w.code(0, 5)  // distance 1
	w.code(0, 7)  // 256: the end
	return w.out
}

func TestInflateMatchBeforeTheStreamsStart(t *testing.T) {
	_, _, err := inflateAll(fixedMatchFirst(), nil, 4096, 4096)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "before the stream's start") {
		t.Fatalf("error %v, want a CorruptError of the distance", err)
	}
	compare(t, fixedMatchFirst())
	// A stream after another (a gzip file's next member) cannot reach
	// into the first's output either.
	var in bytes.Buffer
	in.Write(deflate(t, []byte("abcdef"), 6))
	in.Write(fixedMatchFirst())
	br := bufio.NewReaderSize(&in, 4096)
	d := NewReader(br)
	if got, err := io.ReadAll(d); err != nil || string(got) != "abcdef" {
		t.Fatalf("first stream: %q, %v", got, err)
	}
	d.Reset(br)
	if _, err := io.ReadAll(d); !errors.As(err, &ce) {
		t.Fatalf("second stream: error %v, want a CorruptError", err)
	}
}

// Reset drops what the last stream left unread, as a new Reader would
// (found by review: it was read before the new stream's output), and a
// zero Reader can be Reset.
func TestInflateResetDropsTheUnread(t *testing.T) {
	a, b := logText(21, 5000), []byte("the second stream")
	br := bufio.NewReaderSize(bytes.NewReader(deflate(t, a, 6)), 4096)
	d := NewReader(br)
	p := make([]byte, 10)
	if n, err := d.Read(p); n != 10 || err != nil || !bytes.Equal(p, a[:10]) {
		t.Fatalf("first read: %d, %v, %q", n, err, p)
	}
	br = bufio.NewReaderSize(bytes.NewReader(deflate(t, b, 6)), 4096)
	d.Reset(br)
	if got, err := io.ReadAll(d); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("after Reset: %q (%d bytes), %v; want %q", head(got), len(got), err, b)
	}
	var z Reader
	z.Reset(bufio.NewReaderSize(bytes.NewReader(deflate(t, b, 6)), 4096))
	if got, err := io.ReadAll(&z); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("a zero Reader, Reset: %q, %v; want %q", got, err, b)
	}
}
