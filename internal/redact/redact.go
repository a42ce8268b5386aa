// Package redact removes credentials from text before it leaves the
// process: the values of LogView tokens, which grant access to a job, and
// of any other parameter or JSON key whose name ends in "token"
// (access_token, sts_token).
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
// (/token/...). The value runs to the first byte that ends a value in a
// log line (a space, a quote, '&', a bracket...), not to the first byte a
// token cannot hold: a secret is better masked too long than cut short,
// and "token:" in prose is masked too. The value is replaced by Mask; the
// name is kept, so that a reader sees a token was there. Text without the
// word "token" is returned as it is, without allocating.
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

// separators between a token's name and its value, lower-cased: '=' and
// ':' (a header, a JSON or Python key), as HTML entities and full-width;
// escaped or encoded they are read apart (see skipForm).
var separators = []string{"=", ":", "&#61;", "&#x3d;", "\uff1d" /* fullwidth = */, "\uff1a" /* fullwidth : */}

// quotes may close a token's name or open its value: JSON's and Python's,
// and HTML's entities for them (a JSON body shown in an HTML page or
// attribute); escaped or encoded they are read apart (see skipForm).
var quotes = []string{`"`, "'", "&quot;", "&#34;", "&#x22;", "&apos;", "&#39;", "&#x27;"}

// next finds the first token value in b: [valStart, valEnd). A name ends
// in "token" (any case); after it may come a closing quote, spaces, a
// separator, spaces and an opening quote, each of them percent-encoded
// too (a JSON body inside a URL: %22token%22%3A%22...). A path segment
// named so holds the next one (/token/...). An empty value (token=&) is
// left alone.
func next(b []byte) (valStart, valEnd int, ok bool) {
	for i := 0; i+5 <= len(b); i++ {
		if !isToken(b[i:]) {
			continue
		}
		if k := slashAt(b, i+5); k > i+5 && inPath(b, i) {
			end := k + segmentLen(b[k:])
			if end == k {
				continue
			}
			return k, end, true
		}
		j := skipSpaces(b, skipQuote(b, i+5), true)
		k := skipSeparator(b, j)
		// After a percent-encoded separator, '+' is a space too; else it
		// may start the value (base64).
		plus := j < len(b) && b[j] == '%'
		if k == j {
			// "Authorization: token SECRET": the word is the scheme.
			auth, encoded := authScheme(b[:i])
			if !auth || j == i+5 {
				continue // "tokenizer", "token count": no value follows
			}
			plus = encoded
		}
		k = skipSpaces(b, k, plus)
		k = skipAuthScheme(b, skipQuote(b, skipStringPrefix(b, k)))
		end := k + valueLen(b[k:])
		if end == k {
			continue
		}
		return k, end, true
	}
	return 0, 0, false
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

// authScheme reports whether b, what comes before a "token", ends with
// an Authorization header's name or key, its ':' or '=', and spaces and
// quotes, in any of their forms (escaped in JSON, percent-encoded: the
// header inside a JSON string or a URL): the token is its scheme, and
// the credential follows it after a space. encoded says the header is
// percent-encoded (a '+' is a space then).
func authScheme(b []byte) (auth, encoded bool) {
	all := b
	b = trimQuotesAndSpaces(b)
	if n := len(b); n > 0 && (b[n-1] == ':' || b[n-1] == '=') {
		b = b[:n-1]
	} else if k := encodedBefore(b, "3a", "3d"); k >= 0 {
		b = b[:k]
	} else {
		return false, false
	}
	b = trimQuotesAndSpaces(b)
	if len(b) < len("authorization") || !hasPrefixFold(b[len(b)-len("authorization"):], "authorization") {
		return false, false
	}
	return true, bytes.ContainsAny(all[len(b):], "%+")
}

// trimQuotesAndSpaces trims from the end of b the quotes, spaces and
// backslashes, raw or percent-encoded, and '+' (a form's space).
func trimQuotesAndSpaces(b []byte) []byte {
	for {
		b = bytes.TrimRight(b, " \t\"'+\\")
		k := encodedBefore(b, "20", "22", "27", "5c", "2b")
		if k < 0 {
			return b
		}
		b = b[:k]
	}
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
