package filesource

import (
	"bytes"
	"testing"
)

// assembled is what a run of the assembler gave: every piece in file order.
type piece struct {
	data       []byte
	start, end int64
	cut, block bool
}

// assemble feeds input to a lineAssembler in chunks whose sizes come from
// sizes (cycled), the way Source.read does: a buffer of chunk capacity, a
// short line in progress carried to its front, the chunk read behind it.
// It flushes the last line at the end when flush is set.
func assemble(t *testing.T, input []byte, sizes []int, chunk, max int, flush bool) []piece {
	t.Helper()
	a := lineAssembler{max: max}
	var out []piece
	off, i := 0, 0
	for off < len(input) {
		buf := make([]byte, 0, chunk)
		start := int64(off)
		if carried, at, ok := a.carry(buf); ok {
			buf, start = carried, at
		}
		n := min(cap(buf)-len(buf), len(input)-off)
		if len(sizes) > 0 {
			n = min(n, max1(sizes[i%len(sizes)]))
			i++
		}
		buf = append(buf, input[off:off+n]...)
		off += n
		ended, block, ws, we := a.split(buf, start)
		if ended != nil {
			out = append(out, piece{data: bytes.Clone(ended.data), start: ended.start, end: ended.end, cut: ended.cut})
		}
		if block != nil {
			out = append(out, piece{data: bytes.Clone(block), start: ws, end: we, block: true})
		}
		if len(a.partial) > max {
			t.Fatalf("the line in progress holds %d bytes, more than max %d", len(a.partial), max)
		}
	}
	if flush {
		if l, ok := a.flush(); ok {
			out = append(out, piece{data: bytes.Clone(l.data), start: l.start, end: l.end, cut: l.cut})
		}
		if a.pending() {
			t.Fatal("a line in progress after flush")
		}
	}
	return out
}

func max1(n int) int { return max(n, 1) }

// checkPieces checks the pieces against the input: they cover it in order
// with no gap and no overlap, each holds exactly its bytes (or the first
// max of a cut line), and all but a flushed last line end with '\n'.
func checkPieces(t *testing.T, input []byte, pieces []piece, max int, flushed bool) {
	t.Helper()
	var next int64
	for k, p := range pieces {
		if p.start != next || p.end < p.start || p.end > int64(len(input)) {
			t.Fatalf("piece %d covers [%d, %d), want it to start at %d (input %d bytes)", k, p.start, p.end, next, len(input))
		}
		want := input[p.start:p.end]
		last := k == len(pieces)-1
		endsLine := bytes.HasSuffix(want, []byte("\n"))
		if !endsLine && !(last && flushed) {
			t.Fatalf("piece %d [%d, %d) does not end a line: %q", k, p.start, p.end, want)
		}
		if p.block && (p.cut || !bytes.Equal(p.data, want)) {
			t.Fatalf("block %d [%d, %d) = %q, want %q", k, p.start, p.end, p.data, want)
		}
		if !p.block {
			body := bytes.TrimSuffix(want, []byte("\n"))
			if bytes.Contains(body, []byte("\n")) {
				t.Fatalf("line %d [%d, %d) holds more than one line: %q", k, p.start, p.end, want)
			}
			wantCut := len(body) > max
			if p.cut != wantCut || !bytes.Equal(p.data, body[:min(len(body), max)]) {
				t.Fatalf("line %d [%d, %d) = %q cut=%v, want %q cut=%v", k, p.start, p.end, p.data, p.cut, body[:min(len(body), max)], wantCut)
			}
		}
		next = p.end
	}
	// Without a flush, what follows the last '\n' is still in progress.
	want := int64(len(input))
	if !flushed {
		want = int64(bytes.LastIndexByte(input, '\n') + 1)
	}
	if next != want {
		t.Fatalf("pieces end at %d, want %d", next, want)
	}
}

func TestLineAssembler(t *testing.T) {
	cases := []struct {
		name  string
		input string
		sizes []int
		chunk int
		max   int
	}{
		{"whole lines in one chunk", "a\nbb\nccc\n", nil, 64, 16},
		{"a line across chunks", "hello world\nnext\n", []int{3}, 64, 64},
		{"one byte at a time", "ab\ncd\n\n\nef", []int{1}, 8, 8},
		{"a line longer than the chunk", "0123456789abcdef0123456789\nx\n", nil, 8, 64},
		{"a line cut at max", "0123456789abcdef0123456789\nshort\n", []int{5}, 8, 10},
		{"a last line without newline", "one\ntwo", []int{2}, 8, 8},
		{"empty lines only", "\n\n\n", []int{1}, 4, 4},
		{"CRLF kept as bytes", "a\r\nb\r\n", []int{2}, 4, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, flush := range []bool{false, true} {
				in := []byte(c.input)
				checkPieces(t, in, assemble(t, in, c.sizes, c.chunk, c.max, flush), c.max, flush)
			}
		})
	}
}

// The cut line keeps exactly max bytes, and a line just under max is whole.
func TestLineAssemblerCutsAtMax(t *testing.T) {
	in := []byte("aaaaaaaaaaaa\nbbbbbbbbb\n") // 12 and 9 bytes, max 10
	pieces := assemble(t, in, []int{4}, 8, 10, false)
	var lines []piece
	for _, p := range pieces {
		if !p.block {
			lines = append(lines, p)
		}
	}
	if len(lines) != 2 || !lines[0].cut || string(lines[0].data) != "aaaaaaaaaa" || lines[1].cut || string(lines[1].data) != "bbbbbbbbb" {
		t.Fatalf("lines %+v, want the first cut to 10 bytes and the second whole", lines)
	}
}

func TestLineAssemblerReset(t *testing.T) {
	a := lineAssembler{max: 8}
	a.split([]byte("partial"), 0)
	if !a.pending() {
		t.Fatal("no line in progress after a chunk without newline")
	}
	a.reset()
	if a.pending() || a.start != 0 {
		t.Fatalf("after reset: pending %v at %d, want nothing at 0", a.pending(), a.start)
	}
	if l, ok := a.flush(); ok {
		t.Fatalf("flush after reset gave %q", l.data)
	}
}

// FuzzLineAssembler feeds arbitrary input in arbitrary chunkings: whatever
// the boundaries, the pieces cover the input exactly once, in order, and
// the memory held between chunks stays within max.
func FuzzLineAssembler(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), []byte{1, 2, 3}, uint8(8), uint8(4))
	f.Add([]byte("0123456789abcdef0123456789\nx\ny"), []byte{5}, uint8(8), uint8(10))
	f.Add([]byte("\n\n\nno newline at all"), []byte{}, uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, input, cuts []byte, chunk, max uint8) {
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c)
		}
		c, m := int(chunk%64)+2, int(max%32)+1
		for _, flush := range []bool{false, true} {
			checkPieces(t, input, assemble(t, input, sizes, c, m, flush), m, flush)
		}
	})
}
