package oneshot

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Naming the failed jobs (attrib.Tracker) in a scan. The tracker takes
// the lines of a stream in order, but it only needs some of them: the
// lines with codes, what attrib.LookBack finds in the attrib.Window bytes
// before each (after the previous one), and the line after a root cause.
// The work is shared out so that lines far from codes cost nothing:
//
//   - a worker reads, in its block, the clues of each line with codes and
//     looks back from it as far as its block goes (codeLine);
//   - the merger keeps the last attrib.Window bytes of the stream before
//     the block it merges (jobFeeder.hist), looks back again through them
//     for the first line with codes of a block when its window reaches
//     back past the block's start, and feeds the tracker in stream order.
//
// So the jobs found do not depend on where blocks fall, which the tests
// check with blocks of one byte.

// codeLine is a whole line of a block with codes.
type codeLine struct {
	line scan.Span // in the block's data
	nl   int64     // its line number counted from the block's first whole line (1)
	// codes is where its codes start in slot.lineCodes; they end where
	// the next line's start.
	codes int
	// extra is where its clues and look-back are in the block's extras,
	// or -1 when it has neither: a block of short lines that are all
	// codes (80,000 in a MiB) then keeps 40 bytes for each, not 250
	// (with six blocks in flight, 220 MiB of them).
	extra int32
	// wholeWindow is false when its window reaches back past the block's
	// first whole line: the merger looks back again, with the history.
	wholeWindow bool
	// noProgress says the line before it in the block is no progress line
	// (attrib.NoProgressBefore): the merger need not read it.
	noProgress bool
}

// codeExtra is what a worker read of a line with codes for the jobs.
type codeExtra struct {
	clues  attrib.Clues
	before attrib.Before // in the block's data
}

// extra returns what the worker read of cl for the jobs, or none (set
// to nothing) when it read nothing.
func (res *blockResult) extra(cl *codeLine, none *codeExtra) *codeExtra {
	if cl.extra < 0 {
		*none = codeExtra{}
		return none
	}
	return &res.extras[cl.extra]
}

// codeLine reads the line with codes of first, the line's first match
// (in data's offsets), numbered nl, of a block whose whole lines start
// at start.
func (w *worker) codeLine(res *blockResult, data []byte, start int, first scan.Match, nl int64, codes int) codeLine {
	line := first.Line
	from := max(w.examined, line.Start-attrib.Window)
	cl := codeLine{line: line, nl: nl, codes: codes, extra: -1,
		wholeWindow: from > start || w.examined > start || line.Start-attrib.Window >= start,
		noProgress:  line.Start > start && attrib.NoProgressBefore(data, line.Start)}
	ex := codeExtra{clues: attrib.Find(line.Of(data))}
	// A line that names its instance needs nothing before it, unless the
	// instance is new to the tracker (the merger then looks back for where
	// it was first announced).
	if cl.wholeWindow && ex.clues.Instance.Empty() {
		// The scan saw no '@' since the previous match: no prompt there.
		ex.before = attrib.LookBack(data, from, line.Start, !first.NoAt)
	}
	if ex != (codeExtra{}) {
		cl.extra = int32(len(res.extras))
		res.extras = append(res.extras, ex)
	}
	w.examined = nextLine(data, line.End)
	return cl
}

// nextLine returns the offset of the line after the one that goes on at
// i, or len(data).
func nextLine(data []byte, i int) int {
	if k := bytes.IndexByte(data[i:], '\n'); k >= 0 {
		return i + k + 1
	}
	return len(data)
}

// jobFeeder is the merger's part: it feeds a file's tracker in stream
// order, through an attrib.Stream that keeps the history.
type jobFeeder struct {
	s       *attrib.Stream // nil: jobs are not named
	scratch []byte
}

// remember adds p, whole lines of the stream, to the history.
func (f *jobFeeder) remember(p []byte) {
	if f.s != nil {
		f.s.Remember(p)
	}
}

// feedJobs gives the tracker what the block's whole lines say of jobs;
// base is the number of the line before them.
func (m *merger) feedJobs(b *block, base int64) {
	f, res, data := m.jobs.s, &b.res, b.data
	if f == nil {
		return
	}
	wholeStart, wholeEnd := res.firstNL+1, res.lastNL+1
	stop := wholeEnd // where the next line with codes starts
	if len(res.lines) > 0 {
		stop = res.lines[0].line.Start
	}
	m.continuation(data, wholeStart, base+1, stop)
	f.WatchLines(data, m.offset, wholeStart, stop)
	var none codeExtra
	for i := range res.lines {
		cl := &res.lines[i]
		codesEnd, stop := len(b.lineCodes), wholeEnd
		if i+1 < len(res.lines) {
			next := &res.lines[i+1]
			codesEnd, stop = next.codes, next.line.Start
		}
		pos := attrib.Pos{Line: base + cl.nl, Offset: m.offset + int64(cl.line.Start), NoProgress: cl.noProgress}
		ex := res.extra(cl, &none)
		own := ex.clues.Instance.Of(cl.line.Of(data))
		if cl.wholeWindow && (cl.line.Start-attrib.Window >= wholeStart || !f.NeedsWholeWindow(own)) {
			f.LookBack(data, m.offset, pos, own, &ex.before)
		} else {
			// The history, then the block up to the line.
			hist, histAt := f.History()
			m.jobs.scratch = append(append(m.jobs.scratch[:0], hist...), data[wholeStart:cl.line.Start]...)
			f.LookBack(m.jobs.scratch, histAt, pos, own, nil)
		}
		// A line with a timestamp starts a record by itself; else the line
		// before it says.
		pos.Record = !ex.clues.Time.Empty()
		if !pos.Record {
			prev := f.LastHead() // the stitched line's
			if cl.line.Start > wholeStart {
				prevStart := wholeStart + scan.LastNewline(data[wholeStart:cl.line.Start-1]) + 1
				prev = data[prevStart : cl.line.Start-1]
			}
			pos.Record = attrib.NewRecord(prev, cl.line.Of(data))
			pos.Time = attrib.Timestamp(prev)
		}
		end := nextLine(data, cl.line.End)
		f.Code(pos, cl.line.Of(data), ex.clues, b.lineCodes[cl.codes:codesEnd], m.offset+int64(end))
		m.continuation(data, end, pos.Line+1, stop)
		f.WatchLines(data, m.offset, end, stop)
	}
}

// continuation offers the tracker the lines of data from at (numbered n)
// up to stop, while they continue a root cause's message.
func (m *merger) continuation(data []byte, at int, n int64, stop int) {
	for at < stop {
		end := nextLine(data, at)
		pos := attrib.Pos{Line: n, Offset: m.offset + int64(at)}
		if !m.jobs.s.Following(pos, bytes.TrimSuffix(data[at:end], newline), m.offset+int64(end)) {
			return
		}
		at, n = end, n+1
	}
}

// stitchedJobs gives the tracker what the pending line, just ended and
// scanned into m.matches, says of jobs.
func (m *merger) stitchedJobs(line []byte) {
	f := &m.jobs
	if f.s == nil {
		return
	}
	pos := attrib.Pos{Line: m.r.file.Lines, Offset: m.pendingAt}
	end := m.pendingAt + m.pendingLen + 1
	defer func() {
		// The line joins the history, whole, or the history starts again
		// after it when it was cut (a run of progress lines goes on
		// through it if it ends as one and has no code).
		if int64(len(line)) == m.pendingLen {
			f.scratch = append(append(f.scratch[:0], line...), '\n')
			f.s.Remember(f.scratch)
		} else {
			var tail []byte
			if len(m.matches) == 0 {
				tail = m.pendingTail
			}
			f.s.Skip(m.pendingLen+1, line, tail)
		}
	}()
	if len(m.matches) == 0 {
		f.s.Following(pos, line, end)
		f.s.WatchLines(line, pos.Offset, 0, len(line))
		return
	}
	m.codesAt = m.codesAt[:0]
	for _, match := range m.matches {
		m.codesAt = append(m.codesAt, attrib.CodeAt{Code: match.Code, Offset: match.Offset})
	}
	// The history holds the stream up to the line.
	hist, histAt := f.s.History()
	clues := attrib.Find(line)
	f.s.LookBack(hist, histAt, pos, clues.Instance.Of(line), nil)
	if pos.Record = !clues.Time.Empty(); !pos.Record {
		prev := f.s.LastHead()
		pos.Record = attrib.NewRecord(prev, line)
		pos.Time = attrib.Timestamp(prev)
	}
	f.s.Code(pos, line, clues, m.codesAt, end)
}
