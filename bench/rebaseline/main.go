// Command rebaseline is the Go regexp baseline for the odpswatch throughput
// comparison: it counts ODPS error codes in a file by the reference rule
// `\bODPS-[0-9]{7}\b` (Go's ASCII \b), with regexp.FindAllSubmatchIndex.
//
// By default the regexp is `ODPS-[0-9]{7}(\b)` and the leading \b is checked
// by hand on the byte before each match. That finds exactly the same matches
// (a rejected candidate cannot hide a valid one: a code can only start at its
// 'O'), but lets the regexp package skip ahead with its literal prefix
// "ODPS-". A leading \b makes the pattern start with an empty-width assertion,
// so Go has no literal prefix and runs its NFA over every byte: about
// 100 times slower (30-45 MB/s against 2 500-4 000 MB/s on the 2-core bench
// machine). -naive uses `\bODPS-[0-9]{7}(\b)` as is, to show that cost.
//
// The file is read in 1 MiB chunks at page-aligned offsets into a
// page-aligned buffer; each chunk is cut at its last newline and the partial
// line is carried into the next chunk, so the regexp sees whole lines only.
// It prints one line of JSON:
//
//	{"bytes":N,"lines":N,"matches":N,"matched_lines":N}
//
// lines counts newline-terminated lines plus a final unterminated one;
// matched_lines counts lines with at least one match, once each.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"unsafe"
)

// chunkSize is how much is read and matched at once (a variable: the
// tests make it small, so that many lines cross chunks in little data).
var chunkSize = 1 << 20

const pageSize = 4096

var (
	prefixRule = regexp.MustCompile(`ODPS-[0-9]{7}(\b)`)
	naiveRule  = regexp.MustCompile(`\bODPS-[0-9]{7}(\b)`)
)

type counts struct {
	Bytes        int64
	Lines        int64
	Matches      int64
	MatchedLines int64
}

// counter counts lines and matches over a stream of whole-line pieces.
type counter struct {
	counts
	naive bool
}

func isWord(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b == '_'
}

// add counts lines and matches in text, which must hold whole lines only
// (it ends with '\n' or is the last piece of the file), so the byte before
// text is a line end or nothing and \b at its start holds.
func (c *counter) add(text []byte) {
	if len(text) == 0 {
		return
	}
	c.Lines += int64(bytes.Count(text, []byte{'\n'}))
	rule := prefixRule
	if c.naive {
		rule = naiveRule
	}
	lineEnd := -1 // end of the line holding the last counted match
	for _, m := range rule.FindAllSubmatchIndex(text, -1) {
		if !c.naive && m[0] > 0 && isWord(text[m[0]-1]) {
			continue // no \b before "ODPS-"
		}
		c.Matches++
		if m[0] > lineEnd {
			c.MatchedLines++
			if nl := bytes.IndexByte(text[m[1]:], '\n'); nl >= 0 {
				lineEnd = m[1] + nl
			} else {
				lineEnd = len(text)
			}
		}
	}
}

// alignedBuffer returns a len n slice whose first byte is page-aligned: the
// landscape measurements found misaligned read buffers much slower.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+pageSize)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (pageSize - 1))
	if off != 0 {
		off = pageSize - off
	}
	return b[off : off+n : off+n]
}

func scan(r io.Reader, naive bool) (counts, error) {
	c := counter{naive: naive}
	buf := alignedBuffer(chunkSize)
	var carry []byte // partial line from the previous chunk
	for {
		n, err := io.ReadFull(r, buf)
		chunk := buf[:n]
		c.Bytes += int64(n)
		if n > 0 {
			first := bytes.IndexByte(chunk, '\n')
			switch {
			case first < 0:
				// No line end in the whole chunk: a line longer than 1 MiB.
				carry = append(carry, chunk...)
			default:
				last := bytes.LastIndexByte(chunk, '\n')
				body := chunk[:last+1]
				if len(carry) > 0 {
					// Join the carried partial line with its end in a
					// small side buffer so the big read stays aligned.
					carry = append(carry, chunk[:first+1]...)
					c.add(carry)
					carry = carry[:0]
					body = chunk[first+1 : last+1]
				}
				c.add(body)
				carry = append(carry, chunk[last+1:]...)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(carry) > 0 {
				c.add(carry)
				c.Lines++ // the final line has no newline
			}
			return c.counts, nil
		}
		if err != nil {
			return c.counts, fmt.Errorf("cannot read at byte %d: %w", c.Bytes, err)
		}
	}
}

func main() {
	naive := flag.Bool("naive", false, "use the regexp \\bODPS-[0-9]{7}(\\b) as is: no literal-prefix skipping, about 100x slower")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rebaseline [-naive] FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	path := flag.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rebaseline:", err)
		os.Exit(1)
	}
	c, err := scan(f, *naive)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rebaseline: %s: %v\n", path, err)
		os.Exit(1)
	}
	fmt.Printf("{\"bytes\":%d,\"lines\":%d,\"matches\":%d,\"matched_lines\":%d}\n",
		c.Bytes, c.Lines, c.Matches, c.MatchedLines)
}
