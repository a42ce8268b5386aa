package redact

import (
	"bytes"
	"slices"
	"strings"
)

// Credentials known by their place among a command's or a call's
// arguments rather than by a name (see callWords).

// maxCommandLen bounds how far after a command's word its -p is looked
// for (on its line, or the lines a '\' at their end continues), and
// maxFlags how many -p are read there: a text costs a vectorised search
// for "-p" in that window a command word, and a reading of the windows
// that hold one, to their maxFlags-th -p.
const (
	maxCommandLen = 2048
	maxFlags      = 16
)

// span is [start, end) of a text; cut says the reading of its command
// ended there, at maxCommandLen (its value goes on to wordEnd).
type span struct {
	start, end int
	cut        bool
}

// positionalSpans appends to found the credentials known by their place
// among a command's or a call's arguments in b (positionalValues). Every
// command word is read, also one inside another's quoted argument (mysql
// job 'mysqldump -pS'). redact masks them with the named ones, found in
// the same text: a value read too far cannot hide a name from next.
func positionalSpans(b []byte, found []span) []span {
	first := len(found)
	for i := 0; i+3 <= len(b); i++ {
		if !mayStartWord(b[i:]) {
			continue
		}
		n, kind := wordAt(b[i:])
		if n == 0 || kind != callWord {
			continue
		}
		positionalValues(b, i, n, func(f span) {
			// The commands of a list of them read each other's -p: each is
			// kept once (found grows with the text, not with its commands).
			if !foundLast(found[first:], f.start) {
				if f.cut {
					f.end = wordEnd(b, f.end)
				}
				found = append(found, f)
			}
		})
	}
	return found
}

// mask returns b with the spans of found (in any order, overlapping or
// not) replaced by Mask, overlapping ones as one, or b itself if found is
// empty.
func mask(b []byte, found []span) []byte {
	if len(found) == 0 {
		return b
	}
	slices.SortFunc(found, func(x, y span) int { return x.start - y.start })
	var out []byte
	from := 0 // b[from:] is not in out yet
	for _, f := range found {
		if f.end <= from {
			continue // inside one masked already
		}
		if f.start >= from {
			out = append(append(out, b[from:f.start]...), Mask...)
		}
		from = f.end // overlapping ones are masked as one
	}
	return append(out, b[from:]...)
}

// hasCall reports whether b may hold a credential positionalSpans finds:
// a "-p" (odpscmd's, mysql's) or a call "odps(" in any case, found by
// vectorised searches most text fails, and then a word of callWords.
// redact reads the commands only where it is needed.
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

// foundLast reports whether one of the last 2×maxFlags spans of found
// (those of the commands just read) starts at start.
func foundLast(found []span, start int) bool {
	for _, f := range found[max(0, len(found)-2*maxFlags):] {
		if f.start == start {
			return true
		}
	}
	return false
}

// wordEnd returns where the word that goes on at b[i] ends: a value the
// reading of its command cut is masked whole, so that redacting again
// changes nothing.
func wordEnd(b []byte, i int) int {
	if k := bytes.IndexAny(b[i:], " \t\r\n"); k >= 0 {
		return i + k
	}
	return len(b)
}

// positionalValues gives add the credentials of the command or call
// whose word (one of callWords) is b[i:i+n]: the arguments of odpscmd's
// -p (its AccessKey secret: odpscmd -u ID -p KEY --project=p, or -pKEY),
// of MySQL's and MariaDB's clients' -p (mysql -uroot -pS, -p=S,
// mysqldump, mariadb-dump...; -p alone prompts, and the word after it is
// another argument), odpscmd's first spaced one (and those glued to it
// that look like a key), mysql's every one to the maxFlags-th (it takes
// the last); the second
// of PyODPS's ODPS('ID', 'KEY', ...) when both are quoted strings (named
// arguments are names: secret_access_key='KEY'). The -p may be quoted
// whole, as bash's traces print a password with a space or a shell
// character ('-pS 1!', a quote in it as itemEnd reads it) and lists hold
// it (['mysql', '-pS'], [u'mysql', u'-pS'], ["-pS\"1"]). A value that is
// another option is none (otherOption).
func positionalValues(b []byte, i, n int, add func(span)) {
	if b[i+n-1] == '(' {
		if s, e, ok := secondArgument(b, i+n); ok {
			add(span{start: s, end: e})
		}
		return
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
	if i > 0 && (isNameByte(b[i-1]) && !escapeBefore(b, i) || b[i-1] == '-') || w < len(b) && isNameByte(b[w]) {
		return // a word of a longer name: odpscmd_home
	}
	// Its arguments: odpscmd's flags from the first on ("run odpscmd then
	// mkdir -p" is prose; mysql takes its database first too), as words
	// or as a list's quoted items (Python's ['odpscmd', '-u', 'ID', '-p',
	// 'KEY']), to the end of the command: of its line (or of the lines a
	// '\' continues), ';', "&&", "||", or a '|' or '&' after a space (a
	// URL holds them too). The quoted ones are skipped whole (-e "ls
	// tables -p proj") unless they are the -p. All of it is read in
	// b[:stop], maxCommandLen bytes at most.
	a := w
	for a < len(b) && strings.IndexByte(" \t'\",\\", b[a]) >= 0 {
		if b[a] == '\\' && a+1 < len(b) && strings.IndexByte("tnr", b[a+1]) >= 0 {
			a++ // a JSON string's \t: [odpscmd,\t-u, ...]
		}
		a = skipStringPrefix(b, a+1) // and a list's next item's u or b
	}
	if a == w || a >= len(b) || !attached && b[a] != '-' {
		return
	}
	b = b[:commandEnd(b, w)]
	if !bytes.Contains(b[w:], []byte("-p")) {
		return
	}
	// Java's unquoted lists (List.toString of a ProcessBuilder's command:
	// [odpscmd, -u, ID, -p, KEY, -e, select 1;]): the command word is an
	// item, its arguments are the next ones, to the bracket that closes
	// the list (or the line's end, if none is open before the word: a
	// String.join): a ';', '|' or '&' is in an item (SQL), a quote opens an
	// item only at an item's start, and odpscmd's items may have no blank
	// between. (Without a bracket, another command on the line after the
	// list has its -p's value masked too: a key's leak is worse.) The word
	// may end a quoted item: ["C:\\...\\odpscmd.bat", -u, ...].
	sep := w
	switch {
	case b[sep] == '"' || b[sep] == '\'':
		sep++
	case b[sep] == '\\' && sep+1 < len(b) && b[sep+1] == '"':
		sep += 2
	}
	javaList := sep < len(b) && b[sep] == ','
	// A list joined without blanks ([mysql,-uroot,-pS,db]): an attached
	// value ends at the next ',' after its quoted part, if it has one.
	joined := javaList && sep+1 < len(b) && b[sep+1] != ' ' && b[sep+1] != '\t' && !(sep+2 < len(b) && b[sep+1] == '\\' && strings.IndexByte("tnr", b[sep+2]) >= 0)
	var open, closing byte
	if javaList {
		open, closing = listOpen(b, i)
	}
	depth := 0 // of the brackets inside the list's items
	// A value that runs to maxCommandLen is cut there, not at a line's end.
	cut := len(b) == w+maxCommandLen
	value := func(s, e int) { add(span{s, e, cut && e == len(b)}) }
	flags := 0
	k0 := w
	switch {
	case b[w] == '\'' || b[w] == '"':
		k0++ // the quote that closes the word's own item
	case b[w] == '\\' && w+1 < len(b) && b[w+1] == '"':
		k0 += 2 // in a JSON string: [\"mysql\", \"-pS\"]
	}
	for k := k0; k < len(b); k++ {
		if open != 0 && (b[k] == open || b[k] == closing) {
			if b[k] == open {
				depth++
			} else if depth--; depth < 0 {
				return // the list's end
			}
			continue
		}
		switch c := b[k]; c {
		case ';':
			if !javaList {
				return
			}
		case '\\':
			if k+1 < len(b) && b[k+1] == 'n' && (k == 0 || b[k-1] != '\\') && !continued(b, k) {
				return // a JSON or Python string's line ends: set -e\nmkdir -p d
			}
		case '|', '&':
			if !javaList && (b[k-1] == ' ' || k+1 < len(b) && b[k+1] == c) {
				return
			}
		case '"', '\'':
			if javaList && !opensItem(b, k) {
				// Inside an item: a quoted text's brackets are its own
				// (x=']'); an apostrophe is none (it's, don't).
				if q := quotedInItem(b, k); q > k {
					k = q
				}
				continue
			}
			end := itemEnd(b, k, len(b))
			if end < 0 {
				continue
			}
			switch item := b[k+1 : end]; {
			case string(item) == "-p" && !attached:
				// A list's item: the next one is the key.
				v := skipQuote(b, end) // past the closing quote
				v = skipStringPrefix(b, skipSpaces(b, skipPairComma(b, skipSpaces(b, v, false)), false))
				if q, e, ok := quotedValue(b, v); ok && !otherOption(b[q:e], false, false) {
					value(q, e)
					return // odpscmd's: its first
				}
			case len(item) > 2 && item[0] == '-' && item[1] == 'p' && opensItem(b, k):
				if flags++; flags > maxFlags {
					return
				}
				if !otherOption(item[2:], true, attached) && (attached || gluedKey(item[2:])) {
					value(k+3, end) // '-pKEY' quoted whole
				}
			}
			k = skipQuote(b, end) - 1 // past the closing quote
			continue
		}
		if !flagAt(b, k) && !(javaList && b[k] == ',' && k+3 < len(b) && b[k+1] == '-' && b[k+2] == 'p' && (!attached || b[k+3] != ',')) {
			continue
		}
		if flags++; flags > maxFlags {
			return
		}
		if javaList && !attached {
			if v, e, ok := javaListItem(b, k+3); ok {
				// The next item is odpscmd's key, whatever it looks like (a
				// key may start with '-'), as in the other forms; quoted, as
				// the quote reads it (-p, "KEY", in a JSON string -p, \"KEY\").
				if q, qe, quoted := quotedValue(b, v); quoted {
					v, e = q, qe
				}
				if e > v {
					value(v, e)
					return // odpscmd's: its first
				}
				continue
			}
		}
		if k+3 < len(b) && b[k+3] != ' ' && b[k+3] != '\t' && b[k+3] != '\r' && b[k+3] != '\n' && (b[k+3] != '=' || attached) {
			// -pKEY: the rest of the word (mysql's -p=S: =S).
			lim := len(b)
			if joined {
				from := k + 3 // a quoted value's ',' are its own: -p'S,1'
				if _, e, quoted := quotedValue(b, from); quoted {
					from = e
				}
				switch c := bytes.IndexByte(b[from:], ','); {
				case c == 0 && from == k+3:
					continue // -p alone: mysql prompts (odpscmd's was read above)
				case c >= 0:
					lim = from + c
				}
			}
			s, e := attachedValue(b[:lim], k+3)
			if e > s && !otherOption(b[s:e], true, attached) && (attached || gluedKey(b[s:e])) {
				value(s, e)
				k = e - 1
			}
			continue
		}
		if attached {
			continue // mysql -p prompts: what follows is not the password
		}
		// A -p with nothing readable after it: a later one may have it. A
		// value is cut at a JSON or Python string's \n (-p S\nmkdir -p d),
		// and starts after one (-p \nS).
		v0 := skipSpaces(b, skipSeparator(b, k+3), false)
		for v0+1 < len(b) && b[v0] == '\\' && strings.IndexByte("nrt", b[v0+1]) >= 0 {
			v0 += 2
		}
		if v, ok := openedValue(b, v0, false); ok {
			e := v.end(b)
			if nl := bytes.Index(b[v.k:e], []byte(`\n`)); nl > 0 && len(v.quote) == 0 {
				e = v.k + nl
			}
			if e > v.k && !otherOption(b[v.k:e], false, false) {
				value(v.k, e)
				return // odpscmd's: its first
			}
		}
	}
}

// continued reports whether the \n escape at b[k] ends a line that a
// shell's '\' continues, in a JSON or Python string: \\\n, \\\r\n.
func continued(b []byte, k int) bool {
	if k >= 2 && string(b[k-2:k]) == `\r` {
		k -= 2
	}
	return k >= 2 && string(b[k-2:k]) == `\\`
}

// escapeBefore reports whether b[i] follows a JSON or Python string's
// \n, \r or \t: a word starts there ("set -e\nmysql -pS").
func escapeBefore(b []byte, i int) bool {
	return i > 1 && b[i-2] == '\\' && strings.IndexByte("nrt", b[i-1]) >= 0
}

// gluedKey reports whether v, glued to odpscmd's -p, is its AccessKey
// secret (-pKEY: 6 bytes or more, with a digit or a capital letter) and
// not another option (-project p, -ppid, -pv): odpscmd's reading goes
// on to its -p KEY either way.
func gluedKey(v []byte) bool { return len(v) >= 6 && keyLike(v, 0) }

// commandEnd returns where the reading of a command's arguments from w
// stops: at the end of its line, unless a '\' ends the line (a shell's
// continuation), and at most maxCommandLen bytes on. (A JSON or Python
// string's \n outside a quoted item ends it too: positionalValues.)
func commandEnd(b []byte, w int) int {
	stop := min(len(b), w+maxCommandLen)
	for at := w; ; {
		nl := bytes.IndexByte(b[at:stop], '\n')
		if nl < 0 {
			return stop
		}
		at += nl
		if end := bytes.TrimSuffix(b[w:at], []byte{'\r'}); len(end) == 0 || end[len(end)-1] != '\\' {
			return at
		}
		at++
	}
}

// flagAt reports whether b[k:] is " -p" (or a tab, or a JSON string's
// escaped tab, before it).
func flagAt(b []byte, k int) bool {
	if k+2 >= len(b) || b[k+1] != '-' || b[k+2] != 'p' {
		return false
	}
	return b[k] == ' ' || b[k] == '\t' || b[k] == 't' && k > 0 && b[k-1] == '\\'
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
