package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// Stream feeds a Tracker from a stream's whole lines, given in order a
// chunk at a time, reading only what the Tracker needs: the lines with
// codes, what LookBack finds in the Window before each (after the
// previous one), and the lines after a root cause that continue its
// message. It keeps the stream's last Window bytes (from a line's start)
// to look back into when a code's window reaches before the chunk.
//
// Chunk does all of it for a reader that has one chunk at a time (the
// daemon's batches); a reader that shares the work out (scan's workers
// look back within their blocks) uses the parts: Remember, History,
// LookBack, Code and Following.
type Stream struct {
	T *Tracker
	// hist is the stream's last whole lines before the line being read
	// (at most Window bytes of them, from a line's start: a line that
	// starts further back is in no window to come), up to stream offset
	// histEnd.
	hist    []byte
	histEnd int64
	// examined is the stream offset up to which lines were given to the
	// tracker or looked back through; next is where the line after the
	// last one given starts.
	examined, next int64
	// lines is the number of lines of the stream before histEnd.
	lines   int64
	scratch []byte
	// partial says the history ends within a line: the next bytes
	// remembered go on with it. lastAt is the stream offset of the last
	// line remembered, lastHead its first RecordHead bytes (the history
	// may hold none of it: a line longer than Window).
	partial  bool
	lastAt   int64
	lastHead []byte
	// run is the run of progress lines the history ends with, if it does
	// (see IsProgress); runScratch holds the lines before a run that
	// started after the history's end.
	run        runState
	runScratch []byte
}

// NewStream returns the stream of t, at its start.
func NewStream(t *Tracker) *Stream { return &Stream{T: t} }

// LookBack gives the tracker what the window of the line with codes at
// pos says, reading buf, whose first byte is at stream offset base and
// which holds the stream up to the line, from the window's start or the
// last line examined (all of the window when NeedsWholeWindow). own is
// the instance the line names, if it does; found is what a reader found
// there already, if it did (LookBack of buf, from where the
// window starts or the last line examined, to the line).
func (s *Stream) LookBack(buf []byte, base int64, pos Pos, own []byte, found *Before) {
	s.lookBack(buf, base, pos, own, found, nil)
}

// lookBack is LookBack, with what Prepare read of the line in buf, if
// pre is set (its look-back is then what was found).
func (s *Stream) lookBack(buf []byte, base int64, pos Pos, own []byte, found *Before, pre *CodeLine) {
	if s.afterRun(buf, base, pos) {
		// What was read from the line ahead of its turn reached into the
		// run, or not before it.
		found, pre = nil, nil
	}
	if pre != nil {
		found = &pre.before
	}
	if len(own) > 0 {
		if pre != nil && pre.hasFirst {
			s.feedFirst(buf, base, pos, pre.first)
			return
		}
		s.lookBackFor(buf, base, pos, own)
		return
	}
	to := int(pos.Offset - base)
	from := int(max(s.examined, pos.Offset-Window, base) - base)
	if from >= to {
		return
	}
	var b Before
	if found != nil {
		b = *found
	} else {
		b = LookBack(buf, from, to, true)
	}
	if b.Named.Empty() && b.Prompt.Empty() && b.Done.Empty() {
		return
	}
	if !b.Named.Empty() && s.T.NeedsFirst(b.ID.Of(buf)) {
		// A new instance: back to where it was first announced.
		if pre != nil && pre.hasWalked {
			b = pre.walked
		} else {
			b = walkBack(buf, from, b)
		}
	}
	c := lineCounter{buf: buf, to: to, toLine: pos.Line, at: to, atLine: pos.Line}
	s.T.Feed(buf, base, b, c.lineOf)
}

// NeedsWholeWindow reports whether LookBack needs the whole window of a
// line that names the instance own, rather than the lines after the last
// one examined: the instance is new to the tracker, and its announcements
// are looked for among all the window's lines (those examined before were
// read for another instance).
func (s *Stream) NeedsWholeWindow(own []byte) bool { return len(own) > 0 && s.T.NeedsFirst(own) }

// lookBackFor gives the tracker where the instance own, new to it and
// named by the line at pos, was announced within the window.
func (s *Stream) lookBackFor(buf []byte, base int64, pos Pos, own []byte) {
	if !s.T.NeedsFirst(own) {
		return
	}
	to := int(pos.Offset - base)
	from := int(max(pos.Offset-Window, base) - base)
	if from >= to {
		return
	}
	s.feedFirst(buf, base, pos, LookBackFor(buf, from, to, own))
}

// feedFirst gives the tracker b, where the instance named by the line at
// pos was announced within the window (LookBackFor), if it is new to it.
func (s *Stream) feedFirst(buf []byte, base int64, pos Pos, b Before) {
	if b.Named.Empty() || !s.T.NeedsFirst(b.ID.Of(buf)) {
		return
	}
	to := int(pos.Offset - base)
	if base+int64(b.Statement.Start) < s.examined {
		// The lines examined went to the tracker already: their prompt
		// would come again, out of order.
		b.Statement = Span{}
	}
	c := lineCounter{buf: buf, to: to, toLine: pos.Line, at: to, atLine: pos.Line}
	s.T.Feed(buf, base, b, c.lineOf)
}

// Code gives the tracker a line with codes at pos; end is the stream
// offset of the line after it.
func (s *Stream) Code(pos Pos, line []byte, clues Clues, codes []CodeAt, end int64) {
	s.T.Line(pos, line, clues, codes)
	s.examined, s.next = end, end
}

// Following offers the tracker a line without codes at pos: taken if it
// is the line after the last one given and continues a root cause's
// message. It reports whether it was taken.
func (s *Stream) Following(pos Pos, line []byte, end int64) bool {
	if !s.T.WantsNext() || pos.Offset != s.next || !s.T.Next(pos, line) {
		return false
	}
	s.examined, s.next = end, end
	return true
}

// Chunk gives s the stream's next whole lines, data (the last may lack
// its '\n': it is taken as ended), with those of them that carry codes,
// in order, and what Prepare returned of them, if it read them. After
// each of these, charged is called with its index in lines and what
// Tracker.Charged says of it. It returns how many lines data holds
// (counted anyway, for their numbers).
func (s *Stream) Chunk(data []byte, lines []CodeLine, p Prepared, charged func(i int, j *Job, started []scan.Code)) int {
	base := s.histEnd // stream offset of data[0]
	// lineAt numbers the line starting at off, no further back than the
	// last one numbered: data is counted once, here or by Prepare
	// (numbered tells where it counted up to).
	counted, n := 0, s.lines
	lineAt := func(off int) int64 {
		n += int64(bytes.Count(data[counted:off], newline))
		counted = off
		return n + 1
	}
	numbered := func(off, newlines int) { counted, n = off, s.lines+int64(newlines) }
	at := 0 // where the lines not yet offered start
	for i := range lines {
		l := lines[i].Line
		s.following(data, base, &at, l.Start, lineAt)
		s.WatchLines(data, base, at, l.Start)
		if lines[i].prepared {
			numbered(l.Start, lines[i].Newlines)
		}
		pos := Pos{Line: lineAt(l.Start), Offset: base + int64(l.Start), NoProgress: lines[i].noProgress}
		line := l.Of(data)
		var clues Clues
		if lines[i].prepared {
			clues = lines[i].clues
		} else {
			clues = Find(line)
		}
		own := clues.Instance.Of(line)
		buf, bufBase := data, base
		var pre *CodeLine
		switch {
		case lines[i].wholeWindow && (l.Start >= Window || !s.NeedsWholeWindow(own)):
			// Prepare looked back through the window, in the chunk (a
			// line that names an instance new to the tracker has its whole
			// window there).
			pre = &lines[i]
		case pos.Offset-Window < base && (s.examined < base || s.NeedsWholeWindow(own)):
			// The window reaches back into the history.
			s.scratch = append(append(s.scratch[:0], s.hist...), data[:l.Start]...)
			buf, bufBase = s.scratch, base-int64(len(s.hist))
		}
		s.lookBack(buf, bufBase, pos, own, nil, pre)
		prev := s.lineBefore(data, l.Start)
		if pos.Record = !clues.Time.Empty(); !pos.Record {
			pos.Record = NewRecord(prev, line)
			pos.Time = Timestamp(prev)
		}
		end := nextLine(data, l.End)
		s.Code(pos, line, clues, lines[i].Codes, base+int64(end))
		if charged != nil {
			j, started := s.T.Charged()
			charged(i, j, started)
		}
		at = end
	}
	s.following(data, base, &at, len(data), lineAt)
	s.WatchLines(data, base, at, len(data))
	if p.counted {
		numbered(len(data), p.newlines)
	}
	lineAt(len(data))
	s.Remember(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		// The last line is taken as ended, without copying it (a line
		// cut at its bound is long).
		s.Remember(newline)
		n++
	}
	count := int(n - s.lines)
	s.lines = n
	return count
}

// following offers the tracker the lines of data from *at up to stop
// while they continue a root cause's message.
func (s *Stream) following(data []byte, base int64, at *int, stop int, lineAt func(int) int64) {
	for *at < stop && s.T.WantsNext() {
		end := nextLine(data, *at)
		pos := Pos{Line: lineAt(*at), Offset: base + int64(*at)}
		if !s.Following(pos, bytes.TrimSuffix(data[*at:end], newline), base+int64(end)) {
			return
		}
		*at = end
	}
}

// WatchLines offers the tracker the lines of data (whose first byte is
// at stream offset base) that start in [from, stop), after the last line
// with codes given, while a failure may still recover (Tracker.Watching):
// those RecoveryHint finds something in that may change its state. A
// region without any costs a few byte searches and probes.
func (s *Stream) WatchLines(data []byte, base int64, from, stop int) {
	for from < stop {
		until, retried, ok := s.T.Watching()
		if !ok {
			return
		}
		end := int(min(int64(stop), max(until-base, 0)))
		if from >= end {
			return
		}
		// The first line a hint word is in, offered to the tracker; then
		// the rest, with the hint of the tracker's new state.
		region := data[from:min(nextLine(data, end-1), len(data))]
		k := firstHint(region, retried)
		if k < 0 {
			return
		}
		at := from + k
		at = scan.LastNewline(data[:at]) + 1
		if at < from {
			at = from
		}
		next := nextLine(data, at)
		s.T.Watch(Pos{Offset: base + int64(at)}, bytes.TrimSuffix(data[at:next], newline))
		from = next
	}
}

// lineBefore returns the line before the one at start in data, or the
// start of the last line remembered (RecordHead bytes of it).
func (s *Stream) lineBefore(data []byte, start int) []byte {
	if start > 0 {
		return data[scan.LastNewline(data[:start-1])+1 : start-1]
	}
	return s.lastHead
}

var newline = []byte{'\n'}

// lineCounter numbers the lines of buf before offset to, whose line is
// numbered toLine. Feed asks for up to five lines of a window, mostly in
// order: each is counted from the nearer of to and the line asked for
// last, so the window's '\n's are counted about once, not once a line.
type lineCounter struct {
	buf    []byte
	to, at int
	toLine int64
	atLine int64 // the line at offset at, the one asked for last
}

// lineOf returns the number of the line that starts at off (<= to).
func (c *lineCounter) lineOf(off int) int64 {
	switch {
	case off < c.at:
		c.atLine -= int64(bytes.Count(c.buf[off:c.at], newline))
	case off-c.at <= c.to-off:
		c.atLine += int64(bytes.Count(c.buf[c.at:off], newline))
	default:
		c.atLine = c.toLine - int64(bytes.Count(c.buf[off:c.to], newline))
	}
	c.at = off
	return c.atLine
}
