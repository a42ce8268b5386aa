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
// MySQL's clients' -p (mysql -uroot -pS; -p alone prompts, and the word
// after it is another argument), the second of PyODPS's ODPS('ID', 'KEY',
// ...) when both are quoted strings (named arguments are names:
// secret_access_key='KEY').
func positionalValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	if b[i+n-1] == '(' {
		return secondArgument(b, i+n)
	}
	attached := slices.ContainsFunc(attachedOnly, func(w string) bool { return len(w) == n && hasPrefixFold(b[i:], w) })
	w := i + n
	for _, ext := range []string{".bat", ".exe", ".sh", ".cmd"} {
		if hasPrefixFold(b[w:], ext) {
			w += len(ext)
			break
		}
	}
	if i > 0 && (isNameByte(b[i-1]) || b[i-1] == '-') || w < len(b) && isNameByte(b[w]) {
		return 0, 0, false // a word of a longer name: odpscmd_home
	}
	// Its arguments: flags from the first on ("run odpscmd then mkdir
	// -p" is prose), as words or as a list's quoted items (Python's
	// ['odpscmd', '-u', 'ID', '-p', 'KEY']), to the end of the line or
	// of the command (';', or a '|' or '&' after a space: a URL holds
	// them too), the quoted ones skipped whole (-e "ls tables -p proj").
	a := w
	for a < len(b) && strings.IndexByte(" \t'\",", b[a]) >= 0 {
		a++
	}
	if a == w || a >= len(b) || b[a] != '-' {
		return 0, 0, false
	}
	stop := min(len(b), w+maxCommandLen)
	k0 := w
	if b[w] == '\'' || b[w] == '"' {
		k0++ // the quote that closes the word's own item
	}
	for k := k0; k+3 <= stop; k++ {
		switch c := b[k]; c {
		case '\n', ';':
			return 0, 0, false
		case '|', '&':
			if b[k-1] == ' ' {
				return 0, 0, false
			}
		case '"', '\'':
			e := bytes.IndexByte(b[k+1:stop], c)
			if e < 0 {
				continue
			}
			if string(b[k+1:k+1+e]) == "-p" {
				// A list's item: the next one is the key.
				v := k + 1 + e + 1
				v = skipSpaces(b, skipPairComma(b, skipSpaces(b, v, false)), false)
				if q := skipQuote(b, v); q > v {
					if end := (valueAt{k: q, quote: b[v:q]}).end(b); end > q {
						return q, end, true
					}
				}
				return 0, 0, false
			}
			k += 1 + e
			continue
		}
		if b[k] != ' ' && b[k] != '\t' || b[k+1] != '-' || b[k+2] != 'p' {
			continue
		}
		if k+3 < stop && b[k+3] != ' ' && b[k+3] != '\t' && b[k+3] != '=' {
			// -pKEY: the rest of the word.
			if v, ok := openedValue(b, k+3, false); ok {
				if e := v.end(b); e > v.k {
					return v.k, e, true
				}
			}
			return 0, 0, false
		}
		if attached {
			continue // mysql -p prompts: what follows is not the password
		}
		v, ok := openedValue(b, skipSpaces(b, skipSeparator(b, k+3), false), false)
		if !ok {
			return 0, 0, false
		}
		if e := v.end(b); e > v.k {
			return v.k, e, true
		}
		return 0, 0, false
	}
	return 0, 0, false
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
