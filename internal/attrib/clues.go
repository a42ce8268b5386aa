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
	"strings"
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

// instanceWords announce an instance ID: "ID = <id>" (odpscmd),
// "Instance ID: <id>", "InstanceId: <id>", "instance_id=<id>",
// "instance <id>" (PyODPS). They are matched case-insensitively, as words
// of their own ("identity", "instances" announce nothing), and what
// follows them up to the ID may only be spaces, ':', '=' and quotes.
var instanceWords = []string{"instance id", "instanceid", "instance_id", "instance", "id"}

// lastInstance returns the last instance ID that line announces: after
// one of instanceWords, or as the i= of a LogView link (see announced).
// It is the one LookBack finds, read the same way: backwards, for the
// run of digits an ID starts with.
func lastInstance(line []byte) Span {
	for p := len(line) - 1; p >= 0; {
		id, ok := idBefore(line, 0, &p)
		if !ok {
			return Span{}
		}
		if announced(line, 0, id) {
			return id
		}
	}
	return Span{}
}

// isOK reports whether line is odpscmd's "OK" (see Clues.Done): alone,
// or as the whole message of a log line that wraps odpscmd's output
// (Airflow's "... INFO - OK", DataWorks' "... INFO OK").
func isOK(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	return string(line) == "OK" || bytes.HasSuffix(line, []byte(" INFO - OK")) || bytes.HasSuffix(line, []byte(" INFO OK"))
}

// lineInstance returns the instance line names as its own. On a line
// with codes that is the last one announced before its first code
// (InstanceId: X ODPS-...), else the first after it that is a LogView
// link's, announced right after a code (PyODPS's header: ODPS-...:
// InstanceId: X) or a JSON field of the record ("instanceId":"X" outside
// the code's string): an instance the message names in its words (a
// table locked by instance Y, resubmitted as instance_id=Y) is another
// job's,
// and the code's is looked for before the line. On a line without
// codes, the last one announced.
func lineInstance(line []byte) Span {
	first := firstCode(line)
	if first < 0 {
		return lastInstance(line)
	}
	var after Span
	for p := len(line) - 1; p >= 0; {
		id, ok := idBefore(line, 0, &p)
		if !ok {
			break
		}
		switch {
		case !announced(line, 0, id):
		case id.Start < first:
			return id
		case isLogViewID(line, 0, id) || rightAfterCode(line, id) || asField(line, id) && !sameJSONString(line, first, id.Start):
			after = id
		}
	}
	return after
}

// firstCode returns where the first "ODPS-" and seven digits start in
// line, or -1.
func firstCode(line []byte) int {
	for at := 0; ; {
		k := bytes.Index(line[at:], []byte("ODPS-"))
		if k < 0 {
			return -1
		}
		at += k
		if at+12 <= len(line) && digits(line[at+5:at+12]) {
			return at
		}
		at++
	}
}

// rightAfterCode reports whether the announcement of id (an announced
// ID) follows a code with only ':' and spaces between.
func rightAfterCode(line []byte, id Span) bool {
	j := id.Start
	for j > 0 && (line[j-1] == ' ' || line[j-1] == ':' || line[j-1] == '=' || line[j-1] == '"' || line[j-1] == '\'') {
		j--
	}
	for _, w := range instanceWords {
		if i := j - len(w); i >= 0 && hasPrefixFold(line[i:], w) {
			for i > 0 && (line[i-1] == ' ' || line[i-1] == ':') {
				i--
			}
			return i >= 12 && string(line[i-12:i-7]) == "ODPS-" && digits(line[i-7:i])
		}
	}
	return false
}

// asField reports whether id (an announced ID) is the value of a JSON
// key of the record ({"instanceId":"X"} , "instance_id": "X"): the
// instance word is a key of its own, its quote after '{' or ','. A word
// of prose with ':' or '=' after it (locked by instance: Y, resubmitted
// as instance_id=Y) is none.
func asField(line []byte, id Span) bool {
	j := id.Start
	for j > 0 && (line[j-1] == ' ' || line[j-1] == '"' || line[j-1] == ':') {
		j--
	}
	for _, w := range instanceWords {
		i := j - len(w)
		if i < 1 || !hasPrefixFold(line[i:], w) || line[i-1] != '"' || string(line[j:j+2]) != `":` {
			continue
		}
		k := i - 1
		for k > 0 && line[k-1] == ' ' {
			k--
		}
		return k > 0 && (line[k-1] == '{' || line[k-1] == ',')
	}
	return false
}

// isInstanceID reports whether s has an instance ID's shape: at least 14
// digits (the time it was created, to the millisecond) then lower-case
// letters and digits, at least one letter among them, 40 bytes at most.
func isInstanceID(s []byte) bool {
	if len(s) < 15 || len(s) > 40 {
		return false
	}
	d := 0
	for d < len(s) && '0' <= s[d] && s[d] <= '9' {
		d++
	}
	if d < 14 || d == len(s) {
		return false
	}
	letter := false
	for _, c := range s[d:] {
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
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

// timestamp finds the timestamp a line starts with: ISO 8601
// (2026-11-21T02:15:05.459Z, 2026-11-21 02:15:05,459, with or without
// fractions), in brackets ([2026-11-21 02:15:05,459], Airflow's
// [2026-11-21, 02:15:05 UTC]) or after a level (ERROR 2026-11-21
// 02:15:05), syslog's "Nov 21 02:15:05", or a JSON line's "ts", "time",
// "timestamp" or "@timestamp" field among its first: epoch milliseconds,
// epoch seconds with or without a fraction (zap's 1763691301.123), or an
// ISO 8601 string.
func timestamp(line []byte) Span {
	if n := isoTime(line); n > 0 {
		return Span{0, n}
	}
	if len(line) >= 15 && isMonth(line[:3]) && line[3] == ' ' && clock(line[7:15]) {
		return Span{0, 15}
	}
	if len(line) > 0 && line[0] == '[' {
		if n := isoTime(line[1:]); n > 0 {
			return Span{1, 1 + n}
		}
	}
	for _, l := range levels {
		if len(line) > len(l) && hasPrefixFold(line, l) && line[len(l)] == ' ' {
			at := len(l) + 1
			for at < len(line) && (line[at] == ' ' || line[at] == '[') {
				at++
			}
			if n := isoTime(line[at:]); n > 0 {
				return Span{at, at + n}
			}
		}
	}
	if len(line) > 0 && line[0] == '{' {
		return jsonTime(line)
	}
	return Span{}
}

// levels are the log levels a line may start with before its timestamp.
var levels = []string{"error", "warn", "warning", "info", "debug", "fatal", "trace"}

// jsonTime finds the time field among the first bytes of a JSON line.
func jsonTime(line []byte) Span {
	head := line[:min(len(line), 160)]
	for _, k := range []string{`"ts":`, `"time":`, `"timestamp":`, `"@timestamp":`} {
		i := bytes.Index(head, []byte(k))
		if i < 0 {
			continue
		}
		start := i + len(k)
		for start < len(line) && line[start] == ' ' {
			start++
		}
		if start < len(line) && line[start] == '"' {
			if n := isoTime(line[start+1:]); n > 0 && start+1+n < len(line) && line[start+1+n] == '"' {
				return Span{start + 1, start + 1 + n}
			}
			continue
		}
		end := start
		for end < len(line) && '0' <= line[end] && line[end] <= '9' {
			end++
		}
		switch n := end - start; {
		case n == 13:
			return Span{start, end}
		case n == 10:
			if end+1 < len(line) && line[end] == '.' && isDigit(line[end+1]) {
				end++
				for end < len(line) && isDigit(line[end]) {
					end++
				}
			}
			return Span{start, end}
		}
	}
	return Span{}
}

// isoTime returns the length of the ISO-like date and time line starts
// with, or 0.
func isoTime(line []byte) int {
	if len(line) < 19 || !digits(line[0:4]) || line[4] != '-' || !digits(line[5:7]) || line[7] != '-' || !digits(line[8:10]) {
		return 0
	}
	// Airflow writes "2026-11-21, 02:15:05 UTC".
	sep := 1
	if line[10] == ',' && len(line) >= 20 && line[11] == ' ' {
		sep = 2
	}
	if sep == 1 && line[10] != ' ' && line[10] != 'T' || !clock(line[10+sep:18+sep]) {
		return 0
	}
	n := 18 + sep
	if n < len(line) && (line[n] == ',' || line[n] == '.') {
		k := n + 1
		for k < len(line) && '0' <= line[k] && line[k] <= '9' {
			k++
		}
		if k > n+1 {
			n = k
		}
	}
	switch {
	case n < len(line) && line[n] == 'Z':
		n++
	case n+6 <= len(line) && (line[n] == '+' || line[n] == '-') && digits(line[n+1:n+3]) && line[n+3] == ':' && digits(line[n+4:n+6]):
		n += 6
	case n+4 <= len(line) && string(line[n:n+4]) == " UTC":
		n += 4
	}
	return n
}

func clock(s []byte) bool {
	return len(s) == 8 && digits(s[0:2]) && s[2] == ':' && digits(s[3:5]) && s[5] == ':' && digits(s[6:8])
}

func isMonth(s []byte) bool {
	return strings.Contains("JanFebMarAprMayJunJulAugSepOctNovDec", string(s)) && len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z'
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
