package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// What a Stream keeps of the stream before the chunk it reads: its last
// Window bytes of whole lines, where its last line starts and how it
// starts, and the run of progress lines it ends with (progress.go).

// History returns the stream's last whole lines before the next chunk,
// at most Window bytes of them, and the stream offset of its first byte.
func (s *Stream) History() ([]byte, int64) {
	return s.hist, s.histEnd - int64(len(s.hist))
}

// Remember adds p, whole lines of the stream from where the history ends,
// to the history. The last line may lack its '\n': the next p is then
// that '\n' alone.
func (s *Stream) Remember(p []byte) {
	if len(p) == 0 {
		return
	}
	if s.partial {
		// p is the '\n' that ends the line remembered last without it
		// (Chunk takes a chunk's last line as ended): that line's run and
		// head were read then. A history that could not hold the line
		// (longer than Window) holds no line, not an empty one.
		s.partial = false
		if len(s.hist) == 0 {
			s.histEnd += int64(len(p))
			return
		}
	} else {
		s.rememberRun(p)
		s.rememberLast(p)
		s.partial = p[len(p)-1] != '\n'
	}
	s.histEnd += int64(len(p))
	if len(p) >= Window {
		s.hist = append(s.hist[:0], fromLine(p, len(p)-Window)...)
		return
	}
	if drop := len(s.hist) + len(p) - Window; drop > 0 {
		s.hist = s.hist[:copy(s.hist, fromLine(s.hist, drop))]
	}
	s.hist = append(s.hist, p...)
}

// Skip moves the history past n bytes it cannot hold (a line cut short,
// and its '\n'): it starts again empty after them. head is the line's
// start, tail its end (nil when it has codes): a run of progress lines
// goes on through a line that ends as one.
func (s *Stream) Skip(n int64, head, tail []byte) {
	if progressShape(tail) {
		s.runGoesOn(1)
	} else {
		s.run.open = false
	}
	s.lastAt = s.histEnd
	s.lastHead = append(s.lastHead[:0], head[:min(len(head), RecordHead)]...)
	s.histEnd += n
	s.hist = s.hist[:0]
	s.partial = false
}

// LastHead returns the start of the last line remembered (or skipped):
// RecordHead bytes of it at most, enough to tell whether it starts a
// record (NewRecord).
func (s *Stream) LastHead() []byte { return s.lastHead }

// RecordHead bounds what a reader keeps of a line to tell whether it
// starts a new record: a timestamp is shorter.
const RecordHead = 64

// rememberLast notes where the last line of p, about to be remembered,
// starts, and its head.
func (s *Stream) rememberLast(p []byte) {
	body := p
	if body[len(body)-1] == '\n' {
		body = body[:len(body)-1]
	}
	k := scan.LastNewline(body) + 1
	s.lastAt = s.histEnd + int64(k)
	s.lastHead = append(s.lastHead[:0], body[k:min(len(body), k+RecordHead)]...)
}

// fromLine returns b from the first line that starts at or after i.
func fromLine(b []byte, i int) []byte {
	if i == 0 || b[i-1] == '\n' {
		return b[i:]
	}
	return b[nextLine(b, i):]
}

// nextLine returns the offset of the line after the one that goes on at
// i, or len(b).
func nextLine(b []byte, i int) int {
	if k := bytes.IndexByte(b[i:], '\n'); k >= 0 {
		return i + k + 1
	}
	return len(b)
}
