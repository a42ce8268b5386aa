package redact

import (
	"bytes"
	"net/url"
	"strings"
)

// URL returns what of the URL u may be logged: its scheme and host, and
// "/…" for a path, a query or credentials left out. A webhook's path or
// query is often its secret (a chat service's incoming hook, ?token=), and
// its user information a password. An unparsable u gives "(a URL)".
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(a URL)"
	}
	s := p.Scheme + "://" + p.Host
	if p.Path != "" && p.Path != "/" || p.RawQuery != "" || p.Fragment != "" {
		s += "/…"
	}
	return s
}

// URLCredentials returns u with its user information and the values of
// its query parameters named like a credential (token, key, secret,
// password, signature, auth) replaced by Mask, the rest as it is: for
// printing a configured URL in full where its credentials must not show.
// A u that does not parse keeps its text but for what lies between
// "://" and the last '@' (user information) and token values.
func URLCredentials(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if i, j := strings.Index(u, "://"), strings.LastIndex(u, "@"); i >= 0 && j > i {
			u = u[:i+3] + Mask + u[j:]
		}
		return String(u)
	}
	if p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.UserPassword(p.User.Username(), Mask)
		} else {
			p.User = url.User(Mask)
		}
	}
	if p.RawQuery != "" {
		q := p.Query()
		masked := false
		for k := range q {
			if credentialName(k) {
				q[k], masked = []string{Mask}, true
			}
		}
		if masked {
			p.RawQuery = q.Encode()
		}
	}
	return p.String()
}

// credentialName reports whether a query parameter's name says it holds a
// credential.
func credentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "key", "secret", "pass", "pwd", "sig", "auth", "cred"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// maxAuthority bounds the bytes of a URL's authority (user, password,
// host and port) read for its '@'.
const maxAuthority = 256

// endsAuthority are the bytes that end a URL's authority in a log line.
var endsAuthority = func() (t [256]bool) {
	for _, c := range []byte("/?#\\ \t\n\"'<>[](){}") {
		t[c] = true
	}
	return t
}()

// userPassword finds the password of a URL's user whose authority starts
// at b[i] (after "://"): https://user:S@host/, jdbc:mysql://root:S@h/db.
// The authority ends at the first '/', '?', '#', space, quote or bracket;
// the password runs from the first ':' to its last '@'. A password with
// a '/', '?' or '#' left unencoded (jdbc:mysql://root:pa/ss@h/db, as
// configuration files and their logs hold them) ends the authority early:
// when what follows the ':' there is no port (digits), the password runs
// to the first '@' before a space, quote or bracket, unless a query's '='
// (after a '?') or '&' comes first (https://h:abc/p?email=a@b; a base64
// password's '=' is no query's: root:Xh/k8=@db).
func userPassword(b []byte, i int) (valStart, valEnd int, ok bool) {
	end := i
	for end < len(b) && end-i < maxAuthority && !endsAuthority[b[end]] {
		end++
	}
	at := bytes.LastIndexByte(b[i:end], '@')
	if at < 0 {
		return rawPassword(b, i, end)
	}
	colon := bytes.IndexByte(b[i:i+at], ':')
	if colon < 0 || colon+1 == at {
		return 0, 0, false
	}
	return i + colon + 1, i + at, true
}

// rawPassword is userPassword for an authority b[i:end] without '@' that
// ends at a '/', '?' or '#' (or a JSON string's "\/") which may be a
// password's (see userPassword).
func rawPassword(b []byte, i, end int) (valStart, valEnd int, ok bool) {
	if !mayGoOn(b, end) {
		return 0, 0, false
	}
	colon := bytes.IndexByte(b[i:end], ':')
	if colon < 0 || ports(b[i+colon+1:end]) {
		// No user, or a host's port (https://h:8080/a@b), a list of hosts
		// and ports (jdbc:mysql://h1:3306,h2:3306/db?user=a@b) or IPv6.
		return 0, 0, false
	}
	if b[end-1] == ':' && (hasPrefixFold(b[end:], "//") || hasPrefixFold(b[end:], `\/\/`)) {
		return 0, 0, false // another URL's "://": its password is its own
	}
	query := false // a '?' was read: a '=' after it is a query's
	for k := end; k < len(b) && k-i < maxAuthority; k++ {
		switch {
		case b[k] == '&' || b[k] == '=' && query:
			return 0, 0, false // ?user=a@b
		case b[k] == ':' && (hasPrefixFold(b[k:], "://") || hasPrefixFold(b[k:], `:\/\/`)):
			return 0, 0, false // another URL: its own password is its own
		case b[k] == '?':
			query = true
		case b[k] == '@':
			// To the last '@' of the authority that goes on from it, as
			// userPassword reads the masked text again (://:S#@@h).
			e := k
			for e < len(b) && e-i < maxAuthority && !endsAuthority[b[e]] {
				e++
			}
			return i + colon + 1, k + bytes.LastIndexByte(b[k:e], '@'), true
		case endsAuthority[b[k]] && !mayGoOn(b, k):
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// mayGoOn reports whether b[k], a byte that ends an authority, may be a
// password's instead: '/', '?', '#', or the '\' of "\/".
func mayGoOn(b []byte, k int) bool {
	if k == len(b) {
		return false
	}
	switch b[k] {
	case '/', '?', '#':
		return true
	case '\\':
		return k+1 < len(b) && b[k+1] == '/'
	}
	return false
}

// ports reports whether s, what follows a host's ':' up to the end of an
// authority, is a port (digits, or none), or the first of a list of hosts
// and ports (3306,h2:3306), or the rest of an IPv6 address (::1,
// db8::1).
func ports(s []byte) bool {
	d := 0
	for d < len(s) && '0' <= s[d] && s[d] <= '9' {
		d++
	}
	return d == len(s) || bytes.Contains(s, []byte("::")) || s[0] == ':' || d > 0 && (s[d] == ',' || s[d] == ';')
}
