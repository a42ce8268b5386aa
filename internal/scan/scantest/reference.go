// Package scantest holds the rule of package scan written the obvious way,
// for tests to check the scanner and what is built on it against.
package scantest

import (
	"bytes"
	"regexp"
)

var bounded = regexp.MustCompile(`\bODPS-[0-9]{7}\b`)

// Codes returns the [start, end) of every code in buf, in order: the
// matches of \bODPS-[0-9]{7}\b (Go's ASCII \b), and the codes glued to the
// end of a message: "ODPS-" and seven digits right after three or more
// lower-case ASCII letters that follow a non-word byte (or start buf), the
// digits followed by ':'.
func Codes(buf []byte) [][2]int {
	var out [][2]int
	for _, m := range bounded.FindAllIndex(buf, -1) {
		out = append(out, [2]int{m[0], m[1]})
	}
	for from := 0; ; {
		k := bytes.Index(buf[from:], []byte("ODPS-"))
		if k < 0 {
			break
		}
		o := from + k
		from = o + 1
		if glued(buf, o) {
			out = append(out, [2]int{o, o + 12})
		}
	}
	// The two kinds cannot overlap: merge them by offset.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j][0] < out[j-1][0]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func glued(buf []byte, o int) bool {
	letters := 0
	for k := o - 1; k >= 0 && 'a' <= buf[k] && buf[k] <= 'z'; k-- {
		letters++
	}
	if letters < 3 {
		return false
	}
	if w := o - letters - 1; w >= 0 && isWord(buf[w]) {
		return false
	}
	if o+13 > len(buf) || buf[o+12] != ':' {
		return false
	}
	for _, d := range buf[o+5 : o+12] {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}

func isWord(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}
