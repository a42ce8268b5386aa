// Package redact removes credentials from text before it leaves the
// process: the values of LogView tokens, which grant access to a job, of
// any other parameter, key or element whose name ends in "token",
// "secret" or "password" (access_token, SecurityToken, AccessKeySecret),
// and the credentials of Authorization headers (any name ending in
// "authorization" or "authentication": Proxy-Authorization, MaxCompute's
// application-authentication).
//
// It finds them in every form they take in MaxCompute logs: a URL query
// (token=...), a URL inside another one, URL-encoded once or more
// (token%3D..., token%253D...), in JSON with & or = escaped
// (\u0026token\u003d...), as a JSON or Python key, quoted or not, in JSON
// inside a JSON string ({\"token\":\"...\"}) or URL-encoded inside a URL
// (%22token%22%3A%22..., %5C%22token%5C%22... from a JSON string), with
// quotes and '=' escaped (\u0022, \u003d, \x3d), as a header (x-token:
// ..., x-token: Bearer ...), in a list as Go's header maps and JSON's
// http.Header print it (map[X-Token:[...]], ["..."]), a Python string
// (u'...', b'...'), with HTML entities for its quotes, '=' or ':',
// full-width '=' or ':', as a URL's path segment (/token/...), an XML
// element (<token>...</token>; with attributes, CDATA, '<' escaped by a
// JSON encoder or a URL), a command-line flag (--token ..., and as a
// list of arguments: ['--token', '...']), a pair of strings ('x-token',
// '...'), in Ruby's, PHP's, Go's and Scala's pairs (token => ..., token
// := ..., token -> ...). An Authorization header keeps its scheme if it
// is a known one (Bearer, Basic, ODPS, ACS3-HMAC-SHA256...; an unknown
// one is masked with the credential) and loses its credential with its
// parameters (Credential=..., Signature=..., response="..."); without a
// separator after it the word is prose ("Authorization Failed [4019]").
// A value runs to the first byte that ends a value in a log line (a
// space, a quote, '&', a bracket...), not to the first byte a token
// cannot hold: a secret is better masked too long than cut short, and
// "token:" in prose is masked too. The value is replaced by Mask; the
// name is kept, so that a reader sees a credential was there. Text
// without those words is returned as it is, without allocating.
//
// Every place that copies log text out of the process (samples in scan's
// report, alerts, event lines and descriptions) calls it before cutting
// the text to its bound, so that a cut never leaves part of a token
// outside the window that was redacted.
package redact

import (
	"bytes"
	"strings"
)

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

// has reports whether s may hold a credential: one of the words of names
// or authNames, in any case.
func has[T string | []byte](s T) bool {
	for i := 0; i+5 <= len(s); i++ {
		if nameAt(s[i:]) > 0 || authNameAt(s[i:]) > 0 {
			return true
		}
	}
	return false
}

// separators between a name and its value, lower-cased: '=' and ':' (a
// header, a JSON or Python key), as HTML entities and full-width, and the
// pairs of Ruby's and PHP's hashes (=>), Go's assignment (:=) and Scala's
// maps (->), which come first: their first byte is a separator too.
// Escaped or encoded, '=' and ':' are read apart (see skipForm).
var separators = []string{"=>", ":=", "->", "=", ":", "&#61;", "&#x3d;", "&#58;", "&#x3a;", "\uff1d" /* fullwidth = */, "\uff1a" /* fullwidth : */}

// quotes may close a name or open its value: JSON's and Python's, and
// HTML's entities for them (a JSON body shown in an HTML page or
// attribute); escaped or encoded they are read apart (see skipForm).
var quotes = []string{`"`, "'", "&quot;", "&#34;", "&#x22;", "&apos;", "&#39;", "&#x27;"}

// next finds the first credential in b: [valStart, valEnd), the value of
// a name that ends in a word of names (namedValue) or the credential of
// an Authorization header (authorizationValue).
func next(b []byte) (valStart, valEnd int, ok bool) {
	for i := 0; i+5 <= len(b); i++ {
		if n := nameAt(b[i:]); n > 0 {
			valStart, valEnd, ok = namedValue(b, i, n)
		} else if n := authNameAt(b[i:]); n > 0 {
			valStart, valEnd, ok = authorizationValue(b, i, n)
		} else {
			continue
		}
		if ok {
			return valStart, valEnd, true
		}
	}
	return 0, 0, false
}

// namedValue finds the value of the name that ends in the word b[i:i+n]
// (see names). After it may come a closing quote, spaces, a separator,
// spaces and an opening bracket or quote, each of them percent-encoded
// too (a JSON body inside a URL: %22token%22%3A%22...). A path segment
// named so holds the next one (/token/...), an XML element its text
// (<token>...</token>), a command-line flag the next word (--token ...,
// '--token', '...' in a list of arguments), a quoted name the next
// quoted string in a pair ('x-token', '...'). An empty value (token=&)
// is none.
func namedValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	k, segment, ok := namedValueStart(b, i, n)
	if !ok {
		return 0, 0, false
	}
	end := k + valueOrSegmentLen(b[k:], segment)
	end = pastNamed(b, k, end)
	return k, end, end > k
}

// namedValueStart returns where the value of the name that ends in the
// word b[i:i+n] starts (see namedValue), and whether it is a path
// segment; ok is false if no value follows the name.
func namedValueStart(b []byte, i, n int) (k int, segment, ok bool) {
	if k := slashAt(b, i+n); k > i+n && inPath(b, i) {
		return k, true, startsValue(b, k, true)
	}
	if k := tagEnd(b, i+n); k > i+n && inTag(b, i) {
		return elementText(b, k), false, startsValue(b, elementText(b, k), false)
	}
	q := skipQuote(b, i+n)
	j := skipSpaces(b, q, true)
	k = skipSeparator(b, j)
	if k == j {
		flag := isFlag(b, i)
		switch p := skipPairComma(b, j); {
		case p > j && (flag || q > i+n && skipQuote(b, skipStringPrefix(b, p)) > p):
			k = p // ['--token', 'S'], [--token, S], ('x-token', 'S')
		case j == i+n || !flag:
			return 0, false, false // "tokenizer", "token count": no value follows
		}
	}
	// After a percent-encoded separator, '+' is a space too; else it may
	// start the value (base64).
	k = skipSpaces(b, k, k > j && b[j] == '%')
	k = skipSchemes(b, openValue(b, k), false, false)
	return k, false, startsValue(b, k, false)
}

// namedValueStarts reports whether a value follows the name that ends in
// the word b[i:i+n].
func namedValueStarts(b []byte, i, n int) bool {
	_, _, ok := namedValueStart(b, i, n)
	return ok
}

// openValue skips what may open a value at b[i:]: a bracket (Go's header
// maps print map[X-Token:[S]], JSON's http.Header ["S"]), a Python
// string's prefix (b'S') and a quote.
func openValue(b []byte, i int) int {
	if i < len(b) && b[i] == '[' {
		i++
	}
	return skipQuote(b, skipStringPrefix(b, i))
}

// skipPairComma skips the ", " between the two strings of a pair or two
// arguments of a list, if b[i:] starts with one.
func skipPairComma(b []byte, i int) int {
	if i < len(b) && b[i] == ',' {
		return skipSpaces(b, i+1, false)
	}
	return i
}

// startsValue reports whether a value (a path segment) starts at b[k]:
// what valueLen (segmentLen) reads of its first bytes, which are enough
// to tell, so that asking costs the same however long the value is.
func startsValue(b []byte, k int, segment bool) bool {
	return valueOrSegmentLen(b[k:min(len(b), k+4*maxBackslashes)], segment) > 0
}

// valueOrSegmentLen is segmentLen(b) for a path segment, else valueLen(b).
func valueOrSegmentLen(b []byte, segment bool) int {
	if segment {
		return segmentLen(b)
	}
	return valueLen(b)
}

// pastNamed returns end, where the value b[k:end] ends, or, if a name in
// it (or an Authorization header's) has a value of its own that starts at end or after it (the value
// ended at that name's quote or separator: --token x-token:S,
// authorization=token"=S), where that value ends, and so on.
func pastNamed(b []byte, k, end int) int {
	for p := k; p+5 <= end; p++ {
		if n := nameAt(b[p:]); n > 0 {
			s, segment, ok := namedValueStart(b, p, n)
			if !ok || s < end {
				continue
			}
			end = s + valueOrSegmentLen(b[s:], segment)
			p = s - 1 // the names in what was added
		} else if n := authNameAt(b[p:]); n > 0 {
			s, known, ok := authorizationStart(b, p, n)
			if !ok || s < end {
				continue
			}
			end = s + credentialLen(b[s:], known)
			p = s - 1
		}
	}
	return end
}

// skipStringPrefix skips a Python string's prefix (u'…', b"…", r'…')
// that b[i:] starts with, if it does.
func skipStringPrefix(b []byte, i int) int {
	if i < len(b) && strings.IndexByte("ubrUBR", b[i]) >= 0 && skipQuote(b, i+1) > i+1 {
		return i + 1
	}
	return i
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
