// Package redact removes credentials from text before it leaves the
// process: the values of LogView tokens, which grant access to a job, of
// any other parameter or key whose name ends in "token" (access_token,
// sts_token), and the credentials of Authorization headers (and of any
// name ending in "authorization": Proxy-Authorization).
//
// It finds them in every form they take in MaxCompute logs: a URL query
// (token=...), a URL inside another one, URL-encoded once or more
// (token%3D..., token%253D...), in JSON with & or = escaped
// (\u0026token\u003d...), as a JSON or Python key, quoted or not, in JSON
// inside a JSON string ({\"token\":\"...\"}) or URL-encoded inside a URL
// (%22token%22%3A%22..., %5C%22token%5C%22... from a JSON string), with
// quotes and '=' escaped (\u0022, \u003d, \x3d), as a header (x-token:
// ..., x-token: Bearer ...), a Python string (u'...'), with HTML entities
// for its quotes or '=', full-width '=' or ':', as a URL's path segment
// (/token/...), an XML element (<token>...</token>), a command-line flag
// (--token ...), in Ruby's, PHP's, Go's and Scala's pairs (token => ...,
// token := ..., token -> ...). An Authorization header keeps its scheme
// (Bearer, Basic, ODPS...) and loses its credential; without a separator
// after it the word is prose ("Authorization Failed [4019]"). A value
// runs to the first byte that ends a value in a log line (a space, a
// quote, '&', a bracket...), not to the first byte a token cannot hold:
// a secret is better masked too long than cut short, and "token:" in
// prose is masked too. The value is replaced by Mask; the name is kept,
// so that a reader sees a credential was there. Text without the word
// "token" or "authorization" is returned as it is, without allocating.
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

// has reports whether s may hold a credential: the word "token" or
// "authorization", in any case.
func has[T string | []byte](s T) bool {
	for i := 0; i+5 <= len(s); i++ {
		if isToken(s[i:]) || isAuthorization(s[i:]) {
			return true
		}
	}
	return false
}

// isToken reports whether s starts with "token", in any case.
func isToken[T string | []byte](s T) bool {
	return len(s) >= 5 && s[0]|0x20 == 't' && s[1]|0x20 == 'o' && s[2]|0x20 == 'k' && s[3]|0x20 == 'e' && s[4]|0x20 == 'n'
}

// isAuthorization reports whether s starts with "authorization", in any
// case.
func isAuthorization[T string | []byte](s T) bool {
	const w = "authorization"
	if len(s) < len(w) || s[0]|0x20 != 'a' {
		return false
	}
	for i := 1; i < len(w); i++ {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// separators between a token's name and its value, lower-cased: '=' and
// ':' (a header, a JSON or Python key), as HTML entities and full-width,
// and the pairs of Ruby's and PHP's hashes (=>), Go's assignment (:=) and
// Scala's maps (->), which come first: their first byte is a separator
// too. Escaped or encoded, '=' and ':' are read apart (see skipForm).
var separators = []string{"=>", ":=", "->", "=", ":", "&#61;", "&#x3d;", "\uff1d" /* fullwidth = */, "\uff1a" /* fullwidth : */}

// quotes may close a token's name or open its value: JSON's and Python's,
// and HTML's entities for them (a JSON body shown in an HTML page or
// attribute); escaped or encoded they are read apart (see skipForm).
var quotes = []string{`"`, "'", "&quot;", "&#34;", "&#x22;", "&apos;", "&#39;", "&#x27;"}

// next finds the first credential in b: [valStart, valEnd), the value
// of a token (tokenValue) or an Authorization header (authorizationValue).
func next(b []byte) (valStart, valEnd int, ok bool) {
	for i := 0; i+5 <= len(b); i++ {
		switch {
		case isToken(b[i:]):
			valStart, valEnd, ok = tokenValue(b, i)
		case isAuthorization(b[i:]):
			valStart, valEnd, ok = authorizationValue(b, i)
		default:
			continue
		}
		if ok {
			return valStart, valEnd, true
		}
	}
	return 0, 0, false
}

// tokenValue finds the value of the name that ends in the "token" at
// b[i:]. After it may come a closing quote, spaces, a separator, spaces
// and an opening quote, each of them percent-encoded too (a JSON body
// inside a URL: %22token%22%3A%22...). A path segment named so holds the
// next one (/token/...), an XML element its text (<token>...</token>), a
// command-line flag the next word (--token ...). An empty value (token=&)
// is none.
func tokenValue(b []byte, i int) (valStart, valEnd int, ok bool) {
	k, segment, ok := tokenValueStart(b, i)
	if !ok {
		return 0, 0, false
	}
	end := k + valueOrSegmentLen(b[k:], segment)
	end = pastNamed(b, k, end)
	return k, end, end > k
}

// tokenValueStart returns where the value of the name that ends in the
// "token" at b[i:] starts (see tokenValue), and whether it is a path
// segment; ok is false if no value follows the name.
func tokenValueStart(b []byte, i int) (k int, segment, ok bool) {
	if k := slashAt(b, i+5); k > i+5 && inPath(b, i) {
		return k, true, startsValue(b, k, true)
	}
	if k := tagEnd(b, i+5); k > i+5 && inTag(b, i) {
		for k < len(b) && (b[k] == '\n' || b[k] == '\r' || b[k] == ' ' || b[k] == '\t') {
			k++ // an element's text may start on the next line
		}
		return k, false, startsValue(b, k, false)
	}
	j := skipSpaces(b, skipQuote(b, i+5), true)
	k = skipSeparator(b, j)
	if k == j && (j == i+5 || !isFlag(b, i)) {
		return 0, false, false // "tokenizer", "token count": no value follows
	}
	// After a percent-encoded separator, '+' is a space too; else it may
	// start the value (base64).
	k = skipSpaces(b, k, k > j && b[j] == '%')
	k = skipAuthScheme(b, skipQuote(b, skipStringPrefix(b, k)))
	return k, false, startsValue(b, k, false)
}

// tokenValueStarts reports whether a value follows the name that ends in
// the "token" at b[i:].
func tokenValueStarts(b []byte, i int) bool {
	_, _, ok := tokenValueStart(b, i)
	return ok
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

// pastNamed returns end, where the value b[k:end] ends, or, if a token's
// name in it has a value of its own that starts at end or after it (the
// value ended at that name's quote or separator: --token x-token:S,
// authorization=token"=S), where that value ends, and so on.
func pastNamed(b []byte, k, end int) int {
	for p := k; p+5 <= end; p++ {
		if !isToken(b[p:]) {
			continue
		}
		s, segment, ok := tokenValueStart(b, p)
		if !ok || s < end {
			continue
		}
		end = s + valueOrSegmentLen(b[s:], segment)
		p = s - 1 // the names in what was added
	}
	return end
}

// authorizationValue finds the credential of the Authorization header
// (or key, or parameter: any name ending in "authorization") at b[i:]:
// after the name, a separator in any of the forms a token's takes, then
// a scheme the value names (Bearer, Basic, token, ODPS...: see schemes),
// which is kept, and the credential. Without a separator it is no header
// ("Authorization Failed [4019]"); without a known scheme, the first
// value is the credential.
func authorizationValue(b []byte, i int) (valStart, valEnd int, ok bool) {
	j := skipSpaces(b, skipQuote(b, i+len("authorization")), false)
	k := skipSeparator(b, j)
	if k == j {
		return 0, 0, false
	}
	// In a URL or a form, '+' is a space.
	plus := b[j] == '%' || b[j] == '='
	k = skipQuote(b, skipSpaces(b, k, plus))
	if isToken(b[k:]) && tokenValueStarts(b, k) {
		return 0, 0, false // authorization=token:S, the token's value is found from its name
	}
	for _, s := range schemes {
		if hasPrefixFold(b[k:], s) {
			// Spaces, or a quote (token"S, which a JSON string's
			// escapes make of token \"S), end the scheme.
			if after := skipSpaces(b, skipQuote(b, skipSpaces(b, k+len(s), plus)), plus); after > k+len(s) {
				k = after
				break
			}
		}
	}
	end := k + valueLen(b[k:])
	end = pastNamed(b, k, end)
	return k, end, end > k
}

// schemes are the HTTP authentication schemes (lower case) whose name an
// Authorization header's credential follows: the name is kept.
var schemes = []string{"bearer", "basic", "token", "odps", "acs", "digest", "negotiate", "ntlm", "hmac-sha256", "aws4-hmac-sha256", "sharedkey", "apikey"}

// isFlag reports whether the name that ends at b[i+5] is a command-line
// flag: one or two dashes at the start of a word, then letters, digits,
// '-' and '_' (--token, -access-token).
func isFlag(b []byte, i int) bool {
	p := i
	for p > 0 && (isNameByte(b[p-1]) || b[p-1] == '-') {
		p--
	}
	return b[p] == '-' && (p == 0 || strings.IndexByte(" \t\"'=", b[p-1]) >= 0)
}

// inTag reports whether the name that ends at b[i+5] is an XML element's:
// it follows '<' (or &lt;, XML shown in HTML), with only the bytes of a
// name between (<token>, <ns:SecurityToken>).
func inTag(b []byte, i int) bool {
	for ; i > 0; i-- {
		if b[i-1] == '<' || i >= 4 && hasPrefixFold(b[i-4:], "&lt;") {
			return true
		}
		if !isNameByte(b[i-1]) && b[i-1] != ':' && b[i-1] != '-' {
			return false
		}
	}
	return false
}

// tagEnd returns the offset after the '>' (or &gt;) b[i:] starts with, or
// i.
func tagEnd(b []byte, i int) int {
	switch {
	case i < len(b) && b[i] == '>':
		return i + 1
	case hasPrefixFold(b[i:], "&gt;"):
		return i + 4
	}
	return i
}

// isNameByte reports whether c may be part of a name: a letter, a digit,
// '_' or '.'.
func isNameByte(c byte) bool {
	return c == '_' || c == '.' || 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
}

// inPath reports whether the name that ends at b[i+5] is a segment of a
// URL's path: it follows a '/' (or one encoded: see slashAt), with no
// byte between that a name cannot hold.
func inPath(b []byte, i int) bool {
	for ; i > 0; i-- {
		if endsWithSlash(b[:i]) {
			return true
		}
		if c := b[i-1]; !(c == '_' || c == '-' || c == '.' || 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return false
}

// skipStringPrefix skips a Python string's prefix (u'…', b"…", r'…')
// that b[i:] starts with, if it does.
func skipStringPrefix(b []byte, i int) int {
	if i < len(b) && strings.IndexByte("ubrUBR", b[i]) >= 0 && skipQuote(b, i+1) > i+1 {
		return i + 1
	}
	return i
}

// skipAuthScheme skips the scheme of an HTTP credential (Bearer, Basic)
// and the spaces after it, that b[i:] starts with, if it does: the
// secret is what follows (x-token: Bearer ...).
func skipAuthScheme(b []byte, i int) int {
	for _, s := range []string{"bearer", "basic"} {
		if hasPrefixFold(b[i:], s) && i+len(s) < len(b) && b[i+len(s)] == ' ' {
			return skipSpaces(b, i+len(s), false)
		}
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
