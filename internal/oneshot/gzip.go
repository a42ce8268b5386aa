package oneshot

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzipMembers decompresses the gzip members of a stream one after the
// other, as gzip -d does, and tells what follows the last one apart:
// zero padding (tape blocks, a preallocated file) is ignored, like gzip
// does; anything else that is no gzip member is trailing garbage, counted
// in trailing and ignored ("decompression OK, trailing garbage ignored").
// A member cut short is still an error (io.ErrUnexpectedEOF): its data is
// missing.
type gzipMembers struct {
	in       *bufio.Reader
	zr       *gzip.Reader
	trailing int64 // bytes after the last member, not zeros
	done     bool
}

func newGzipMembers(in *bufio.Reader) (*gzipMembers, error) {
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return &gzipMembers{in: in, zr: zr}, nil
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		if g.done {
			return 0, io.EOF
		}
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		// The end of a member: another one, or the end of the data.
		magic, _ := g.in.Peek(len(gzipMagic))
		if bytes.Equal(magic, gzipMagic) {
			if rerr := g.zr.Reset(g.in); rerr != nil {
				return n, rerr
			}
			g.zr.Multistream(false)
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

func (g *gzipMembers) Close() error { return g.zr.Close() }
