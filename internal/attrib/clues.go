// Package attrib reads, in one log line, what tells which MaxCompute job
// the line belongs to: an instance ID, a project, a LogView link, a
// request ID and the line's timestamp. It is the base of naming the failed
// jobs of a log (`scan`'s jobs): the lines near an error code are read with
// it, and the current job is carried along a stream.
//
// What it promises:
//   - No regexp and no allocation: Find returns spans into the line, which
//     must not change while they are used.
//   - Each clue comes from a form real logs print, listed on its finder,
//     and from nowhere else: where the evidence is ambiguous it says
//     nothing rather than guess (an ID is only an instance ID after a word
//     that announces one).
//   - A LogView link carries a token that grants access to the job:
//     LogView returns the link without it, and Find's span must never be
//     printed as it is.
package attrib

import (
	"bytes"
)

// Span is [Start, End) of a line; the zero Span is empty (none found).
type Span struct{ Start, End int }

// Of returns the span's bytes in line.
func (s Span) Of(line []byte) []byte { return line[s.Start:s.End] }

// Empty reports whether nothing was found.
func (s Span) Empty() bool { return s.End <= s.Start }

// Clues are what one line says about its job.
type Clues struct {
	Instance  Span // an instance ID: 20261123011501102g7qk2md8a
	Project   Span // a project name
	LogView   Span // a LogView link, token and all: see LogView
	RequestID Span
	Time      Span // the timestamp the line starts with
	// Statement says the line starts a statement: odpscmd's prompt
	// "odps@ <project>>" at its start. The job of the statement before it
	// is over; the next one has not been announced yet.
	Statement bool
	// Done says the line is odpscmd's "OK", printed when a statement
	// succeeded: its job is over (odpscmd -f and -e print no prompt
	// between statements), and the project goes on.
	Done bool
}

// Find reads the clues of one line (without its '\n'). Each form is
// found from a byte that is rare in logs and that every spelling of it
// holds ('@' and 'j' of projects, 'q' of request IDs, 'v' of LogView, the
// digits of an instance ID), with bytes.IndexByte: a line costs a few
// passes at memory speed, not a look at each byte.
func Find(line []byte) Clues {
	var c Clues
	c.Time = timestamp(line)
	c.Statement = hasPrefixFold(line, "odps@")
	c.Done = isOK(line)
	c.LogView = firstAt(line, "vV", func(k int) Span {
		if k < 3 || !hasPrefixFold(line[k-3:], "logview") {
			return Span{}
		}
		return logViewAt(line, k-3)
	})
	c.Project = firstAt(line, "@jJ", func(k int) Span {
		if line[k] == '@' {
			return projectFormAt(line, k-len("odps"), "odps@ ", "odps@")
		}
		if k < len("pro") || !hasPrefixFold(line[k-len("pro"):], "proj") {
			return Span{} // every form has "proj": most 'j's are not one
		}
		p := projectFormAt(line, k-len("in pro"), "in project ")
		if p.Empty() {
			p = projectFormAt(line, k-len("pro"), "projects/", "project=", "project: ")
		}
		return p
	})
	c.RequestID = firstAt(line, "qQ", func(k int) Span {
		if k < len("re") || !hasPrefixFold(line[k-len("re"):], "req") {
			return Span{} // every form has "req"
		}
		for _, back := range []int{len("x-odps-re"), len(`"re`), len("re")} {
			if r := requestAt(line, k-back); !r.Empty() {
				return r
			}
		}
		return Span{}
	})
	c.Instance = lineInstance(line)
	if !c.LogView.Empty() {
		// The link's own p= says the most.
		lv := c.LogView.Of(line)
		if s := param(lv, "p"); !s.Empty() && isProject(s.Of(lv)) {
			c.Project = Span{c.LogView.Start + s.Start, c.LogView.Start + s.End}
		}
	}
	return c
}

// Projects are announced by odpscmd's prompt "odps@ <project>>",
// "projects/<project>" in REST paths and ACS resource names, "project=",
// "project: " and "in project " (see Find).

// projectFormAt reads a project announced at line[at:] by one of forms,
// the first that names one; at may be out of the line.
func projectFormAt(line []byte, at int, forms ...string) Span {
	if at < 0 {
		return Span{}
	}
	for _, f := range forms {
		if !hasPrefixFold(line[at:], f) {
			continue
		}
		start := at + len(f)
		end := start
		for end < len(line) && isWord(line[end]) {
			end++
		}
		if isProject(line[start:end]) {
			return Span{start, end}
		}
	}
	return Span{}
}

// firstAt returns the first non-empty span that read returns for an
// occurrence in line of one of the bytes of anchors: the one that starts
// first in the line.
func firstAt(line []byte, anchors string, read func(k int) Span) Span {
	var first Span
	for i := 0; i < len(anchors); i++ {
		for from := 0; from < len(line); {
			k := bytes.IndexByte(line[from:], anchors[i])
			if k < 0 {
				break
			}
			k += from
			if first.End > 0 && k-len("x-odps-re") > first.Start {
				break // nothing later can start before first
			}
			if s := read(k); !s.Empty() && (first.Empty() || s.Start < first.Start) {
				first = s
			}
			from = k + 1
		}
	}
	return first
}

// isProject reports whether s can be a project name: a letter, then
// letters, digits and '_', 3 to 128 bytes.
func isProject(s []byte) bool {
	if len(s) < 3 || len(s) > 128 || !isLetter(s[0]) {
		return false
	}
	for _, c := range s {
		if !isWord(c) {
			return false
		}
	}
	return true
}

// requestForms announce a request ID: "RequestId=", "RequestId: ",
// "x-odps-request-id=" or ": ", "<RequestId>" (an error body), and the
// JSON key "RequestId":".
var requestForms = []string{"<requestid>", `"requestid":"`, `"requestid": "`, "x-odps-request-id=", "x-odps-request-id: ", "requestid=", "requestid: ", "request id: "}

func requestAt(line []byte, at int) Span {
	if at < 0 {
		return Span{}
	}
	for _, f := range requestForms {
		if !hasPrefixFold(line[at:], f) {
			continue
		}
		start := at + len(f)
		end := start
		for end < len(line) && (isWord(line[end]) || line[end] == '-') {
			end++
		}
		if n := end - start; n >= 8 && n <= 64 {
			return Span{start, end}
		}
	}
	return Span{}
}

func digits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isWord(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' || c == '_' }

func hasPrefixFold(b []byte, lowerPrefix string) bool {
	if len(b) < len(lowerPrefix) {
		return false
	}
	for i := 0; i < len(lowerPrefix); i++ {
		c, d := lowerPrefix[i], b[i]
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if d != c {
			return false
		}
	}
	return true
}

// lastIndexFold is bytes.LastIndex ignoring ASCII case; lower is
// lower-case.
func lastIndexFold(b []byte, lower string) int {
	for i := len(b) - len(lower); i >= 0; i-- {
		if b[i]|0x20 == lower[0] && hasPrefixFold(b[i:], lower) {
			return i
		}
	}
	return -1
}
