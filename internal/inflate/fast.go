package inflate

// fast decodes symbols of a Huffman block while buf has eight bytes past
// pos and the output has room for the longest match: the loop that
// inflating spends its time in. It returns at the block's end, at either
// bound, or at an error.
//
// Each round refills bits to 56 or more without a branch: eight bytes
// are loaded at pos and ORed in above nb, and pos moves by the whole
// bytes that fit. The bits above nb then hold the bytes at pos, the ones
// the next load puts in the same place, so ORing them again changes
// nothing. 56 bits are enough for the longest length and distance with
// their extra bits (15+5+15+13), so a round needs one refill.
func (d *Reader) fast() error {
	buf, pos := d.buf, d.pos
	bits, nb := d.bits, d.nb
	win, o := d.win, d.o
	lit, dist := d.lit, d.dist
	const litMask, distMask = 1<<litTableBits - 1, 1<<distTableBits - 1
	var err error
	for pos <= len(buf)-8 && o <= outEnd {
		bits |= le.Uint64(buf[pos:]) << (nb & 63)
		pos += int(63-nb) >> 3
		nb |= 56

		e := lit[bits&litMask]
		if e&flagSub != 0 {
			bits >>= litTableBits
			nb -= litTableBits
			e = lit[e>>valueShift+uint32(bits)&(1<<(e>>extraShift&31)-1)]
		}
		n := uint(e & lengthMask)
		bits >>= n & 63
		nb -= n
		if e&flagLiteral != 0 {
			win[o] = byte(e >> valueShift)
			o++
			// A second literal, without a refill: 41 bits are left.
			if e = lit[bits&litMask]; e&flagLiteral != 0 {
				n = uint(e & lengthMask)
				bits >>= n & 63
				nb -= n
				win[o] = byte(e >> valueShift)
				o++
			}
			continue
		}
		if e&(flagEnd|flagBad) != 0 {
			d.buf, d.pos, d.bits, d.nb, d.o = buf, pos, bits, nb, o
			if e&flagBad != 0 {
				return d.corrupt("a literal/length code of no symbol")
			}
			d.endBlock()
			return nil
		}
		extra := uint(e >> extraShift & 31)
		length := int(e>>valueShift) + int(bits&(1<<extra-1))
		bits >>= extra & 63
		nb -= extra

		e = dist[bits&distMask]
		if e&flagSub != 0 {
			bits >>= distTableBits
			nb -= distTableBits
			e = dist[e>>valueShift+uint32(bits)&(1<<(e>>extraShift&31)-1)]
		}
		if e&flagBad != 0 {
			err = errBadDistance
			break
		}
		n = uint(e & lengthMask)
		bits >>= n & 63
		nb -= n
		extra = uint(e >> extraShift & 31)
		distance := int(e>>valueShift) + int(bits&(1<<extra-1))
		bits >>= extra & 63
		nb -= extra
		if distance > o-d.histStart {
			err = errFarDistance
			break
		}
		src := o - distance
		switch {
		case distance >= length && length > 32:
			copy(win[o:o+length], win[src:src+length])
		case distance >= 16 || distance >= length:
			// Eight bytes at a time: each load reads bytes written
			// before the match, or, past its length, bytes no one reads.
			// Up to seven bytes past the match are written, in the
			// slack, and later overwritten. (At distances of 8 to 15 a
			// load would read a store just made, which the processor
			// forwards slowly: those take the copies below.)
			for i := 0; i < length; i += 8 {
				le.PutUint64(win[o+i:], le.Uint64(win[src+i:]))
			}
		case distance == 1:
			v := uint64(win[src]) * 0x0101010101010101
			for i := 0; i < length; i += 8 {
				le.PutUint64(win[o+i:], v)
			}
		default:
			// The period, copied again and again, twice as much each
			// time.
			for n := 0; n < length; {
				n += copy(win[o+n:o+length], win[src:o+n])
			}
		}
		o += length
	}
	d.buf, d.pos, d.bits, d.nb, d.o = buf, pos, bits, nb, o
	switch err {
	case errBadDistance:
		return d.corrupt("a distance code of no distance")
	case errFarDistance:
		return d.corrupt("a match's distance before the stream's start")
	}
	return nil
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

const (
	errBadDistance = decodeError("bad distance")
	errFarDistance = decodeError("far distance")
)
