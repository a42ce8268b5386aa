package oneshot

import (
	"bytes"
	"cmp"
	"slices"
	"unicode/utf8"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// MaxSample bounds the sample line kept for each code, in bytes.
const MaxSample = 512

// MaxUndocumentedCodes bounds the undocumented codes a report details. The
// matches of further ones are added up by family, module and severity (see
// Report.Folded), so memory stays bounded however many distinct codes an
// input holds (there can be ten million).
const MaxUndocumentedCodes = 1000

// Report is what a scan found, over every input scanned into it. It is not
// safe for concurrent use: one merger writes it at a time.
type Report struct {
	Lines        int64
	Bytes        int64
	Matches      int64
	MatchedLines int64
	// CutLines counts lines longer than Options.MaxLine that crossed a
	// block boundary: only their first MaxLine bytes were scanned.
	CutLines int64
	Files    []*FileStat

	// FoldedMatches counts the matches of undocumented codes beyond
	// MaxUndocumentedCodes, which are not detailed.
	FoldedMatches int64

	codes        map[scan.Code]*CodeStat
	order        []scan.Code // the codes detailed, in the order they were first found (for Merge)
	undocumented int
	folded       map[foldKey]*Folded
	file         *FileStat
}

// Folded adds up the matches of undocumented codes past
// MaxUndocumentedCodes that share a family, module and severity.
type Folded struct {
	// Class is the first code folded here; only its family, module and
	// severity stand for the others.
	Class classify.Class
	Count int64
}

type foldKey struct {
	family, module string
	severity       int
}

// FileStat is what one input held.
type FileStat struct {
	Name     string
	Size     int64 // -1 when not known in advance (streams, gzip)
	Bytes    int64 // bytes of text read (decompressed)
	Lines    int64
	Matches  int64
	CutLines int64
	// Binary reports a NUL byte in the input's first MiB: it may not be
	// text. It is scanned all the same.
	Binary bool
	// TrailingGarbage counts the bytes after a gzip input's last member
	// that were neither a member nor zero padding: ignored, as gzip -d
	// does, once all the data before them was read.
	TrailingGarbage int64

	jobs *attrib.Tracker
}

// Jobs returns the jobs the input named near its codes (see attrib.Window)
// and those of no instance, which hold the codes no instance could be
// named for, in the order they failed (Tracker.Jobs). The failed ones are
// those with codes.
func (f *FileStat) Jobs() []*attrib.Job { return f.jobs.Jobs() }

// Failures returns the failures of every input (one error event, however
// many times it is printed: see attrib.Tracker) and, for each code, how
// many of them it was in. Codes past attrib.MaxJobCodes in a job are in
// the total, not by code.
func (r *Report) Failures() (int64, map[scan.Code]int64) {
	var total int64
	byCode := make(map[scan.Code]int64)
	for _, f := range r.Files {
		for _, j := range f.Jobs() {
			total += j.Failures
			for _, c := range j.Codes {
				byCode[c.Code] += c.Failures
			}
		}
	}
	return total, byCode
}

// Recovered returns how many of the failures were retried and recovered
// (see attrib.Tracker): counted in Failures all the same.
func (r *Report) Recovered() int64 {
	var n int64
	for _, f := range r.Files {
		n += f.jobs.RecoveredFailures
	}
	return n
}

// RecoveredByCode returns how many failures of each code were retried and
// recovered, over every input.
func (r *Report) RecoveredByCode() map[scan.Code]int64 {
	out := make(map[scan.Code]int64)
	for _, f := range r.Files {
		for c, n := range f.jobs.RecoveredByCode() {
			out[c] += n
		}
	}
	return out
}

// DroppedJobs counts the instances announced past attrib.MaxJobs.
func (f *FileStat) DroppedJobs() int64 { return f.jobs.DroppedJobs }

// Position is a line of an input.
type Position struct {
	File string
	Line int64 // 1-based
}

// CodeStat is one code over the whole report.
type CodeStat struct {
	Class       classify.Class
	Count       int64
	First, Last Position
	// Sample is the line of the first occurrence, at most MaxSample bytes;
	// General and Context are its descriptions.
	Sample, General, Context string
}

// NewReport returns an empty report.
func NewReport() *Report {
	return &Report{codes: make(map[scan.Code]*CodeStat), folded: make(map[foldKey]*Folded)}
}

func (r *Report) beginFile(name string, size int64) {
	r.file = &FileStat{Name: name, Size: size, jobs: attrib.NewTracker()}
	r.Files = append(r.Files, r.file)
}

func (r *Report) addBytes(n int64) { r.Bytes += n; r.file.Bytes += n }
func (r *Report) addLines(n int64) { r.Lines += n; r.file.Lines += n }
func (r *Report) addCut()          { r.CutLines++; r.file.CutLines++ }
func (r *Report) markBinary()      { r.file.Binary = true }

func (r *Report) addMatches(matches, lines int64) {
	r.Matches += matches
	r.MatchedLines += lines
	r.file.Matches += matches
}

// count adds n occurrences of c, the last on line last of the current
// file, if the report already details c or folds it, and reports whether it
// did. Otherwise c is new: the caller adds it with addCode and its first
// occurrence, which count spares it from finding for every block.
func (r *Report) count(c scan.Code, n, last int64) bool {
	if s, ok := r.codes[c]; ok {
		s.Count += n
		s.Last = Position{r.file.Name, last}
		return true
	}
	if _, ok := classify.Lookup(c); !ok && r.undocumented >= MaxUndocumentedCodes {
		r.fold(classify.Classify(c), n)
		return true
	}
	return false
}

// addCode adds c, which count has just found new and not to be folded:
// n occurrences between lines first and last of the current file; at is
// the first occurrence, in buf.
func (r *Report) addCode(c scan.Code, n, first, last int64, buf []byte, at scan.Match) {
	cl := classify.Classify(c)
	if cl.Entry == nil {
		r.undocumented++
	}
	r.order = append(r.order, c)
	r.codes[c] = &CodeStat{
		Class:   cl,
		Count:   n,
		First:   Position{r.file.Name, first},
		Last:    Position{r.file.Name, last},
		Sample:  sample(buf, at),
		General: text(redact.Bytes(at.General.Of(buf)), MaxSample),
		Context: text(redact.Bytes(at.Context.Of(buf)), MaxSample),
	}
}

// sample returns the line of m, or, if longer than MaxSample, a window of
// it around the code, marked with "…" where it was cut.
func sample(buf []byte, m scan.Match) string {
	line := m.Line.Of(buf)
	codeAt := m.Offset - m.Line.Start
	if red := redact.Bytes(line); !bytes.Equal(red, line) {
		// Redacted whole before the window is cut, so that no part of a
		// token is left outside what was redacted; the code has moved
		// if a token came before it.
		line = red
		if i := bytes.Index(line, []byte(m.Code.String())); i >= 0 {
			codeAt = i
		}
	}
	if len(line) <= MaxSample {
		return string(line)
	}
	const before = 96 // of context kept before the code
	start := max(0, codeAt-before)
	for start > 0 && !utf8.RuneStart(line[start]) {
		start++
	}
	s := text(line[start:], MaxSample-2*len("…"))
	if start+len(s) < len(line) {
		s += "…"
	}
	if start > 0 {
		s = "…" + s
	}
	return s
}

// Merge adds o, the report of inputs scanned after r's, to r, as if they
// had been scanned into r: their files after r's, each code's count,
// first and last line, and which undocumented codes are detailed and which
// folded (the first MaxUndocumentedCodes found, in the order they were
// found). It reports false, and changes nothing, when o folded codes
// itself: their identities are lost, so whether r would detail them cannot
// be known, and the caller scans those inputs into r instead. o must not
// be used afterwards.
func (r *Report) Merge(o *Report) bool {
	if o.FoldedMatches > 0 {
		return false
	}
	r.Lines += o.Lines
	r.Bytes += o.Bytes
	r.Matches += o.Matches
	r.MatchedLines += o.MatchedLines
	r.CutLines += o.CutLines
	r.Files = append(r.Files, o.Files...)
	if o.file != nil {
		r.file = o.file
	}
	// What count and addCode did with each code as o found it, done again
	// with r's state.
	for _, c := range o.order {
		s := o.codes[c]
		switch have, ok := r.codes[c]; {
		case ok:
			have.Count += s.Count
			have.Last = s.Last
		case s.Class.Entry == nil && r.undocumented >= MaxUndocumentedCodes:
			r.fold(s.Class, s.Count)
		default:
			if s.Class.Entry == nil {
				r.undocumented++
			}
			r.order = append(r.order, c)
			r.codes[c] = s
		}
	}
	return true
}

func (r *Report) fold(cl classify.Class, n int64) {
	k := foldKey{cl.Family.Label, cl.Module.Label, cl.Severity}
	f, ok := r.folded[k]
	if !ok {
		f = &Folded{Class: cl}
		r.folded[k] = f
	}
	f.Count += n
	r.FoldedMatches += n
}

// Folded returns the folded undocumented codes with severity at least
// minSeverity, most severe first, then most frequent.
func (r *Report) Folded(minSeverity int) []*Folded {
	var out []*Folded
	for _, f := range r.folded {
		if f.Class.Severity >= minSeverity {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *Folded) int {
		return cmp.Or(
			cmp.Compare(b.Class.Severity, a.Class.Severity),
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Class.Family.Label+"/"+a.Class.Module.Label, b.Class.Family.Label+"/"+b.Class.Module.Label))
	})
	return out
}

// text copies b, cut to at most limit bytes without splitting a UTF-8
// sequence.
func text(b []byte, limit int) string { return string(scan.CutUTF8(b, limit)) }

// Codes returns the codes found with severity at least minSeverity, most
// severe first, then most frequent, then by code.
func (r *Report) Codes(minSeverity int) []*CodeStat {
	var out []*CodeStat
	for _, s := range r.codes {
		if s.Class.Severity >= minSeverity {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *CodeStat) int {
		return cmp.Or(
			cmp.Compare(b.Class.Severity, a.Class.Severity),
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Class.Code, b.Class.Code))
	})
	return out
}

// MaxSeverity returns the highest severity found, or -1 when no code was.
func (r *Report) MaxSeverity() int {
	sev := -1
	for _, s := range r.codes {
		sev = max(sev, s.Class.Severity)
	}
	for _, f := range r.folded {
		sev = max(sev, f.Class.Severity)
	}
	return sev
}
