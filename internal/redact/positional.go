package redact

import (
	"bytes"
	"slices"
	"strings"
)

// Credentials known by their place among a command's or a call's
// arguments rather than by a name (see callWords).

// maxCommandLen bounds how far after a command's word its -p is looked
// for (on the same line).
const maxCommandLen = 2048

// positional masks in b the credentials known by their place among a
// command's or a call's arguments (positionalValue), and returns b
// itself when it holds none. It runs before next's pass, on the whole
// text: a credential named between a command and its -p (mysql
// --password=S -pS2) is masked by that pass all the same.
func positional(b []byte) []byte {
	var out []byte
	from := 0 // b[from:] is not in out yet
	for i := 0; i+3 <= len(b); i++ {
		if !mayStartWord(b[i:]) {
			continue
		}
		n, kind := wordAt(b[i:])
		if n == 0 || kind != callWord {
			continue
		}
		if s, e, ok := positionalValue(b, i, n); ok && s >= from {
			out = append(append(out, b[from:s]...), Mask...)
			from = e
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[from:]...)
}

// hasCall reports whether b may hold a credential positional masks: a
// "-p" (odpscmd's, mysql's) or a call "odps(" in any case, found by
// vectorised searches most text fails, and then a word of callWords.
// redact runs positional only where it is needed.
func hasCall(b []byte) bool {
	if !bytes.Contains(b, []byte("-p")) && !hasCallOpen(b) {
		return false
	}
	for i := 0; i+1 < len(b); i++ {
		if callPairs[b[i]]&(1<<(b[i+1]&63)) != 0 {
			if n, kind := wordAt(b[i:]); n > 0 && kind == callWord {
				return true
			}
		}
	}
	return false
}

// hasCallOpen reports whether b holds "odps(" in any case.
func hasCallOpen(b []byte) bool {
	for at := 0; ; {
		k := bytes.IndexByte(b[at:], '(')
		if k < 0 {
			return false
		}
		at += k + 1
		if at >= len("odps(") && hasPrefixFold(b[at-len("odps("):], "odps(") {
			return true
		}
	}
}

// callPairs has, for each first byte of a word of callWords in either
// case, a bit for each second byte in either case (by its low six bits:
// a few other bytes pass too, and wordAt decides).
var callPairs = func() (t [256]uint64) {
	for _, w := range callWords {
		for _, c := range []byte{w[0], w[0] &^ 0x20} {
			for _, d := range []byte{w[1], w[1] &^ 0x20} {
				t[c] |= 1 << (d & 63)
			}
		}
	}
	return t
}()

// positionalValue finds the credential of the command or call whose word
// (one of callWords) is b[i:i+n]: the argument of odpscmd's -p (its
// AccessKey secret: odpscmd -u ID -p KEY --project=p, or -pKEY), of
// MySQL's and MariaDB's clients' -p (mysql -uroot -pS, -p=S, mysqldump,
// mariadb-dump...; -p alone prompts, and the word after it is another
// argument), the second of PyODPS's ODPS('ID', 'KEY', ...) when both are
// quoted strings (named arguments are names: secret_access_key='KEY').
// The -p may be quoted whole, as bash's traces print a password with a
// space or a shell character ('-pS 1!', a quote in it as itemEnd reads
// it) and lists hold it (['mysql', '-pS'], [u'mysql', u'-pS'],
// ["-pS\"1"]). A value that is
// another option is none (DataX's -p"-Dbizdate=...", -project=p).
func positionalValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	if b[i+n-1] == '(' {
		return secondArgument(b, i+n)
	}
	attached := slices.ContainsFunc(attachedOnly, func(w string) bool { return len(w) == n && hasPrefixFold(b[i:], w) })
	w := i + n
	if attached {
		// The family's other clients: mysqldump, mysql_upgrade, mariadb-dump.
		for w < len(b) && (b[w] != '.' && isNameByte(b[w]) || b[w] == '-') {
			w++
		}
	}
	for _, ext := range []string{".bat", ".exe", ".sh", ".cmd"} {
		if hasPrefixFold(b[w:], ext) {
			w += len(ext)
			break
		}
	}
	if i > 0 && (isNameByte(b[i-1]) || b[i-1] == '-') || w < len(b) && isNameByte(b[w]) {
		return 0, 0, false // a word of a longer name: odpscmd_home
	}
	// Its arguments: odpscmd's flags from the first on ("run odpscmd then
	// mkdir -p" is prose; mysql takes its database first too), as words
	// or as a list's quoted items (Python's ['odpscmd', '-u', 'ID', '-p',
	// 'KEY']), to the end of the line or of the command (';', "&&", "||",
	// or a '|' or '&' after a space: a URL holds them too), the quoted
	// ones skipped whole (-e "ls tables -p proj") unless they are the -p.
	a := w
	for a < len(b) && strings.IndexByte(" \t'\",\\", b[a]) >= 0 {
		a = skipStringPrefix(b, a+1) // and a list's next item's u or b
	}
	if a == w || a >= len(b) || !attached && b[a] != '-' {
		return 0, 0, false
	}
	stop := min(len(b), w+maxCommandLen)
	if nl := bytes.IndexByte(b[w:stop], '\n'); nl >= 0 {
		stop = w + nl
	}
	k0 := w
	switch {
	case b[w] == '\'' || b[w] == '"':
		k0++ // the quote that closes the word's own item
	case b[w] == '\\' && w+1 < len(b) && b[w+1] == '"':
		k0 += 2 // in a JSON string: [\"mysql\", \"-pS\"]
	}
	for k := k0; k < stop; k++ {
		switch c := b[k]; c {
		case ';':
			return 0, 0, false
		case '|', '&':
			if b[k-1] == ' ' || k+1 < stop && b[k+1] == c {
				return 0, 0, false
			}
		case '"', '\'':
			end := itemEnd(b, k, stop)
			if end < 0 {
				continue
			}
			switch item := b[k+1 : end]; {
			case string(item) == "-p" && !attached:
				// A list's item: the next one is the key.
				v := skipQuote(b, end) // past the closing quote
				v = skipStringPrefix(b, skipSpaces(b, skipPairComma(b, skipSpaces(b, v, false)), false))
				if q := skipQuote(b, v); q > v {
					if e := (valueAt{k: q, quote: b[v:q]}).end(b); e > q && !otherOption(b[q:e]) {
						return q, e, true
					}
				}
			case len(item) > 2 && item[0] == '-' && item[1] == 'p' && opensItem(b, k) && !otherOption(item[2:]):
				// '-pKEY' quoted whole.
				return k + 3, end, true
			}
			k = skipQuote(b, end) - 1 // past the closing quote
			continue
		}
		if b[k] != ' ' && b[k] != '\t' || k+2 >= len(b) || b[k+1] != '-' || b[k+2] != 'p' {
			continue
		}
		if k+3 < len(b) && b[k+3] != ' ' && b[k+3] != '\t' && b[k+3] != '\r' && b[k+3] != '\n' && (b[k+3] != '=' || attached) {
			// -pKEY: the rest of the word (mysql's -p=S: =S).
			if s, e := attachedValue(b, k+3, stop); e > s && !otherOption(b[s:e]) {
				return s, e, true
			}
			continue
		}
		if attached {
			continue // mysql -p prompts: what follows is not the password
		}
		// A -p with nothing readable after it: a later one may have it.
		if v, ok := openedValue(b, skipSpaces(b, skipSeparator(b, k+3), false), false); ok {
			if e := v.end(b); e > v.k && !otherOption(b[v.k:e]) {
				return v.k, e, true
			}
		}
	}
	return 0, 0, false
}

// itemEnd returns where the text of the quoted item opened by the quote
// at b[k] ends (its closing quote, or the '\' of a JSON string's closing
// \"), or -1 before stop: a quote escaped with a backslash is in the
// item, and so is a single quote inside single quotes as bash's traces
// write it (quote, backslash, quote, quote) and Python's shlex.join
// (quote, '"', quote, '"', quote).
func itemEnd(b []byte, k, stop int) int {
	c := b[k]
	if k > 0 && b[k-1] == '\\' {
		// In a JSON string: to the next \" that is not \\\".
		for p := k + 1; p+1 < stop; p++ {
			if b[p] == '\\' && b[p+1] == c && b[p-1] != '\\' {
				return p
			}
		}
		return -1
	}
	for p := k + 1; p < stop; p++ {
		switch {
		case b[p] == '\\':
			p++ // an escaped byte
		case b[p] != c:
		case c == '\'' && hasPrefixFold(b[p:], `'\''`):
			p += 3
		case c == '\'' && hasPrefixFold(b[p:], `'"'"'`):
			p += 4
		default:
			return p
		}
	}
	return -1
}

// opensItem reports whether the quote at b[k] opens a word or a list's
// item: after a space, a bracket or a ',' (and maybe a Python 2 string's
// u or b, a JSON string's backslash).
func opensItem(b []byte, k int) bool {
	j := k
	if j > 0 && b[j-1] == '\\' {
		j--
	}
	if j > 0 && strings.IndexByte("ubrUBR", b[j-1]) >= 0 && (j == 1 || !isNameByte(b[j-2])) {
		j--
	}
	return j == 0 || strings.IndexByte(" \t[,(", b[j-1]) >= 0
}

// otherOption reports whether v, read as a -p's value, is another option
// or its value instead: it starts with '-' (DataX's -p"-Dbizdate=x"), it
// is lower-case letters and '=' (-project=p read as -p), or a port
// mapping (docker run --name mysql -p3306:3306).
func otherOption(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		return true
	}
	i := 0
	for i < len(v) && 'a' <= v[i] && v[i] <= 'z' {
		i++
	}
	if i > 1 && i < len(v) && v[i] == '=' {
		return true
	}
	port, rest, found := bytes.Cut(v, []byte{':'})
	return found && len(port) > 0 && len(rest) > 0 && digitsOnly(port) && digitsOnly(rest)
}

// digitsOnly reports whether b is all ASCII digits.
func digitsOnly(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// attachedValue returns where the value attached to a flag at b[s] (-pS)
// starts and ends: a quoted one at its closing quote (-p'S 1'), any other
// at the end of the shell word (a space, a tab, the line's end), whatever
// it holds (-pAb,1;2&3%26), but for a quote, ']', ')' or '}' that closes
// an enclosing string or list (sh -c 'mysql -pS', [mysql, -pS],
// "mysqldump -pS": error), with the '\' escaping it, a JSON string's \n,
// \r or \t, or a ',' before a space.
func attachedValue(b []byte, s, stop int) (int, int) {
	if b[s] == '\'' || b[s] == '"' {
		if end := itemEnd(b, s, stop); end >= 0 {
			return s + 1, end
		}
	}
	if b[s] == '\\' && s+1 < len(b) && b[s+1] == '"' {
		// In a JSON string: -p\"S 1\".
		if end := itemEnd(b, s+1, stop); end >= 0 {
			return s + 2, end
		}
	}
	closes := func(q int) bool {
		return q == len(b) || strings.IndexByte(" \t\r\n,])}:", b[q]) >= 0
	}
	e := s
	for ; e < len(b) && strings.IndexByte(" \t\r\n", b[e]) < 0; e++ {
		switch c := b[e]; {
		case strings.IndexByte("'\"])}", c) >= 0 && closes(e+1),
			c == ',' && e+1 < len(b) && b[e+1] == ' ',
			c == '\\' && e+1 < len(b) && strings.IndexByte("nrt", b[e+1]) >= 0,
			c == '\\' && e+1 < len(b) && (b[e+1] == '\'' || b[e+1] == '"') && closes(e+2):
			return s, e
		}
	}
	return s, e
}

// secondArgument returns the second of the arguments that start at b[k]
// if it and the first are quoted strings.
func secondArgument(b []byte, k int) (valStart, valEnd int, ok bool) {
	open := skipStringPrefix(b, skipSpaces(b, k, false))
	first := skipQuote(b, open)
	if first == open {
		return 0, 0, false
	}
	quote := b[open:first]
	closing, _ := closingQuote(b, first, quote)
	if closing < 0 {
		return 0, 0, false
	}
	q := skipStringPrefix(b, skipPairComma(b, skipSpaces(b, closing+len(quote), false)))
	second := skipQuote(b, q)
	if second == q {
		return 0, 0, false
	}
	v := valueAt{k: second, quote: b[q:second]}
	if e := v.end(b); e > v.k {
		return v.k, e, true
	}
	return 0, 0, false
}
