package oneshot

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// blockResult is what a worker learnt of a block. Its spans refer to the
// block's data, so it is valid until the block's buffer is reused.
type blockResult struct {
	firstNL, lastNL int // offsets of the first and last '\n', -1 if none
	newlines        int64
	matches         int64
	matchedLines    int64
	codes           []codeInBlock
	nul             bool // the first block holds a NUL byte
	// lines are the block's whole lines with codes, in order, for the
	// job tracker (see jobs.go), and extras what was read of them.
	lines  []codeLine
	extras []codeExtra
}

// codeInBlock aggregates one code over the whole lines of a block.
type codeInBlock struct {
	code  scan.Code
	count int64
	// first and last are the numbers of '\n' before the first and last
	// occurrence, in the block.
	first, last int64
	// at is the offset of the first occurrence in the block, where the
	// merger finds its sample line and descriptions if the code is new to
	// the report. (A whole scan.Match is 4 times larger, and there can be
	// 80,000 codes in a block.)
	at int
}

// worker scans blocks; it keeps its scratch space from one block to the
// next.
type worker struct {
	matches []scan.Match
	index   map[scan.Code]int
	// examined is where the block's lines were read for jobs up to (see
	// codeLine).
	examined int
	skipJobs bool
}

// process scans the whole lines of b, those between its first and last
// '\n'. The partial lines at either end belong to lines that cross block
// boundaries; the merger stitches and scans those.
func (w *worker) process(b *block, sc scan.Scanner) {
	data := b.data
	res := blockResult{firstNL: bytes.IndexByte(data, '\n'), lastNL: -1, codes: b.codes[:0]}
	if b.seq == 0 {
		res.nul = bytes.IndexByte(data, 0) >= 0
	}
	if res.firstNL < 0 {
		b.res = res
		return
	}
	defer func() { b.codes, b.lines, b.extras = b.res.codes, b.res.lines, b.res.extras }() // keep the grown scratch
	res.lines, res.extras = b.lines[:0], b.extras[:0]
	b.lineCodes = b.lineCodes[:0]
	res.lastNL = bytes.LastIndexByte(data, '\n')
	start := res.firstNL + 1
	if w.index == nil {
		w.index = make(map[scan.Code]int)
	}
	clear(w.index)
	// Count newlines only between the lines that hold codes: one pass over
	// the block in all, with no per-line work.
	w.matches = sc.Scan(w.matches[:0], data[start:res.lastNL+1])
	pos, nl := start, int64(1)
	prevLine := -1
	w.examined = start
	for _, m := range w.matches {
		m = shift(m, start)
		if m.Line.Start != prevLine {
			nl += int64(bytes.Count(data[pos:m.Line.Start], newline))
			pos, prevLine = m.Line.Start, m.Line.Start
			res.matchedLines++
			if !w.skipJobs {
				res.lines = append(res.lines, w.codeLine(&res, data, start, m.Line, nl, len(b.lineCodes)))
			}
		}
		if !w.skipJobs {
			b.lineCodes = append(b.lineCodes, attrib.CodeAt{Code: m.Code, Offset: m.Offset - m.Line.Start})
		}
		res.matches++
		if i, ok := w.index[m.Code]; ok {
			c := &res.codes[i]
			c.count++
			c.last = nl
			continue
		}
		w.index[m.Code] = len(res.codes)
		res.codes = append(res.codes, codeInBlock{code: m.Code, count: 1, first: nl, last: nl, at: m.Offset})
	}
	res.newlines = nl + int64(bytes.Count(data[pos:], newline))
	b.res = res
}

var newline = []byte{'\n'}

// shift moves a match found in data[off:] to data's offsets.
func shift(m scan.Match, off int) scan.Match {
	m.Offset += off
	for _, s := range []*scan.Span{&m.Line, &m.General, &m.Context} {
		s.Start += off
		s.End += off
	}
	return m
}

// merger takes blocks in order: it numbers lines, stitches the lines that
// cross block boundaries and adds everything to the report.
type merger struct {
	r       *Report
	name    string
	maxLine int
	scanner scan.Scanner

	pending    []byte // the start of the line being read, at most maxLine bytes
	pendingLen int64  // its whole length so far
	matches    []scan.Match

	// offset is the stream offset of the block being merged; pendingAt
	// that of the pending line.
	offset, pendingAt int64
	jobs              jobFeeder
	codesAt           []attrib.CodeAt // scratch for the pending line's codes
}

func (m *merger) add(b *block) {
	res := &b.res
	data := b.data
	m.r.addBytes(int64(len(data)))
	if res.nul {
		m.r.markBinary()
	}
	defer func() { m.offset += int64(len(data)) }()
	if res.firstNL < 0 {
		m.extend(data)
		return
	}
	m.extend(data[:res.firstNL])
	m.endLine()
	base := m.r.file.Lines
	for i := range res.codes {
		c := &res.codes[i]
		if !m.r.count(c.code, c.count, base+c.last) {
			line, at := m.occurrence(data, c.at)
			m.r.addCode(c.code, c.count, base+c.first, base+c.last, line, at)
		}
	}
	m.r.addMatches(res.matches, res.matchedLines)
	m.feedJobs(b, base)
	// The first '\n' ended the pending line, counted by endLine.
	m.r.addLines(res.newlines - 1)
	// The block's whole lines join the history (the stitched line did in
	// endLine), numbered from the merger's count: the pending line is
	// line Lines+1.
	m.jobs.remember(data[res.firstNL+1 : res.lastNL+1])
	m.pendingAt = m.offset + int64(res.lastNL) + 1
	m.extend(data[res.lastNL+1:])
}

// occurrence finds again the code at offset at of data, a whole line's
// worth of it, for its sample and descriptions: it rescans only that line.
func (m *merger) occurrence(data []byte, at int) ([]byte, scan.Match) {
	start := bytes.LastIndexByte(data[:at], '\n') + 1
	end := len(data)
	if k := bytes.IndexByte(data[at:], '\n'); k >= 0 {
		end = at + k
	}
	line := data[start:end]
	m.matches = m.scanner.Scan(m.matches[:0], line)
	for _, match := range m.matches {
		if match.Offset == at-start {
			return line, match
		}
	}
	panic("BUG: a code found by a worker is not found again on its line")
}

// extend appends to the pending line, keeping at most maxLine bytes.
func (m *merger) extend(p []byte) {
	m.pendingLen += int64(len(p))
	if room := m.maxLine - len(m.pending); room > 0 {
		m.pending = append(m.pending, p[:min(room, len(p))]...)
	}
}

// endLine scans the pending line, which a '\n' (or the end of the input)
// has just ended, as the current file's next line (r.file.Lines counts them).
func (m *merger) endLine() {
	m.r.addLines(1)
	if m.pendingLen > int64(m.maxLine) {
		m.r.addCut()
	}
	line := m.pending
	m.matches = m.scanner.Scan(m.matches[:0], line)
	if cut := m.pendingLen > int64(len(line)); cut && len(m.matches) > 0 {
		// The cut end is no word boundary: "ODPS-01300712" cut after its
		// seventh digit is not a code.
		if last := m.matches[len(m.matches)-1]; last.Offset+len(scan.Prefix)+7 == len(line) {
			m.matches = m.matches[:len(m.matches)-1]
		}
	}
	if len(m.matches) > 0 {
		m.r.addMatches(int64(len(m.matches)), 1)
	}
	m.stitchedJobs(line)
	for _, match := range m.matches {
		if !m.r.count(match.Code, 1, m.r.file.Lines) {
			m.r.addCode(match.Code, 1, m.r.file.Lines, m.r.file.Lines, line, match)
		}
	}
	m.pendingAt += m.pendingLen + 1
	m.pending, m.pendingLen = m.pending[:0], 0
}

// finish ends the input: a last line without '\n' still counts.
func (m *merger) finish() {
	if m.pendingLen > 0 {
		m.endLine()
	}
}
