package redact

import "bytes"

// Where a value ends.

// valueAt is where a value starts, and how it ends.
type valueAt struct {
	k       int
	segment bool   // a URL's path segment: see segmentLen
	quote   []byte // the quote it opened with, as written: it ends at the same
}

// end returns where the value v ends in b: at the quote that closes it,
// if it opened with one that closes on its line, else where valueLen (or
// segmentLen) says.
func (v valueAt) end(b []byte) int {
	if len(v.quote) > 0 {
		if e := closingQuote(b, v.k, v.quote); e >= 0 {
			return e
		}
	}
	return v.k + valueOrSegmentLen(b[v.k:], v.segment)
}

// maxQuoted bounds the bytes of a quoted value read for its closing quote.
const maxQuoted = 1024

// closingQuote returns the index in b of the quote (as written) that
// closes a value starting at b[k], not escaped by a backslash, on the
// same line and within maxQuoted bytes; or -1.
func closingQuote(b []byte, k int, quote []byte) int {
	stop := min(len(b), k+maxQuoted)
	for p := k; p+len(quote) <= stop && b[p] != '\n'; p++ {
		if b[p] == quote[0] && string(b[p:p+len(quote)]) == string(quote) && (len(quote) > 1 || p == k || b[p-1] != '\\') {
			return p
		}
	}
	return -1
}

// noCredentials are words (lower case) that a value may be but a
// credential never is: nothing set, yes or no, the prose of a message
// about a credential ("password: NO", "secret: not set", "Authorization:
// Failed [4019]", "Web-Authentication: Invalid signature"), a column's
// type. They are not masked.
var noCredentials = []string{"null", "nil", "none", "undefined", "empty", "true", "false", "yes", "no", "not", "is",
	"are", "was", "must", "should", "cannot", "failed", "failure", "missing", "expired", "invalid", "required",
	"denied", "header", "unset", "string", "bigint", "varchar"}

// startsNoCredential reports whether the value at b[k:] is one of
// noCredentials, reading only as far as the longest of them.
func startsNoCredential(b []byte, k int) bool {
	n := valueLen(b[k:min(len(b), k+16)])
	return n < 16 && isNoCredential(b[k:k+n])
}

// isNoCredential reports whether v is one of noCredentials, in any case.
func isNoCredential(v []byte) bool {
	for _, w := range noCredentials {
		if len(v) == len(w) && hasPrefixFold(v, w) {
			return true
		}
	}
	return false
}

// startsValue reports whether a value (a path segment) starts at b[k]:
// what valueLen (segmentLen) reads of its first bytes, which are enough
// to tell, so that asking costs the same however long the value is.
func startsValue(b []byte, k int, segment bool) bool {
	if k < len(b) && isPlainValueByte(b[k]) {
		return true // (most values: valueLen would read its 256-byte head)
	}
	return valueOrSegmentLen(b[k:min(len(b), k+4*maxBackslashes)], segment) > 0
}

// isPlainValueByte reports whether c starts a value (and a path segment)
// whatever follows it: a letter or a digit.
func isPlainValueByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
}

// valueOrSegmentLen is segmentLen(b) for a path segment, else valueLen(b).
func valueOrSegmentLen(b []byte, segment bool) int {
	if segment {
		return segmentLen(b)
	}
	return valueLen(b)
}

// valueLen is the length of the token value at the start of b: up to the
// first byte that ends a value in a log line (a space, a quote, &, ',',
// ';', a bracket, '<', '>', '|', '`') or an encoded one (%26, %22, %27,
// encoded once or more), or a backslash that escapes anything but '/' or
// a base64 character (as in \", \n, \u0026), or one percent-encoded. Any
// other byte, an unexpected one too, is taken as part of the value: a
// secret is better masked too long than cut short.
func valueLen(b []byte) int {
	n := 0
	for n < len(b) {
		switch b[n] {
		case ' ', '\t', '\r', '\n', '"', '\'', '&', ',', ';', '}', ']', ')', '<', '>', '|', '`':
			return n
		case '%', '\\':
			if skipForm(b, n, nil, "26", "22", "27") > n {
				return n // an encoded or escaped &, " or '
			}
			// Backslashes, raw or encoded, escape a base64 character
			// (\/, \u002f, %5C%2F: a JSON string's escapes, in a URL
			// too) or end the value.
			j := skipBackslashes(b, n)
			switch {
			case j == n: // a '%' that encodes no backslash
				n++
			case j < len(b) && b[j] == '/':
				n = j + 1
			case skipEncoded(b, j, "2f") > j:
				n = skipEncoded(b, j, "2f")
			case hasPrefixFold(b[j:], "u002b"), hasPrefixFold(b[j:], "u002f"), hasPrefixFold(b[j:], "u003d"):
				n = j + 5
			default:
				return n
			}
		default:
			n++
		}
	}
	return n
}

// segmentLen is the length of the path segment at the start of b: up to
// the next '/', '?' or '#' (or one of them encoded, as a slash can be),
// or where a value ends (valueLen). The segment's end is found first, so
// that a path of many short segments is read once (valueLen of all that
// follows, for each, was quadratic).
func segmentLen(b []byte) int {
	for i := 0; i < len(b); {
		k := bytes.IndexAny(b[i:], "/?#%\\")
		if k < 0 {
			break
		}
		i += k
		if c := b[i]; c == '?' || c == '#' || slashAt(b, i) > i || skipForm(b, i, nil, "3f", "23") > i {
			b = b[:i]
			break
		}
		i++
	}
	return valueLen(b)
}
