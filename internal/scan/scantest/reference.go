// Package scantest holds the rule of package scan written the obvious way,
// for tests to check the scanner and what is built on it against. (Its own
// test checks it against the regexp \bODPS-[0-9]{7}\b.)
package scantest

import "bytes"

// Codes returns the [start, end) of every code in buf, in order: "ODPS-"
// and seven digits with no ASCII letter, digit or underscore right before
// or after (the regexp \bODPS-[0-9]{7}\b with Go's ASCII \b), and the codes
// glued to the end of a message: "ODPS-" and seven digits right after three
// or more lower-case ASCII letters that follow a non-word byte (or start
// buf), the digits followed by ':'.
func Codes(buf []byte) [][2]int {
	var out [][2]int
	for from := 0; ; {
		k := bytes.Index(buf[from:], []byte("ODPS-"))
		if k < 0 {
			return out
		}
		o := from + k
		from = o + 1
		if o+12 > len(buf) || !sevenDigits(buf[o+5:o+12]) {
			continue
		}
		bounded := (o == 0 || !isWord(buf[o-1])) && (o+12 == len(buf) || !isWord(buf[o+12]))
		if bounded || glued(buf, o) {
			out = append(out, [2]int{o, o + 12})
		}
	}
}

func sevenDigits(b []byte) bool {
	for _, d := range b {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
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
	return o+13 <= len(buf) && buf[o+12] == ':'
}

func isWord(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}
