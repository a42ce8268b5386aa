package redact

import (
	"bytes"
	"slices"
	"strings"
)

// Credentials known by their place among a command's or a call's
// arguments rather than by a name (see callWords).

// maxCommandLen bounds how far after "odpscmd" its -p is looked for.
const maxCommandLen = 1024

// positionalValue finds the credential of the command or call whose word
// (one of callWords) is b[i:i+n]: the argument of odpscmd's -p (its
// AccessKey secret: odpscmd -u ID -p KEY --project=p, or -pKEY), of
// MySQL's and MariaDB's clients' -p (mysql -uroot -pS, mysqldump,
// mariadb-dump...; -p alone prompts, and the word after it is another
// argument), the second of PyODPS's ODPS('ID', 'KEY', ...) when both are
// quoted strings (named arguments are names: secret_access_key='KEY').
// The -p may be quoted whole, as bash's traces print a password with a
// space or a shell character ('-pS 1!') and lists hold it (['mysql',
// '-pS']).
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
		a++
	}
	if a == w || a >= len(b) || !attached && b[a] != '-' {
		return 0, 0, false
	}
	stop := min(len(b), w+maxCommandLen)
	k0 := w
	switch {
	case b[w] == '\'' || b[w] == '"':
		k0++ // the quote that closes the word's own item
	case b[w] == '\\' && w+1 < len(b) && b[w+1] == '"':
		k0 += 2 // in a JSON string: [\"mysql\", \"-pS\"]
	}
	for k := k0; k+3 <= stop; k++ {
		switch c := b[k]; c {
		case '\n', ';':
			return 0, 0, false
		case '|', '&':
			if b[k-1] == ' ' || b[k+1] == c {
				return 0, 0, false
			}
		case '"', '\'':
			e := bytes.IndexByte(b[k+1:stop], c)
			if e < 0 {
				continue
			}
			item := bytes.TrimSuffix(b[k+1:k+1+e], []byte{'\\'}) // a JSON string's \"
			switch {
			case string(item) == "-p" && !attached:
				// A list's item: the next one is the key.
				v := k + 1 + e + 1
				v = skipSpaces(b, skipPairComma(b, skipSpaces(b, v, false)), false)
				if q := skipQuote(b, v); q > v {
					if end := (valueAt{k: q, quote: b[v:q]}).end(b); end > q {
						return q, end, true
					}
				}
			case len(item) > 2 && item[0] == '-' && item[1] == 'p' && k > 0 && strings.IndexByte(" \t[,(\\", b[k-1]) >= 0:
				// '-pKEY' quoted whole.
				return k + 3, k + 1 + len(item), true
			}
			k += 1 + e
			continue
		}
		if b[k] != ' ' && b[k] != '\t' || b[k+1] != '-' || b[k+2] != 'p' {
			continue
		}
		if k+3 < stop && b[k+3] != ' ' && b[k+3] != '\t' && b[k+3] != '=' {
			// -pKEY: the rest of the word.
			if s, e := attachedValue(b, k+3); e > s {
				return s, e, true
			}
			continue
		}
		if attached {
			continue // mysql -p prompts: what follows is not the password
		}
		// A -p with nothing readable after it: a later one may have it.
		if v, ok := openedValue(b, skipSpaces(b, skipSeparator(b, k+3), false), false); ok {
			if e := v.end(b); e > v.k {
				return v.k, e, true
			}
		}
	}
	return 0, 0, false
}

// attachedValue returns where the value attached to a flag at b[s] (-pS)
// ends: a quoted one at its closing quote (-p'S 1'), any other at the end
// of the shell word (a space, a tab, the line's end), whatever it holds
// (-pAb,1;2&3%26), but for a quote that closes an enclosing string or
// list item (sh -c 'mysql -pS', ["-pS\"]), with the '\' escaping it, or
// a ',' before a space.
func attachedValue(b []byte, s int) (int, int) {
	if b[s] == '\'' || b[s] == '"' {
		if v, ok := openedValue(b, s, false); ok {
			return v.k, v.end(b)
		}
		return s, s
	}
	closes := func(q int) bool {
		return q == len(b) || strings.IndexByte(" \t\r\n,])}", b[q]) >= 0
	}
	e := s
	for ; e < len(b) && strings.IndexByte(" \t\r\n", b[e]) < 0; e++ {
		// A quote or a list's ", " after the value ends it (-p, -pS: a
		// later -p holds it).
		if (b[e] == '\'' || b[e] == '"' || b[e] == ',' && e+1 < len(b) && b[e+1] == ' ') && closes(e+1) {
			break
		}
		if b[e] == '\\' && e+1 < len(b) && (b[e+1] == '\'' || b[e+1] == '"') && closes(e+2) {
			break
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
