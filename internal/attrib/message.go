package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// message returns what line says after the code whose "ODPS-" is at at:
// the text after the code and its ':', to the end of the line, or of the
// JSON string (its escapes read; the lines its \n starts taken as the
// lines after a code's are, see continues) or the XML CDATA section it
// stands in; redacted and cut to MaxMessageBytes.
func message(line []byte, at int) string {
	rest := line[min(at+len(scan.Prefix)+7, len(line)):]
	if bytes.HasSuffix(line[:at], []byte("CDATA[")) {
		if k := bytes.Index(rest, []byte("]]>")); k >= 0 {
			rest = rest[:k]
		}
	}
	if inJSONString(line, at) {
		rest = jsonLines(unquote(rest))
	}
	rest = bytes.TrimLeft(rest, ": ")
	rest = bytes.TrimRight(rest, " \t\r")
	return string(scan.CutUTF8(redact.Bytes(rest), MaxMessageBytes))
}

// inJSONString reports whether line[at] is inside a string of the JSON
// the line holds from its first '{' or '[' on (a log line may print a
// JSON body after its own words): the quotes between, not escaped, are
// odd in number.
func inJSONString(line []byte, at int) bool {
	open := bytes.IndexAny(line[:at], "{[")
	if open < 0 {
		return false
	}
	in := false
	for i := open; i < at; i++ {
		switch line[i] {
		case '\\':
			i++
		case '"':
			in = !in
		}
	}
	return in
}

// sameJSONString reports whether line[a] and line[b] (a < b) are inside
// one string of the line's JSON.
func sameJSONString(line []byte, a, b int) bool {
	if !inJSONString(line, a) {
		return false
	}
	for i := a; i < b; i++ {
		switch line[i] {
		case '\\':
			i++
		case '"':
			return false
		}
	}
	return true
}

// jsonLines returns the first line of s, a JSON string's text, and the
// lines after it that go on with it (continues; at most MaxContinuation),
// joined by spaces: the rest of the string is another record's, a stack
// trace's, a traceback's.
func jsonLines(s []byte) []byte {
	first, rest, more := bytes.Cut(s, []byte("\n"))
	out := first
	for n := 0; more && n < MaxContinuation; n++ {
		var l []byte
		l, rest, more = bytes.Cut(rest, []byte("\n"))
		if !continues(l) {
			break
		}
		out = append(append(out, ' '), bytes.TrimSpace(l)...)
	}
	return out
}

// unquote reads s as the inside of a JSON string up to its closing '"':
// \n becomes a line end, \r and \t spaces, \" and \\ their byte; other
// escapes stay as written.
func unquote(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return out
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				out = append(out, '\n')
			case 'r', 't':
				out = append(out, ' ')
			case '"', '\\', '/':
				out = append(out, s[i])
			default:
				out = append(out, '\\', s[i])
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// shortMessage reports whether a root message says nothing of the cause:
// empty, a few bytes, or only the instance ID (PyODPS's exception header
// "ODPS-0130013: InstanceId: 2026...").
func shortMessage(m string) bool {
	return len(m) < 16 || hasPrefixFold([]byte(m), "instanceid")
}

// continues reports whether line, the one after a root cause's, goes on
// with its message (odpscmd prints "Authorization Failed [4019], You have
// no privilege ..." on the line after "FAILED: ODPS-0130013:Authorization
// exception"), rather than starting something else: a new log record
// (a timestamp), a stack frame, a traceback, a prompt, an announcement,
// a blank line.
func continues(line []byte) bool {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || !timestamp(line).Empty() {
		return false
	}
	for _, p := range notContinuations {
		if hasPrefixFold(t, p) {
			return false
		}
	}
	if hasPrefixFold(t, "at ") && bytes.IndexByte(t, '(') > 0 {
		return false // a stack frame: at com.aliyun.odps.Instance.waitForSuccess(Instance.java:500)
	}
	if bytes.EqualFold(t, []byte("ok")) || progressShape(t) {
		return false // odpscmd's end of a statement, a job's progress
	}
	c := Find(line)
	return c.Instance.Empty() && c.LogView.Empty()
}

// notContinuations start lines that do not continue a message.
var notContinuations = []string{"file \"", "traceback", "...", "odps@", "id = ", "log view", "job queueing", "summary", "instance id", "{", "<"}
