package scan

import "bytes"

// Where the next "ODPS-" is, and how many lines come before it.

// indexPrefix returns the offset of the first "ODPS-" in buf at or after
// from, or -1, and the '\n's in buf from from up to it (to buf's end when
// -1): the scan numbers lines in the pass that finds codes. noAt reports
// that no '@' is there either (see Match.NoAt); false says nothing.
//
// It looks for the 'P' with bytes.IndexByte rather than for the 'O' as
// bytes.Index does: log lines are full of uppercase O's that start no code
// (INFO, ERROR, OdpsException, SQL's ON, OR, ORDER, FROM), each of which
// stops the vectorised search, while an uppercase P is rare. Where P's are
// common after all, it hands over to bytes.Index, the way bytes.Index hands
// over from IndexByte to its own fallback.
//
// With AVX2 (prefixVector) it compares all five bytes at 32 positions a
// round first, which costs the same whatever the text: 1.5-2× faster on
// real logs, where a P comes every few hundred bytes.
func indexPrefix(buf []byte, from int) (at, newlines int, noAt bool) {
	if !prefixVector {
		// Looking for '@' would take a pass of its own.
		return indexPrefixTail(buf, from, 0, false)
	}
	if n := (len(buf) - len(Prefix) + 1 - from) &^ 31; n > 0 {
		k, nl, ats := indexPrefixAVX2(&buf[from], n)
		if k >= 0 {
			return from + k, nl, ats == 0
		}
		return indexPrefixTail(buf, from+n, nl, ats == 0)
	}
	return indexPrefixTail(buf, from, 0, true)
}

// indexPrefixTail is indexPrefix of the bytes from from, the last few
// after the vector search's rounds (or all of them without AVX2), with
// what was found before them: newlines, and whether noAt holds so far
// (the tail is then searched for '@' too).
func indexPrefixTail(buf []byte, from, newlines int, noAt bool) (int, int, bool) {
	o := indexPrefixPortable(buf, from)
	end := o
	if o < 0 {
		end = len(buf)
	}
	if noAt {
		noAt = bytes.IndexByte(buf[from:end], '@') < 0
	}
	return o, newlines + bytes.Count(buf[from:end], newline), noAt
}

var newline = []byte{'\n'}

// indexPrefixPortable is indexPrefix without AVX2 and without counting.
func indexPrefixPortable(buf []byte, from int) int {
	const pAt = 2 // "ODPS-"[2] == 'P'
	fails := 0
	for i := from + pAt; i+len(Prefix)-pAt <= len(buf); {
		k := bytes.IndexByte(buf[i:len(buf)-(len(Prefix)-pAt-1)], 'P')
		if k < 0 {
			return -1
		}
		o := i + k - pAt
		if bytes.Equal(buf[o:o+len(Prefix)], prefix) {
			return o
		}
		i += k + 1
		// One false 'P' in 8 bytes, as bytes.Index allows for its first byte.
		if fails++; fails > 4+(i-from)>>3 {
			if j := bytes.Index(buf[i-pAt:], prefix); j >= 0 {
				return i - pAt + j
			}
			return -1
		}
	}
	return -1
}
