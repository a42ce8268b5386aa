package redact

import (
	"bytes"
	"slices"
	"strings"
)

// Where a credential's name is, and what kind of name it is.

// names are the words a credential's name ends in (lower case): a
// token's (access_token, x-odps-security-token, <SecurityToken>), a
// secret's (AccessKeySecret in an STS answer, client_secret), a
// password's (passwd, ODBC's PWD), an access key's (MaxCompute's own: access_key in
// odps_config.ini, odps.access.key, accessKey; not AccessKeyId, whose word
// is followed by "Id"), an API key's, a signature's (OSS's signed URLs).
// A compound word comes before the word it starts with (secret_key before
// secret): the first that matches is the name's.
var names = []string{"token", "secret_key", "secret-key", "secret.key", "secretkey", "secret", "password",
	"passphrase", "access_key", "access-key", "access.key", "accesskey", "api_key", "api-key", "apikey",
	"signature", "passwd", "pwd", "sk"}

// wholeNames are the words of names that are a credential's name only as
// a whole name: sk (a secret key beside ak=, its id); task, disk and
// risk end in it too.
var wholeNames = []string{"sk"}

// callWords start a command or a call whose arguments hold a credential
// by their place, not by a name: odpscmd's -p (odpscmd -u ID -p KEY, or
// -pKEY), MySQL's and MariaDB's clients' -p (mysql -uroot -pS, and every
// command whose name starts so: mysqldump, mysql_upgrade, mariadb-dump;
// attached only, a -p alone prompts for it) and PyODPS's ODPS('ID',
// 'KEY', 'project').
var callWords = []string{"odpscmd", "odps(", "mysql", "mariadb"}

// attachedOnly are the callWords whose -p takes its value attached only.
var attachedOnly = []string{"mysql", "mariadb"}

// authNames are the words an Authorization header's name ends in (lower
// case): its credential follows a scheme (see authorizationValue).
// MaxCompute's clients send application-authentication too.
var authNames = []string{"authorization", "authentication"}

// wordsByFirst are the words of names and authNames by their first byte,
// in either case: a line's bytes are looked up in it one at a time, and
// only a word's first letter leads to comparing words.
var wordsByFirst = func() (t [256][]string) {
	for _, w := range slices.Concat(names, authNames, callWords) {
		t[w[0]] = append(t[w[0]], w)
		t[w[0]-'a'+'A'] = append(t[w[0]-'a'+'A'], w)
	}
	return t
}()

// secondBytes has, for each first byte of a word, the set of its second
// bytes in either case (a bit for each of the 256): most of a line's
// letters that may start a word are not followed by one of them.
var secondBytes = func() (t [256][4]uint64) {
	for c, words := range wordsByFirst {
		for _, w := range words {
			for _, d := range []byte{w[1], w[1] &^ 0x20} {
				t[c][d/64] |= 1 << (d % 64)
			}
		}
	}
	return t
}()

// mayStartWord reports whether s[0] and s[1] may start a word of
// wordsByFirst.
func mayStartWord[T string | []byte](s T) bool {
	return len(s) > 1 && secondBytes[s[0]][s[1]/64]&(1<<(s[1]%64)) != 0
}

// wordKind is which list a word of wordsByFirst is from.
type wordKind uint8

const (
	nameWord wordKind = iota // names
	authWord                 // authNames
	callWord                 // callWords
)

// kindOf returns the kind of w, a word of wordsByFirst.
func kindOf(w string) wordKind {
	switch {
	case slices.Contains(authNames, w):
		return authWord
	case slices.Contains(callWords, w):
		return callWord
	}
	return nameWord
}

// nameAt returns the length of the word of names s starts with, in any
// case, or 0.
func nameAt[T string | []byte](s T) int {
	if n, kind := wordAt(s); kind == nameWord {
		return n
	}
	return 0
}

// authNameAt returns the length of the word of authNames s starts with,
// in any case, or 0.
func authNameAt[T string | []byte](s T) int {
	if n, kind := wordAt(s); kind == authWord {
		return n
	}
	return 0
}

// wordAt returns the length of the word of wordsByFirst s starts with,
// in any case, and its kind; 0 if none.
func wordAt[T string | []byte](s T) (n int, kind wordKind) {
	if !mayStartWord(s) {
		return 0, nameWord
	}
next:
	for i, w := range wordsByFirst[s[0]] {
		if len(s) < len(w) {
			continue
		}
		for i := 1; i < len(w); i++ {
			if c := s[i]; c != w[i] && ('A' > c || c > 'Z' || c|0x20 != w[i]) {
				continue next
			}
		}
		return len(w), kindsByFirst[s[0]][i]
	}
	return 0, nameWord
}

// kindsByFirst are the kinds of wordsByFirst's words, in their order.
var kindsByFirst = func() (t [256][]wordKind) {
	for c, words := range wordsByFirst {
		for _, w := range words {
			t[c] = append(t[c], kindOf(w))
		}
	}
	return t
}()

// isFlag reports whether the name that starts at b[i] (or before it) is
// a command-line flag: one or two dashes at the start of a word (or a
// quoted argument), then letters, digits, '-' and '_' (--token,
// -access-token, '--token').
func isFlag(b []byte, i int) bool {
	p := nameStart(b, i)
	return b[p] == '-' && (p == 0 || strings.IndexByte(" \t\"'=[,", b[p-1]) >= 0)
}

// nameStart returns where the name whose word starts at b[i] starts: the
// bytes a name holds and '-' before it, at most maxNameLen of them.
func nameStart(b []byte, i int) int {
	p := i
	for p > 0 && i-p < maxNameLen && (isNameByte(b[p-1]) || b[p-1] == '-') {
		p--
	}
	return p
}

// maxNameLen bounds the bytes read back from a name's word for where the
// name starts (a flag's dashes, a tag's '<', a path's '/'): reading back
// further from each of many words on a line would be quadratic.
const maxNameLen = 128

// maxAttributes bounds the attributes of an XML element read for the end
// of its start tag.
const maxAttributes = 8

// inTag reports whether the name that starts at b[i] (or before it) is
// an XML element's: it follows '<' (or &lt;, XML shown in HTML; \u003c,
// %3C, as JSON encoders and URLs escape it), with only the bytes of a
// name between (<token>, <ns:SecurityToken>).
func inTag(b []byte, i int) bool {
	for stop := max(0, i-maxNameLen); i > stop; i-- {
		if b[i-1] == '<' || i >= 4 && hasPrefixFold(b[i-4:], "&lt;") || encodedBefore(b[:i], "3c") >= 0 {
			return true
		}
		if !isNameByte(b[i-1]) && b[i-1] != ':' && b[i-1] != '-' {
			return false
		}
	}
	return false
}

// tagEnd returns the offset after the end of the start tag whose name
// ends at b[i]: its '>' (or &gt;, or escaped or encoded: \u003e, %3E),
// after the tag's attributes if it has some (<wsse:BinarySecurityToken
// ValueType="...">: at most maxAttributes of them, each spaces, a name,
// '=' and a quoted value, in any of their forms); or i if none.
func tagEnd(b []byte, i int) int {
	j := i
	for range maxAttributes {
		s := skipSpaces(b, j, false)
		if s == j {
			break
		}
		a := s
		for a < len(b) && (isNameByte(b[a]) || b[a] == ':' || b[a] == '-') {
			a++
		}
		eq := skipForm(b, a, []string{"="}, "3d")
		q := skipQuote(b, eq)
		if a == s || eq == a || q == eq {
			return i
		}
		closing, _ := closingQuote(b, q, b[eq:q])
		if closing < 0 {
			return i
		}
		j = closing + (q - eq)
	}
	if k := tagClose(b, j); k > j {
		return k
	}
	return i
}

// openTag returns the '<' in the form of the '>' that b ends with (the
// end of a start tag, see tagClose): the form that ends the element's
// text.
func openTag(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte(">")):
		return []byte("<")
	case len(b) >= 4 && hasPrefixFold(b[len(b)-4:], "&gt;"):
		return []byte("&lt;")
	case len(b) >= 5 && hasPrefixFold(b[len(b)-5:], "u003e"):
		return []byte("\\u003c")
	case len(b) >= 3 && hasPrefixFold(b[len(b)-3:], "%3e"):
		return []byte("%3C")
	}
	return nil
}

// tagClose returns the offset after the '>' b[j:] starts with, in any of
// its forms (>, &gt;, \u003e, %3E), or j.
func tagClose(b []byte, j int) int {
	switch {
	case j < len(b) && b[j] == '>':
		return j + 1
	case hasPrefixFold(b[j:], "&gt;"):
		return j + 4
	}
	return skipForm(b, j, nil, "3e")
}

// elementText returns where the text of an element whose start tag ends
// at b[k] starts: after spaces and line ends (raw, or escaped in a JSON
// string) and a CDATA section's start.
func elementText(b []byte, k int) int {
	for {
		switch {
		case k < len(b) && (b[k] == '\n' || b[k] == '\r'):
			k++
		case skipSpaces(b, k, false) > k:
			k = skipSpaces(b, k, false)
		case hasPrefixFold(b[k:], "<![cdata["):
			return k + len("<![cdata[")
		default:
			return k
		}
	}
}

// isNameByte reports whether c may be part of a name: a letter, a digit,
// '_' or '.'.
func isNameByte(c byte) bool {
	return c == '_' || c == '.' || 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
}

// inPath reports whether the name that starts at b[i] (or before it) is
// a segment of a URL's path: it follows a '/' (or one encoded: see
// slashAt), with no byte between that a name cannot hold.
func inPath(b []byte, i int) bool {
	for stop := max(0, i-maxNameLen); i > stop; i-- {
		if endsWithSlash(b[:i]) {
			return true
		}
		if !isNameByte(b[i-1]) && b[i-1] != '-' {
			return false
		}
	}
	return false
}

// isWholeName reports whether w is one of wholeNames, in any case.
func isWholeName(w []byte) bool {
	for _, x := range wholeNames {
		if len(w) == len(x) && hasPrefixFold(w, x) {
			return true
		}
	}
	return false
}

// isDotted reports whether the name whose word starts at b[i] has a '.'
// before the word, after its first byte (odps.access.key, spark.hadoop.odps.access.key): a key
// of a configuration, whose value may follow a space where a word of
// prose (password expired) never is a value.
func isDotted(b []byte, i int) bool {
	p := nameStart(b, i)
	return bytes.IndexByte(b[p:i], '.') > 0 && b[p] != '.'
}

// upperName reports whether the name that ends at b[i] (before a '_')
// is upper case: an environment variable's (ALIYUN_SK), not a column's
// (ss_item_sk, a surrogate key).
func upperName(b []byte, i int) bool {
	p := nameStart(b, i)
	if p == i {
		return false
	}
	for _, c := range b[p:i] {
		if 'a' <= c && c <= 'z' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' }

// keyLike reports whether the word at b[k:] looks like a generated key,
// not a word of prose: a digit or a capital letter after its first byte,
// among the bytes a key is made of (odps.access.key in file,
// odps.access.key to a new value are prose; so is another name, token:).
func keyLike(b []byte, k int) bool {
	for i := k + 1; i < len(b) && (isAlnum(b[i]) || strings.IndexByte("+/_-", b[i]) >= 0); i++ {
		if '0' <= b[i] && b[i] <= '9' || 'A' <= b[i] && b[i] <= 'Z' {
			return true
		}
	}
	return false
}
