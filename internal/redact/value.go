package redact

import (
	"bytes"
	"strings"
)

// Where a value ends.

// valueAt is where a value starts, and how it ends.
type valueAt struct {
	k       int
	segment bool   // a URL's path segment: see segmentLen
	quote   []byte // the quote it opened with, as written: it ends at the same
}

// end returns where the value v ends in b: at the quote that closes it,
// if it opened with one that closes on its line (to the line's end if it
// is still open after maxQuoted bytes: a secret is better masked too long
// than cut short), else where valueLen (or segmentLen) says.
func (v valueAt) end(b []byte) int {
	if len(v.quote) > 0 {
		switch e, open := closingQuote(b, v.k, v.quote); {
		case e >= 0:
			return e
		case open:
			if nl := bytes.IndexByte(b[v.k:], '\n'); nl >= 0 {
				return v.k + nl
			}
			return len(b)
		}
	}
	return v.k + valueOrSegmentLen(b[v.k:], v.segment)
}

// maxQuoted bounds the bytes of a quoted value read for its closing quote
// (a private key's PEM in a JSON string is 3.3 KiB).
const maxQuoted = 8 << 10

// closingQuote returns the index in b of the quote (as written) that
// closes a value starting at b[k], not escaped by a backslash, on the
// same line and within maxQuoted bytes; or -1, and whether the line went
// on past maxQuoted bytes (open).
func closingQuote(b []byte, k int, quote []byte) (at int, open bool) {
	stop := min(len(b), k+maxQuoted)
	for p := k; p+len(quote) <= stop; p++ {
		if b[p] == '\n' {
			return -1, false
		}
		if b[p] == quote[0] && string(b[p:p+len(quote)]) == string(quote) && (len(quote) > 1 || !escaped(b[k:p])) {
			return p, false
		}
	}
	return -1, stop < len(b) && bytes.IndexByte(b[k:stop], '\n') < 0
}

// escaped reports whether the byte after b is escaped: b ends with an odd
// run of backslashes.
func escaped(b []byte) bool {
	n := len(b) - len(bytes.TrimRight(b, "\\"))
	return n%2 == 1
}

// noCredentials are words (lower case) that a value may be but a
// credential never is: nothing set, yes or no, the prose of a message
// about a credential ("password: NO", "secret: not set", "Authorization:
// Failed [4019]", "Web-Authentication: Invalid signature"), a column's
// type. They are not masked.
var noCredentials = []string{"null", "nil", "none", "undefined", "empty", "true", "false", "yes", "no", "not", "is",
	"are", "was", "must", "should", "cannot", "failed", "failure", "missing", "expired", "invalid", "required",
	"denied", "header", "unset", "string", "bigint", "varchar", "ok", "passed", "mismatch", "rotated", "success",
	"succeeded", "v1", "v2", "v3", "v4"}

// startsNoCredential reports whether the value at b[k:] is one of
// noCredentials (see proseAt), reading only as far as the longest of
// them.
func startsNoCredential(b []byte, k int) bool {
	n := valueLen(b[k:min(len(b), k+16)])
	return n < 16 && proseAt(b, k, k+n)
}

// proseAt reports whether the value b[k:end] is one of noCredentials and
// ends as a word of prose or a field does: at the line's end, a space, a
// quote or a bracket, or at ',' or ';' before another field's name and
// separator (password:STRING,token:STRING); not at '&', '|' or other
// ',' and ';', after which a credential may go on (password=true,2024!).
func proseAt(b []byte, k, end int) bool {
	if !isNoCredential(b[k:end]) {
		return false
	}
	if end == len(b) || strings.IndexByte(",;&|", b[end]) < 0 {
		return true
	}
	if b[end] != ',' && b[end] != ';' {
		return false
	}
	n := skipSpaces(b, end+1, false)
	p := n
	for p < len(b) && p-n <= maxNameLen && (isNameByte(b[p]) || b[p] == '-') {
		p++
	}
	return p > n && p < len(b) && (b[p] == ':' || b[p] == '=')
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
