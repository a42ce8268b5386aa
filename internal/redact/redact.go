// Package redact removes credentials from text before it leaves the
// process: the values of LogView tokens, which grant access to a job, and
// of any other parameter or JSON key whose name ends in "token"
// (access_token, sts_token).
//
// It finds them in every form they take in MaxCompute logs: a URL query
// (token=...), a URL inside another one, URL-encoded once or twice
// (token%3D..., token%253D...), in JSON with & escaped (\u0026token=...),
// and as a JSON key ("token": "..."). The value is replaced by Mask; the
// name is kept, so that a reader sees a token was there. Text without a
// token is returned as it is, without allocating.
//
// Every place that copies log text out of the process (samples in scan's
// report, alerts, event lines and descriptions) calls it before cutting
// the text to its bound, so that a cut never leaves part of a token
// outside the window that was redacted.
package redact

// Mask replaces a redacted value.
const Mask = "REDACTED"

// String returns s with every token value replaced by Mask.
func String(s string) string {
	if !has(s) {
		return s
	}
	return string(Append(nil, []byte(s)))
}

// Bytes returns b with every token value replaced by Mask: b itself when
// it holds none, else a new slice.
func Bytes(b []byte) []byte {
	if !has(b) {
		return b
	}
	return Append(nil, b)
}

// Append appends b to dst with every token value replaced by Mask.
func Append(dst, b []byte) []byte {
	for {
		valStart, valEnd, ok := next(b)
		if !ok {
			return append(dst, b...)
		}
		dst = append(dst, b[:valStart]...)
		dst = append(dst, Mask...)
		b = b[valEnd:]
	}
}

// has reports whether s may hold a token: the word "token" in any case.
func has[T string | []byte](s T) bool {
	for i := 0; i+5 <= len(s); i++ {
		if isToken(s[i:]) {
			return true
		}
	}
	return false
}

// isToken reports whether s starts with "token", in any case.
func isToken[T string | []byte](s T) bool {
	return len(s) >= 5 && s[0]|0x20 == 't' && s[1]|0x20 == 'o' && s[2]|0x20 == 'k' && s[3]|0x20 == 'e' && s[4]|0x20 == 'n'
}

// separators between a token's name and its value, lower-cased; a JSON
// key's is handled apart.
var separators = [][]byte{[]byte("="), []byte("%3d"), []byte("%253d"), []byte(`\u003d`)}

// next finds the first token value in b: [valStart, valEnd). An empty
// value (token=&) is left alone.
func next(b []byte) (valStart, valEnd int, ok bool) {
	for i := 0; i+5 <= len(b); i++ {
		if !isToken(b[i:]) {
			continue
		}
		rest := b[i+5:]
		start := -1
		for _, sep := range separators {
			if hasPrefixFold(rest, sep) {
				start = i + 5 + len(sep)
				break
			}
		}
		if start < 0 {
			start = jsonValue(b, i)
		}
		if start < 0 {
			continue
		}
		end := start + valueLen(b[start:])
		if end == start {
			continue
		}
		return start, end, true
	}
	return 0, 0, false
}

// jsonValue returns where the value of a JSON key ending in "token" at
// b[i:] starts (after its opening quote), or -1: "…token" : "value".
func jsonValue(b []byte, i int) int {
	j := i + 5
	if j >= len(b) || b[j] != '"' {
		return -1
	}
	j++
	for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	if j >= len(b) || b[j] != ':' {
		return -1
	}
	j++
	for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	if j >= len(b) || b[j] != '"' {
		return -1
	}
	return j + 1
}

// valueLen is the length of the token value at the start of b: the bytes
// of base64 and of URL-safe base64 (A-Z a-z 0-9 - _ . ~ + / =), and the
// percent-escapes of + / = (once or twice encoded: %2B, %252B). Anything
// else ends it: &, %26, \u0026, a quote, a space, the end of the line.
func valueLen(b []byte) int {
	n := 0
	for n < len(b) {
		c := b[n]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '+', c == '/', c == '=':
			n++
		case c == '%':
			k := escapeLen(b[n:])
			if k == 0 {
				return n
			}
			n += k
		default:
			return n
		}
	}
	return n
}

// escapeLen is the length of a percent-escape of +, / or = at the start
// of b, encoded once (%2B) or more (%252B), or 0.
func escapeLen(b []byte) int {
	n := 1 // the '%'
	for n+2 <= len(b) && b[n] == '2' && b[n+1] == '5' {
		n += 2 // an encoded '%'
	}
	if n+2 > len(b) {
		return 0
	}
	if hasPrefixFold(b[n:], []byte("2b")) || hasPrefixFold(b[n:], []byte("2f")) || hasPrefixFold(b[n:], []byte("3d")) {
		return n + 2
	}
	return 0
}

func hasPrefixFold(b, lowerPrefix []byte) bool {
	if len(b) < len(lowerPrefix) {
		return false
	}
	for i, c := range lowerPrefix {
		d := b[i]
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if d != c {
			return false
		}
	}
	return true
}
