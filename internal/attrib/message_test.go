package attrib

import (
	"bytes"
	"testing"
)

// A root cause's message runs to the end of the JSON string the code
// stands in, wherever in the string the code is, and keeps of the lines
// its \n starts those that go on with it (not a stack frame, a new
// record); other fields of the line are not in it (the fourth review).
func TestMessageInAJSONString(t *testing.T) {
	for line, want := range map[string]string{
		`{"ts":1763691301123,"level":"ERROR","msg":"Instance 20261121021500101aaaa0001 failed\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - column x cannot be resolved\n\tat com.aliyun.odps.Instance.waitForSuccess(Instance.java:500)","logger":"com.example.EtlJob","thread":"main"}`: "[1,8] Semantic analysis exception - column x cannot be resolved",
		`{"msg":"instance failed: ODPS-0130071: x \"quoted\" y","next":"z"}`:                                                                               `x "quoted" y`,
		`{"errorMessage":"ODPS-0130071:[1,8] column day_n cannot be resolved\nat line 1\n2026-12-01 02:00:00 INFO next","a":1}`:                            "[1,8] column day_n cannot be resolved at line 1",
		`{"a":"b", "c": 1} ODPS-0130071: after the object - x`:                                                                                             "after the object - x",
		`2026-11-21 02:15:05,459 ERROR task {"error":"ODPS-0130071:[1,8] Semantic analysis exception - column x cannot be resolved","logger":"odps.task"}`: "[1,8] Semantic analysis exception - column x cannot be resolved",
		`plain "quoted" ODPS-0130071: not JSON "a","b"`:                                                                                                    `not JSON "a","b"`,
	} {
		at := bytes.Index([]byte(line), []byte("ODPS-0130071"))
		if got := message([]byte(line), at); got != want {
			t.Errorf("message(%s)\n = %q\nwant %q", line, got, want)
		}
	}
}
