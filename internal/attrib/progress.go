package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// odpscmd's progress lines. While a statement's job runs, odpscmd prints
// a line of its stages' progress every few seconds ("2026-11-20 10:00:05
// M1_job_0:1/0/4[0%]  R2_1_job_0:0/0/1[0%]"), and nothing else, until
// the job ends: a job that fails after ten minutes has some 8 KiB of them
// between its "ID = ..." and LogView lines and its "FAILED: ODPS-...".
// Window alone would lose the job there. So a long run of progress lines
// right before a line with codes (LongRun bytes or more, from its first
// line to the code's) does not count against the code's window: its
// look-back reaches Window bytes before the run, and the job current when
// the run started goes on through it (Tracker.Progress). A shorter run
// leaves the window as it is: the lines that announce its job (a few
// hundred bytes before it, from odpscmd) are in it, and a look-back of
// its own before each code after a progress line would cost the daemon a
// tenth of its ordered step on a log where jobs' lines interleave. A run
// is bounded by nothing but the stream: a reader keeps the lines before
// its start (a copy of at most Window bytes), not the run.

// LongRun is the shortest run of progress lines that does not count
// against a code's window: the bytes from its first line's start to the
// code's line.
const LongRun = Window / 2

// IsProgress reports whether line (without its '\n') is one of odpscmd's
// progress lines: its last word, after a blank or at its start, is a
// stage's progress, NAME:D/D/D[D%] (NAME of letters, digits and '_'),
// blanks may follow it, and it has no code (whatever it ends with, a line
// with codes is read as one).
func IsProgress(line []byte) bool {
	return progressShape(line) && lastIndexFold(line, "odps-") < 0
}

// progressShape is IsProgress but for the codes: for lines known to have
// none (those a reader has not given the tracker, after the last it gave).
// It reads the last word only, from its end (a code's line is often after
// a progress line: the line's start is not read).
func progressShape(line []byte) bool {
	i := len(line) - 1
	for i >= 0 && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
		i--
	}
	// Backwards: ]%, then D[, D/, D/ and D: (D digits), then NAME.
	if i < len("M:0/0/0[0") || line[i] != ']' || line[i-1] != '%' {
		return false
	}
	i -= 2
	for _, sep := range []byte("[//:") {
		k := i
		for i >= 0 && isDigit(line[i]) {
			i--
		}
		if i == k || i < 0 || line[i] != sep {
			return false
		}
		i--
	}
	k := i
	for i >= 0 && isWord(line[i]) {
		i--
	}
	return i < k && (i < 0 || line[i] == ' ' || line[i] == '\t')
}

// NoProgressBefore reports whether the line of buf before the one that
// starts at start (> 0) is surely no progress line: the byte before its
// '\n' is none of those a progress line ends with. A reader that scans a
// chunk ahead of its turn tells it in Pos.NoProgress: it has the bytes in
// its cache then (in the turn, reading them was a cache miss for each line
// with codes: 3 % of scan's time).
func NoProgressBefore(buf []byte, start int) bool {
	if start < 2 {
		return start == 1 // an empty line
	}
	return !mayEndProgress(buf[start-2])
}

// progressRun returns where the run of progress lines that ends at to (a
// line's start, or len(buf)) starts in buf, going no further back than lo
// (a line's start): to when the line before to is no progress line, lo
// when every line from lo is one (the run may go on before it). progress
// tells a progress line: progressShape for lines known to have no code (a
// reader's from the end of the last line it gave the tracker), else
// IsProgress.
func progressRun(buf []byte, lo, to int, progress func([]byte) bool) int {
	for to > lo {
		end := to
		if buf[end-1] == '\n' {
			end--
		}
		// The cheap test first: most lines do not end as one.
		if end == lo || !mayEndProgress(buf[end-1]) {
			break
		}
		start := lo + scan.LastNewline(buf[lo:end]) + 1
		if !progress(buf[start:end]) {
			break
		}
		to = start
	}
	return to
}

// mayEndProgress reports whether a line that ends with c may be a
// progress line.
func mayEndProgress(c byte) bool { return c == ']' || c == '\r' || c == ' ' || c == '\t' }

// runState is what a Stream knows of the run of progress lines its
// history ends with (Remember keeps it).
type runState struct {
	open bool
	// start is the stream offset of the run's first line; lines the '\n's
	// from there to the history's end.
	start int64
	lines int64
	// before holds the lines before the run's start that a code's
	// look-back would read (the Window before it, after the last line
	// examined), from stream offset beforeAt; beforeFrom is where those
	// lines start in it (0, or 1 after a '\n' kept to say so).
	before     []byte
	beforeAt   int64
	beforeFrom int
}

// rememberRun updates s.run with p, whole lines of the stream about to
// join the history (which still ends at s.histEnd).
func (s *Stream) rememberRun(p []byte) {
	// The lines of p after the last one given have no code.
	switch k := progressRun(p, int(min(max(s.examined-s.histEnd, 0), int64(len(p)))), len(p), progressShape); {
	case k == len(p):
		s.run.open = false
	case k == 0:
		s.runGoesOn(int64(bytes.Count(p, newline)) + btoi(p[len(p)-1] != '\n'))
	default:
		s.runFrom(s.histEnd+int64(k), p[:k], int64(bytes.Count(p[k:], newline))+btoi(p[len(p)-1] != '\n'))
	}
}

// runGoesOn adds n progress lines, about to be remembered, to the run
// the history ends with, or starts one with them.
func (s *Stream) runGoesOn(n int64) {
	if s.run.open {
		s.run.lines += n
		return
	}
	s.runFrom(s.histEnd, nil, n)
}

// runFrom starts the run at stream offset start, of n lines: pre is the
// stream from the history's end up to it.
func (s *Stream) runFrom(start int64, pre []byte, n int64) {
	r := &s.run
	r.open, r.start, r.lines = true, start, n
	r.before, r.beforeAt, r.beforeFrom = s.streamBefore(r.before[:0], pre, start)
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// streamBefore appends to dst the lines a look-back from the run that
// starts at stream offset start reads: those that start in the Window
// before it, after the last line examined. pre is the stream from the
// history's end up to start. It returns them with the stream offset of
// dst's first byte and where the lines start in it.
func (s *Stream) streamBefore(dst, pre []byte, start int64) ([]byte, int64, int) {
	histAt := s.histEnd - int64(len(s.hist))
	// (A line examined is never in a run: min only guards the slices.)
	from := min(max(s.examined, start-Window, histAt), start)
	// One byte more, when there is one, tells whether from starts a line
	// (the history's first byte does).
	at := max(from-1, histAt)
	if at < s.histEnd {
		dst = append(dst, s.hist[at-histAt:]...)
		dst = append(dst, pre...)
	} else {
		dst = append(dst, pre[at-s.histEnd:]...)
	}
	return dst, at, int(from - at)
}

// afterRun handles a line with codes at pos that comes right after a long
// run of progress lines (LongRun): it gives the tracker what the lines
// before the run say (as LookBack would from the run's start) and the
// run, and marks them examined. buf, whose first byte is at stream offset base, holds
// the stream from the history's end up to the line. It reports whether
// the line came after a run: the look-back that Prepare or a scan's
// worker made from the line does not hold then.
func (s *Stream) afterRun(buf []byte, base int64, pos Pos) bool {
	to := int(pos.Offset - base)
	hs := int(max(s.histEnd-base, 0)) // where the lines not remembered start in buf
	k := to
	if to > hs {
		if pos.NoProgress {
			return false
		}
		k = progressRun(buf, max(hs, int(s.examined-base)), to, progressShape)
		if k == to {
			return false
		}
	} else if !s.run.open {
		return false
	}
	// The start of the run's last line, the one before the code's.
	last := s.lastAt
	if to > hs {
		last = base + int64(hs+scan.LastNewline(buf[hs:to-1])+1)
	}
	// The stream offset and line number of the run's first line: the
	// run's the history ends with when it goes on into buf.
	goesOn := k == hs && s.run.open
	start := base + int64(k)
	if goesOn {
		start = s.run.start
	}
	if pos.Offset-start < LongRun {
		return false
	}
	runLines := int64(bytes.Count(buf[k:to], newline))
	var before []byte
	var beforeAt int64
	var from int
	if goesOn {
		// Its lines before were kept.
		runLines += s.run.lines
		before, beforeAt, from = s.run.before, s.run.beforeAt, s.run.beforeFrom
	} else {
		s.runScratch, beforeAt, from = s.streamBefore(s.runScratch[:0], buf[hs:k], start)
		before = s.runScratch
	}
	if start > s.examined {
		s.feedBefore(before, beforeAt, from, pos.Line-runLines)
		s.examined = start
	}
	s.T.Progress(start, last)
	return true
}

// feedBefore gives the tracker what LookBack finds in the lines of buf
// (whose first byte is at stream offset base) from from to its end,
// where the line numbered line starts.
func (s *Stream) feedBefore(buf []byte, base int64, from int, line int64) {
	to := len(buf)
	if from >= to {
		return
	}
	b := LookBack(buf, from, to, true)
	if b.Named.Empty() && b.Prompt.Empty() && b.Done.Empty() {
		return
	}
	if !b.Named.Empty() && s.T.NeedsFirst(b.ID.Of(buf)) {
		b = walkBack(buf, from, b)
	}
	c := lineCounter{buf: buf, to: to, toLine: line, at: to, atLine: line}
	s.T.Feed(buf, base, b, c.lineOf)
}

// Progress tells t that the lines from stream offset start up to the one
// at last are a run of progress lines (IsProgress), right before the
// next line given: the job current when the run started (named or
// charged at most Window bytes before it) goes on through it, as if named
// on its last line.
func (t *Tracker) Progress(start, last int64) {
	if t.current != nil && start-t.current.seen <= Window {
		t.current.seen = max(t.current.seen, last)
	}
}

// RunStart returns where the run of progress lines that lines (whole
// lines, the last one ended or not) end with starts: len(lines) when the
// last line is none, 0 when every line is one (the run may go on before
// them). A reader that starts within a stream (a daemon restarted) looks
// back that far, and Window before it, for the job the run is of.
func RunStart(lines []byte) int { return progressRun(lines, 0, len(lines), IsProgress) }
