package redact

import "bytes"

// Credentials known by their place among a command's or a call's
// arguments rather than by a name (see callWords).

// maxCommandLen bounds how far after "odpscmd" its -p is looked for.
const maxCommandLen = 1024

// positionalValue finds the credential of the command or call whose word
// (one of callWords) is b[i:i+n]: the argument of odpscmd's -p (its
// AccessKey secret: odpscmd -u ID -p KEY --project=p), the second of
// PyODPS's ODPS('ID', 'KEY', ...) when both are quoted strings (named
// arguments are names: secret_access_key='KEY').
func positionalValue(b []byte, i, n int) (valStart, valEnd int, ok bool) {
	if b[i+n-1] == '(' {
		return secondArgument(b, i+n)
	}
	if i > 0 && (isNameByte(b[i-1]) || b[i-1] == '-') || i+n < len(b) && isNameByte(b[i+n]) {
		return 0, 0, false // a word of a longer name: odpscmd_home
	}
	stop := min(len(b), i+n+maxCommandLen)
	if nl := bytes.IndexByte(b[i+n:stop], '\n'); nl >= 0 {
		stop = i + n + nl
	}
	for k := i + n; k+3 <= stop; k++ {
		if b[k] != ' ' || b[k+1] != '-' || b[k+2] != 'p' || k+3 < stop && b[k+3] != ' ' && b[k+3] != '=' {
			continue
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
	open := skipSpaces(b, k, false)
	first := skipQuote(b, open)
	if first == open {
		return 0, 0, false
	}
	quote := b[open:first]
	closing, _ := closingQuote(b, first, quote)
	if closing < 0 {
		return 0, 0, false
	}
	q := skipPairComma(b, skipSpaces(b, closing+len(quote), false))
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
