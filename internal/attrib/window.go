package attrib

import (
	"bytes"
	"encoding/binary"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// minIDDigits is the fewest digits an instance ID starts with (see
// isInstanceID).
const minIDDigits = 14

// Before is what the lines before a code's line say of its job, as
// LookBack reads them: spans of the buffer it was given, empty when
// nothing was found.
type Before struct {
	// Named is the last line that announces an instance ID (see Find);
	// ID is that ID in it, NamedLogView whether it is the i= of a LogView
	// link.
	Named, ID    Span
	NamedLogView bool
	// First is the first line that announces the same ID, as far back as
	// it goes without another instance or a prompt between; LogView the
	// first of them with the instance's LogView link. Only walkBack looks
	// back for them.
	First, LogView Span
	// Prompt is the last odpscmd prompt ("odps@" starting a line), before
	// or after Named; Statement the prompt before First, the statement the
	// instance ran for (it names its project), looked for with First.
	Prompt, Statement Span
	// Done is odpscmd's last "OK" after Named (or in the window, if none
	// is), when no prompt came after Named: the instance's statement is
	// over (see Clues.Done).
	Done Span
}

// LookBack reads the lines of buf that start in [from, to), the lines
// before a code's (which starts at to), for what Tracker needs of them (a
// line starts after a '\n', or at buf's start, which must then be one):
// the instance last announced and the last prompt. Where that instance
// was first announced, its LogView link and its statement's prompt are
// walkBack's, which a reader calls only when the tracker wants them
// (NeedsFirst): once for each instance.
//
// It is how a reader keeps to Window cheaply: it searches backwards from
// to for the run of digits an instance ID starts with, 32 bytes a round
// (lastDigitRun), and stops at the first announced one; it finds prompts
// with bytes.IndexByte, unless prompts is false: the reader knows that
// no '@' is in [from, to) (the scan saw none, scan.Match.NoAt). A region
// with no instance ID costs a small fraction of scanning it for codes,
// and lines far from codes are never read.
func LookBack(buf []byte, from, to int, prompts bool) Before {
	var b Before
	for p := to - 1; p >= from; {
		id, ok := idBefore(buf, from, &p)
		if !ok {
			break
		}
		if announced(buf, from, id) {
			line, inside := lineOf(buf, from, id)
			if inside {
				b.Named, b.ID = line, id
				b.NamedLogView = isLogViewID(buf, from, id)
			}
			break
		}
	}
	if prompts {
		b.Prompt = lastPrompt(buf, from, to)
	}
	if b.Prompt.Empty() || !b.Named.Empty() && b.Prompt.Start < b.Named.Start {
		b.Done = lastOK(buf, max(from, b.Named.End), to)
	}
	return b
}

// lastOK returns the last line of buf that starts in [from, to) and is
// odpscmd's "OK" (see isOK).
func lastOK(buf []byte, from, to int) Span {
	var last Span
	for q := from; q < to; {
		k := bytes.IndexByte(buf[q:to], 'K')
		if k < 0 {
			break
		}
		k += q
		// An OK that ends its line (alone, or a log line's message).
		if k > from && buf[k-1] == 'O' && (k+1 == len(buf) || buf[k+1] == '\n' || buf[k+1] == '\r') {
			if ls, inside := lineStart(buf, from, k-1); inside {
				if e := lineEnd(buf, k); isOK(buf[ls:e]) {
					last = Span{ls, e}
				}
			}
		}
		q = k + 1
	}
	return last
}

// walkBack returns b, what LookBack(buf, from, to) found, with where its
// instance was first announced (First), the first of those lines with its
// LogView link (LogView) and the prompt before them (Statement), as far
// back as the same instance goes without another instance or a prompt
// between: the lines after b.Named are not read again.
func walkBack(buf []byte, from int, b Before) Before {
	if b.Named.Empty() {
		return b
	}
	named := b.Named.Start
	// Back over the same instance's lines, to its first and its LogView.
	stop := from
	// The last prompt before named: LookBack's, the last of the window,
	// unless that one came after named (no prompt there, none before).
	pr := b.Prompt
	if pr.Start >= named {
		pr = lastPrompt(buf, from, named)
	}
	if !pr.Empty() {
		stop = pr.End
		b.Statement = pr
	}
	x := b.ID.Of(buf)
	b.First = b.Named
	if b.NamedLogView {
		b.LogView = b.Named
	}
	for p := named - 1; p >= stop; {
		id, ok := idBefore(buf, stop, &p)
		if !ok {
			break
		}
		if !announced(buf, stop, id) {
			continue
		}
		line, inside := lineOf(buf, stop, id)
		if !inside || !bytes.Equal(id.Of(buf), x) {
			break
		}
		p = line.Start - 1
		b.First = line
		if isLogViewID(buf, stop, id) {
			b.LogView = line
		}
	}
	return b
}

// LookBackFor reads the lines of buf that start in [from, to) for the
// instance id, which the line at to names (a reader calls it when the
// tracker NeedsFirst it): the last line that announces it (Named), the
// first (First), the first with its LogView link (LogView), and the
// odpscmd prompt before the first (Statement). Other instances announced
// between do not stop it, as they stop walkBack: jobs interleave
// in a scheduler's log, and an exact ID is the same job wherever it is.
func LookBackFor(buf []byte, from, to int, id []byte) Before {
	var b Before
	if len(id) == 0 {
		return b
	}
	// Where id is, found forwards (bytes.Index compares many bytes at
	// once; bytes.LastIndex hashes one at a time: 4 times slower here),
	// then read from the last: each one that ends before hi is the one
	// bytes.LastIndex(buf[from:hi], id) would find. The search is for
	// its letters and what follows (tail), then the digits before them
	// are compared: an ID starts with the year, as most lines do, and a
	// search for its first byte stops at every timestamp (it took 8 % of
	// the daemon's CPU).
	digits := bytes.IndexFunc(id, func(r rune) bool { return r < '0' || r > '9' })
	if digits < 0 {
		digits = 0 // not an ID's shape: the whole of it is searched for
	}
	head, tail := id[:digits], id[digits:]
	var found [16]int
	at := found[:0]
	for i := from + len(head); i < to; {
		k := bytes.Index(buf[i:to], tail)
		if k < 0 {
			break
		}
		if start := i + k - len(head); bytes.Equal(buf[start:i+k], head) {
			at = append(at, start)
		}
		i += k + 1
	}
	for hi, j := to, len(at)-1; j >= 0 && hi > from; j-- {
		if at[j]+len(id) > hi {
			continue
		}
		s := Span{at[j], at[j] + len(id)}
		hi = s.Start
		// (The D of a URL-encoded i%3D is no longer word.)
		if s.Start > from && isWord(buf[s.Start-1]) && !isLogViewID(buf, from, s) || s.End < len(buf) && isWord(buf[s.End]) || !announced(buf, from, s) {
			continue // within a longer word, or not announced
		}
		line, inside := lineOf(buf, from, s)
		if !inside {
			break
		}
		logView := isLogViewID(buf, from, s)
		if b.Named.Empty() {
			b.Named, b.ID, b.NamedLogView = line, s, logView
		}
		b.First = line
		if logView {
			b.LogView = line
		}
		hi = line.Start // the line is read
	}
	if !b.First.Empty() {
		b.Statement = lastPrompt(buf, from, b.First.Start)
	}
	return b
}

// NeedsFirst reports whether t wants to know where the instance id was
// first announced and its LogView link: it is new, and there is room for
// it (MaxJobs).
func (t *Tracker) NeedsFirst(id []byte) bool {
	if t.current != nil && t.current.Instance == string(id) || len(t.jobs) >= t.maxJobs && !t.evict {
		return false // the usual cases, without a map lookup
	}
	_, ok := t.byID[string(id)]
	return !ok
}

func (t *Tracker) knows(id []byte) bool {
	_, ok := t.byID[string(id)]
	return ok
}

// announced reports whether the ID at id is announced the way Find reads
// it: after one of instanceWords (and spaces, ':', '=' and quotes), or as
// the i= of a LogView link. It reads no further back than from, nor past
// the start of id's line.
func announced(buf []byte, from int, id Span) bool {
	if isLogViewID(buf, from, id) {
		return true
	}
	j := id.Start
	for j > from && (buf[j-1] == ' ' || buf[j-1] == ':' || buf[j-1] == '=' || buf[j-1] == '"' || buf[j-1] == '\'') {
		j--
	}
	for _, w := range instanceWords {
		i := j - len(w)
		if i >= from && hasPrefixFold(buf[i:], w) && (i == from || !isWord(buf[i-1])) {
			return true
		}
	}
	return false
}

// isLogViewID reports whether id is the i= parameter of a LogView link:
// after "i=" or "i%3D", after '?', '&', "\u0026", "%26" or "%3F", on a
// line that says "logview".
func isLogViewID(buf []byte, from int, id Span) bool {
	pre := buf[max(from, id.Start-len(`\u0026i\u003d`)):id.Start]
	switch {
	case bytes.HasSuffix(pre, []byte("i=")):
		pre = pre[:len(pre)-2]
	case len(pre) >= 4 && hasPrefixFold(pre[len(pre)-4:], "i%3d"):
		pre = pre[:len(pre)-4]
	case len(pre) >= 7 && hasPrefixFold(pre[len(pre)-7:], `i\u003d`):
		pre = pre[:len(pre)-7]
	default:
		return false
	}
	sep := bytes.HasSuffix(pre, []byte("?")) || bytes.HasSuffix(pre, []byte("&")) || bytes.HasSuffix(pre, []byte(`\u0026`)) ||
		len(pre) >= 3 && (hasPrefixFold(pre[len(pre)-3:], "%26") || hasPrefixFold(pre[len(pre)-3:], "%3f"))
	if !sep {
		return false
	}
	line, _ := lineOf(buf, from, id)
	return !firstAt(line.Of(buf), "vV", func(k int) Span {
		if k >= 3 && hasPrefixFold(line.Of(buf)[k-3:], "logview") {
			return Span{k - 3, k + 4}
		}
		return Span{}
	}).Empty()
}

// lineOf returns the line of buf that holds id, from no further back than
// from, and whether it starts at or after from.
func lineOf(buf []byte, from int, id Span) (Span, bool) {
	start, inside := lineStart(buf, from, id.Start)
	return Span{start, lineEnd(buf, id.End)}, inside
}

// lastPrompt returns the last line of buf that starts in [from, to) with
// "odps@".
func lastPrompt(buf []byte, from, to int) Span {
	var last Span
	for q := from; q < to; {
		k := bytes.IndexByte(buf[q:to], '@')
		if k < 0 {
			break
		}
		q += k
		if start := q - len("odps"); start >= from && (start == 0 || buf[start-1] == '\n') && hasPrefixFold(buf[start:], "odps@") {
			last = Span{start, lineEnd(buf, q)}
		}
		q++
	}
	return last
}

// lineStart returns the start of the line holding buf[i], and whether it
// is at or after from.
func lineStart(buf []byte, from, i int) (int, bool) {
	if k := scan.LastNewline(buf[from:i]); k >= 0 {
		return from + k + 1, true
	}
	return from, from == 0 || buf[from-1] == '\n'
}

// lineEnd returns the offset of the '\n' that ends the line holding
// buf[i], or len(buf).
func lineEnd(buf []byte, i int) int {
	if k := bytes.IndexByte(buf[i:], '\n'); k >= 0 {
		return i + k
	}
	return len(buf)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits8 reports whether the first 8 bytes of b are ASCII digits: each
// byte's high nibble is 3 and stays 3 when 6 is added (0x3A and above
// carry into 4).
func digits8(b []byte) bool {
	x := binary.LittleEndian.Uint64(b)
	const high, three, six = 0xF0F0F0F0F0F0F0F0, 0x3030303030303030, 0x0606060606060606
	return x&high == three && (x+six)&high == three
}

// Feed gives t what LookBack found in buf, whose first byte is at stream
// offset base, in stream order: where a new instance was first announced
// and its LogView link, the line that named it last, the prompt after it.
// lineOf numbers the line starting at an offset of buf; it is only called
// for lines Find must read.
func (t *Tracker) Feed(buf []byte, base int64, b Before, lineOf func(off int) int64) {
	give := func(s Span) {
		line := s.Of(buf)
		t.Line(Pos{Line: lineOf(s.Start), Offset: base + int64(s.Start)}, line, Find(line), nil)
	}
	// The last prompt, before the instance named last or after it, is
	// given in its place: before, it is the statement the instance ran
	// for (Statement, when the walk back found it).
	promptBefore := !b.Prompt.Empty() && !b.Named.Empty() && b.Prompt.Start < b.Named.Start
	if !b.Named.Empty() {
		id := b.ID.Of(buf)
		switch {
		case t.NeedsFirst(id):
			switch {
			case !b.Statement.Empty():
				give(b.Statement)
			case promptBefore:
				give(b.Prompt)
			}
			if !b.First.Empty() && b.First != b.Named {
				give(b.First)
			}
			if !b.LogView.Empty() && b.LogView != b.First && b.LogView != b.Named {
				give(b.LogView)
			}
		case promptBefore:
			give(b.Prompt)
		}
		isCurrent := t.current != nil && t.current.Instance == string(id)
		switch {
		case hasPrefixFold(b.Named.Of(buf), "odps@"):
			give(b.Named)
		case isCurrent && (t.current.LogView != "" || !b.NamedLogView):
			// Named again: the job goes on. Nothing else of the line is
			// needed.
			t.current.seen = base + int64(b.Named.Start)
		case !isCurrent && len(t.jobs) >= t.maxJobs && !t.evict && !t.knows(id):
			// No room for it: its codes go to no job.
			t.drop(id)
		default:
			give(b.Named)
		}
	}
	if !b.Prompt.Empty() && !promptBefore {
		give(b.Prompt)
	}
	if !b.Done.Empty() {
		give(b.Done) // after Named, and no prompt after it
	}
}
