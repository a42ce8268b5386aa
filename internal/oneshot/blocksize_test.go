package oneshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file of short lines that are all codes is read in blocks small
// enough to hold about maxBlockCodes codes each (what is kept of a block
// grows with its codes: 80,000 in a MiB of them took scan's peak RSS to
// 98 MiB); a file of sparse codes in full-sized blocks after its first
// ones; a file that turns dense shrinks its blocks at once. The counts
// are those of fixed-size blocks.
func TestBlocksFitTheirCodes(t *testing.T) {
	dir := t.TempDir()
	dense := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "ODPS-%07d\n", i*7919%10000000)
		}
		return b.String()
	}
	sparse := func(size int) string {
		var b strings.Builder
		for i := 0; b.Len() < size; i++ {
			if i%100 == 0 {
				b.WriteString("2026-12-01 09:02:44 ERROR ODPS-0130071:[1,8] Semantic analysis exception\n")
			} else {
				b.WriteString("2026-12-01 09:02:44 INFO M1_job_0:0/1/1[100%] running, nothing to see here\n")
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		name  string
		data  string
		check func(sizes []int, codes []int64) error
	}{
		{"dense", dense(600_000), func(sizes []int, codes []int64) error {
			for i, n := range codes {
				if n > 2*maxBlockCodes {
					return fmt.Errorf("block %d (%d bytes) held %d codes", i, sizes[i], n)
				}
			}
			return nil
		}},
		{"sparse", sparse(12 << 20), func(sizes []int, codes []int64) error {
			full := 0
			for _, s := range sizes {
				if s == 1<<20 {
					full++
				}
			}
			if full < 8 {
				return fmt.Errorf("%d full-sized blocks of %d: %v", full, len(sizes), sizes)
			}
			return nil
		}},
		{"sparse then dense", sparse(6<<20) + dense(600_000), func(sizes []int, codes []int64) error {
			// The blocks handed out before the first dense one was merged
			// are as large as before; then they fit.
			for i := range codes {
				if codes[i] > maxBlockCodes && i+16 < len(codes) && codes[i+16] > 2*maxBlockCodes {
					return fmt.Errorf("block %d held %d codes, block %d still %d (%d bytes)", i, codes[i], i+16, codes[i+16], sizes[i+16])
				}
			}
			return nil
		}},
	} {
		path := filepath.Join(dir, c.name+".log")
		if err := os.WriteFile(path, []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		var codes []int64
		r := NewReport()
		opts := Options{Workers: 2, blockMerged: func(size int, n int64) { sizes, codes = append(sizes, size), append(codes, n) }}
		if err := ScanFile(context.Background(), r, path, opts); err != nil {
			t.Fatal(err)
		}
		if err := c.check(sizes, codes); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		// The same counts as in blocks of one size.
		fixed := NewReport()
		if err := ScanReader(context.Background(), fixed, path, strings.NewReader(c.data), Options{Workers: 2, BlockSize: minBlockSize}); err != nil {
			t.Fatal(err)
		}
		if r.Lines != fixed.Lines || r.Matches != fixed.Matches || len(r.Codes(0)) != len(fixed.Codes(0)) || r.FoldedMatches != fixed.FoldedMatches {
			t.Errorf("%s: %d lines, %d codes (%d listed, %d folded); in blocks of one size %d, %d (%d, %d)", c.name,
				r.Lines, r.Matches, len(r.Codes(0)), r.FoldedMatches, fixed.Lines, fixed.Matches, len(fixed.Codes(0)), fixed.FoldedMatches)
		}
	}
}
