package redact

import "bytes"

// The forms a byte takes in a log line: raw, escaped in JSON once or
// more, percent-encoded once or more, as an HTML entity; read forwards
// (skipForm) and backwards (encodedBefore).

// slashes are a '/' as a URL shows it in a log line; escaped (\/,
// \u002f) or encoded it is read apart (see skipForm).
var slashes = []string{"/"}

// slashAt returns the offset after the '/' b[i:] starts with, in any of
// its forms, or i.
func slashAt(b []byte, i int) int { return skipForm(b, i, slashes, "2f") }

// endsWithSlash reports whether b ends with a '/' in any of its forms
// (those slashAt reads).
func endsWithSlash(b []byte) bool {
	return len(b) > 0 && b[len(b)-1] == '/' || encodedBefore(b, "2f") >= 0
}

// encodedBefore returns where the form that b ends with starts, if it is
// the byte of one of hexes (lower case) encoded or escaped as skipForm
// reads them forwards: percent-encoded once or more (%2F, %252F), or
// \u00XX or \xXX after backslashes, raw or percent-encoded; else -1.
func encodedBefore(b []byte, hexes ...string) int {
	n := len(b)
	for _, h := range hexes {
		if endsWithEncoded(b, h) {
			return bytes.LastIndexByte(b, '%')
		}
		if n < 3 || !hasPrefixFold(b[n-2:], h) {
			continue
		}
		e := 0 // the escape's length
		switch {
		case n >= 5 && hasPrefixFold(b[n-5:], "u00"):
			e = 5
		case b[n-3]|0x20 == 'x':
			e = 3
		}
		if e == 0 {
			continue
		}
		if k := len(trimBackslashes(b[:n-e])); k < n-e {
			return k
		}
	}
	return -1
}

// endsWithEncoded reports whether b ends with the byte of hex code hex
// percent-encoded once or more (%2F, %252F): the hex, then "25"s back to
// the '%'.
func endsWithEncoded(b []byte, hex string) bool {
	if len(b) < 3 || !hasPrefixFold(b[len(b)-2:], hex) {
		return false
	}
	j := len(b) - 2
	for j >= 2 && b[j-2] == '2' && b[j-1] == '5' {
		j -= 2
	}
	return j >= 1 && b[j-1] == '%'
}

// skipSeparator skips the separator b[i:] starts with, if any: one of
// separators, or '=' or ':' in another form (see skipForm: %3D, %253D,
// \u003d, \x3d, %5Cu003d).
func skipSeparator(b []byte, i int) int { return skipForm(b, i, separators, "3d", "3a") }

// skipQuote skips the quote b[i:] starts with, if any: one of quotes, or
// a double or single quote in another form (see skipForm: \", \\\",
// %22, %2527, \u0022, %5C%22).
func skipQuote(b []byte, i int) int { return skipForm(b, i, quotes, "22", "27") }

// skipForm skips what b[i:] starts with, if it is one of forms
// (lower-case) or the byte of one of hexes percent-encoded once or more,
// each of them maybe after backslashes (JSON's escapes, once or more,
// raw or percent-encoded: a JSON string inside a URL); after a
// backslash, the byte may also be \u00XX or \xXX.
func skipForm(b []byte, i int, forms []string, hexes ...string) int {
	j := skipBackslashes(b, i)
	if k := skipOne(b, j, forms); k > j {
		return k
	}
	for _, h := range hexes {
		if k := skipEncoded(b, j, h); k > j {
			return k
		}
		if j > i && hasPrefixFold(b[j:], "u00") && hasPrefixFold(b[j+3:], h) {
			return j + 5
		}
		if j > i && hasPrefixFold(b[j:], "x") && hasPrefixFold(b[j+1:], h) {
			return j + 3
		}
	}
	return i
}

// maxBackslashes bounds the backslashes escaping one byte: a quote in
// JSON nested six strings deep takes 63. A longer run escapes nothing
// skipForm reads, and reading it again at each of its bytes (a path
// segment's end is looked for at each backslash) would be quadratic.
const maxBackslashes = 64

// skipBackslashes skips the backslashes b[i:] starts with, raw or
// percent-encoded once or more (%5C, %255C), at most maxBackslashes.
func skipBackslashes(b []byte, i int) int {
	for n := 0; i < len(b) && n < maxBackslashes; n++ {
		switch {
		case b[i] == '\\':
			i++
		case skipEncoded(b, i, "5c") > i:
			i = skipEncoded(b, i, "5c")
		default:
			return i
		}
	}
	return i
}

// skipEncoded skips the byte of hex code hex (lower case) percent-encoded
// once or more (%3d, %253d, %25253d) that b[i:] starts with, if it does.
func skipEncoded(b []byte, i int, hex string) int {
	if i >= len(b) || b[i] != '%' {
		return i
	}
	k := i + 1
	for k+2 <= len(b) && b[k] == '2' && b[k+1] == '5' {
		k += 2
	}
	if hasPrefixFold(b[k:], hex) {
		return k + 2
	}
	return i
}

// skipOne skips the first of forms (lower-case) that b[i:] starts with.
func skipOne(b []byte, i int, forms []string) int {
	for _, f := range forms {
		if hasPrefixFold(b[i:], f) {
			return i + len(f)
		}
	}
	return i
}

// skipSpaces skips spaces and tabs, the ideographic space (U+3000),
// JSON's escaped tab and line ends (\t, \n, \r), and spaces as a URL
// encodes them: %20 once or more, and if plus, '+' (a form's space) and
// %2B (one encoded again).
func skipSpaces(b []byte, i int, plus bool) int {
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || plus && b[i] == '+':
			i++
		case hasPrefixFold(b[i:], "\u3000"):
			i += len("\u3000")
		case b[i] == '\\' && i+1 < len(b) && (b[i+1] == 't' || b[i+1] == 'n' || b[i+1] == 'r'):
			i += 2
		case b[i] == '%' && skipEncoded(b, i, "20") > i:
			i = skipEncoded(b, i, "20")
		case plus && b[i] == '%' && skipEncoded(b, i, "2b") > i:
			i = skipEncoded(b, i, "2b")
		default:
			return i
		}
	}
	return i
}

// trimBackslashes trims the backslashes, raw or percent-encoded, that b
// ends with.
func trimBackslashes(b []byte) []byte {
	for {
		switch {
		case len(b) > 0 && b[len(b)-1] == '\\':
			b = b[:len(b)-1]
		case endsWithEncoded(b, "5c"):
			b = b[:bytes.LastIndexByte(b, '%')]
		default:
			return b
		}
	}
}

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
