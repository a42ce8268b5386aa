// Package inflate decompresses a DEFLATE stream (RFC 1951) read from a
// bufio.Reader, for `scan` on gzip files: one stream is inflated on one
// core, and that bounds the scan of it.
//
// What it promises:
//   - The output of compress/flate for every stream compress/flate reads,
//     and an error where compress/flate returns one: a cut stream gives
//     io.ErrUnexpectedEOF after all the data before the cut, a corrupt one
//     a *CorruptError after the data before the damage.
//   - It reads the input no further than the stream's last byte: after
//     io.EOF the bufio.Reader is at the byte after the stream (a gzip
//     member's trailer), as compress/flate leaves an io.ByteReader.
//   - Bounded memory: a Reader holds 32 KiB of history and 512 KiB of
//     output, and its tables; Reset reuses them.
//
// Why not klauspost/compress/flate, which the scan used before: its
// decoder keeps 32 bits of input at a time and refills them a byte at a
// time, and writes into a 32 KiB ring it copies out of. This one keeps 64
// bits, refilled eight bytes at once without a branch (the way libdeflate
// does), decodes a length's base and extra bits with one table load,
// copies matches eight bytes at a time, and writes into a flat buffer
// with the history before it. On log text deflated at level 6 that is
// ~1.5x klauspost's speed (BenchmarkInflate prints the ratio of one run).
package inflate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	histSize = 32 << 10 // the farthest back a match reaches
	maxMatch = 258
	// slack is the room past a match its eight-byte copies may write into
	// (and overwrite later).
	slack = 8
	// outSize is the output decoded between two slides of the history.
	outSize = 512 << 10
	winSize = histSize + outSize
	// outEnd is where decoding stops to hand out what it decoded: a
	// symbol is decoded only with room for the longest match after it.
	outEnd = winSize - maxMatch - slack
)

// CorruptError is a stream that is no valid DEFLATE data: at Offset, the
// number of bytes of it read when the damage was found.
type CorruptError struct {
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt DEFLATE data near byte %d of the stream: %s", e.Offset, e.Reason)
}

// The decoder's states between calls.
const (
	stateHeader  = iota // a block's header is next
	stateHuffman        // in a block of Huffman codes
	stateStored         // in a stored block: stored bytes left
	stateDone           // past the final block
)

// Reader inflates one DEFLATE stream; Reset starts another.
type Reader struct {
	in *bufio.Reader
	// buf is what in has buffered, peeked at; pos the next byte of it to
	// load into bits. The last nb>>3 whole bytes of bits are buf[pos -
	// nb>>3 : pos]: they go back to in when the buffer is refilled, or
	// when the stream ends.
	buf  []byte
	pos  int
	bits uint64
	nb   uint
	// read is the stream's bytes discarded from in, for error offsets.
	read  int64
	inErr error // in's error once it has no more bytes

	// win holds the history, then the output: handed out up to r,
	// decoded up to o. histStart is where the stream's output starts in
	// win (0 when the whole history is the stream's).
	win       []byte
	r, o      int
	histStart int
	state     int
	final     bool // the block is the stream's last
	stored    int  // bytes left of a stored block
	// lit and dist are the block's tables: the fixed codes', or tabs'.
	lit, dist []uint32
	tabs      *tables
	err       error
}

// tables are a dynamic block's.
type tables struct {
	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	code [1 << codeTableBits]uint32
	lens [288 + 32]uint8
}

// NewReader returns a Reader of the stream that in holds next.
func NewReader(in *bufio.Reader) *Reader {
	d := &Reader{win: make([]byte, winSize), tabs: new(tables)}
	d.Reset(in)
	return d
}

// Reset starts reading the stream that in holds next, as a new Reader
// would (what the last one left unread is dropped), keeping the buffers.
func (d *Reader) Reset(in *bufio.Reader) {
	win, tabs := d.win, d.tabs
	if win == nil {
		win, tabs = make([]byte, winSize), new(tables)
	}
	*d = Reader{in: in, win: win, tabs: tabs}
}

// Close does nothing: a Reader holds no resources but memory.
func (d *Reader) Close() error { return nil }

// Read reads the stream's next output into p.
func (d *Reader) Read(p []byte) (int, error) {
	for {
		if d.r < d.o {
			n := copy(p, d.win[d.r:d.o])
			d.r += n
			return n, nil
		}
		if d.err != nil {
			return 0, d.err
		}
		if d.state == stateDone {
			return 0, io.EOF
		}
		if d.o > outEnd-4096 {
			d.slide()
		}
		d.err = d.decode()
	}
}

// slide moves the last histSize bytes of output to the start of win.
func (d *Reader) slide() {
	shift := d.o - histSize
	if shift <= 0 {
		return
	}
	copy(d.win, d.win[shift:d.o])
	d.o -= shift
	d.r -= shift
	d.histStart = max(0, d.histStart-shift)
}

// decode decodes until the output has no room for another match, the
// stream ends, or an error.
func (d *Reader) decode() error {
	for d.o <= outEnd {
		var err error
		switch d.state {
		case stateHeader:
			err = d.header()
		case stateHuffman:
			err = d.huffman()
		case stateStored:
			err = d.copyStored()
		case stateDone:
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// endBlock moves past a block that ended.
func (d *Reader) endBlock() {
	if !d.final {
		d.state = stateHeader
		return
	}
	// The stream's end: the bits left of its last byte are padding, and
	// the whole bytes loaded go back to in.
	d.state = stateDone
	d.rewind()
	d.bits, d.nb = 0, 0
	d.discard()
}

// rewind gives the whole bytes of bits back to buf.
func (d *Reader) rewind() {
	k := d.nb >> 3
	d.pos -= int(k)
	d.nb -= k * 8
	d.bits &= 1<<d.nb - 1
}

// discard drops the bytes of buf before pos from in.
func (d *Reader) discard() {
	n, _ := d.in.Discard(d.pos) // buffered: cannot fail
	d.read += int64(n)
	d.buf, d.pos = d.buf[d.pos:], 0
}

// more refills buf with what in has, want bytes of it at least if in has
// them; the whole bytes of bits go back to it first. It reports whether
// buf holds more bytes past pos than before.
func (d *Reader) more(want int) bool {
	had := len(d.buf) - d.pos + int(d.nb>>3)
	d.rewind()
	d.discard()
	want = min(want, d.in.Size())
	for d.in.Buffered() < want && d.inErr == nil {
		if _, err := d.in.Peek(min(d.in.Size(), d.in.Buffered()+1)); err != nil {
			d.inErr = err
		}
	}
	d.buf, _ = d.in.Peek(d.in.Buffered())
	return len(d.buf) > had
}

// cut is the error of a stream that ends early: in's, or a cut.
func (d *Reader) cut() error {
	if d.inErr != nil && !errors.Is(d.inErr, io.EOF) {
		return d.inErr
	}
	return io.ErrUnexpectedEOF
}

func (d *Reader) corrupt(reason string) error {
	return &CorruptError{Offset: d.read + int64(d.pos) - int64(d.nb>>3), Reason: reason}
}

// need loads bits a byte at a time until it holds n; bits above nb stay
// zero (clean first, when coming from the fast loop).
func (d *Reader) need(n uint) error {
	for d.nb < n {
		if d.pos < len(d.buf) {
			d.bits |= uint64(d.buf[d.pos]) << d.nb
			d.pos++
			d.nb += 8
			continue
		}
		if !d.more(int(d.nb>>3) + 1) {
			return d.cut()
		}
	}
	return nil
}

// clean clears the bits above nb, which the fast loop leaves holding the
// input that follows (loaded again from pos).
func (d *Reader) clean() { d.bits &= 1<<d.nb - 1 }

func (d *Reader) consume(n uint) {
	d.bits >>= n
	d.nb -= n
}

// header reads a block's header, and a dynamic block's codes.
func (d *Reader) header() error {
	d.clean()
	if err := d.need(3); err != nil {
		return err
	}
	d.final = d.bits&1 == 1
	kind := d.bits >> 1 & 3
	d.consume(3)
	switch kind {
	case 0:
		d.consume(d.nb & 7) // to a byte's boundary
		if err := d.need(32); err != nil {
			return err
		}
		n, nn := d.bits&0xffff, d.bits>>16&0xffff
		if n != ^nn&0xffff {
			return d.corrupt("a stored block's length and its complement differ")
		}
		d.consume(32)
		d.rewind() // a stored block's bytes are copied from buf
		d.stored = int(n)
		d.state = stateStored
	case 1:
		d.lit, d.dist = fixedLit[:], fixedDist[:]
		d.state = stateHuffman
	case 2:
		if err := d.dynamic(); err != nil {
			return err
		}
		d.lit, d.dist = d.tabs.lit[:], d.tabs.dist[:]
		d.state = stateHuffman
	default:
		return d.corrupt("a block of the reserved type 3")
	}
	return nil
}

// dynamic reads a dynamic block's code lengths and builds its tables
// (RFC 1951, 3.2.7).
func (d *Reader) dynamic() error {
	if err := d.need(14); err != nil {
		return err
	}
	nlit := int(d.bits&31) + 257
	ndist := int(d.bits>>5&31) + 1
	ncode := int(d.bits>>10&15) + 4
	d.consume(14)
	if nlit > 286 || ndist > 30 {
		return d.corrupt("too many literal/length or distance codes")
	}
	var clens [19]uint8
	for i := range ncode {
		if err := d.need(3); err != nil {
			return err
		}
		clens[codeOrder[i]] = uint8(d.bits & 7)
		d.consume(3)
	}
	if !buildTable(d.tabs.code[:], codeTableBits, clens[:], codeValues[:]) {
		return d.corrupt("the code lengths' code is no prefix code")
	}
	lens := d.tabs.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		e, err := d.slowEntry(d.tabs.code[:], codeTableBits)
		if err != nil {
			return err
		}
		if e&flagBad != 0 {
			return d.corrupt("a code length of no code")
		}
		sym := e >> valueShift
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return d.corrupt("a repeated code length with none before")
			}
			if err := d.need(2); err != nil {
				return err
			}
			rep, val = 3+int(d.bits&3), lens[i-1]
			d.consume(2)
		case 17:
			if err := d.need(3); err != nil {
				return err
			}
			rep = 3 + int(d.bits&7)
			d.consume(3)
		default:
			if err := d.need(7); err != nil {
				return err
			}
			rep = 11 + int(d.bits&127)
			d.consume(7)
		}
		if i+rep > len(lens) {
			return d.corrupt("code lengths repeated past the codes")
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return d.corrupt("a block without an end-of-block code")
	}
	if !buildTable(d.tabs.lit[:], litTableBits, lens[:nlit], litValues[:]) {
		return d.corrupt("the literal/length code is no prefix code")
	}
	if !buildTable(d.tabs.dist[:], distTableBits, lens[nlit:], distValues[:]) {
		return d.corrupt("the distance code is no prefix code")
	}
	return nil
}

// slowEntry decodes the next symbol of table t (main table tableBits)
// with only the bits the input has: near its end, and in headers. Bits
// above nb must be clear.
func (d *Reader) slowEntry(t []uint32, tableBits uint) (uint32, error) {
	for {
		e := t[d.bits&(1<<tableBits-1)]
		if e&flagSub == 0 {
			if n := uint(e & lengthMask); n <= d.nb {
				d.consume(n)
				return e, nil
			}
		} else if d.nb >= tableBits {
			sub := t[e>>valueShift+uint32(d.bits>>tableBits)&(1<<(e>>extraShift&31)-1)]
			if n := tableBits + uint(sub&lengthMask); n <= d.nb {
				d.consume(n)
				return sub, nil
			}
		}
		if err := d.need(d.nb + 8); err != nil {
			return 0, err
		}
	}
}

// copyStored copies a stored block's bytes, as many as the output has
// room for.
func (d *Reader) copyStored() error {
	for d.stored > 0 {
		room := len(d.win) - d.o
		if room == 0 {
			return nil
		}
		if d.pos == len(d.buf) && !d.more(1) {
			return d.cut()
		}
		n := copy(d.win[d.o:d.o+min(d.stored, room)], d.buf[d.pos:])
		d.o += n
		d.pos += n
		d.stored -= n
	}
	d.endBlock()
	return nil
}

// huffman decodes a block of Huffman codes: fast while the input has
// eight bytes ahead, a symbol at a time near its end.
func (d *Reader) huffman() error {
	for d.state == stateHuffman && d.o <= outEnd {
		if len(d.buf)-d.pos >= 8 {
			if err := d.fast(); err != nil {
				return err
			}
			continue
		}
		// What in holds already, without waiting for more: a symbol at a
		// time, below, waits only for the bits it needs (a pipe's writer
		// may be waiting for what those symbols make).
		if d.more(0) && len(d.buf)-d.pos >= 8 {
			continue
		}
		d.clean()
		if err := d.slowSymbol(); err != nil {
			return err
		}
	}
	return nil
}

// slowSymbol decodes one symbol with only the bits the input has.
func (d *Reader) slowSymbol() error {
	e, err := d.slowEntry(d.lit, litTableBits)
	if err != nil {
		return err
	}
	switch {
	case e&flagLiteral != 0:
		d.win[d.o] = byte(e >> valueShift)
		d.o++
		return nil
	case e&flagEnd != 0:
		d.endBlock()
		return nil
	case e&flagBad != 0:
		return d.corrupt("a literal/length code of no symbol")
	}
	extra := uint(e >> extraShift & 31)
	if err := d.need(extra); err != nil {
		return err
	}
	length := int(e>>valueShift) + int(d.bits&(1<<extra-1))
	d.consume(extra)
	e, err = d.slowEntry(d.dist, distTableBits)
	if err != nil {
		return err
	}
	if e&flagBad != 0 {
		return d.corrupt("a distance code of no distance")
	}
	extra = uint(e >> extraShift & 31)
	if err := d.need(extra); err != nil {
		return err
	}
	dist := int(e>>valueShift) + int(d.bits&(1<<extra-1))
	d.consume(extra)
	if dist > d.o-d.histStart {
		return d.corrupt("a match's distance before the stream's start")
	}
	for i := range length {
		d.win[d.o+i] = d.win[d.o-dist+i]
	}
	d.o += length
	return nil
}

var le = binary.LittleEndian
