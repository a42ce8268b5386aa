package attrib

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The words of the recovery watch (retry, fall back, success) are found
// from four letters each spelling holds at a known place ("retr" at a
// retry's start, "back" of a fallback) or a pair ("cc" of succe), 32
// positions at a time, and checked around it. A search for a word's first
// byte stops every few dozen bytes (the letters of "retry" are among the
// commonest in logs), and so did one for "tr" and "ck" (string, trace,
// check, stack); the quads are rare, so a window without the words costs
// a pass at several GB/s (#15: the watch after each failure was the
// largest cost of naming jobs).

// retryAt returns where the first word announcing a retry or a fallback
// starts in b, or -1: retry, retried, retrying, fallback, fall back,
// falling back (any case), 重试.
func retryAt(b []byte) int {
	first := -1
	// A word's "back" is at most maxQuadAt bytes after its start
	// ("falling back"): quads further than that after the first word
	// found belong to words that start after it.
	const maxQuadAt = len("falling ")
	for at := 0; ; at++ {
		lim := len(b)
		if first >= 0 {
			lim = min(lim, first+maxQuadAt)
		}
		k := quadsFold(b, at, lim, "retr", "back")
		if k < 0 {
			break
		}
		at = k
		var s int
		if b[k]|0x20 == 'r' {
			s = retryWordAt(b, k)
		} else {
			s = fallBackAt(b, k)
		}
		if s >= 0 && (first < 0 || s < first) {
			first = s
		}
	}
	return earlier(b, first, "重试")
}

// successAt returns where the first word saying something succeeded may
// start in b, or -1: "succe" (any case), 成功. (succeeded decides; this
// finds the lines to ask it about.) Both are found in one pass: the pairs
// "cc" and 成's first two bytes as the search folds them.
//
// Without AVX2, two pairs cost the portable loop twice one: "cc", then
// bytes.Index for 成功 (vectorised for its first byte) is faster.
func successAt(b []byte) int {
	if !pairsVector {
		return earlier(b, succeAt(b), "成功")
	}
	const cheng0, cheng1 = 0xe6 | 0x20, 0x88 | 0x20 // "成" is e6 88 90
	for at := 0; ; at++ {
		k := pairsFold(b, at, len(b), 'c', 'c', cheng0, cheng1)
		if k < 0 {
			return -1
		}
		at = k
		if bytes.HasPrefix(b[k:], []byte("成功")) {
			return k
		}
		if s := k - len("su"); s >= 0 && hasPrefixFold(b[s:], "succe") {
			return s
		}
	}
}

// earlier returns where word starts in b if that is before first (or
// first is -1), else first: only the bytes a word starting before first
// can take are searched.
func earlier(b []byte, first int, word string) int {
	lim := len(b)
	if first >= 0 {
		lim = min(lim, first+len(word)-1)
	}
	if k := bytes.Index(b[:lim], []byte(word)); k >= 0 {
		return k
	}
	return first
}

// succeAt returns where the first "succe" (any case) starts in b, or -1.
func succeAt(b []byte) int {
	for at := 0; ; at++ {
		k := pairFold(b, at, len(b), 'c', 'c')
		if k < 0 {
			return -1
		}
		at = k
		if s := k - len("su"); s >= 0 && hasPrefixFold(b[s:], "succe") {
			return s
		}
	}
}

// retryWordAt returns at if "retry" or "retried" (any case) starts at
// b[at:], else -1.
func retryWordAt(b []byte, at int) int {
	if at < 0 || !hasPrefixFold(b[at:], "retr") {
		return -1
	}
	if at+5 <= len(b) && b[at+4]|0x20 == 'y' || hasPrefixFold(b[at+4:], "ied") {
		return at
	}
	return -1
}

// fallBackAt returns where "fallback", "fall back" or "falling back"
// (any case) starts if its "back" starts at b[back:], else -1.
func fallBackAt(b []byte, back int) int {
	if back < 0 || !hasPrefixFold(b[back:], "back") {
		return -1
	}
	for _, w := range []string{"fall", "fall ", "falling "} {
		if s := back - len(w); s >= 0 && hasPrefixFold(b[s:], w) {
			return s
		}
	}
	return -1
}

// pairFold returns the first i in [from, lim) where b[i], b[i+1] are the
// letters a0, a1 (lower case given; either case matches), or -1.
func pairFold(b []byte, from, lim int, a0, a1 byte) int {
	// pairsFold's loops for one pair: a second pair's tests cost as much
	// as the first's.
	const ones, fold = 0x0101010101010101, 0x2020202020202020
	pa0, pa1 := uint64(a0)*ones, uint64(a1)*ones
	lim = min(lim, len(b)-1)
	i := from
	if n := (lim - i) &^ 31; pairsVector && n > 0 {
		if k := pairsFoldAVX2(&b[i], n, a0, a1, a0, a1); k >= 0 {
			return i + k
		}
		i += n
	}
	for ; i+16 <= lim; i += 16 {
		w := b[i : i+17]
		x0 := binary.LittleEndian.Uint64(w[0:8]) | fold
		y0 := binary.LittleEndian.Uint64(w[1:9]) | fold
		x1 := binary.LittleEndian.Uint64(w[8:16]) | fold
		y1 := binary.LittleEndian.Uint64(w[9:17]) | fold
		m0 := zeroBytes(x0^pa0) & zeroBytes(y0^pa1)
		m1 := zeroBytes(x1^pa0) & zeroBytes(y1^pa1)
		if m0|m1 != 0 {
			if m0 != 0 {
				return i + bits.TrailingZeros64(m0)/8
			}
			return i + 8 + bits.TrailingZeros64(m1)/8
		}
	}
	for ; i < lim; i++ {
		if b[i]|0x20 == a0 && b[i+1]|0x20 == a1 {
			return i
		}
	}
	return -1
}

// pairsFold returns the first i in [from, lim) where b[i], b[i+1] are the
// letters a0, a1 or c0, c1 (lower case given; either case matches), or
// -1. It tests sixteen positions a loop, in two independent halves.
func pairsFold(b []byte, from, lim int, a0, a1, c0, c1 byte) int {
	const ones, fold = 0x0101010101010101, 0x2020202020202020
	pa0, pa1, pc0, pc1 := uint64(a0)*ones, uint64(a1)*ones, uint64(c0)*ones, uint64(c1)*ones
	lim = min(lim, len(b)-1) // a pair's second byte is in b
	i := from
	if n := (lim - i) &^ 31; pairsVector && n > 0 {
		if k := pairsFoldAVX2(&b[i], n, a0, a1, c0, c1); k >= 0 {
			return i + k
		}
		i += n
	}
	for ; i+16 <= lim; i += 16 {
		w := b[i : i+17]
		x0 := binary.LittleEndian.Uint64(w[0:8]) | fold
		y0 := binary.LittleEndian.Uint64(w[1:9]) | fold
		x1 := binary.LittleEndian.Uint64(w[8:16]) | fold
		y1 := binary.LittleEndian.Uint64(w[9:17]) | fold
		m0 := zeroBytes(x0^pa0)&zeroBytes(y0^pa1) | zeroBytes(x0^pc0)&zeroBytes(y0^pc1)
		m1 := zeroBytes(x1^pa0)&zeroBytes(y1^pa1) | zeroBytes(x1^pc0)&zeroBytes(y1^pc1)
		if m0|m1 != 0 {
			if m0 != 0 {
				return i + bits.TrailingZeros64(m0)/8
			}
			return i + 8 + bits.TrailingZeros64(m1)/8
		}
	}
	for ; i < lim; i++ {
		x, y := b[i]|0x20, b[i+1]|0x20
		if x == a0 && y == a1 || x == c0 && y == c1 {
			return i
		}
	}
	return -1
}

// quadsFold returns the first i in [from, lim) where b[i:i+4] spell the
// letters a or c (lower case given, four each; either case matches), or
// -1.
func quadsFold(b []byte, from, lim int, a, c string) int {
	lim = min(lim, len(b)-3) // a quad's last byte is in b
	i := from
	if n := (lim - i) &^ 31; pairsVector && n > 0 {
		if k := quadsFoldAVX2(&b[i], n, quad(a), quad(c)); k >= 0 {
			return i + k
		}
		i += n
	}
	// Without AVX2: the quads' last two letters as pairs, sixteen
	// positions a loop as in pairFold, each pair found checked whole.
	const ones, fold = 0x0101010101010101, 0x2020202020202020
	pa2, pa3, pc2, pc3 := uint64(a[2])*ones, uint64(a[3])*ones, uint64(c[2])*ones, uint64(c[3])*ones
	for ; i+16 <= lim; i += 16 {
		w := b[i+2 : i+19]
		x0 := binary.LittleEndian.Uint64(w[0:8]) | fold
		y0 := binary.LittleEndian.Uint64(w[1:9]) | fold
		x1 := binary.LittleEndian.Uint64(w[8:16]) | fold
		y1 := binary.LittleEndian.Uint64(w[9:17]) | fold
		m0 := zeroBytes(x0^pa2)&zeroBytes(y0^pa3) | zeroBytes(x0^pc2)&zeroBytes(y0^pc3)
		m1 := zeroBytes(x1^pa2)&zeroBytes(y1^pa3) | zeroBytes(x1^pc2)&zeroBytes(y1^pc3)
		for m := m0; m != 0; m &= m - 1 {
			if k := i + bits.TrailingZeros64(m)/8; hasPrefixFold(b[k:], a) || hasPrefixFold(b[k:], c) {
				return k
			}
		}
		for m := m1; m != 0; m &= m - 1 {
			if k := i + 8 + bits.TrailingZeros64(m)/8; hasPrefixFold(b[k:], a) || hasPrefixFold(b[k:], c) {
				return k
			}
		}
	}
	for ; i < lim; i++ {
		if hasPrefixFold(b[i:], a) || hasPrefixFold(b[i:], c) {
			return i
		}
	}
	return -1
}

// quad packs the four bytes of s, the first in the low byte.
func quad(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// zeroBytes returns the high bit of each byte of v that is zero, exactly
// (no borrow from one byte into the next).
func zeroBytes(v uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((v&low7 + low7) | v | low7)
}
