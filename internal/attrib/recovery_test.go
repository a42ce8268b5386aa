package attrib

import (
	"strings"
	"testing"
)

// retryLog fails job A, then says what the driver did next.
func retryLog(next string) string {
	return "2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gjoba\n" +
		"odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gjoba\n" +
		"ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved\n" +
		next
}

func TestRecovery(t *testing.T) {
	const b = "20261201100100002gjobb"
	for _, c := range []struct {
		name, next string
		recovered  int64
	}{
		{"retried, then the next instance succeeded",
			"2026-12-01 10:01:00,001 WARN retrying in a new instance\n" +
				"2026-12-01 10:01:00,002 INFO Instance ID: " + b + "\n" +
				"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, success\n", 1},
		{"a fallback that succeeded, in one line",
			"2026-12-01 10:01:00,001 INFO falling back: Instance " + b + " terminated, status SUCCESS\n", 1},
		// Any case: the words were found in the cases logs print them
		// only, until the search was made case-blind (#15's cost work).
		{"a fallback in title case",
			"2026-12-01 10:01:00,001 WARN Fall Back to the service account\n" +
				"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, SuCCess\n", 1},
		{"in Chinese",
			"2026-12-01 10:01:00,001 INFO 第1次重试\n2026-12-01 10:01:30,001 INFO 实例 Instance ID: " + b + " 运行成功\n", 1},
		{"no retry: another statement succeeded",
			"2026-12-01 10:01:00,002 INFO Instance ID: " + b + "\n" +
				"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, success\n", 0},
		{"the retry was unsuccessful",
			"2026-12-01 10:01:00,001 WARN retrying\n2026-12-01 10:01:30,003 INFO instance " + b + " unsuccessful\n", 0},
		{"the failed instance itself said success",
			"2026-12-01 10:01:00,001 WARN retry\n2026-12-01 10:01:30,003 INFO instance 20261201100000001gjoba status=Terminated, success\n", 0},
		// Found by review: a print of the failure again after its
		// recovery, and another success, recovered it twice.
		{"recovered once, whatever follows",
			"2026-12-01 10:01:00,001 WARN retrying in a new instance\n" +
				"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, success\n" +
				"2026-12-01 10:02:00,001 INFO summary: instance 20261201100000001gjoba failed with ODPS-0130071\n" +
				"2026-12-01 10:02:30,003 INFO instance 20261201100200003gjobc status=Terminated, success\n", 1},
		// Found by the fourth review: a retry denied, or a success
		// given as false, is none.
		{"a retry denied", "2026-12-01 10:01:00,001 INFO task will not be retried: max retry 0\n" +
			"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, success\n", 0},
		{"a success given as false", "2026-12-01 10:01:00,001 WARN will retry in 30s (1/3)\n" +
			"2026-12-01 10:01:30,003 INFO instance " + b + " status: Terminated, success=false\n", 0},
		{"too late: past the window",
			"2026-12-01 10:01:00,001 WARN retrying\n" + strings.Repeat("2026-12-01 10:01:00,002 INFO waiting for a free slot in the quota group\n", 150) +
				"2026-12-01 10:01:30,003 INFO instance " + b + " status=Terminated, success\n", 0},
	} {
		log := retryLog(c.next)
		for reader, tr := range map[string]*Tracker{"every line": track(log), "windowed": trackWindowed([]byte(log)),
			"chunks of 1": trackChunks([]byte(log), []int{1}, nil), "chunks of 3": trackChunks([]byte(log), []int{3}, nil)} {
			jobs := tr.Failed()
			if len(jobs) != 1 || jobs[0].Failures != 1 || jobs[0].Recovered != c.recovered || tr.RecoveredFailures != c.recovered {
				t.Errorf("%s, %s: %s", c.name, reader, attributions(tr))
			}
		}
	}
}

func TestRetryAnnounced(t *testing.T) {
	for line, want := range map[string]bool{
		"will retry in 30s (1/3)": true, "retrying in a new instance": true, "第1次重试仍然失败": true, "falling back to MR": true,
		"task will not be retried: max retry 0": false, "no retry": false, "max retry 0": false, "retries: 0": false,
		"not to retry": false, "不重试": false, "won't retry, max retry 0, retry 1 of 3": true, "status FAILED": false,
		"Task Will NOT BE Retried": false, "it has not BEEN retried": false, "able to retry": true, "Tobe retried": true,
	} {
		if got := retryAnnounced([]byte(line)); got != want {
			t.Errorf("retryAnnounced(%q) = %v", line, got)
		}
	}
	// The tracker reads it on every line with codes: it allocates nothing.
	denied := []byte("attempt 3 failed, will NOT Be retried; not to retry, never BEEN retried")
	if n := testing.AllocsPerRun(100, func() { retryAnnounced(denied) }); n != 0 {
		t.Errorf("retryAnnounced allocated %v times", n)
	}
}

func TestSucceeded(t *testing.T) {
	for line, want := range map[string]bool{
		"status SUCCESS": true, "succeeded": true, "Job run successfully": true, "运行成功": true,
		"unsuccessful": false, "not succeeded": false, "运行不成功": false, "status FAILED": false, "": false,
		"success=false": false, `"succeeded": false`: false, "success: 0": false, "success=true": true, "success: 10 rows": true,
	} {
		if got := succeeded([]byte(line)); got != want {
			t.Errorf("succeeded(%q) = %v", line, got)
		}
	}
}

// TestHintWords checks the anchored searches against their definition,
// a search for each word, on lines made of the words' parts: a word cut,
// in another case, at the start or end, next to another.
func TestHintWords(t *testing.T) {
	testHintWords(t)
	if pairsVector {
		t.Run("portable", func(t *testing.T) {
			pairsVector = false
			defer func() { pairsVector = true }()
			testHintWords(t)
		})
	}
}

func testHintWords(t *testing.T) {
	naive := func(b []byte, words []string, cjk string) int {
		first := -1
		for _, w := range words {
			if k := indexFold(b, w); k >= 0 && (first < 0 || k < first) {
				first = k
			}
		}
		if k := strings.Index(string(b), cjk); k >= 0 && (first < 0 || k < first) {
			first = k
		}
		return first
	}
	retry := []string{"retry", "retried", "fallback", "fall back", "falling back"}
	parts := []string{"re", "tr", "retr", "y", "Y", "ied", "IED", "R", "ETR", "fall", "FALL", "ing", " ", "back", "BACK", "ba",
		"ck", "k", "succe", "SUCCE", "u", "UCC", "s", "ucce", "重试", "成功", "重", "成", "功", "\xc6\xa8", "x", "\n", "r", "e"}
	rnd := uint64(1)
	for n := range 100000 {
		var b strings.Builder
		for range n%40 + 1 {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			b.WriteString(parts[rnd>>33%uint64(len(parts))])
		}
		s := []byte(b.String())
		if got, want := retryAt(s), naive(s, retry, "重试"); got != want {
			t.Fatalf("retryAt(%q) = %d, want %d", s, got, want)
		}
		if got, want := successAt(s), naive(s, []string{"succe"}, "成功"); got != want {
			t.Fatalf("successAt(%q) = %d, want %d", s, got, want)
		}
	}
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

// A line of many denied retries costs a few searches, not one a word
// (the review of the denial: 100,000 of them took 3 s): past maxDenied
// of them the line says no retry, even one announced further on.
func TestManyDeniedRetries(t *testing.T) {
	line := []byte("ERROR ODPS-0130071: failed " + strings.Repeat("不重试 ", 100000) + "retry")
	if retryAnnounced(line) {
		t.Error("read past maxDenied denied words")
	}
	if !retryAnnounced([]byte("ERROR ODPS-0130071: failed " + strings.Repeat("不重试 ", maxDenied-1) + "retry")) {
		t.Error("a retry after fewer than maxDenied denied words missed")
	}
}
