package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// message returns what line says after the code whose "ODPS-" is at at:
// the text after the code and its ':', to the end of the line, or of the
// JSON string (a code right after a '"', its escapes read) or the XML
// CDATA section it stands in; redacted and cut to MaxMessageBytes.
func message(line []byte, at int) string {
	rest := line[min(at+len(scan.Prefix)+7, len(line)):]
	inJSON := at > 0 && line[at-1] == '"'
	if bytes.HasSuffix(line[:at], []byte("CDATA[")) {
		if k := bytes.Index(rest, []byte("]]>")); k >= 0 {
			rest = rest[:k]
		}
	}
	if inJSON {
		rest = unquote(rest)
	}
	rest = bytes.TrimLeft(rest, ": ")
	rest = bytes.TrimRight(rest, " \t\r")
	return string(scan.CutUTF8(redact.Bytes(rest), MaxMessageBytes))
}

// unquote reads s as the inside of a JSON string up to its closing '"':
// \n, \r and \t become spaces (the message goes on), \" and \\ their
// byte; other escapes stay as written.
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
			case 'n', 'r', 't':
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
	if bytes.EqualFold(t, []byte("ok")) {
		return false
	}
	c := Find(line)
	return c.Instance.Empty() && c.LogView.Empty()
}

// notContinuations start lines that do not continue a message.
var notContinuations = []string{"at ", "file \"", "traceback", "...", "odps@", "id = ", "log view", "job queueing", "summary", "instance id", "{", "<"}
