package attrib

import (
	"bytes"
	"slices"
)

// minIDDigits is the fewest digits an instance ID starts with (see
// isInstanceID).
const minIDDigits = 14

// Announcements appends to dst the lines of buf that start in [from, to)
// and may announce a job: those holding a run of at least 14 digits
// followed by a lower-case letter (an instance ID, alone or in a LogView
// link) and odpscmd prompts ("odps@" at a line's start). They come in
// stream order, as spans of buf without their '\n'; a line that starts
// before from is left out, even if it ends after it. What they say is
// for Find to read.
//
// It is how a reader keeps to Window cheaply: it probes one byte in 14
// for a digit, and finds '@' with bytes.IndexByte, so a region with no
// announcement costs a small fraction of scanning it for codes.
func Announcements(dst []Span, buf []byte, from, to int) []Span {
	n := len(dst)
	for p := from + minIDDigits - 1; p < to; {
		if !isDigit(buf[p]) {
			p += minIDDigits
			continue
		}
		a, b := p, p+1
		for a > from && isDigit(buf[a-1]) {
			a--
		}
		for b < len(buf) && isDigit(buf[b]) {
			b++
		}
		if b-a < minIDDigits || b == len(buf) || buf[b] < 'a' || buf[b] > 'z' {
			p = b + minIDDigits
			continue
		}
		s, ok := lineAt(buf, from, a)
		e := lineEnd(buf, b)
		if ok {
			dst = append(dst, s)
			dst[len(dst)-1].End = e
		}
		p = e + minIDDigits
	}
	for q := from; q < to; {
		k := bytes.IndexByte(buf[q:to], '@')
		if k < 0 {
			break
		}
		q += k
		if start := q - len("odps"); start >= from && (start == 0 || buf[start-1] == '\n') && hasPrefixFold(buf[start:], "odps@") {
			dst = append(dst, Span{start, lineEnd(buf, q)})
		}
		q++
	}
	found := dst[n:]
	if len(found) > 1 {
		slices.SortFunc(found, func(x, y Span) int { return x.Start - y.Start })
		found = slices.CompactFunc(found, func(x, y Span) bool { return x.Start == y.Start })
		dst = dst[:n+len(found)]
	}
	return dst
}

// lineAt returns the start of the line holding buf[i] as a span's Start,
// and whether it starts at or after from.
func lineAt(buf []byte, from, i int) (Span, bool) {
	k := bytes.LastIndexByte(buf[from:i], '\n')
	if k >= 0 {
		return Span{Start: from + k + 1}, true
	}
	return Span{Start: from}, from == 0 || buf[from-1] == '\n'
}

// lineEnd returns the offset of the '\n' that ends the line holding
// buf[i], or len(buf).
func lineEnd(buf []byte, i int) int {
	if k := bytes.IndexByte(buf[i:], '\n'); k >= 0 {
		return i + k
	}
	return len(buf)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
