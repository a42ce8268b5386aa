package inflate

import "math/bits"

// A decoding table maps the next bits of the input (read from the least
// significant end, as DEFLATE packs its codes) to an entry: the first
// 1<<tableBits entries are indexed by the next tableBits bits; a code
// longer than that sends its prefix's entry to a subtable, indexed by the
// bits after the prefix. An entry is a uint32, one load a symbol:
//
//	bits 0-4    the bits the entry's code takes (past the prefix, in a
//	            subtable; a subtable's entry in the main table: tableBits)
//	bits 5-7    flagLiteral, flagEnd or flagSub; none: a length or a
//	            distance
//	bits 8-12   the extra bits after a length's or distance's code, or a
//	            subtable's index bits
//	bit 13      flagBad: the bits of no code, or of a symbol without a
//	            meaning (literal/length 286 and 287, distance 30 and 31)
//	bits 16-31  a literal's byte, a length's or distance's base, or a
//	            subtable's start
const (
	lengthMask  = 0x1f
	flagLiteral = 1 << 5
	flagEnd     = 1 << 6 // the end of the block
	flagSub     = 1 << 7
	flagBad     = 1 << 13
	extraShift  = 8 // extra bits (or a subtable's index bits), 5 bits
	valueShift  = 16
)

// litTableBits and distTableBits size the main tables: most codes are
// shorter (a literal/length code of a text's block is 6 to 12 bits), a
// main table fits the first level of cache, and filling it for each block
// stays cheap (a block is ~16,000 symbols).
const (
	litTableBits  = 10
	distTableBits = 8
	codeTableBits = 7 // the code-length code: at most 7 bits
	maxCodeBits   = 15
)

// Table capacities: the main table, then a subtable of 1<<(15-tableBits)
// entries at most for each symbol that can be longer than tableBits.
const (
	litTableSize  = 1<<litTableBits + 288<<(maxCodeBits-litTableBits)
	distTableSize = 1<<distTableBits + 32<<(maxCodeBits-distTableBits)
)

// buildTable fills t for the code lengths lens (of symbols 0...), whose
// symbol s decodes to vals[s] (its flags and value, without the code's
// length), with a main table of tableBits. It reports false when the
// lengths are no prefix code: over-subscribed, or incomplete but for the
// cases RFC 1951 allows and zlib reads (one code of one bit; no code at
// all, a block without distances), where the bits of no code map to
// flagBad entries.
func buildTable(t []uint32, tableBits uint, lens []uint8, vals []uint32) bool {
	var count [maxCodeBits + 1]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	left, total, maxLen := 1, 0, 0
	for l := 1; l <= maxCodeBits; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false // over-subscribed
		}
		total += count[l]
		if count[l] > 0 {
			maxLen = l
		}
	}
	size := 1 << tableBits
	if left > 0 {
		if total > 1 || total == 1 && count[1] != 1 {
			return false // incomplete
		}
		for i := range t[:size] {
			t[i] = flagBad
		}
		if total == 0 {
			return true
		}
	}
	// The symbols in the order of their codes (by length, then symbol),
	// and each length's first code (RFC 1951, 3.2.2).
	var offs, next [maxCodeBits + 2]int
	code := 0
	for l := 1; l <= maxCodeBits; l++ {
		offs[l+1] = offs[l] + count[l]
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	var sorted [320]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	subBits := uint(0)
	if maxLen > int(tableBits) {
		subBits = uint(maxLen) - tableBits
	}
	subStart, prefix := size, -1
	for _, s := range sorted[:total] {
		l := uint(lens[s])
		c := next[l]
		next[l]++
		rev := int(bits.Reverse16(uint16(c)) >> (16 - l))
		if l <= tableBits {
			e := vals[s] | uint32(l)
			for i := rev; i < size; i += 1 << l {
				t[i] = e
			}
			continue
		}
		// A long code: its prefix's subtable, new when the prefix changes
		// (codes in this order that share a prefix are consecutive).
		p := rev & (size - 1)
		if p != prefix {
			if prefix >= 0 {
				subStart += 1 << subBits
			}
			prefix = p
			t[p] = flagSub | uint32(tableBits) | uint32(subBits)<<extraShift | uint32(subStart)<<valueShift
		}
		e := vals[s] | uint32(l-tableBits)
		for i := rev >> tableBits; i < 1<<subBits; i += 1 << (l - tableBits) {
			t[subStart+i] = e
		}
	}
	return true
}

// The values of the literal/length alphabet (RFC 1951, 3.2.5), and of
// the distances'.
var (
	litValues  [288]uint32
	distValues [32]uint32
	codeValues [19]uint32
	// fixedLit and fixedDist are the tables of the fixed codes (3.2.6).
	fixedLit  [1 << litTableBits]uint32
	fixedDist [1 << distTableBits]uint32
)

// codeOrder is the order of the code-length code's lengths in a dynamic
// block's header (3.2.7).
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func init() {
	lengthBase := [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra := [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase := [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	for s := range litValues {
		switch {
		case s < 256:
			litValues[s] = flagLiteral | uint32(s)<<valueShift
		case s == 256:
			litValues[s] = flagEnd
		case s <= 285:
			litValues[s] = lengthBase[s-257]<<valueShift | lengthExtra[s-257]<<extraShift
		default:
			litValues[s] = flagBad // 286 and 287 have codes, and no meaning
		}
	}
	for s := range distValues {
		if s < 30 {
			extra := uint32(0)
			if s >= 2 {
				extra = uint32(s/2 - 1)
			}
			distValues[s] = distBase[s]<<valueShift | extra<<extraShift
		} else {
			distValues[s] = flagBad
		}
	}
	for s := range codeValues {
		codeValues[s] = uint32(s) << valueShift
	}
	var lens [288]uint8
	for s := range lens {
		switch {
		case s < 144:
			lens[s] = 8
		case s < 256:
			lens[s] = 9
		case s < 280:
			lens[s] = 7
		default:
			lens[s] = 8
		}
	}
	if !buildTable(fixedLit[:], litTableBits, lens[:], litValues[:]) {
		panic("inflate: the fixed literal/length code")
	}
	var dlens [32]uint8
	for s := range dlens {
		dlens[s] = 5
	}
	if !buildTable(fixedDist[:], distTableBits, dlens[:], distValues[:]) {
		panic("inflate: the fixed distance code")
	}
}
