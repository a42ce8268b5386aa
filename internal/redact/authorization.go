package redact

import "strings"

// authorizationValue finds the credential of the Authorization header
// whose name ends in the word b[i:i+n] (see authNames; a header, a key, a
// parameter, a pair's first string): after the name, a separator in any
// of the forms a token's takes, then the schemes the value names (Bearer,
// Basic, ODPS, ...: see schemes), which are kept, and the credential, up
// to the end of the header's value (credentialLen). Without a separator
// it is no header ("Authorization Failed [4019]"). A scheme not in
// schemes is masked with the credential: its parameters may be the
// credential's (ACS3-HMAC-SHA256 Credential=...,Signature=...).
func authorizationValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	k, known, ok := authorizationStart(b, i, n)
	if !ok {
		return 0, 0, false
	}
	end := k + credentialLen(b[k:], known)
	if proseAt(b, k, end) {
		return 0, 0, false
	}
	// A name in the credential whose value runs further (see pastNamed):
	// the credential goes on after that value too, as it does after one
	// of its own, so that redacting again changes nothing.
	for from := k; ; {
		e := pastNamed(b, from, end)
		if e == end {
			return k, end, end > k
		}
		// (from: the names that may end past the old end, and after.)
		from, end = max(k, end-len("authentication")), k+credentialRest(b[k:], e-k)
	}
}

// authorizationStart returns where the credential of the Authorization
// header whose name ends in the word b[i:i+n] starts (see
// authorizationValue), and whether a known scheme came before it; ok is
// false if none follows the name.
func authorizationStart(b []byte, i, n int) (k int, known, ok bool) {
	q := skipQuote(b, i+n)
	j := skipSpaces(b, q, false)
	k = skipSeparator(b, j)
	if k == j {
		// The first of a pair of strings: ('Authorization', 'Bearer S').
		p := skipPairComma(b, j)
		if q == i+n || p == j || skipQuote(b, skipStringPrefix(b, p)) == p || !opensPair(b, i) {
			return 0, false, false
		}
		k = p
	}
	// In a URL or a form, '+' is a space.
	plus := b[j] == '%' || b[j] == '='
	k = openValue(b, skipSpaces(b, k, plus))
	if w := nameAt(b[k:]); w > 0 && namedValueStarts(b, k, w) {
		return 0, false, false // authorization=token:S, the token's value is found from its name
	}
	scheme := skipSchemes(b, k, plus, true)
	if scheme == k && startsNoCredential(b, k) {
		return 0, false, false // prose: "Authorization: Failed [4019]"
	}
	return scheme, scheme > k, startsValue(b, scheme, false)
}

// opensPair reports whether the name that ends in the word at b[i:] opens
// a pair, as Python prints a header or a parameter (('x-token', 'S'):
// after '(', maybe a string's prefix, and a quote) and Scala a
// configuration's entry ((spark.hadoop.odps.access.key,S): after '(').
func opensPair(b []byte, i int) bool {
	p := nameStart(b, i)
	if p > 0 && (b[p-1] == '\'' || b[p-1] == '"') {
		p--
		if p > 0 && strings.IndexByte("ubUB", b[p-1]) >= 0 {
			p--
		}
	}
	return p > 0 && b[p-1] == '('
}

// schemes are the HTTP authentication schemes (lower case) whose name an
// Authorization header's credential follows, shown in the output.
var schemes = []string{"bearer", "basic", "token", "odps", "acs", "acs3-hmac-sha256", "oss", "oss4-hmac-sha256",
	"log", "aws", "aws4-hmac-sha256", "jwt", "digest", "negotiate", "ntlm", "hmac-sha256", "sharedkey",
	"sharedkeylite", "apikey"}

// maxSchemes bounds the schemes skipped before a credential: a client's
// bug may print two (Bearer Bearer ...).
const maxSchemes = 3

// skipSchemes skips the schemes of schemes, each followed by spaces, that
// b[i:] starts with; after an Authorization header (quote), a quote may
// end one too (token"S, which a JSON string's escapes make of token \"S);
// elsewhere "token" before a separator is a name. plus says '+' is a space
// (a URL, a form).
func skipSchemes(b []byte, i int, plus, quote bool) int {
	for range maxSchemes {
		k := i
		for _, s := range schemes {
			if !hasPrefixFold(b[i:], s) {
				continue
			}
			after := skipSpaces(b, i+len(s), plus)
			if quote {
				after = skipSpaces(b, skipQuote(b, after), plus)
			} else if s == "token" && skipSeparator(b, after) > after {
				// After a token's name, "token" and a separator are a
				// name: its value is found from it (token＝TOKEN :S).
				continue
			}
			if after > i+len(s) {
				k = after
				break
			}
		}
		if k == i {
			return i
		}
		i = k
	}
	return i
}

// credentialLen is the length of an Authorization header's credential at
// the start of b: a value (valueLen), and the parameters that follow it
// (after ',' or ';', or after spaces a name and '=': Credential=...,
// SignedHeaders=..., Signature=...), with their quoted values
// (response="..."): up to the end of the header's value in a log line.
// After a scheme not in schemes (known false), the scheme is the first
// value and the credential the next.
func credentialLen(b []byte, known bool) int {
	n := valueLen(b)
	// A credential masked before (Mask) is not followed by one: redacting
	// again changes nothing.
	if !known && n < len(b) && b[n] == ' ' && string(b[:n]) != Mask {
		if m := skipSpaces(b, n, false); m < len(b) && startsValue(b, m, false) {
			n = m + valueLen(b[m:])
		}
	}
	return credentialRest(b, n)
}

// credentialRest is the length of the credential at the start of b whose
// first n bytes are read: the parameters that follow (see credentialLen).
func credentialRest(b []byte, n int) int {
	for n < len(b) {
		switch c := b[n]; {
		case c == ',' || c == ';':
			m := skipSpaces(b, n+1, false)
			if m == len(b) || !startsValue(b, m, false) {
				return n
			}
			n = m
		case c == ' ' || c == '\t':
			m := skipSpaces(b, n, false)
			if !isParam(b[m:]) {
				return n
			}
			n = m
		case startsQuotedParam(b, n):
			open := skipQuote(b, n)
			closing := indexForm(b[open:], b[n:open])
			if closing < 0 {
				return len(b)
			}
			n = open + closing + (open - n)
		default:
			return n
		}
		// The next value, or what is glued to a quoted one.
		n += valueLen(b[n:])
	}
	return n
}

// maxParamName bounds the name of an Authorization header's parameter.
const maxParamName = 64

// isParam reports whether b starts with a parameter's name and '='.
func isParam(b []byte) bool {
	for i := 0; i < len(b) && i <= maxParamName; i++ {
		if b[i] == '=' {
			return i > 0
		}
		if !isNameByte(b[i]) && b[i] != '-' {
			return false
		}
	}
	return false
}

// startsQuotedParam reports whether b[i:] starts the quoted value of a
// parameter: a quote after '='.
func startsQuotedParam(b []byte, i int) bool {
	return i > 0 && b[i-1] == '=' && skipQuote(b, i) > i
}

// indexForm returns the index of the first form (a quote as it was
// written: ", \", %22...) in b, or -1.
func indexForm(b, form []byte) int {
	for i := 0; i+len(form) <= len(b); i++ {
		if string(b[i:i+len(form)]) == string(form) {
			return i
		}
	}
	return -1
}
