package oneshot

import (
	"bytes"
	"context"
	"fmt"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// merger takes blocks in order: it numbers lines, stitches the lines that
// cross block boundaries and adds everything to the report.
type merger struct {
	r       *Report
	name    string
	maxLine int
	scanner scan.Scanner

	pending    []byte // the start of the line being read, at most maxLine bytes
	pendingLen int64  // its whole length so far
	// pendingTail is its last attrib.RecordHead bytes: a cut line's end
	// may be a progress line's (attrib.IsProgress).
	pendingTail []byte
	matches     []scan.Match

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
	start := scan.LastNewline(data[:at]) + 1
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
	// The line's last bytes, for a line cut short.
	if len(p) >= attrib.RecordHead {
		m.pendingTail = append(m.pendingTail[:0], p[len(p)-attrib.RecordHead:]...)
		return
	}
	t := append(m.pendingTail, p...)
	if over := len(t) - attrib.RecordHead; over > 0 {
		t = t[:copy(t, t[over:])]
	}
	m.pendingTail = t
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
	m.pending, m.pendingLen, m.pendingTail = m.pending[:0], 0, m.pendingTail[:0]
}

// finish ends the input: a last line without '\n' still counts.
func (m *merger) finish() {
	if m.pendingLen > 0 {
		m.endLine()
	}
}

// merge takes the blocks in order, whatever order the workers finish them in.
func (e *engine) merge(ctx context.Context, done <-chan *block) error {
	m := merger{r: e.r, name: e.name, maxLine: e.opts.MaxLine, scanner: e.opts.Scanner}
	if !e.opts.skipJobs {
		m.jobs.s = attrib.NewStream(e.r.file.jobs)
	}
	waiting := make(map[int]*block, e.opts.InFlight)
	var consumed int64
	for next := 0; ; {
		b, ok := waiting[next]
		if !ok {
			select {
			case b = <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if b.seq != next {
				waiting[b.seq] = b
				continue
			}
		}
		delete(waiting, next)
		next++
		failed := b.failed
		stage := "scanning"
		if failed == nil {
			failed, stage = m.addGuarded(b, e.opts.panicAt), "merging"
		}
		if failed != nil {
			e.pool <- b.slot
			m.finishGuarded()
			return failed.errorAt(stage, consumed, consumed+int64(max(len(b.data), b.size)))
		}
		consumed += int64(len(b.data))
		if e.check != nil {
			if err := e.check(b.data); err != nil {
				e.pool <- b.slot
				if f := m.finishGuarded(); f != nil {
					return f.errorAt("merging", m.pendingAt, consumed)
				}
				return fmt.Errorf("cannot read %s: %w", e.name, err)
			}
		}
		e.adapt(b.seq, len(b.data), b.res.matches)
		if e.opts.Progress != nil {
			if e.consumed != nil {
				e.opts.Progress(e.consumed())
			} else {
				e.opts.Progress(consumed)
			}
		}
		e.pool <- b.slot
		if b.err != nil {
			if f := m.finishGuarded(); f != nil {
				return f.errorAt("merging", m.pendingAt, consumed)
			}
			return fmt.Errorf("cannot read %s: %w", e.name, b.err)
		}
		if b.last {
			if f := m.finishGuarded(); f != nil {
				return f.errorAt("merging", m.pendingAt, consumed)
			}
			return nil
		}
	}
}

// addGuarded merges b's results; a panic (a bug) is returned instead of
// crashing the process, and the merger must not be fed again.
func (m *merger) addGuarded(b *block, panicAt func(string, int)) (failed *panicked) {
	defer func() {
		if p := recover(); p != nil {
			failed = recovered(p)
		}
	}()
	if panicAt != nil {
		panicAt("merge", b.seq)
	}
	m.add(b)
	return nil
}

// finishGuarded ends the merge, keeping in the report what was merged; a
// panic is returned, as in addGuarded. After one in add, what finish
// reaches of the merger's state is as far as add got: it is still
// guarded.
func (m *merger) finishGuarded() (failed *panicked) {
	defer func() {
		if p := recover(); p != nil {
			failed = recovered(p)
		}
	}()
	m.finish()
	return nil
}
