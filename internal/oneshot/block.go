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
	nul             bool // the block holds a NUL byte in the input's first binaryProbe bytes
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

// binaryProbe is how much of the start of an input is looked at for NUL
// bytes: text with one is marked binary (and scanned as text).
const binaryProbe = 1 << 20

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
	if b.off < binaryProbe {
		res.nul = bytes.IndexByte(data[:min(int64(len(data)), binaryProbe-b.off)], 0) >= 0
	}
	if res.firstNL < 0 {
		b.res = res
		return
	}
	defer func() { b.codes, b.lines, b.extras = b.res.codes, b.res.lines, b.res.extras }() // keep the grown scratch
	res.lines, res.extras = b.lines[:0], b.extras[:0]
	b.lineCodes = b.lineCodes[:0]
	res.lastNL = scan.LastNewline(data)
	start := res.firstNL + 1
	if w.index == nil {
		w.index = make(map[scan.Code]int)
	}
	clear(w.index)
	// The scanner numbers the lines as it finds the codes: one pass over
	// the block in all, with no per-line work.
	var newlines int
	w.matches, newlines = sc.ScanLines(w.matches[:0], data[start:res.lastNL+1])
	nl := int64(1)
	prevLine := -1
	w.examined = start
	for _, m := range w.matches {
		m = shift(m, start)
		if m.Line.Start != prevLine {
			nl = 1 + int64(m.Newlines)
			prevLine = m.Line.Start
			res.matchedLines++
			if !w.skipJobs {
				res.lines = append(res.lines, w.codeLine(&res, data, start, m, nl, len(b.lineCodes)))
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
	res.newlines = 1 + int64(newlines)
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
