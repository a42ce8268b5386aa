package oneshot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// What a scan reads: a file at a path (regular files are read in blocks
// at their offsets, by the workers), or a stream; either may be gzip.

// ErrIsDirectory is returned for an input that is a directory.
var ErrIsDirectory = errors.New("is a directory")

// gzipMagic starts every gzip member (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// ScanFile scans the file at path into r, under the name name (the path, or
// "-" for standard input). A gzip file is recognised by its magic bytes,
// whatever its name.
func ScanFile(ctx context.Context, r *Report, path string, opts Options) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("cannot scan %s: %w", path, ErrIsDirectory)
	}
	if !st.Mode().IsRegular() {
		// A pipe, /dev/stdin, <(cmd): a stream, which cannot be read at an
		// offset.
		return ScanReader(ctx, r, path, f, opts)
	}
	var magic [2]byte
	n, err := f.ReadAt(magic[:], 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	if bytes.Equal(magic[:n], gzipMagic) {
		return ScanReader(ctx, r, path, f, opts)
	}
	opts = opts.withDefaults().forSize(st.Size())
	r.beginFile(path, st.Size())
	e := newEngine(r, path, opts)
	return e.run(ctx, f, st.Size())
}

// forSize fits the buffers to a regular file of size bytes: no more
// blocks in flight than it has, and a block no larger than it (rounded to
// a page). A small file then costs a few KiB, not InFlight MiB-sized
// buffers: 10,000 small log files are scanned at the speed of reading
// them.
func (o Options) forSize(size int64) Options {
	const page = 4096
	blocks := max(1, (size+int64(o.BlockSize)-1)/int64(o.BlockSize))
	o.InFlight = int(min(int64(o.InFlight), blocks))
	if size < int64(o.BlockSize) {
		o.BlockSize = int(max(page, (size+page-1)/page*page))
	}
	return o
}

// ScanReader scans a stream into r under the name name. A gzip stream is
// recognised by its magic bytes and decompressed.
//
// When ctx is cancelled ScanReader returns at once; a Read of in that is
// blocked then is left to return by itself, so the caller must not use in
// afterwards (closing it is fine).
func ScanReader(ctx context.Context, r *Report, name string, in io.Reader, opts Options) error {
	opts = opts.withDefaults()
	br := bufio.NewReaderSize(in, 64<<10)
	counted := &countingReader{r: br}
	var src io.Reader = counted
	var members *gzipMembers
	if magic, _ := br.Peek(len(gzipMagic)); bytes.Equal(magic, gzipMagic) {
		var err error
		members, err = newGzipMembers(bufio.NewReaderSize(counted, 64<<10))
		if err != nil {
			return fmt.Errorf("cannot read %s as gzip: %w", name, err)
		}
		src = members
	}
	r.beginFile(name, -1)
	e := newEngine(r, name, opts)
	e.consumed = counted.n.Load
	if members != nil {
		e.check = members.check
	}
	err := e.run(ctx, src, -1)
	if members != nil {
		if err == nil {
			<-e.readerDone // past its last Read
		}
		select {
		case <-e.readerDone:
			members.Close()
			if members.trailing > 0 {
				r.file.TrailingGarbage = members.trailing
			}
		default:
			// The scan ended early (cancelled, a bug) while the reader
			// may be in a Read of members: it is left to it.
		}
	}
	return err
}

// countingReader counts the bytes read, for the progress bar; the merger
// reads the count while the reading goroutine adds to it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
