package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// RetryWindow is how far after a failure's last print the retry must be
// announced, and SuccessWindow how far after the announcement its success.
// They are short: every failure is watched that far, which costs a few
// substring searches of the bytes.
const (
	RetryWindow   = 1 << 10
	SuccessWindow = 4 << 10
)

// Watching reports whether a failure may still recover, up to which
// stream offset a reader should offer the lines after it to Watch, and
// whether its retry was announced already: then only lines with a word
// of success matter, else those with a word of retry (firstHint).
func (t *Tracker) Watching() (until int64, retried, ok bool) {
	if t.watching == nil {
		return 0, false, false
	}
	return t.watchEnd, t.watching.retried, true
}

// Watch takes a line without codes at pos, after the last line with
// codes and before Watching's offset: a retry announced, or, after one,
// another instance that succeeded (the failure is then recovered).
func (t *Tracker) Watch(pos Pos, line []byte) {
	j := t.watching
	if j == nil || pos.Offset >= t.watchEnd || j.recoveredFailure == j.Failures {
		t.watching = nil
		return
	}
	if !j.retried {
		if j.retried = retryAnnounced(line); !j.retried {
			return
		}
		// The retry's success may come up to SuccessWindow after it.
		t.watchEnd = pos.Offset + int64(len(line)) + 1 + SuccessWindow
	}
	if !succeeded(line) {
		return
	}
	c := Find(line)
	if id := c.Instance.Of(line); len(id) > 0 && string(id) != j.Instance {
		j.Recovered++
		j.recoveredFailure = j.Failures
		t.RecoveredFailures++
		t.watching = nil
		if t.evict { // a daemon's: it takes them (TakeRecovered)
			t.recovered = append(t.recovered, j.failureCode)
		}
	}
}

// RecoveryHint reports whether b may hold a line announcing a retry or
// saying something succeeded, so that a reader (a test's, feeding every
// line) can skip the lines that say neither.
func RecoveryHint(b []byte) bool { return retryAt(b) >= 0 || successAt(b) >= 0 }

// firstHint returns where the first word of the hint (retried: a
// success's, else a retry's) starts in b, or -1.
func firstHint(b []byte, retried bool) int {
	if retried {
		return successAt(b)
	}
	return retryAt(b)
}

// The words are found from an anchor, a byte each spelling holds at a
// known place, with bytes.IndexByte, and checked around it: the bytes of
// "retry" are among the commonest in logs and a search for the word's
// first byte would stop every few dozen bytes; its fourth ('r' or 'R')
// and the 'k' of "back" stop a third as often (#15: the watch after each
// failure was the largest cost of naming jobs).

// retryAt returns where the first word announcing a retry or a fallback
// starts in b, or -1: retry, retried, retrying, fallback, fall back,
// falling back (any case), 重试.
func retryAt(b []byte) int {
	first := -1
	// end bounds a search to the anchors of words that would start before
	// the first found.
	end := func(anchor int) int {
		if first < 0 {
			return len(b)
		}
		return min(len(b), first+anchor)
	}
	keep := func(k int) {
		if k >= 0 && (first < 0 || k < first) {
			first = k
		}
	}
	// retr(y|ied): anchored on its second r.
	for _, r := range []byte{'r', 'R'} {
		keep(anchored(b, end(3), r, 3, isRetry))
	}
	// fallback, fall back, falling back: anchored on the k.
	for _, k := range []byte{'k', 'K'} {
		keep(anchored(b, end(11), k, 7, isFallBack))
	}
	if k := bytes.Index(b[:end(len("重试")-1)], []byte("重试")); k >= 0 {
		keep(k)
	}
	return first
}

// successAt returns where the first word saying something succeeded may
// start in b, or -1: "succe" (any case), 成功. (succeeded decides; this
// finds the lines to ask it about.)
func successAt(b []byte) int {
	first := -1
	for _, u := range []byte{'u', 'U'} {
		lim := len(b)
		if first >= 0 {
			lim = min(len(b), first+1)
		}
		if k := anchored(b, lim, u, 1, func(b []byte, at int) int {
			if at+len("succe") <= len(b) && hasPrefixFold(b[at:], "succe") {
				return at
			}
			return -1
		}); k >= 0 && (first < 0 || k < first) {
			first = k
		}
	}
	lim := len(b)
	if first >= 0 {
		lim = min(len(b), first+len("成功")-1)
	}
	if k := bytes.Index(b[:lim], []byte("成功")); k >= 0 && (first < 0 || k < first) {
		first = k
	}
	return first
}

// anchored returns the first start of a word in b whose byte at offset
// off is c, before lim, and that match, given b and where the word would
// start, confirms (returning where it starts, or -1); or -1.
func anchored(b []byte, lim int, c byte, off int, match func(b []byte, at int) int) int {
	for i := off; i < lim; i++ {
		k := bytes.IndexByte(b[i:lim], c)
		if k < 0 {
			return -1
		}
		i += k
		if at := match(b, i-off); at >= 0 {
			return at
		}
	}
	return -1
}

// isRetry confirms "retry" or "retried" at b[at:].
func isRetry(b []byte, at int) int {
	if at < 0 || !hasPrefixFold(b[at:], "retr") {
		return -1
	}
	if at+5 <= len(b) && b[at+4]|0x20 == 'y' || at+7 <= len(b) && hasPrefixFold(b[at+4:], "ied") {
		return at
	}
	return -1
}

// isFallBack confirms, around the "back" at b[at+4:], "fallback", "fall
// back" or "falling back" and returns where it starts.
func isFallBack(b []byte, at int) int {
	back := at + 4 // anchored with off 7: the k of "back" is at back+3
	if back < 0 || back+4 > len(b) || !hasPrefixFold(b[back:], "back") {
		return -1
	}
	for _, w := range []string{"fall", "fall ", "falling "} {
		if s := back - len(w); s >= 0 && hasPrefixFold(b[s:], w) {
			return s
		}
	}
	return -1
}

// retryAnnounced reports whether line says a retry or a fallback: retry,
// retrying, retried, fall back, fallback (any case), 重试.
func retryAnnounced(line []byte) bool { return retryAt(line) >= 0 }

// succeeded reports whether line says something succeeded: success,
// succeeded, successful (any case), 成功; not "unsuccessful" or "not
// succeeded".
func succeeded(line []byte) bool {
	if bytes.Contains(line, []byte("成功")) {
		return !bytes.Contains(line, []byte("不成功")) && !bytes.Contains(line, []byte("未成功"))
	}
	i := indexFold(line, "succe")
	if i < 0 {
		return false
	}
	before := bytes.TrimRight(line[:i], " ")
	return !(i >= 2 && hasPrefixFold(line[i-2:], "un")) && !hasSuffixFold(before, "not") && !hasSuffixFold(before, "no")
}

// indexFold returns the index of the first ASCII case-insensitive match
// of s (lower case) in b, or -1.
func indexFold(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if hasPrefixFold(b[i:], s) {
			return i
		}
	}
	return -1
}

func hasSuffixFold(b []byte, s string) bool {
	return len(b) >= len(s) && hasPrefixFold(b[len(b)-len(s):], s)
}

// TakeRecovered appends to dst the codes (the innermost of each) of the
// failures recovered since the last call, for a stream tracker
// (NewStreamTracker), whose reader counts them; a scan's tracker keeps
// none.
func (t *Tracker) TakeRecovered(dst []scan.Code) []scan.Code {
	dst = append(dst, t.recovered...)
	t.recovered = t.recovered[:0]
	return dst
}
