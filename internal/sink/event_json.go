package sink

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// The JSON of Event, written by hand into a reused buffer: byte for byte
// what encoding/json makes of it (TestAppendEventJSONIsEncodingJSON checks
// it on every field).

// eventSizeHint is about the length of an event's JSON.
func eventSizeHint(e *Event) int {
	return 260 + len(e.Schema) + len(e.Host) + len(e.Source) + len(e.Origin.File) + len(e.Origin.Topic) + len(e.Code) +
		len(e.Family) + len(e.Module) + min(len(e.Title), MaxEventDescription) + min(len(e.General), MaxEventDescription) +
		min(len(e.Context), MaxEventDescription) + min(len(e.Line), MaxEventLine) +
		min(len(e.Instance), MaxEventID) + min(len(e.Project), MaxEventID) + min(len(e.LogView), MaxEventLine) +
		min(len(e.RequestID), MaxEventID) + len(e.RootCause) + len(e.Failure)
}

// AppendEventJSON appends e's JSON form — what encoding/json makes of it,
// byte for byte — with Schema set to EventSchema if empty, Line cut to
// MaxEventLine bytes and Title, General and Context to MaxEventDescription,
// LogView to MaxEventLine, Instance, Project and RequestID to MaxEventID,
// on UTF-8 boundaries. A time outside years 0 to 9999, which encoding/json
// refuses, is written as the zero time.
func AppendEventJSON(b []byte, e *Event) []byte {
	schema := e.Schema
	if schema == "" {
		schema = EventSchema
	}
	b = append(b, `{"schema":`...)
	b = appendJSONString(b, schema)
	b = append(b, `,"time":"`...)
	t := e.Time
	if y := t.Year(); y < 0 || y > 9999 {
		t = time.Time{}
	}
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","host":`...)
	b = appendJSONString(b, e.Host)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"origin":{`...)
	if e.Origin.File != "" {
		b = append(b, `"file":`...)
		b = appendJSONString(b, e.Origin.File)
		b = append(b, ',')
	}
	if e.Origin.Topic != "" {
		b = append(b, `"topic":`...)
		b = appendJSONString(b, e.Origin.Topic)
		b = append(b, ',')
	}
	if e.Origin.Partition != 0 {
		b = append(b, `"partition":`...)
		b = strconv.AppendInt(b, int64(e.Origin.Partition), 10)
		b = append(b, ',')
	}
	b = append(b, `"offset":`...)
	b = strconv.AppendInt(b, e.Origin.Offset, 10)
	b = append(b, `},"code":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"family":`...)
	b = appendJSONString(b, e.Family)
	b = append(b, `,"module":`...)
	b = appendJSONString(b, e.Module)
	b = append(b, `,"severity":`...)
	b = strconv.AppendInt(b, int64(e.Severity), 10)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Title, MaxEventDescription))
	b = append(b, `,"general":`...)
	b = appendJSONString(b, scan.CutUTF8(e.General, MaxEventDescription))
	b = append(b, `,"context":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Context, MaxEventDescription))
	b = append(b, `,"line":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Line, MaxEventLine))
	b = append(b, `,"instance":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Instance, MaxEventID))
	b = append(b, `,"project":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Project, MaxEventID))
	b = append(b, `,"logview":`...)
	b = appendJSONString(b, scan.CutUTF8(e.LogView, MaxEventLine))
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, scan.CutUTF8(e.RequestID, MaxEventID))
	b = append(b, `,"root_cause":`...)
	b = appendJSONString(b, e.RootCause)
	b = append(b, `,"failure":`...)
	b = appendJSONString(b, e.Failure)
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does (HTML-safe escaping,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
