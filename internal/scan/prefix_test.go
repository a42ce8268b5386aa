package scan

import (
	"bytes"
	"testing"
)

// indexPrefix finds the first "ODPS-" at or after from, as bytes.Index
// does, on random buffers of the prefix's letters (and near-misses of
// it), from every start; with AVX2 where the machine has it, and with the
// portable search alone.
func TestIndexPrefix(t *testing.T) {
	testIndexPrefix(t)
	if prefixVector {
		t.Run("portable", func(t *testing.T) {
			prefixVector = false
			defer func() { prefixVector = true }()
			testIndexPrefix(t)
			// The tests of Scan's results, on the portable search.
			t.Run("forms", TestScanForms)
			t.Run("non-codes", TestScanNonCodes)
			t.Run("cut", TestScanCutEverywhere)
		})
	}
}

func testIndexPrefix(t *testing.T) {
	pieces := []string{"ODPS-", "ODPS", "DPS-", "O", "P", "-", "x", "\n", "odps-", "OODPS-"}
	rnd := uint64(11)
	for n := range 2000 {
		var b []byte
		for len(b) < n%150 {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			b = append(b, pieces[rnd>>33%uint64(len(pieces))]...)
		}
		for from := 0; from <= len(b); from++ {
			want := bytes.Index(b[from:], prefix)
			if want >= 0 {
				want += from
			}
			if got := indexPrefix(b, from); got != want {
				t.Fatalf("indexPrefix(%q, %d) = %d, want %d", b, from, got, want)
			}
		}
	}
}
