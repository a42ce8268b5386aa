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
	// The instance Find would read in the line.
	if id := lastInstance(line).Of(line); len(id) > 0 && string(id) != j.Instance {
		j.Recovered++
		j.recoveredFailure = j.Failures
		t.RecoveredFailures++
		t.watching = nil
		if t.evict { // a daemon's: it takes them (TakeRecovered)
			t.recovered = append(t.recovered, j.failureCode)
		} else { // a scan's: it counts them by code
			if t.recoveredBy == nil {
				t.recoveredBy = make(map[scan.Code]int64)
			}
			t.recoveredBy[j.failureCode]++
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

// retryAnnounced reports whether line says a retry or a fallback: retry,
// retrying, retried, fall back, fallback (any case), 重试; not one denied
// (will not be retried, no retry, 不重试) nor a count of none (max retry
// 0, retries: 0).
func retryAnnounced(line []byte) bool {
	// Each word denied costs a search to the end of the line (when no
	// other word is left there): a few are read, not a line of them.
	for at, n := 0, 0; at < len(line) && n < maxDenied; n++ {
		k := retryAt(line[at:])
		if k < 0 {
			return false
		}
		if !denied(line, at+k) && !noneCounted(line[at+k:]) {
			return true
		}
		at += k + 1
	}
	return false
}

// maxDenied bounds the retry words denied that retryAnnounced reads past
// on a line.
const maxDenied = 8

// negations deny the word after them, or after "be" or "to" after them.
var negations = []string{"not", "no", "never", "won't", "don't", "cannot", "without", "不", "未", "无需", "不再"}

// denied reports whether the word at line[i] follows a negation: right
// before it, or before "be", "to" or "been" before it (will not be
// retried, not to retry).
func denied(line []byte, i int) bool {
	before := bytes.TrimRight(line[:i], " ")
	for range 2 {
		for _, n := range negations {
			if hasSuffixFold(before, n) && (len(before) == len(n) || !isWord(before[len(before)-len(n)-1])) {
				return true
			}
		}
		w := bytes.LastIndexByte(before, ' ') + 1
		// (Compared in place: the tracker's lines allocate nothing.)
		if word := before[w:]; !equalFold(word, "be") && !equalFold(word, "to") && !equalFold(word, "been") {
			return false
		}
		before = bytes.TrimRight(before[:w], " ")
	}
	return false
}

// noneCounted reports whether the word b starts with is followed by a
// count of none: retry 0, retries: 0, retry=0.
func noneCounted(b []byte) bool {
	i := 0
	for i < len(b) && (isWord(b[i]) || b[i] >= 0x80) {
		i++
	}
	for i < len(b) && (b[i] == ' ' || b[i] == ':' || b[i] == '=') {
		i++
	}
	return i < len(b) && b[i] == '0' && (i+1 == len(b) || !isDigit(b[i+1]))
}

// succeeded reports whether line says something succeeded: success,
// succeeded, successful (any case), 成功; not "unsuccessful", "not
// succeeded" or "success=false".
func succeeded(line []byte) bool {
	if bytes.Contains(line, []byte("成功")) {
		return !bytes.Contains(line, []byte("不成功")) && !bytes.Contains(line, []byte("未成功"))
	}
	i := succeAt(line)
	if i < 0 {
		return false
	}
	before := bytes.TrimRight(line[:i], " ")
	return !(i >= 2 && hasPrefixFold(line[i-2:], "un")) && !hasSuffixFold(before, "not") && !hasSuffixFold(before, "no") && !falseAfter(line[i:])
}

// falseAfter reports whether the word b starts with is given a false
// value: success=false, "succeeded": false, success: 0.
func falseAfter(b []byte) bool {
	i := 0
	for i < len(b) && isWord(b[i]) {
		i++
	}
	j := i
	for j < len(b) && (b[j] == ' ' || b[j] == '"' || b[j] == '\'') {
		j++
	}
	if j == len(b) || b[j] != '=' && b[j] != ':' {
		return false
	}
	j++
	for j < len(b) && (b[j] == ' ' || b[j] == '"' || b[j] == '\'') {
		j++
	}
	return hasPrefixFold(b[j:], "false") || j < len(b) && b[j] == '0' && (j+1 == len(b) || !isDigit(b[j+1]))
}

func hasSuffixFold(b []byte, s string) bool {
	return len(b) >= len(s) && hasPrefixFold(b[len(b)-len(s):], s)
}

// equalFold reports whether b is s, a lower-case ASCII word, in any case.
func equalFold(b []byte, s string) bool { return len(b) == len(s) && hasPrefixFold(b, s) }

// RecoveredByCode returns, for a scan's tracker (NewTracker), how many
// failures recovered of each code (the innermost of each): the caller
// must not change it.
func (t *Tracker) RecoveredByCode() map[scan.Code]int64 { return t.recoveredBy }

// TakeRecovered appends to dst the codes (the innermost of each) of the
// failures recovered since the last call, for a stream tracker
// (NewStreamTracker), whose reader counts them; a scan's tracker keeps
// none.
func (t *Tracker) TakeRecovered(dst []scan.Code) []scan.Code {
	dst = append(dst, t.recovered...)
	t.recovered = t.recovered[:0]
	return dst
}
