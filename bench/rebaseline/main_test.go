package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

// reference is the rule from odps-codes.md.
var reference = regexp.MustCompile(`\bODPS-[0-9]{7}\b`)

// naive counts line by line, the obvious way.
func naive(data []byte) counts {
	c := counts{Bytes: int64(len(data))}
	for line := range bytes.Lines(data) {
		c.Lines++
		n := len(reference.FindAllIndex(line, -1))
		c.Matches += int64(n)
		if n > 0 {
			c.MatchedLines++
		}
	}
	return c
}

func TestScanMatchesNaive(t *testing.T) {
	defer func(size int) { chunkSize = size }(chunkSize)
	chunkSize = 16 << 10 // lines across chunks in 80 KiB: the race detector makes the regexp slow
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{
		"ODPS-0130071:[1,8] Semantic analysis exception",
		"FAILED: ODPS-0010000:System internal error - x: ODPS-0123031:y",
		"errorODPS-0130071 ", "_ODPS-0130071 ", "ODPS-ODPS-0130071 ", "ODPS-01301711 ", "ODPS-013 ", "然后会报错ODPS-0130161:Parse",
		"plain text without codes ", "odps-0130071 ", "\n", "\n", "\n",
	}
	var b strings.Builder
	for b.Len() < 3*chunkSize {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	// A line longer than a chunk, with codes at both ends.
	b.WriteString("\nODPS-0420095 " + strings.Repeat("x", chunkSize+17) + " ODPS-0420095\n")
	for b.Len() < 5*chunkSize {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	b.WriteString("last line without newline ODPS-0123144")
	data := []byte(b.String())

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"mixed", data},
		{"trailing newline", append(bytes.Clone(data), '\n')},
		{"empty", nil},
		{"exact chunk", bytes.Repeat([]byte("ODPS-0130071 ab\n"), chunkSize/16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := naive(tc.data)
			for _, naiveMode := range []bool{false, true} {
				for _, half := range []bool{false, true} {
					var r io.Reader = bytes.NewReader(tc.data)
					if half {
						r = iotest.HalfReader(r) // short reads
					}
					got, err := scan(r, naiveMode)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s: got %+v, want %+v", fmt.Sprintf("naive=%v half=%v", naiveMode, half), got, want)
					}
				}
			}
		})
	}
}

func TestAlignedBuffer(t *testing.T) {
	b := alignedBuffer(chunkSize)
	if len(b) != chunkSize || cap(b) != chunkSize {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
}
