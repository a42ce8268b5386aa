package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// Watching reports whether a failure may still recover, and up to which
// stream offset a reader should offer the lines after it to Watch (those
// RecoveryHint finds something in are enough: others are ignored).
func (t *Tracker) Watching() (until int64, ok bool) {
	if t.watching == nil {
		return 0, false
	}
	return t.watchEnd, true
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

// RecoveryHint reports whether b may hold a line Watch wants: a word of
// a retry or of a success. It reads b with a few substring searches, so
// that a reader can skip the lines after a failure that say neither.
func RecoveryHint(b []byte) bool {
	for _, w := range recoveryWords {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

// The words RecoveryHint looks for: parts of retry, fall back, success,
// in the cases logs print them, and their Chinese.
var recoveryWords = [][]byte{[]byte("etr"), []byte("ETR"), []byte("allback"), []byte("ALLBACK"), []byte("all back"),
	[]byte("ucce"), []byte("UCCE"), []byte("重试"), []byte("成功")}

// retryAnnounced reports whether line says a retry or a fallback: retry,
// retrying, retried, fall back, fallback (any case), 重试.
func retryAnnounced(line []byte) bool {
	return containsFold(line, "retry") || containsFold(line, "retrying") || containsFold(line, "retried") ||
		containsFold(line, "fallback") || containsFold(line, "fall back") || containsFold(line, "falling back") ||
		bytes.Contains(line, []byte("重试"))
}

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

func containsFold(b []byte, s string) bool { return indexFold(b, s) >= 0 }

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
