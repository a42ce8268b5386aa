// Package redact removes credentials from text before it leaves the
// process: the values of LogView tokens, which grant access to a job, of
// any other parameter, key or element whose name ends in "token",
// "secret", "password", an access or API key's or a signature's name
// (access_token, SecurityToken, AccessKeySecret, odps.access.key,
// accessKey, OSS's Signature; see names), the credentials of
// Authorization headers (any name ending in "authorization" or
// "authentication": Proxy-Authorization, MaxCompute's
// application-authentication), the passwords of URLs' users
// (jdbc:mysql://root:S@host/, also with a '/', '?' or '#' unencoded), and
// the credentials known by their place among arguments, found apart
// (positionalSpans) and masked with the rest: odpscmd's -p (odpscmd -u
// ID -p KEY, -pKEY), MySQL's and MariaDB's clients' attached -p (mysql
// -uroot -pS, quoted whole in shell traces and argument lists) and
// PyODPS's ODPS('ID', 'KEY', ...). A short name is one only whole (sk=, not
// task=); a dotted configuration key's value may follow a space
// (odps.access.key S).
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
// list of arguments: ['--token', '...']), a header as Python's pair of
// strings (('Authorization', '...')), a dump of names and values
// ({"name":"password","value":"..."}, Hadoop's <name>...</name><value>),
// in Ruby's, PHP's, Go's and Scala's pairs (token => ..., token := ...,
// token -> ...). An Authorization header keeps its scheme if it is a
// known one (Bearer, Basic, ODPS, ACS3-HMAC-SHA256...; an unknown one is
// masked with the credential) and loses its credential with its
// parameters (Credential=..., Signature=..., response="..."); without a
// separator after it the word is prose ("Authorization Failed [4019]").
//
// A quoted value runs to its closing quote; another runs to the first
// byte that ends a value in a log line (a space, a quote, '&', a
// bracket...), not to the first byte a token cannot hold: a secret is
// better masked too long than cut short, and "token:" in prose is masked
// too, but for words a credential never is (null, NO, not, failed,
// invalid...: see noCredentials), and JSON keys or list elements after a
// quoted name ("password", "email") are no values. The value is replaced
// by Mask; the name is kept, so that a reader sees a credential was
// there. Text without any of this is returned as it is, without
// allocating.
//
// Every place that copies log text out of the process (samples in scan's
// report, alerts, event lines and descriptions) calls it before cutting
// the text to its bound, so that a cut never leaves part of a token
// outside the window that was redacted.
package redact

import (
	"bytes"
	"strings"
	"unsafe"
)

// Mask replaces a redacted value.
const Mask = "REDACTED"

// String returns s with every token value replaced by Mask.
func String(s string) string {
	if !has(s) {
		return s
	}
	// The passes only read: a view of s's bytes, not a copy, until
	// something is to be masked.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	if out := redact(b); !same(out, b) {
		return string(out)
	}
	return s
}

// Bytes returns b with every token value replaced by Mask: b itself when
// it holds none, else a new slice.
func Bytes(b []byte) []byte {
	if !has(b) {
		return b
	}
	return redact(b)
}

// redact returns b with every token value replaced by Mask: b itself when
// it holds none, else a new slice. The credentials known by their place
// (positionalSpans) and the rest (next) are found in the same text and
// masked together; while that masks something, it runs again, maxRounds
// times at most: a value masked may have held what ended or began a
// command or a quoted item (mysql it's password='a;b' -pS: the quote of
// "it's" paired with the value's), so that redacting the result again
// changes nothing.
func redact(b []byte) []byte {
	if !hasCall(b) {
		return named(b)
	}
	out := b
	for range maxRounds {
		n := mask(out, namedSpans(out, positionalSpans(out, nil)))
		if bytes.Equal(n, out) {
			return out // a round that changes nothing: done
		}
		out = n
	}
	return out
}

// maxRounds bounds redact's rounds.
const maxRounds = 4

// namedSpans appends to found the values next finds in b, one after the
// other as appendFrom masks them.
func namedSpans(b []byte, found []span) []span {
	for off := 0; off < len(b); {
		start, end, ok := next(b[off:])
		if !ok {
			break
		}
		found = append(found, span{start: off + start, end: off + end})
		off += end
	}
	return found
}

// named masks the values next finds in b: b itself when there are none.
func named(b []byte) []byte {
	start, end, ok := next(b)
	if !ok {
		return b
	}
	return appendFrom(nil, b, start, end)
}

// same reports whether a and b are the same bytes in memory.
func same(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// appendFrom appends b to dst with every token value replaced by Mask,
// the first being b[start:end].
func appendFrom(dst, b []byte, start, end int) []byte {
	for {
		dst = append(dst, b[:start]...)
		dst = append(dst, Mask...)
		b = b[end:]
		var ok bool
		if start, end, ok = next(b); !ok {
			return append(dst, b...)
		}
	}
}

// has reports whether s may hold a credential: one of the words of names
// or authNames, in any case, or a URL ("://", its user's password).
func has[T string | []byte](s T) bool {
	for i := 0; i+2 <= len(s); i++ {
		if c := s[i]; mayStartWord(s[i:]) {
			if n, _ := wordAt(s[i:]); n > 0 {
				return true
			}
		} else if c == ':' && i+3 <= len(s) && (s[i+1] == '/' && s[i+2] == '/' || s[i+1] == '\\' && i+5 <= len(s) && string(s[i+1:i+5]) == `\/\/`) {
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
// a name that ends in a word of names (namedValue), the credential of an
// Authorization header (authorizationValue) or the password of a URL's
// user (userPassword; "://" may be a JSON string's ":\/\/"). Those known
// by their place are positionalSpans', found in the same text.
func next(b []byte) (valStart, valEnd int, ok bool) {
	for i := 0; i+3 <= len(b); i++ {
		if !mayStartWord(b[i:]) && b[i] != ':' {
			continue
		}
		if n, kind := wordAt(b[i:]); n > 0 && kind == nameWord {
			valStart, valEnd, ok = namedValue(b, i, n)
		} else if n > 0 && kind == authWord {
			valStart, valEnd, ok = authorizationValue(b, i, n)
		} else if n > 0 {
			continue // a command's or a call's: positionalSpans'
		} else if b[i] == ':' && b[i+1] == '/' && b[i+2] == '/' {
			valStart, valEnd, ok = userPassword(b, i+3)
		} else if b[i] == ':' && hasPrefixFold(b[i:], `:\/\/`) {
			valStart, valEnd, ok = userPassword(b, i+5) // a JSON string's: http:\/\/u:S@h
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
// '--token', '...' in a list of arguments), a name that opens a pair
// the pair's other string (('x-token', '...')). An empty value (token=&)
// is none.
func namedValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	v, ok := namedValueStart(b, i, n)
	if !ok {
		return 0, 0, false
	}
	e := v.end(b)
	end := pastNamed(b, v.k, e)
	if end > e && len(v.quote) > 0 {
		// A name in the quoted value whose own value ran past its
		// closing quote, or into it: to the quote that closes it then,
		// so that redacting again changes nothing.
		if c, _ := closingQuote(b, end, v.quote); c >= 0 {
			end = c
		}
	}
	if end <= v.k || proseAt(b, v.k, end) {
		return 0, 0, false
	}
	return v.k, end, true
}

// namedValueStart returns where the value of the name that ends in the
// word b[i:i+n] starts (see namedValue); ok is false if no value follows
// the name.
func namedValueStart(b []byte, i, n int) (v valueAt, ok bool) {
	if i > 0 && isWholeName(b[i:i+n]) && (isAlnum(b[i-1]) || b[i-1] == '/' || b[i-1] == '_' && !upperName(b, i-1)) {
		return valueAt{}, false // task=, disk:, ak/sk:, ss_item_sk= (x-sk, ALIYUN_SK and --sk are names)
	}
	if k := slashAt(b, i+n); k > i+n && inPath(b, i) {
		return valueAt{k: k, segment: true}, startsValue(b, k, true)
	}
	// (inTag first: it reads back at most maxNameLen bytes, tagEnd
	// forwards up to maxAttributes attributes.)
	if inTag(b, i) {
		if k := tagEnd(b, i+n); k > i+n {
			// The text runs to the next '<' in the form the tag's '>'
			// had, as a quoted value to its quote (<password>a b</password>).
			v := valueAt{k: elementText(b, k), quote: openTag(b[:k])}
			return v, len(v.quote) > 0 && v.end(b) > v.k || startsValue(b, v.k, false)
		}
	}
	if k := nameValuePair(b, i+n); k > i+n {
		return openedValue(b, k, false)
	}
	q := skipQuote(b, i+n)
	j := skipSpaces(b, q, true)
	k := skipSeparator(b, j)
	if k == j {
		p := skipPairComma(b, j)
		switch {
		case p > j && opensPair(b, i):
			k = p // ('x-token', 'S'), (spark.hadoop.odps.access.key,S)
		case j > q && q == i+n && isDotted(b, i) && keyLike(b, j):
			k = j // odps.access.key S: a key of a configuration, printed with a space
		case !isFlag(b, i):
			return valueAt{}, false // "tokenizer", "token count": no value follows
		case p > j:
			k = p // ['--token', 'S'], [--token, S]
		case j == i+n:
			return valueAt{}, false // no space after the flag
		}
	}
	// After a percent-encoded separator, '+' is a space too; else it may
	// start the value (base64).
	return openedValue(b, skipSpaces(b, k, k > j && b[j] == '%'), true)
}

// openedValue returns the value that starts at b[k] after what may open
// it (see openValue); after a name, schemes (x-token: Bearer S) too.
func openedValue(b []byte, k int, schemes bool) (valueAt, bool) {
	qs := skipStringPrefix(b, skipBracket(b, k))
	k = skipQuote(b, qs)
	v := valueAt{k: k, quote: b[qs:k]}
	if schemes {
		v.k = skipSchemes(b, k, false, false)
	}
	if len(v.quote) > 0 && v.end(b) > v.k {
		return v, true // a quoted value, whatever its first byte: "&Xk9#"
	}
	return v, startsValue(b, v.k, false)
}

// nameValuePair returns where the value starts of a name that is itself
// a value, in the dumps of name and value pairs: {"name":"password",
// "value":"S"}, Hadoop's <name>fs.oss.accessKeySecret</name><value>S</value>;
// i is where the name's word ends. It returns i if b[i:] is no such pair.
func nameValuePair(b []byte, i int) int {
	if hasPrefixFold(b[i:], "</name>") {
		k := elementText(b, i+len("</name>"))
		if hasPrefixFold(b[k:], "<value>") {
			return k + len("<value>")
		}
		return i
	}
	q := skipQuote(b, i)
	if q == i {
		return i
	}
	k := skipQuote(b, skipPairComma(b, q))
	if k == q || !hasPrefixFold(b[k:], "value") {
		return i
	}
	j := skipSpaces(b, skipQuote(b, k+len("value")), false)
	if s := skipSeparator(b, j); s > j {
		return skipSpaces(b, s, false)
	}
	return i
}

// namedValueStarts reports whether a value follows the name that ends in
// the word b[i:i+n].
func namedValueStarts(b []byte, i, n int) bool {
	_, ok := namedValueStart(b, i, n)
	return ok
}

// openValue skips what may open a value at b[i:]: a bracket (Go's header
// maps print map[X-Token:[S]], JSON's http.Header ["S"]), a Python
// string's prefix (b'S') and a quote.
func openValue(b []byte, i int) int {
	return skipQuote(b, skipStringPrefix(b, skipBracket(b, i)))
}

// skipBracket skips the '[' b[i:] starts with, if it does.
func skipBracket(b []byte, i int) int {
	if i < len(b) && b[i] == '[' {
		return i + 1
	}
	return i
}

// skipPairComma skips the ", " between the two strings of a pair or two
// arguments of a list, if b[i:] starts with one.
func skipPairComma(b []byte, i int) int {
	if i < len(b) && b[i] == ',' {
		return skipSpaces(b, i+1, false)
	}
	return i
}

// pastNamed returns end, where the value b[k:end] ends, or, if a name in
// it (or an Authorization header's) has a value of its own that starts at
// end or after it (the value ended at that name's quote or separator:
// --token x-token:S, authorization=token"=S), where that value ends, and
// so on.
func pastNamed(b []byte, k, end int) int {
	for p := k; p < end; p++ {
		if n := nameAt(b[p:]); n > 0 {
			v, ok := namedValueStart(b, p, n)
			if !ok || v.k < end {
				continue
			}
			e := v.end(b)
			if e <= v.k {
				continue // an empty value (<token>\n</token>): nothing past end to mask
			}
			end = e
			p = v.k - 1 // the names in what was added
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
