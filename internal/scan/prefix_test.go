package scan

import (
	"bytes"
	"strings"
	"testing"
)

// indexPrefix finds the first "ODPS-" at or after from, as bytes.Index
// does, and counts the '\n's up to it as bytes.Count does, on random
// buffers of the prefix's letters (and near-misses of
// it), from every start; with AVX2 where the machine has it, and with the
// portable search alone. It says no '@' is before it only when none is,
// and with AVX2 always when the buffer holds none.
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
			t.Run("newlines", TestScanCountsNewlines)
		})
	}
}

func testIndexPrefix(t *testing.T) {
	pieces := []string{"ODPS-", "ODPS", "DPS-", "O", "P", "-", "x", "\n", "odps-", "OODPS-", "@", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
	rnd := uint64(11)
	saidNoAt := 0
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
			end := want
			if want < 0 {
				end = len(b)
			}
			wantNL := bytes.Count(b[from:end], newline)
			got, nl, noAt := indexPrefix(b, from)
			if got != want || nl != wantNL {
				t.Fatalf("indexPrefix(%q, %d) = %d, %d newlines; want %d, %d", b, from, got, nl, want, wantNL)
			}
			if noAt && bytes.IndexByte(b[from:end], '@') >= 0 {
				t.Fatalf("indexPrefix(%q, %d) says no '@' is before %d", b, from, got)
			}
			if prefixVector && !noAt && bytes.IndexByte(b[from:], '@') < 0 {
				t.Fatalf("indexPrefix(%q, %d) does not say that no '@' is before %d", b, from, got)
			}
			if noAt {
				saidNoAt++
			}
		}
	}
	if !prefixVector && saidNoAt > 0 {
		t.Fatalf("without AVX2, indexPrefix said no '@' %d times: it does not look", saidNoAt)
	}
	if prefixVector && saidNoAt < 10000 {
		t.Fatalf("indexPrefix said no '@' only %d times: the test tests little", saidNoAt)
	}
}

// ScanLines counts every '\n' of the buffer, and each match the ones
// before it, whatever the codes, near-misses and lines around them.
func TestScanCountsNewlines(t *testing.T) {
	pieces := []string{"ODPS-0130071:x - y", "ODPS-1", "ODPS-12345678", "ODPS-", "\n", "\r\n", "x ", "MyODPS-0130071", "resolvedODPS-0130071:[1,2] z", strings.Repeat("a", 40), "odps@ p>"}
	rnd := uint64(5)
	found := 0
	for n := range 3000 {
		var b []byte
		for len(b) < n%300 {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			b = append(b, pieces[rnd>>33%uint64(len(pieces))]...)
		}
		ms, nl := Scanner{}.ScanLines(nil, b)
		if want := bytes.Count(b, newline); nl != want {
			t.Fatalf("ScanLines(%q) counted %d newlines, want %d", b, nl, want)
		}
		prev := 0
		for _, m := range ms {
			if want := bytes.Count(b[:m.Offset], newline); m.Newlines != want {
				t.Fatalf("ScanLines(%q): the match at %d has %d newlines before it, want %d", b, m.Offset, m.Newlines, want)
			}
			// NoAt, the '@'s between matches, comes from the same pass.
			if m.NoAt && bytes.IndexByte(b[prev:m.Offset], '@') >= 0 {
				t.Fatalf("ScanLines(%q): the match at %d says no '@' is after %d", b, m.Offset, prev)
			}
			if prefixVector && !m.NoAt && bytes.IndexByte(b, '@') < 0 {
				t.Fatalf("ScanLines(%q): the match at %d does not say no '@' is before it", b, m.Offset)
			}
			prev = m.Offset
			found++
		}
	}
	if found < 1000 {
		t.Fatalf("only %d matches: the test tests little", found)
	}
}
