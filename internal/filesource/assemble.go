package filesource

import "bytes"

// lineAssembler cuts a file's bytes, read in chunks of any size, into whole
// lines with their offsets in the file. It does no I/O and keeps no chunk:
// what it holds between chunks is the line in progress, copied, at most max
// bytes of it (max_line_bytes), so a line of any length costs bounded
// memory. A zero lineAssembler with max set starts at offset 0.
type lineAssembler struct {
	max     int
	partial []byte // the line in progress, at most max bytes of it
	start   int64  // file offset of the line in progress
	length  int64  // its whole length so far, partial's and beyond
}

// line is a line the assembler completed on its own buffer: a line in
// progress across chunks, ended by a '\n' or flushed. Data is the caller's
// from then on; it is at most max bytes and Cut says the line was longer.
// The line covers [Start, End) of the file, its '\n' included.
type line struct {
	data       []byte
	start, end int64
	cut        bool
}

// pending reports whether a line is in progress.
func (a *lineAssembler) pending() bool { return a.length > 0 }

// carry puts a short line in progress at the front of buf (empty, of the
// chunk size) so that the chunk read behind it completes it in the same
// batch, and returns buf and the file offset of buf[0]. A long line in
// progress (more than half a chunk, or cut) stays in the assembler: ok is
// false and buf is returned as it was.
func (a *lineAssembler) carry(buf []byte) (out []byte, start int64, ok bool) {
	if a.length == 0 || a.length != int64(len(a.partial)) || len(a.partial) > cap(buf)/2 {
		return buf, 0, false
	}
	out, start = append(buf, a.partial...), a.start
	a.partial, a.length = a.partial[:0], 0
	return out, start, true
}

// split takes data, the file's bytes from offset start on (a chunk, with a
// carried line at its front or not). It returns the line in progress that
// data ends, if any, then the whole lines of data as one block, [ws, we) of
// the file, and keeps what follows the last '\n' as the line in progress.
// The block aliases data (moved to its front when a line in progress was
// ended); data may be reused once the block is.
func (a *lineAssembler) split(data []byte, start int64) (ended *line, block []byte, ws, we int64) {
	if a.length > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			a.add(data)
			return nil, nil, 0, 0
		}
		a.add(data[:nl])
		ended = &line{data: a.partial, start: a.start, end: a.start + a.length + 1, cut: a.length > int64(len(a.partial))}
		a.partial, a.length = nil, 0 // the line owns the old buffer now
		data = data[:copy(data, data[nl+1:])]
		start += int64(nl) + 1
		a.start = start
	}
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		a.start = start
		a.add(data)
		return ended, nil, 0, 0
	}
	a.start = start + int64(last) + 1
	a.add(data[last+1:])
	return ended, data[:last+1], start, start + int64(last) + 1
}

// flush ends the line in progress as it is (a last line without '\n'), if
// there is one.
func (a *lineAssembler) flush() (*line, bool) {
	if a.length == 0 {
		return nil, false
	}
	l := &line{data: a.partial, start: a.start, end: a.start + a.length, cut: a.length > int64(len(a.partial))}
	a.partial, a.length, a.start = nil, 0, l.end
	return l, true
}

// reset forgets the line in progress and starts again at offset 0: the
// file was truncated.
func (a *lineAssembler) reset() {
	a.partial, a.length, a.start = a.partial[:0], 0, 0
}

// add appends p to the line in progress, keeping at most max bytes of it.
func (a *lineAssembler) add(p []byte) {
	if len(p) == 0 {
		return
	}
	a.length += int64(len(p))
	if room := a.max - len(a.partial); room > 0 {
		a.partial = append(a.partial, p[:min(room, len(p))]...)
	}
}
