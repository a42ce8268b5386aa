package oneshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/odpswatch/odpswatch/internal/inflate"
)

// gzipMembers decompresses the gzip members of a stream one after the
// other, as gzip -d does, and tells what follows the last one apart:
// zero padding (tape blocks, a preallocated file) is ignored, like gzip
// does; anything else that is no gzip member is trailing garbage, counted
// in trailing and ignored ("decompression OK, trailing garbage ignored").
// A member cut short is still an error (io.ErrUnexpectedEOF): its data is
// missing.
//
// It reads the members' headers and trailers itself (RFC 1952) and only
// inflates (package inflate): the CRC-32 and size of a large member's data
// are checked by check, which the scan's merger calls on the data in
// order, on the other core. Inflating one stream bounds a scan of it, and
// the checksum was 2 % of it (klauspost's gzip.Reader computes it as it
// inflates). A small
// member (smallMember bytes of data at most, an empty one) is checked
// here, as it is read, and tells check only to skip its data: what check
// has to wait for then stays bounded by the large members in flight (a
// member end for each of two million empty members took 33 MiB).
type gzipMembers struct {
	in       *bufio.Reader
	fr       *inflate.Reader // the current member's deflate stream
	trailing int64           // bytes after the last member, not zeros
	done     bool
	out      int64     // data returned by Read, all members
	hdr      [512]byte // a header's fields (a name or comment, at most its size)
	// The current member: its data so far, and its CRC-32 while it is
	// small.
	memberSize int64
	memberCRC  uint32

	mu sync.Mutex
	// ends are the ends of the members read that check has not reached
	// yet, in order: each covers the data from the previous one's end.
	ends []memberEnd

	// check's side.
	checked   int64  // data checked, all members
	crc, size uint32 // of the current member's data checked
}

// memberEnd is where a member's data ends in the stream's data, and what
// its trailer says of it; or, when read, where a run of small members
// checked by Read ends.
type memberEnd struct {
	at        int64
	crc, size uint32
	read      bool
}

// smallMember is the most data of a member that Read checks itself.
const smallMember = 64 << 10

// maxHeaderString bounds a header's name and comment, as gzip.Reader
// does.
const maxHeaderString = 512

// The header's flags (RFC 1952, 2.3.1).
const (
	flagHeaderCRC = 1 << 1
	flagExtra     = 1 << 2
	flagName      = 1 << 3
	flagComment   = 1 << 4
)

func newGzipMembers(in *bufio.Reader) (*gzipMembers, error) {
	g := &gzipMembers{in: in}
	if err := g.header(); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return g, nil
}

// header reads a member's header and starts inflating its data.
func (g *gzipMembers) header() error {
	b := g.hdr[:10]
	if _, err := io.ReadFull(g.in, b); err != nil {
		return err
	}
	if b[0] != gzipMagic[0] || b[1] != gzipMagic[1] || b[2] != 8 {
		return gzip.ErrHeader // not gzip, or not deflate
	}
	flags := b[3]
	if flags>>5 != 0 {
		return gzip.ErrHeader // reserved flags must be zero
	}
	digest := crc32.ChecksumIEEE(b)
	if flags&flagExtra != 0 {
		x := g.hdr[:2]
		if _, err := io.ReadFull(g.in, x); err != nil {
			return noEOF(err)
		}
		digest = crc32.Update(digest, crc32.IEEETable, x)
		for n := int(binary.LittleEndian.Uint16(x)); n > 0; {
			k := min(n, len(g.hdr))
			if _, err := io.ReadFull(g.in, g.hdr[:k]); err != nil {
				return noEOF(err)
			}
			digest = crc32.Update(digest, crc32.IEEETable, g.hdr[:k])
			n -= k
		}
	}
	for _, f := range []byte{flagName, flagComment} {
		if flags&f == 0 {
			continue
		}
		// Zero-terminated, maxHeaderString bytes at most with the zero.
		n := 0
		for {
			c, err := g.in.ReadByte()
			if err != nil {
				return noEOF(err)
			}
			if n == maxHeaderString {
				return gzip.ErrHeader
			}
			g.hdr[n] = c
			n++
			if c == 0 {
				break
			}
		}
		digest = crc32.Update(digest, crc32.IEEETable, g.hdr[:n])
	}
	if flags&flagHeaderCRC != 0 {
		x := g.hdr[:2]
		if _, err := io.ReadFull(g.in, x); err != nil {
			return noEOF(err)
		}
		if binary.LittleEndian.Uint16(x) != uint16(digest) {
			return gzip.ErrHeader
		}
	}
	if g.fr == nil {
		g.fr = inflate.NewReader(g.in)
	} else {
		g.fr.Reset(g.in)
	}
	return nil
}

// noEOF reads an end of the input inside a header or trailer as the cut
// it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		if g.done {
			return 0, io.EOF
		}
		n, err := g.fr.Read(p)
		g.out += int64(n)
		if g.memberSize+int64(n) <= smallMember {
			g.memberCRC = crc32.Update(g.memberCRC, crc32.IEEETable, p[:n])
		}
		g.memberSize += int64(n)
		if err != io.EOF {
			return n, err
		}
		// The end of a member: its trailer, then another member or the
		// end of the data.
		if terr := g.trailer(); terr != nil {
			return n, terr
		}
		magic, _ := g.in.Peek(len(gzipMagic))
		if bytes.Equal(magic, gzipMagic) {
			if herr := g.header(); herr != nil {
				return n, noEOF(herr)
			}
		} else {
			g.done = true
			if terr := g.skipTrailing(); terr != nil {
				return n, terr
			}
		}
		if n > 0 {
			return n, nil
		}
	}
}

// trailer reads the trailer of the member whose data just ended: a small
// member's is checked here, a large one's is left to check.
func (g *gzipMembers) trailer() error {
	t := g.hdr[:8]
	if _, err := io.ReadFull(g.in, t); err != nil {
		return noEOF(err)
	}
	end := memberEnd{at: g.out, crc: binary.LittleEndian.Uint32(t), size: binary.LittleEndian.Uint32(t[4:])}
	small := g.memberSize <= smallMember
	if small && (g.memberCRC != end.crc || uint32(g.memberSize) != end.size) {
		return gzip.ErrChecksum
	}
	g.memberSize, g.memberCRC = 0, 0
	g.mu.Lock()
	defer g.mu.Unlock()
	switch last := len(g.ends) - 1; {
	case !small:
		g.ends = append(g.ends, end)
	case last >= 0 && g.ends[last].read:
		g.ends[last].at = end.at // the run of small members goes on
	default:
		g.ends = append(g.ends, memberEnd{at: end.at, read: true})
	}
	return nil
}

// check reads p, the stream's next data, in order, and compares the
// CRC-32 and size of each large member whose data ends in it with its
// trailer's (gzip.ErrChecksum if they differ); the data of the small
// members Read checked is skipped. A member's trailer is read before any
// of the data after it: by the time check reaches a member's end, it
// knows the trailer.
func (g *gzipMembers) check(p []byte) error {
	for {
		g.mu.Lock()
		end, ended := memberEnd{at: -1}, len(g.ends) > 0
		if ended {
			end = g.ends[0]
		}
		g.mu.Unlock()
		k := len(p)
		if ended && end.at-g.checked < int64(k) {
			k = int(end.at - g.checked)
		}
		if !end.read {
			g.crc = crc32.Update(g.crc, crc32.IEEETable, p[:k])
			g.size += uint32(k) // ISIZE is the size modulo 2^32
		}
		g.checked += int64(k)
		p = p[k:]
		if g.checked != end.at {
			return nil // p is checked, and no member ends in it
		}
		if !end.read && (g.crc != end.crc || g.size != end.size) {
			return gzip.ErrChecksum
		}
		// (A run of small members may have gone on since: then its end
		// is further, and the next round skips to it.)
		g.crc, g.size = 0, 0
		g.mu.Lock()
		if g.ends[0].at == end.at {
			g.ends = g.ends[1:]
		}
		g.mu.Unlock()
	}
}

// skipTrailing reads what follows the last member, counting what is not
// a zero byte from the first such byte on.
func (g *gzipMembers) skipTrailing() error {
	var buf [32 << 10]byte
	for {
		k, err := g.in.Read(buf[:])
		if g.trailing > 0 {
			g.trailing += int64(k)
		} else if i := bytes.IndexFunc(buf[:k], func(r rune) bool { return r != 0 }); i >= 0 {
			g.trailing = int64(k - i)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (g *gzipMembers) Close() error { return g.fr.Close() }
