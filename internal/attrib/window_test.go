package attrib

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// trackWindowed feeds log to a tracker the way scan's engine does: code
// lines, the lines Announcements finds among those that start within
// Window bytes before a code's line (and after the previous code's), and
// the line after a root cause.
func trackWindowed(log []byte) *Tracker {
	t := NewTracker()
	var sc scan.Scanner
	var spans []Span
	lineNo := func(off int) int64 { return int64(bytes.Count(log[:off], []byte{'\n'})) + 1 }
	examined := 0
	matches := sc.Scan(nil, log)
	for i := 0; i < len(matches); {
		line := matches[i].Line
		var codes []CodeAt
		for ; i < len(matches) && matches[i].Line == line; i++ {
			codes = append(codes, CodeAt{matches[i].Code, matches[i].Offset - line.Start})
		}
		spans = Announcements(spans[:0], log, max(examined, line.Start-Window), line.Start)
		for _, s := range spans {
			b := log[s.Start:s.End]
			t.Line(Pos{lineNo(s.Start), int64(s.Start)}, b, Find(b), nil)
		}
		b := line.Of(log)
		t.Line(Pos{lineNo(line.Start), int64(line.Start)}, b, Find(b), codes)
		examined = lineEnd(log, line.Start) + 1
		for examined < len(log) && t.WantsNext() {
			if i < len(matches) && matches[i].Line.Start == examined {
				break // a code line: Line takes it
			}
			end := lineEnd(log, examined)
			if !t.Next(Pos{lineNo(examined), int64(examined)}, log[examined:end]) {
				break
			}
			examined = end + 1
		}
	}
	return t
}

// attributions sums up the failed jobs: which instance each code went to.
func attributions(t *Tracker) string {
	var b strings.Builder
	for _, j := range t.Failed() {
		fmt.Fprintf(&b, "%q root %v@%d %q codes %v\n", j.Instance, j.Root, j.RootLine, j.RootMessage, j.Codes)
	}
	return b.String()
}

// The engine's windowed feeding names the same failed jobs, with the
// same codes and causes, as feeding every line.
func TestWindowedFeedingAttributesAsAllLines(t *testing.T) {
	for name, log := range map[string]string{"odpscmd": odpscmdLog, "far": farLog()} {
		all, windowed := attributions(track(log)), attributions(trackWindowed([]byte(log)))
		if all != windowed {
			t.Errorf("%s: every line:\n%s\nwindowed:\n%s", name, all, windowed)
		}
	}
}

// farLog has an instance announced more than Window bytes before a code:
// the code belongs to no instance.
func farLog() string {
	var b strings.Builder
	b.WriteString("odps@ p_far>select 1;\nID = 20261201090100001gb7kq1m1\n")
	for i := 0; b.Len() < Window+100; i++ {
		fmt.Fprintf(&b, "2026-12-01 09:%02d:%02d M1_job_0:0/0/1[0%%]\n", i/60%60, i%60)
	}
	b.WriteString("FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n")
	b.WriteString("ID = 20261201090100002gb7kq1m2\nFAILED: ODPS-0130161:[1,1] Parse exception - y\n")
	return b.String()
}

func TestAttributionStopsAtWindow(t *testing.T) {
	tr := trackWindowed([]byte(farLog()))
	failed := tr.Failed()
	if len(failed) != 2 || failed[0].Instance != "20261201090100002gb7kq1m2" || failed[1].Instance != "" ||
		failed[1].Root != mustCode(t, "ODPS-0130071") || failed[1].Project != "" {
		t.Fatalf("want the near instance's code attributed and the far one's not:\n%s", attributions(tr))
	}
}

// The reason odpscmd prints on the line after the code, PyODPS's header
// and message, JSON and XML bodies.
func TestRootMessage(t *testing.T) {
	for _, tc := range []struct{ log, want string }{
		{"ID = 20261201090240093gb7kq1m5\nFAILED: ODPS-0130013:Authorization exception\nAuthorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}\nodps@ p_beta>",
			"Authorization exception Authorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}"},
		{"odps.errors.ODPSError: ODPS-0130013: InstanceId: 20261122003042031gxw83mq0p\nODPS-0130013:Authorization Failed [4011], You have NO privilege\n  File \"x.py\", line 3",
			"Authorization Failed [4011], You have NO privilege"},
		{`{"errorCode":"ODPS-0130071","errorMessage":"ODPS-0130071:[2,5] Semantic analysis exception - column uid cannot be resolved\nat line 2","status":"Failed"}`,
			"[2,5] Semantic analysis exception - column uid cannot be resolved at line 2"},
		{`<Error><Message><![CDATA[ODPS-0420111: Not found the project - project demo not found]]></Message></Error>`,
			"Not found the project - project demo not found"},
		{"FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n2026-12-01 09:00:00 INFO next record",
			"[1,8] Semantic analysis exception - x"},
		{"FAILED: ODPS-0130071:bad &token=c2VjcmV0c2VjcmV0\nsee https://x.example.com/?a=1&token=c2VjcmV0c2VjcmV0",
			"bad &token=REDACTED see https://x.example.com/?a=1&token=REDACTED"},
	} {
		jobs := track(tc.log).Failed()
		if len(jobs) != 1 || jobs[0].RootMessage != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.log, attributions(track(tc.log)), tc.want)
		}
	}
}

func TestAnnouncementsFindsWhatFindReads(t *testing.T) {
	log := []byte("x\nID = 20261201090240093gb7kq1m5\nplain 2026-12-01 09:02:44 1234567890123 digits\n" +
		"odps@ p_beta>select 1;\nODPS@ P>x\nmail me@odps@x\nhttps://lv.example.com/logview/?p=p&i=20261201090240093gb7kq1m5&token=t\n12345678901234567a\n")
	var got []string
	for _, s := range Announcements(nil, log, 0, len(log)) {
		got = append(got, string(s.Of(log)))
	}
	want := []string{"ID = 20261201090240093gb7kq1m5", "odps@ p_beta>select 1;", "ODPS@ P>x",
		"https://lv.example.com/logview/?p=p&i=20261201090240093gb7kq1m5&token=t", "12345678901234567a"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A line that starts before from is left out.
	if s := Announcements(nil, log, 3, len(log)); len(s) == 0 || s[0].Start < 3 || string(s[0].Of(log)) == "ID = 20261201090240093gb7kq1m5" {
		t.Errorf("from inside a line: %v", s)
	}
}

// Every line with an instance ID that Find reads, or a prompt, is one
// Announcements returns: the windowed feeding misses no announcement.
func FuzzAnnouncements(f *testing.F) {
	f.Add([]byte(odpscmdLog), 0)
	f.Add([]byte(farLog()), 7)
	f.Fuzz(func(t *testing.T, log []byte, from int) {
		if from < 0 || from > len(log) || len(log) > 4*Window {
			return
		}
		found := map[int]bool{}
		prev := -1
		for _, s := range Announcements(nil, log, from, len(log)) {
			if s.Start <= prev || s.Start < from || s.End > len(log) || bytes.IndexByte(s.Of(log), '\n') >= 0 {
				t.Fatalf("span %v after %d in %q", s, prev, log)
			}
			prev = s.Start
			found[s.Start] = true
		}
		start := 0
		for _, line := range bytes.SplitAfter(log, []byte{'\n'}) {
			c := Find(bytes.TrimSuffix(line, []byte{'\n'}))
			if start >= from && (!c.Instance.Empty() || c.Statement) && !found[start] {
				t.Fatalf("line %q at %d announces %+v and was not found", line, start, c)
			}
			start += len(line)
		}
		if a, w := attributions(track(string(log))), attributions(trackWindowed(log)); a != w && bytes.Count(log, []byte{'\n'}) < 50 && len(log) < Window {
			t.Fatalf("every line:\n%s\nwindowed:\n%s", a, w)
		}
	})
}
