// Package scan finds MaxCompute error codes, ODPS-MMCCCCX, in raw log bytes
// and reads the descriptions that follow them, without regular expressions.
//
// A code is "ODPS-" and exactly seven ASCII digits with no ASCII letter,
// digit or underscore right before or right after it: the rule of the regexp
// \bODPS-[0-9]{7}\b with Go's ASCII word boundary. Bytes of other scripts
// count as non-word, so "报错ODPS-0130161" holds a code and "errorODPS-0130161"
// does not.
//
// One more form is a code: the server glues a code to the end of the
// message before it ("column x cannot be resolvedODPS-0130071:[1,44]
// Semantic analysis exception"). So "ODPS-" and seven digits right after
// three or more lower-case ASCII letters that follow a non-word byte, with
// a ':' right after the digits, is a code too. Identifiers are not:
// "MyODPS-0130071:" (an upper-case letter), "x_ODPS-…" and "v1ODPS-…" (an
// underscore, a digit), "errorODPS-0130071 " (no ':': a key, not a message).
// scantest.Codes writes both rules the obvious way, for tests.
//
// Scan works on a buffer of many lines: it jumps from one "ODPS-" to the next
// with bytes.Index and finds line boundaries only around the codes it finds,
// so text without codes costs what bytes.Index costs. It also works on a
// single line. The end of the buffer counts as the end of a line.
//
// Scan allocates nothing and keeps nothing. It appends to the slice it is
// given (allocating only when that slice is too small to hold the matches),
// and a Match refers to the scanned buffer by offsets: the buffer must not be
// changed while its matches are in use, and a match means nothing for another
// buffer.
package scan

import (
	"bytes"
	"unicode/utf8"
)

// Default bounds of the descriptions, in bytes.
const (
	DefaultMaxGeneral = 256
	DefaultMaxContext = 512
)

// Span is a half-open byte range [Start, End) of the scanned buffer.
type Span struct{ Start, End int }

// Len returns the number of bytes in s.
func (s Span) Len() int { return s.End - s.Start }

// Of returns the bytes of buf that s covers. buf must be the scanned buffer.
func (s Span) Of(buf []byte) []byte { return buf[s.Start:s.End] }

// Match is one code found in a buffer.
type Match struct {
	Code Code
	// Offset is where "ODPS-" starts.
	Offset int
	// Line is the line holding the code, without its "\n" or "\r\n".
	Line Span
	// General is the general description: the text after ":", ": " or
	// ":[row,col] " up to " - ". Empty when the code is not followed by a colon.
	General Span
	// Context is the context-related description: the text after " - " to the
	// end of the line.
	Context Span
	// GeneralCut and ContextCut report that the description was longer than
	// its bound and was cut.
	GeneralCut, ContextCut bool
	// Newlines is the number of '\n's in the buffer before Offset: the
	// match's line is numbered without a second pass over the buffer.
	Newlines int
	// NoAt reports that no '@' is in the buffer between the previous
	// match's Offset (the buffer's start, for the first) and Offset,
	// seen in the same pass: a reader looking back from a code for what
	// an '@' marks (odpscmd's prompt "odps@ project>", see attrib) skips
	// those bytes. False says nothing: there may be one (and without
	// AVX2 the scan does not look).
	NoAt bool
}

// Scanner scans with bounds on the descriptions. The zero value uses the
// defaults.
type Scanner struct {
	// MaxGeneral bounds the general description (0: DefaultMaxGeneral).
	MaxGeneral int
	// MaxContext bounds the context description (0: DefaultMaxContext).
	MaxContext int
	// CodesOnly leaves General and Context empty: for callers that only
	// count codes, reading the descriptions is most of the work at a high
	// density of codes.
	CodesOnly bool
}

// Scan appends to dst every code in buf, in order, and returns the extended
// slice. It uses the default bounds.
func Scan(dst []Match, buf []byte) []Match { return Scanner{}.Scan(dst, buf) }

// codeLen is the length of "ODPS-" and seven digits.
const codeLen = len(Prefix) + 7

var prefix = []byte(Prefix)

// isWord holds the bytes that \b treats as word characters.
var isWord = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	t['_'] = true
	return t
}()

// gluedToMessage reports whether the "ODPS-" at o follows three or more
// lower-case letters that follow a non-word byte (or start buf): the end
// of a message a code was glued to.
func gluedToMessage(buf []byte, o int) bool {
	k := o
	for k > 0 && 'a' <= buf[k-1] && buf[k-1] <= 'z' {
		k--
	}
	return o-k >= 3 && (k == 0 || !isWord[buf[k-1]])
}

// Scan appends to dst every code in buf, in order, and returns the extended
// slice.
func (s Scanner) Scan(dst []Match, buf []byte) []Match {
	dst, _ = s.ScanLines(dst, buf)
	return dst
}

// ScanLines is Scan, and returns the '\n's in buf too, counted in the
// same pass (each match's Newlines says how many come before it).
func (s Scanner) ScanLines(dst []Match, buf []byte) ([]Match, int) {
	maxGeneral, maxContext := s.MaxGeneral, s.MaxContext
	if maxGeneral <= 0 {
		maxGeneral = DefaultMaxGeneral
	}
	if maxContext <= 0 {
		maxContext = DefaultMaxContext
	}
	// lineStart and lineEnd bound the line of the previous match; lineEnd is
	// the offset of its '\n' (or len(buf)), so matches further along the same
	// line reuse it, and the next line's start is searched for only between
	// lineEnd and the new match: every byte is looked at a bounded number of
	// times, however long the lines.
	lineStart, lineEnd := 0, -1
	// newlines counts the '\n's in buf[:i] ("ODPS-" and its digits, which
	// i skips, hold none).
	newlines := 0
	// noAt is whether no '@' was seen since the last match (see NoAt).
	noAt := true
	i := 0
	for i+codeLen <= len(buf) {
		o, nl, none := indexPrefix(buf, i)
		newlines += nl
		noAt = noAt && none
		if o < 0 {
			return dst, newlines
		}
		// "ODPS-" cannot overlap itself, so the next one starts after this.
		i = o + len(Prefix)
		glued := o > 0 && isWord[buf[o-1]]
		if o+codeLen > len(buf) || glued && !gluedToMessage(buf, o) {
			continue
		}
		var v uint32
		digits := buf[o+len(Prefix) : o+codeLen]
		ok := true
		for _, d := range digits {
			if d-'0' > 9 {
				ok = false
				break
			}
			v = v*10 + uint32(d-'0')
		}
		if !ok || !glued && o+codeLen < len(buf) && isWord[buf[o+codeLen]] || glued && (o+codeLen == len(buf) || buf[o+codeLen] != ':') {
			continue
		}
		i = o + codeLen

		if o > lineEnd {
			from := max(lineEnd, 0)
			lineStart = from + LastNewline(buf[from:o]) + 1
			if k := bytes.IndexByte(buf[i:], '\n'); k >= 0 {
				lineEnd = i + k
			} else {
				lineEnd = len(buf)
			}
		}
		end := lineEnd
		if end > lineStart && buf[end-1] == '\r' {
			end--
		}
		m := Match{Code: Code(v), Offset: o, Line: Span{lineStart, end}, Newlines: newlines, NoAt: noAt}
		noAt = true
		if !s.CodesOnly {
			describe(&m, buf, end, maxGeneral, maxContext)
		}
		dst = append(dst, m)
	}
	return dst, newlines + bytes.Count(buf[i:], newline)
}

// quoting says how the text around a code is quoted, which decides where its
// descriptions end besides the end of the line.
type quoting uint8

const (
	bare     quoting = iota
	inQuotes         // "ODPS-...": a JSON or log string, ends at an unescaped '"'
	inCDATA          // <![CDATA[ODPS-...: XML, ends at "]]>"
)

func quotingBefore(buf []byte, o int) quoting {
	switch {
	case o > 0 && buf[o-1] == '"':
		return inQuotes
	case bytes.HasSuffix(buf[:o], []byte("[CDATA[")):
		return inCDATA
	}
	return bare
}

// describe fills in m's descriptions from the text after the code, up to end
// (the end of the line without its '\r').
func describe(m *Match, buf []byte, end, maxGeneral, maxContext int) {
	p := m.Offset + codeLen
	m.General, m.Context = Span{p, p}, Span{p, p}
	q := quotingBefore(buf, m.Offset)
	switch rest := buf[p:end]; {
	case len(rest) > 0 && rest[0] == ':':
		p = skipRowCol(buf, p+1, end)
	case bytes.HasPrefix(rest, fullWidthColon):
		p += len(fullWidthColon)
	case bytes.HasPrefix(rest, dash):
		m.Context, m.ContextCut, _ = readText(buf, p+len(dash), end, maxContext, q, false)
		return
	default:
		return // no colon: no description
	}
	var dashAt int
	m.General, m.GeneralCut, dashAt = readText(buf, p, end, maxGeneral, q, true)
	m.Context = Span{m.General.End, m.General.End}
	if dashAt >= 0 {
		m.Context, m.ContextCut, _ = readText(buf, dashAt+len(dash), end, maxContext, q, false)
	}
}

var (
	dash           = []byte(" - ")
	fullWidthColon = []byte("：") // CJK logs write it after codes
	cdataEnd       = []byte("]]>")
)

// skipRowCol skips the "[row,col]" of SQL compile errors at p, if there.
func skipRowCol(buf []byte, p, end int) int {
	if p >= end || buf[p] != '[' {
		return p
	}
	digits, commas := 0, 0
	for k := p + 1; k < end && k-p <= 24; k++ {
		switch c := buf[k]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ',' && digits > 0 && commas == 0:
			digits, commas = 0, 1
		case c == ']' && digits > 0 && commas == 1:
			return k + 1
		default:
			return p
		}
	}
	return p
}

// readText reads a description starting at p, after blanks. It ends at end,
// at an escaped newline, where the quoting around the code ends, or, when
// untilDash is set, before " - ", whose offset it returns as dashAt (else -1).
// It is trimmed of blanks, and bounded by limit bytes: cut reports that the
// text went on past the bound.
func readText(buf []byte, p, end, limit int, q quoting, untilDash bool) (s Span, cut bool, dashAt int) {
	blank := p
	for p < end && (buf[p] == ' ' || buf[p] == '\t') {
		p++
	}
	// "ODPS-0010000: - text": the separator comes first, the general
	// description is empty.
	if untilDash && p > blank && bytes.HasPrefix(buf[p-1:end], dash) {
		return Span{p - 1, p - 1}, false, p - 1
	}
	// Look one byte past the bound, so that a text of exactly limit bytes
	// is not taken for a cut one. (Written so that a huge limit cannot
	// overflow.)
	window := end
	if limit < end-p {
		window = p + limit + 1
	}
	e, dashAt := window, -1
scan:
	for k := p; k < window; k++ {
		switch buf[k] {
		case '\\':
			if k+1 < end {
				switch buf[k+1] {
				case 'n', 'r':
					e = k
					break scan
				case '"', '\\':
					if q == inQuotes {
						k++ // an escaped quote or backslash does not end the string
					}
				}
			}
		case '"':
			if q == inQuotes {
				e = k
				break scan
			}
		case ']':
			if q == inCDATA && bytes.HasPrefix(buf[k:end], cdataEnd) {
				e = k
				break scan
			}
		case ' ':
			if untilDash && bytes.HasPrefix(buf[k:end], dash) {
				e, dashAt = k, k
				break scan
			}
		}
	}
	s = Span{p, e}
	for s.End > s.Start && (buf[s.End-1] == ' ' || buf[s.End-1] == '\t') {
		s.End--
	}
	cut = s.Len() > limit || (e == window && window < end)
	if cut {
		s = bounded(buf, s, limit)
	}
	return s, cut, dashAt
}

// bounded shortens s to at most limit bytes without splitting a UTF-8
// sequence.
func bounded(buf []byte, s Span, limit int) Span {
	return Span{s.Start, s.Start + len(CutUTF8(s.Of(buf), limit))}
}

// CutUTF8 returns s cut to at most n bytes, not inside a UTF-8 sequence
// (where s is not UTF-8 there, at n). The scanner cuts descriptions so; so
// do the reports and events that carry them.
func CutUTF8[T ~string | ~[]byte](s T, n int) T {
	if len(s) <= n {
		return s
	}
	i := n
	for j := 0; j < utf8.UTFMax-1 && i > 0 && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = n
	}
	return s[:i]
}
