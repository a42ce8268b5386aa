package redact

import (
	"bytes"
	"strings"
)

// How a command's arguments are read for its -p's value (see
// positionalValues): quoted items, words and what ends them.

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
// or its value instead, glued to the -p: a Java property DataX's -p
// passes (-p"-Dbizdate=x"); for odpscmd, a word and '='
// (-project=p read as -p), for mysql (attached), a port mapping (docker
// run --name mysql -p3306:3306, -p127.0.0.1:3306:3306/tcp). A password
// of any other shape is one.
func otherOption(v []byte, glued, attached bool) bool {
	v = bytes.TrimLeft(v, `"'\\`) // -p"-D...", -p\"-D...\"
	switch {
	case glued && bytes.HasPrefix(v, []byte("-D")):
		return true
	case glued && !attached:
		i := 0
		for i < len(v) && 'a' <= v[i] && v[i] <= 'z' {
			i++
		}
		return i > 1 && i < len(v) && v[i] == '='
	case glued:
		// 3306:3306, 3306:3306/tcp, 127.0.0.1:3306:3306.
		v = bytes.TrimSuffix(bytes.TrimSuffix(v, []byte("/tcp")), []byte("/udp"))
		return bytes.IndexByte(v, ':') > 0 && v[len(v)-1] != ':' && onlyPortBytes(v)
	}
	return false
}

// onlyPortBytes reports whether b is digits, '.' and ':' only.
func onlyPortBytes(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

// attachedValue returns where the value attached to a flag at b[s] (-pS)
// starts and ends: the rest of the shell word, its quoted parts and
// escaped bytes with it (-pAb,1;2&3%26, -p'S 1', -pS\ 1, -pa"b c"d; a
// single quote between letters is an apostrophe, -pO'Brien). A
// quote, ']', ')' or '}' that closes an enclosing string or list ends it
// (sh -c 'mysql -pS', [mysql, -pS], "mysqldump -pS": error; a -p right
// before it is alone: cmd='mysql -p', password='S'), and so do a JSON
// string's \n, \r, \t and closing \", a ',' before a space or a quote
// (-p, -pS; -pX,"password":"S"). b ends where the command's reading does.
func attachedValue(b []byte, s int) (int, int) {
	closes := func(q int) bool {
		return q == len(b) || strings.IndexByte(" \t\r\n,;])}:", b[q]) >= 0
	}
	if b[s] == '\\' && s+1 < len(b) && b[s+1] == '"' && !closes(s+2) {
		// In a JSON string: -p\"S 1\".
		if end := itemEnd(b, s+1, len(b)); end >= 0 {
			return s, end + 2
		}
	}
	if strings.IndexByte(",;])}:", b[s]) >= 0 && (closes(s+1) || b[s+1] == '"' || b[s+1] == '\'') {
		return s, s // a -p alone before punctuation: mysql -p; echo, [mysql, -p]
	}
	e := s
	for e < len(b) {
		switch c := b[e]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			return s, e
		case c == '\\' && e+1 < len(b):
			if strings.IndexByte("nrt", b[e+1]) >= 0 || (b[e+1] == '"' || b[e+1] == '\'') && closes(e+2) {
				return s, e
			}
			e += 2 // an escaped byte
		case c == '\'' && e > s && isAlnum(b[e-1]) && e+1 < len(b) && isAlnum(b[e+1]):
			e++ // an apostrophe in a word (-pO'Brien, -pit's), not a quote
		case c == '\'' || c == '"':
			if closes(e + 1) {
				return s, e
			}
			q := bytes.IndexByte(b[e+1:], c)
			if q < 0 {
				return s, e
			}
			e += q + 2 // a quoted part of the word
		case strings.IndexByte("])}", c) >= 0 && closes(e+1),
			c == ',' && e+1 < len(b) && (b[e+1] == ' ' || b[e+1] == '"' || b[e+1] == '\''):
			return s, e
		default:
			e++
		}
	}
	return s, e
}

// javaListItem reports whether b[i:] is the ',' (and blanks) after a -p
// in a Java list, and where the next item starts and ends: at a ',' or a
// bracket, a quote, ';', '<' (but for a placeholder's first), '&', '|' or
// a backslash (what closes the text the list is printed in, or starts
// the next command), or a blank (a key holds none of them).
func javaListItem(b []byte, i int) (start, end int, ok bool) {
	if i >= len(b) || b[i] != ',' {
		return 0, 0, false
	}
	start = skipSpaces(b, i+1, false)
	end = start
	if end < len(b) && b[end] == '<' {
		end++ // a placeholder's: <KEY>
	}
	for end < len(b) && strings.IndexByte(",])}\"';<&|\\ \t\r\n", b[end]) < 0 {
		end++
	}
	return start, end, true
}

// listOpen returns the bracket that opens the list the command word at
// b[i] is an item of: the nearest one open before the word on its line,
// within maxListOpen bytes (a '[', or the '(' of Scala's List(...)), and
// the bracket that closes it; 0, 0 if none is open there. The reader of
// the command's arguments stops at the closing one, past those the items
// hold in pairs (SQL's count(*), a[1]).
func listOpen(b []byte, i int) (open, closing byte) {
	for p, depth := i-1, 0; p >= 0 && i-p <= maxListOpen && b[p] != '\n'; p-- {
		switch b[p] {
		case ']', ')':
			depth++
		case '[', '(':
			if depth == 0 {
				if b[p] == '(' {
					return '(', ')'
				}
				return '[', ']'
			}
			depth--
		}
	}
	return 0, 0
}

// maxListOpen bounds how far before a command word listOpen looks for the
// bracket that opens its list: a path to the command or a few items
// ([sudo, -u, etl, /opt/odpscmd/bin/odpscmd, ...]); a line of a million
// commas pays this much for each word, not maxCommandLen.
const maxListOpen = 256

// quotedInItem returns where the quoted text opened by the quote at b[k],
// inside a list's item, closes: at the same quote before the item's ','
// (x=']'), else at one followed by ',', a bracket or the end (x='a,b]',);
// or k when none closes it there, or when it would hide a -p (an
// apostrophe, it's -p'S': a quote that pairs with a later one is no
// quoted text).
func quotedInItem(b []byte, k int) int {
	c := b[k]
	item := b[k+1:]
	if comma := bytes.IndexByte(item, ','); comma >= 0 {
		item = item[:comma]
	}
	q := bytes.IndexByte(item, c)
	if q < 0 {
		// Within maxQuotedText: a line of quotes pays that for each.
		text := b[k+1 : min(len(b), k+1+maxQuotedText)]
		for p := 0; p < len(text); p++ {
			n := bytes.IndexByte(text[p:], c)
			if n < 0 {
				break
			}
			if p += n; k+2+p == len(b) || p+1 < len(text) && strings.IndexByte(",])}", text[p+1]) >= 0 {
				q = p
				break
			}
		}
	}
	if q < 0 {
		return k
	}
	if text := b[k+1 : k+1+q]; bytes.Contains(text, []byte(" -p")) || bytes.Contains(text, []byte(",-p")) || bytes.Contains(text, []byte("\t-p")) {
		return k
	}
	return k + 1 + q
}

// maxQuotedText bounds how far quotedInItem looks for the quote that
// closes a quoted text holding a ',' (an SQL literal).
const maxQuotedText = 256

// quotedValue returns where the text of a value quoted at b[i] starts and
// ends (a quote in any of skipQuote's forms, closed as valueAt reads it),
// if one is there and holds something.
func quotedValue(b []byte, i int) (start, end int, ok bool) {
	q := skipQuote(b, i)
	if q == i {
		return 0, 0, false
	}
	e := (valueAt{k: q, quote: b[i:q]}).end(b)
	return q, e, e > q
}
