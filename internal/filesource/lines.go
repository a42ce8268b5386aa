package filesource

import (
	"context"
	"io"
)

// read reads f from its read offset up to size (or its current end) and
// sends the whole lines it holds.
func (s *Source) read(ctx context.Context, f *file, size int64) error {
	// Up to the size seen by the caller's stat, and a little more: a writer
	// faster than us must not keep this file's check from ever returning.
	for f.readOff < size {
		buf, ok := s.getBuffer(ctx)
		if !ok {
			return ctx.Err()
		}
		start := f.readOff
		// A short line in progress moves to the front of the batch, to be
		// completed by what comes next; a long one stays in the assembler.
		if carried, at, ok := f.lines.carry(buf); ok {
			buf, start = carried, at
		}
		n, err := f.fh.ReadAt(buf[len(buf):cap(buf)], f.readOff)
		if n > 0 && s.rewritten(f) {
			// Truncated or rewritten in place while being read: what was
			// just read may be the new content at the old offset. Drop it
			// and start again from 0.
			s.putBuffer(buf)
			s.truncated(f)
			st, serr := f.fh.Stat()
			if serr != nil {
				return serr
			}
			size = st.Size()
			f.lastSize = size
			continue
		}
		buf = buf[:len(buf)+n]
		f.readOff += int64(n)
		if n > 0 {
			f.lastRead = s.now()
			f.growFingerprint(buf[len(buf)-n:], f.readOff-int64(n))
		}
		if err != nil && err != io.EOF {
			s.putBuffer(buf)
			return err
		}
		if !s.emit(ctx, f, buf, start) {
			return ctx.Err()
		}
		if n == 0 || err == io.EOF {
			return nil
		}
	}
	return nil
}

// emit sends the line in progress that data ends, if any, and the whole
// lines of data (which starts at offset start), and keeps the line in
// progress at its end. It owns data's buffer.
func (s *Source) emit(ctx context.Context, f *file, data []byte, start int64) bool {
	ended, block, ws, we := f.lines.split(data, start)
	if ended != nil && !s.sendLine(ctx, f, ended) {
		s.putBuffer(data)
		return false
	}
	if block == nil {
		s.putBuffer(data)
		return true
	}
	return s.send(ctx, f, block, ws, we, false, true)
}

// sendLine sends a line the assembler completed on its own buffer.
func (s *Source) sendLine(ctx context.Context, f *file, l *line) bool {
	return s.send(ctx, f, l.data, l.start, l.end, l.cut, false)
}

// flushPending sends a last line without '\n' as it is.
func (s *Source) flushPending(ctx context.Context, f *file) {
	if l, ok := f.lines.flush(); ok {
		s.sendLine(ctx, f, l)
	}
}
