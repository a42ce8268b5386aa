package main

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"
	"unicode/utf8"
)

// reference is the rule from odps-codes.md, used here only to check the output.
var reference = regexp.MustCompile(`\bODPS-[0-9]{7}\b`)

// TestInvariant checks what bench/compare.sh relies on: "ODPS-" occurs only
// inside codes, the returned stats describe the output, and the output ends
// at the first line end at or after size.
func TestInvariant(t *testing.T) {
	for _, tc := range []struct {
		size    int64
		density float64
	}{
		{8 << 20, 0.01},
		{2 << 20, 0},
		{2 << 20, 0.3},
		{2 << 20, 1},
		{1, 0.01},
		{0, 0.01},
	} {
		t.Run(fmt.Sprintf("size=%d/density=%v", tc.size, tc.density), func(t *testing.T) {
			var buf bytes.Buffer
			st, err := generate(&buf, tc.size, tc.density, 1)
			if err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if st.Bytes != int64(len(out)) {
				t.Errorf("stats say %d bytes, wrote %d", st.Bytes, len(out))
			}
			if tc.size <= 0 {
				if len(out) != 0 {
					t.Fatalf("size %d: wrote %d bytes", tc.size, len(out))
				}
				return
			}
			if out[len(out)-1] != '\n' {
				t.Fatal("output does not end with a newline")
			}
			last := bytes.LastIndexByte(out[:len(out)-1], '\n') + 1
			if int64(len(out)) < tc.size || int64(last) >= tc.size {
				t.Errorf("output is %d bytes, last line starts at %d: not the first line end at or after %d", len(out), last, tc.size)
			}
			if !utf8.Valid(out) {
				t.Error("output is not valid UTF-8")
			}

			var lines, matched, matches, prefixes int64
			for line := range bytes.Lines(out) {
				lines++
				n := len(reference.FindAllIndex(line, -1))
				p := bytes.Count(line, []byte("ODPS-"))
				if n != p {
					t.Fatalf("line %d has %d \"ODPS-\" but %d codes: %q", lines, p, n, line)
				}
				if n > 0 {
					matched++
				}
				matches += int64(n)
				prefixes += int64(p)
			}
			if lines != st.Lines || matched != st.MatchedLines || matches != st.Matches {
				t.Errorf("stats %+v, counted lines=%d matched_lines=%d matches=%d", st, lines, matched, matches)
			}
			if tc.density == 0 && matches != 0 {
				t.Errorf("density 0 gave %d codes", matches)
			}
			if tc.size >= 1<<20 && tc.density > 0 {
				got := float64(matched) / float64(lines)
				if got < tc.density*0.8 || got > tc.density*1.2 {
					t.Errorf("density %.4f, want about %v", got, tc.density)
				}
			}
			if tc.size >= 8<<20 && (st.DistinctCodes < 16 || st.DistinctCodes > 24) {
				t.Errorf("%d distinct codes, want 16-24", st.DistinctCodes)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := generate(&a, 1<<20, 0.01, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(&b, 1<<20, 0.01, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
}

func BenchmarkGenerate(b *testing.B) {
	const size = 16 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, err := generate(discard{}, size, 0.01, 1); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
