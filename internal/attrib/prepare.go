package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// What a reader that holds several chunks at once (the daemon's workers)
// reads of each ahead of its turn in its stream: Prepare, then Chunk.

// CodeLine is a line of a chunk with codes: Line in the chunk, the codes
// at their offsets in the line, in order.
type CodeLine struct {
	Line  scan.Span
	Codes []CodeAt
	// Newlines is the number of '\n's in the chunk before the line
	// (scan.Match.Newlines of its first code): Prepare's reader counted
	// them as it scanned, and Chunk numbers the line from it.
	Newlines int
	// NoAt is scan.Match.NoAt of its first code: the scan saw no '@'
	// since the previous line with codes (or the chunk's start), so
	// Prepare looks back for no odpscmd prompt there.
	NoAt bool

	// What Prepare read of it ahead of the stream's turn.
	prepared    bool
	noProgress  bool // the line before it in the chunk is no progress line
	clues       Clues
	wholeWindow bool   // the window it looks back over lies in the chunk
	before      Before // what LookBack finds there, if wholeWindow and it names no instance
	// In case the instance is new to the tracker, which only its turn
	// tells: where the instance before names was first announced
	// (walkBack), or the instance the line names (LookBackFor), when
	// the window lies in the chunk.
	walked, first       Before
	hasWalked, hasFirst bool
}

// Prepare reads, in a chunk of whole lines, what Chunk needs of its lines
// with codes that does not depend on the stream before the chunk: each
// line's clues and, where the window it looks back over (from the line
// after the previous one with codes) lies in the chunk, what LookBack
// finds there. So readers that hold several chunks at once (the daemon's
// workers) do this part of the work side by side, before each chunk's turn
// in its stream; Chunk then finds the same jobs as without it (tests
// compare the two). The reader's scan counted the chunk's '\n's
// (scan.Scanner.ScanLines): newlines of them in data, and each line's
// Newlines before it, so that Chunk need not count them in the stream's
// turn.
func Prepare(data []byte, lines []CodeLine, newlines int) Prepared {
	examined := 0 // where the line after the previous one with codes starts
	// The instances named by the lines before, in the chunk: by a line's
	// turn the tracker knows them (unless it dropped one, MaxJobs: Chunk
	// then walks back itself), so their walks would be wasted.
	var seen recentIDs
	for i := range lines {
		l := &lines[i]
		l.prepared = true
		l.noProgress = l.Line.Start > 0 && NoProgressBefore(data, l.Line.Start)
		l.clues = Find(l.Line.Of(data))
		l.wholeWindow = examined > 0 || l.Line.Start >= Window
		from := max(examined, l.Line.Start-Window)
		switch own := l.clues.Instance.Of(l.Line.Of(data)); {
		case len(own) > 0:
			if l.Line.Start >= Window && !seen.has(own) {
				l.first, l.hasFirst = LookBackFor(data, l.Line.Start-Window, l.Line.Start, own), true
			}
			seen.add(own)
		case l.wholeWindow:
			l.before = LookBack(data, from, l.Line.Start, !l.NoAt)
			if id := l.before.ID.Of(data); len(id) > 0 {
				if !seen.has(id) {
					l.walked, l.hasWalked = walkBack(data, from, l.before), true
				}
				seen.add(id)
			}
		}
		examined = nextLine(data, l.Line.End)
	}
	return Prepared{newlines: newlines, counted: true}
}

// Prepared is what Prepare read of a chunk as a whole, for Chunk; the
// zero Prepared says Prepare did not read it.
type Prepared struct {
	newlines int // the chunk's '\n's
	counted  bool
}

// recentIDs holds the last few instance IDs Prepare saw in a chunk (a
// job's lines with codes name it again and again; a few jobs interleave).
type recentIDs struct {
	ids  [4][]byte
	next int
}

func (r *recentIDs) has(id []byte) bool {
	for _, x := range r.ids {
		if bytes.Equal(x, id) {
			return true
		}
	}
	return false
}

func (r *recentIDs) add(id []byte) {
	if !r.has(id) {
		r.ids[r.next] = id
		r.next = (r.next + 1) % len(r.ids)
	}
}
