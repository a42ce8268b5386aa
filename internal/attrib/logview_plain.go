package attrib

import (
	"bytes"
	"slices"
	"strings"

	"github.com/odpswatch/odpswatch/internal/redact"
)

// logViewPlain is LogView for the usual link: http or https, a host, a
// plain path, and a query of printable ASCII with nothing to decode (no
// '%', '+', '\\', ';' or fragment). It reports false for any other link, which LogView reads with
// net/url; for these both give the same string (a test compares them),
// in 40 % of the time and a fifth of the allocations (BenchmarkLogView):
// the daemon reads the link of every new job in its pipeline's ordered
// step, which bounds its throughput.
func logViewPlain(link []byte) (string, bool) {
	var rest []byte
	switch {
	case bytes.HasPrefix(link, []byte("https://")):
		rest = link[len("https://"):]
	case bytes.HasPrefix(link, []byte("http://")):
		rest = link[len("http://"):]
	default:
		return "", false
	}
	q := bytes.IndexByte(rest, '?')
	if q <= 0 || q == len(rest)-1 {
		return "", false
	}
	host, path := rest[:q], []byte(nil)
	if slash := bytes.IndexByte(host, '/'); slash >= 0 {
		host, path = host[:slash], host[slash:]
	}
	name, port, hasPort := bytes.Cut(host, []byte{':'})
	if len(name) == 0 || !only(name, plainHost) || hasPort && (len(port) == 0 || !only(port, portDigits)) || !only(path, plainPath) {
		return "", false
	}
	type param struct{ key, value []byte }
	var buf [16]param
	params := buf[:0]
	for query := rest[q+1:]; len(query) > 0; {
		var piece []byte
		piece, query, _ = bytes.Cut(query, []byte{'&'})
		if len(piece) == 0 {
			continue
		}
		key, value, _ := bytes.Cut(piece, []byte{'='})
		if len(key) == 0 || !only(key, queryText) {
			return "", false
		}
		if lastIndexFold(key, "token") >= 0 {
			// Dropped whatever its value, which may be base64 ('+', '/',
			// '=') or encoded: net/url drops it too.
			if !only(value, tokenText) {
				return "", false
			}
			continue
		}
		if !only(value, queryText) {
			return "", false
		}
		params = append(params, param{key, value})
	}
	// url.Values.Encode's order: by key, a key's values as they came.
	slices.SortStableFunc(params, func(a, b param) int { return bytes.Compare(a.key, b.key) })
	var b strings.Builder
	b.Grow(len(link))
	b.Write(link[:len(link)-len(rest)+q])
	for i, p := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		writeQueryEscaped(&b, p.key)
		b.WriteByte('=')
		writeQueryEscaped(&b, p.value)
	}
	return redact.String(b.String()), true
}

// writeQueryEscaped writes s as url.QueryEscape escapes it (for the bytes
// of queryText: a test compares them), without its copies.
func writeQueryEscaped(b *strings.Builder, s []byte) {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		if queryKept[c] {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// only reports whether every byte of s is in set.
func only(s []byte, set *[256]bool) bool {
	for _, c := range s {
		if !set[c] {
			return false
		}
	}
	return true
}

// The bytes of a query's keys and values read as they are (and escaped
// as net/url escapes them), those of a token's value (dropped), and those
// net/url leaves as they are in a path, a host name and a port.
// queryKept holds the bytes url.QueryEscape leaves as they are.
var queryText, tokenText, plainPath, plainHost, portDigits, queryKept = func() (q, tk, p, h, d, k *[256]bool) {
	q, tk, p, h, d, k = new([256]bool), new([256]bool), new([256]bool), new([256]bool), new([256]bool), new([256]bool)
	for c := range 256 {
		d[c] = '0' <= c && c <= '9'
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || d[c]
		q[c] = '!' <= c && c <= '~' && strings.IndexByte("#%&+;\\\"<>", byte(c)) < 0
		tk[c] = q[c] || c == '+' || c == '%'
		p[c] = alnum || strings.IndexByte("-._~/", byte(c)) >= 0
		h[c] = alnum || c == '-' || c == '.'
		k[c] = alnum || strings.IndexByte("-_.~", byte(c)) >= 0
	}
	return q, tk, p, h, d, k
}()
