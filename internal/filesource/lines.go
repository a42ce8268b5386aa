package filesource

import (
	"bytes"
	"context"
	"io"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// read reads f from its read offset up to size (or its current end) and
// sends the whole lines it holds.
func (s *Source) read(ctx context.Context, f *file, size int64) error {
	if f.context {
		f.context = false
		if !s.sendContext(ctx, f) {
			return ctx.Err()
		}
	}
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
			f.setSize(size)
			continue
		}
		buf = buf[:len(buf)+n]
		f.readOff += int64(n)
		if n > 0 {
			f.lastRead = s.now()
			f.readAt.Store(f.lastRead.UnixNano())
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

// sendContext hands the pipeline, as context, the whole lines of f in the
// attrib.Window bytes before where it starts reading (a saved position,
// or its end with start_at: end): they are counted nowhere, but tell the
// file's job tracker which failures are under way, so that a failure
// printed on both sides of a restart counts once, and which job is
// running (contextBefore: back over its progress lines). A file that
// cannot be read there has no context; only a done ctx returns false.
func (s *Source) sendContext(ctx context.Context, f *file) bool {
	buf, from := contextBefore(f.fh, f.readOff)
	if len(buf) == 0 {
		return true
	}
	b := &pipeline.Batch{Source: s.opts.Name, Origin: f.path, Offset: from, End: from + int64(len(buf)), Data: buf, Context: true}
	s.batches.Add(1)
	b.Done = s.batches.Done
	if !pipeline.Send(ctx, s.out, b) {
		s.batches.Done()
		return false
	}
	return true
}

// maxRunContext bounds how far back before where a file is read from its
// context looks for the start of a run of progress lines (with
// attrib.Window more: three to six hours of odpscmd's, a line of two to
// four stages every five seconds): a job that has run longer is not known
// when its failure comes after a restart.
const maxRunContext = 256 << 10

// contextBefore returns the whole lines of r before offset end, and the
// offset of the first, that a job tracker starting at end reads first:
// those that start in the attrib.Window bytes before end or, when those
// end with a run of progress lines (attrib.RunStart: a job was running),
// those from the Window before the run's start (the run may go on after
// end and grow long), reading at most maxRunContext bytes of it.
func contextBefore(r io.ReaderAt, end int64) ([]byte, int64) {
	buf, from := wholeLinesBefore(r, end, attrib.Window)
	k := attrib.RunStart(buf)
	if k == len(buf) || k == 0 && from == 0 {
		return buf, from // no run, or one from the file's start
	}
	// The lines before the run's start: a Window of them when it started
	// in buf, else as far back as the bound allows.
	back := int(end-from-int64(k)) + attrib.Window
	if k == 0 {
		back = maxRunContext + attrib.Window
	}
	long, longFrom := wholeLinesBefore(r, end, back)
	k = attrib.RunStart(long)
	if k == 0 && longFrom > 0 {
		// A longer run than maxRunContext: its job is not in reach.
		return buf, from
	}
	// From the first line that starts in the Window before the run.
	cut := max(k-attrib.Window, 0)
	if cut > 0 && long[cut-1] != '\n' {
		cut += bytes.IndexByte(long[cut:], '\n') + 1
	}
	return long[cut:], longFrom + int64(cut)
}

// wholeLinesBefore reads the lines of r that start in the n bytes before
// offset end and end before it, and returns them with the offset of the
// first; none when they cannot be read.
func wholeLinesBefore(r io.ReaderAt, end int64, n int) ([]byte, int64) {
	from := max(end-int64(n), 0)
	buf := make([]byte, end-from)
	if k, _ := r.ReadAt(buf, from); k < len(buf) {
		return nil, 0
	}
	if from > 0 {
		// From the first line that starts in it.
		k := bytes.IndexByte(buf, '\n')
		if k < 0 {
			return nil, 0
		}
		buf, from = buf[k+1:], from+int64(k+1)
	}
	// Up to the last whole line.
	return buf[:bytes.LastIndexByte(buf, '\n')+1], from
}
