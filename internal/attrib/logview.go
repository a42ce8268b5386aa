package attrib

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/odpswatch/odpswatch/internal/redact"
)

// LogView links: where one starts and ends in a line, and the link kept
// of it, without its token.

// logViewAt reads the LogView link whose "logview" is at line[at:]: a URL
// (from the last "http" before it, with no space, quote or bracket
// between) up to the first byte that cannot be in it (a space, a quote,
// a bracket, a backslash that does not start \u0026 or \u003d).
func logViewAt(line []byte, at int) Span {
	start := lastIndexFold(line[:at], "http")
	if start < 0 {
		return Span{}
	}
	for _, c := range line[start:at] {
		if urlStop[c] && c != '\\' && c != ']' && c != ')' {
			return Span{}
		}
	}
	end := at
	for end < len(line) {
		for end < len(line) && !urlStop[line[end]] {
			end++
		}
		if end == len(line) || line[end] != '\\' || !jsonEscapedURLByte(line[end:]) {
			break
		}
		end += len(`\u0026`)
	}
	return Span{start, end}
}

// jsonEscapedURLByte reports whether b starts with a byte of a URL that
// JSON encoders escape: & as \u0026, and = as \u003d (Gson escapes both).
func jsonEscapedURLByte(b []byte) bool {
	return bytes.HasPrefix(b, []byte(`\u0026`)) || hasPrefixFold(b, `\u003d`)
}

// urlStop holds the bytes a link in a log line ends at: a space, a quote,
// a bracket, a backslash (unless it starts \u0026), a control byte (the
// '\r' of a Windows line end: the link was dropped whole with it).
var urlStop = func() (t [256]bool) {
	for _, c := range []byte(" \t\"'<>])\\") {
		t[c] = true
	}
	for c := range 0x20 {
		t[c] = true
	}
	t[0x7f] = true
	return t
}()

// param returns the value of the query parameter name in the URL u, with
// the parameters separated by '&', "\u0026" or "%26" (a URL inside
// another, encoded once).
func param(u []byte, name string) Span {
	for i := 0; i < len(u); i++ {
		var sep int
		switch u[i] {
		case '?', '&':
			sep = 1
		case '\\':
			if !bytes.HasPrefix(u[i:], []byte(`\u0026`)) {
				continue
			}
			sep = 6
		case '%':
			if !hasPrefixFold(u[i:], "%26") && !hasPrefixFold(u[i:], "%3f") {
				continue
			}
			sep = 3
		default:
			continue
		}
		rest := u[i+sep:]
		if !bytes.HasPrefix(rest, []byte(name)) {
			continue
		}
		rest = rest[len(name):]
		eq := 0
		switch {
		case len(rest) > 0 && rest[0] == '=':
			eq = 1
		case hasPrefixFold(rest, "%3d"):
			eq = 3
		case hasPrefixFold(rest, `\u003d`):
			eq = 6
		default:
			continue
		}
		start := i + sep + len(name) + eq
		end := start
		for end < len(u) && u[end] != '&' && u[end] != '\\' && u[end] != '%' {
			end++
		}
		return Span{start, end}
	}
	return Span{}
}

// jsonEscapes undoes the escapes of a link inside a JSON string.
var jsonEscapes = strings.NewReplacer(`\u0026`, "&", `\u003d`, "=", `\u003D`, "=")

// LogView returns the link without its token, in any encoding: decoded
// while it holds no '?' (a link encoded once or twice inside another),
// "\u0026" and "\u003d" read as '&' and '=', then every parameter whose
// name ends in "token" dropped, with the link's user, path parameters and
// fragment (no LogView needs them, and a token can hide there); what is
// left is redacted once more for safety. It returns "" if the link does
// not parse.
func LogView(link []byte) string {
	if s, ok := logViewPlain(link); ok {
		return s
	}
	return logViewParsed(link)
}

// logViewParsed is LogView for any link, read with net/url.
func logViewParsed(link []byte) string {
	s := string(link)
	if strings.IndexByte(s, '\\') >= 0 {
		s = jsonEscapes.Replace(s)
	}
	for range 3 {
		if strings.Contains(s, "?") || !strings.Contains(s, "%") {
			break
		}
		u, err := url.QueryUnescape(s)
		if err != nil {
			break
		}
		s = u
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return ""
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	if i := strings.IndexByte(u.Path, ';'); i >= 0 {
		u.Path, u.RawPath = u.Path[:i], ""
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "token") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return redact.String(u.String())
}
