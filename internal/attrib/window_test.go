package attrib

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// trackWindowed feeds log to a tracker the way scan's engine does: code
// lines, what LookBack finds among the lines that start within Window
// bytes before a code's line (and after the previous code's), and the
// line after a root cause.
func trackWindowed(log []byte) *Tracker {
	t := NewTracker()
	var sc scan.Scanner
	lineOf := func(off int) int64 { return int64(bytes.Count(log[:off], []byte{'\n'})) + 1 }
	examined := 0
	matches := sc.Scan(nil, log)
	for i := 0; i < len(matches); {
		line := matches[i].Line
		var codes []CodeAt
		for ; i < len(matches) && matches[i].Line == line; i++ {
			codes = append(codes, CodeAt{matches[i].Code, matches[i].Offset - line.Start})
		}
		text := line.Of(log)
		if k := progressRun(log, examined, line.Start, progressShape); line.Start-k >= LongRun {
			// After a long run of progress lines: the window before the
			// run, then the run.
			from := max(examined, k-Window)
			if k > examined {
				b := LookBack(log, from, k, true)
				if !b.Named.Empty() && t.NeedsFirst(b.ID.Of(log)) {
					b = walkBack(log, from, b)
				}
				t.Feed(log, 0, b, lineOf)
				examined = k
			}
			t.Progress(int64(k), int64(bytes.LastIndexByte(log[:line.Start-1], '\n')+1))
		}
		from := max(examined, line.Start-Window)
		if own := Find(text).Instance.Of(text); len(own) > 0 {
			// A line that names a new instance: its announcements, from
			// the whole window.
			if t.NeedsFirst(own) {
				b := LookBackFor(log, max(line.Start-Window, 0), line.Start, own)
				if b.Statement.Start < examined {
					b.Statement = Span{}
				}
				t.Feed(log, 0, b, lineOf)
			}
		} else {
			b := LookBack(log, from, line.Start, true)
			if !b.Named.Empty() && t.NeedsFirst(b.ID.Of(log)) {
				b = walkBack(log, from, b)
			}
			t.Feed(log, 0, b, lineOf)
		}
		prevStart := 0
		if line.Start > 0 {
			prevStart = bytes.LastIndexByte(log[:line.Start-1], '\n') + 1
		}
		prev := log[prevStart:max(prevStart, line.Start-1)]
		t.Line(Pos{Line: lineOf(line.Start), Offset: int64(line.Start), Record: NewRecord(prev, text), Time: Timestamp(prev)}, text, Find(text), codes)
		examined = lineEnd(log, line.Start) + 1
		for examined < len(log) && t.WantsNext() {
			if i < len(matches) && matches[i].Line.Start == examined {
				break // a code line: Line takes it
			}
			end := lineEnd(log, examined)
			if !t.Next(Pos{Line: lineOf(examined), Offset: int64(examined)}, log[examined:end]) {
				break
			}
			examined = end + 1
		}
		// The lines up to the next code's, while a failure may recover.
		next := len(log)
		if i < len(matches) {
			next = matches[i].Line.Start
		}
		for at := examined; at < next; {
			end := lineEnd(log, at)
			if _, _, ok := t.Watching(); ok && RecoveryHint(log[at:end]) {
				t.Watch(Pos{Offset: int64(at)}, log[at:end])
			}
			at = end + 1
		}
	}
	return t
}

// attributions sums up the failed jobs: which instance each code went to.
func attributions(t *Tracker) string {
	var b strings.Builder
	for _, j := range t.Failed() {
		fmt.Fprintf(&b, "%q root %v@%d %q codes %v failures %d recovered %d\n", j.Instance, j.Root, j.RootLine, j.RootMessage, j.Codes, j.Failures, j.Recovered)
	}
	return b.String()
}

// The engine's windowed feeding names the same failed jobs, with the
// same codes and causes, as feeding every line.
func TestWindowedFeedingAttributesAsAllLines(t *testing.T) {
	for name, log := range map[string]string{"odpscmd": odpscmdLog, "far": farLog(), "long": longJobLog(3 * Window)} {
		all, windowed := attributions(track(log)), attributions(trackWindowed([]byte(log)))
		if all != windowed {
			t.Errorf("%s: every line:\n%s\nwindowed:\n%s", name, all, windowed)
		}
	}
}

// farLog has an instance announced more than Window bytes before a code,
// with other lines between: the code belongs to no instance.
func farLog() string {
	var b strings.Builder
	b.WriteString("odps@ p_far>select 1;\nID = 20261201090100001gb7kq1m1\n")
	for i := 0; b.Len() < Window+100; i++ {
		fmt.Fprintf(&b, "2026-12-01 09:%02d:%02d INFO scheduler: 12 tasks waiting\n", i/60%60, i%60)
	}
	b.WriteString("FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n")
	b.WriteString("ID = 20261201090100002gb7kq1m2\nFAILED: ODPS-0130161:[1,1] Parse exception - y\n")
	return b.String()
}

func TestAttributionStopsAtWindow(t *testing.T) {
	tr := trackWindowed([]byte(farLog()))
	failed := tr.Failed()
	if len(failed) != 2 || failed[1].Instance != "20261201090100002gb7kq1m2" || failed[0].Instance != "" ||
		failed[0].Root != mustCode(t, "ODPS-0130071") || failed[0].Project != "" {
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

func TestLookBack(t *testing.T) {
	const x, y = "20261201090240093gb7kq1m5", "20261201090240093gb7kq1m6"
	log := []byte("ID = " + y + "\nodps@ p>select 1;\nID = " + x + "\nLog view:\nhttps://lv.example.com/logview/?p=p&i=" + x + "&token=t\n" +
		"Query " + y + " polled\ninstance " + x + " status=Running\n2026-12-01 09:02:44 M1_job_0:0/0/1[0%]\n")
	b := walkBack(log, 0, LookBack(log, 0, len(log), true))
	for _, c := range []struct {
		what string
		span Span
		want string
	}{
		{"named", b.Named, "instance " + x + " status=Running"},
		{"ID", b.ID, x},
		{"first", b.First, "ID = " + x},
		{"LogView", b.LogView, "https://lv.example.com/logview/?p=p&i=" + x + "&token=t"},
		{"prompt", b.Prompt, "odps@ p>select 1;"},
	} {
		if got := string(c.span.Of(log)); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
	// Without walkBack, no First or LogView. A line that starts before from is not read.
	if b := LookBack(log, 0, len(log), true); !b.First.Empty() || !b.LogView.Empty() || b.Named.Empty() {
		t.Errorf("without walkBack: %+v", b)
	}
	if b := walkBack(log, len(log)-60, LookBack(log, len(log)-60, len(log), true)); !b.Named.Empty() {
		t.Errorf("from inside the instance's line: %+v", b)
	}
	// The prompt after the last instance.
	tail := append(append([]byte{}, log...), "odps@ p>select 2;\n"...)
	if b := walkBack(tail, 0, LookBack(tail, 0, len(tail), true)); string(b.Prompt.Of(tail)) != "odps@ p>select 2;" {
		t.Errorf("prompt: %q", b.Prompt.Of(tail))
	}
}

// The windowed feeding attributes every code as feeding every line does,
// whatever the log; LookBack's spans are lines of the range.
func FuzzLookBack(f *testing.F) {
	f.Add([]byte(odpscmdLog), 0)
	f.Add([]byte(farLog()), 7)
	f.Add([]byte(odpscmdOKLog), 3)
	// A long run of progress lines in less than a window: every line's
	// feeding is compared there too.
	long := longJobLog(LongRun + 200)
	f.Add([]byte(long[:strings.Index(long, "FAILED")+60]), 2)
	f.Fuzz(func(t *testing.T, log []byte, from int) {
		if from < 0 || from > len(log) || len(log) > 4*Window {
			return
		}
		b := walkBack(log, from, LookBack(log, from, len(log), true))
		for _, s := range []Span{b.Named, b.First, b.LogView, b.Prompt} {
			if s.Empty() {
				continue
			}
			if s.Start < from || s.End > len(log) || s.Start > 0 && log[s.Start-1] != '\n' || bytes.IndexByte(s.Of(log), '\n') >= 0 {
				t.Fatalf("span %v is not a line of [%d, %d) in %q", s, from, len(log), log)
			}
		}
		if !b.Named.Empty() && !isInstanceID(b.ID.Of(log)) {
			t.Fatalf("ID %q", b.ID.Of(log))
		}
		w := attributions(trackWindowed(log))
		if a := attributions(track(string(log))); a != w && len(log) < Window {
			t.Fatalf("every line:\n%s\nwindowed:\n%s", a, w)
		}
		// The daemon's feeding, a chunk of lines at a time.
		if c := attributions(trackChunks(log, []int{from%5 + 1, from%3 + 1}, nil)); c != w {
			t.Fatalf("in chunks of %d and %d lines:\n%s\nwindowed:\n%s", from%5+1, from%3+1, c, w)
		}
	})
}

// Found by review: the prompt of the statement an instance ran for names
// its project; the windowed feeding reads it when it reads where the
// instance was first announced.
func TestWindowedKeepsTheStatementsProject(t *testing.T) {
	log := "odps@ p_beta>select 1;\nID = 20261201090100001gb7kq1m1\nJob Queueing...\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n"
	for name, tr := range map[string]*Tracker{"every line": track(log), "windowed": trackWindowed([]byte(log))} {
		jobs := tr.Failed()
		if len(jobs) != 1 || jobs[0].Instance != "20261201090100001gb7kq1m1" || jobs[0].Project != "p_beta" {
			t.Errorf("%s: %s", name, attributions(tr))
		}
	}
}

func TestDigits8(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			b := []byte("01234567")
			b[pos] = byte(c)
			want := '0' <= c && c <= '9'
			if got := digits8(b); got != want {
				t.Fatalf("digits8(%q) = %v", b, got)
			}
		}
	}
}

// LookBackFor finds an instance's announcements past another instance's
// (jobs interleave), and only whole, announced IDs.
func TestLookBackFor(t *testing.T) {
	const a = "20261201100000001gjoba"
	log := "Instance ID: " + a + "\n" +
		"Log view: https://logview.example.com/logview/?p=p_sales&i=" + a + "&token=x\n" +
		"Instance ID: 20261201100000002gjobb\n" +
		"copied " + a + " to the report\n" + // not announced
		"Instance ID: " + a + "7\n" + // another, longer ID
		"instance " + a + " running\n" +
		"Instance ID: 20261201100000002gjobb running\n"
	b := LookBackFor([]byte(log), 0, len(log), []byte(a))
	lines := strings.Split(log, "\n")
	spanLine := func(s Span) string { return string(s.Of([]byte(log))) }
	if spanLine(b.First) != lines[0] || spanLine(b.LogView) != lines[1] || spanLine(b.Named) != lines[5] || string(b.ID.Of([]byte(log))) != a {
		t.Errorf("first %q, logview %q, named %q", spanLine(b.First), spanLine(b.LogView), spanLine(b.Named))
	}
	if b := LookBackFor([]byte(log), len(lines[0])+1, len(log), []byte(a)); spanLine(b.First) != lines[1] {
		t.Errorf("from the second line: first %q", spanLine(b.First))
	}
	if b := LookBackFor([]byte(log), 0, len(log), []byte("20261201100000009gnone")); !b.Named.Empty() {
		t.Errorf("an ID the log does not hold: %+v", b)
	}
}

// A code whose line names an instance announced before another's gets
// that announcement's project and link, in every way of feeding.
func TestInterleavedJobsKeepTheirLinks(t *testing.T) {
	log := pyodpsInterleaved
	for name, tr := range map[string]*Tracker{"every line": track(log), "windowed": trackWindowed([]byte(log)),
		"chunks of 1": trackChunks([]byte(log), []int{1}, nil), "chunks of 2": trackChunks([]byte(log), []int{2}, nil)} {
		jobs := tr.Failed()
		if len(jobs) != 2 || jobs[0].Project != "p_sales" || !strings.Contains(jobs[0].LogView, "i=20261201100000001gjoba") || jobs[1].Project != "p_ops" {
			t.Errorf("%s:", name)
			for _, j := range jobs {
				t.Errorf("  %s %s %s", j.Instance, j.Project, j.LogView)
			}
		}
	}
}

const pyodpsInterleaved = `2026-12-01 10:00:00 INFO Instance ID: 20261201100000001gjoba
2026-12-01 10:00:00 INFO Log view: https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_sales&i=20261201100000001gjoba&token=x
2026-12-01 10:00:01 INFO Instance ID: 20261201100000002gjobb project=p_ops
2026-12-01 10:00:02 ERROR instance 20261201100000001gjoba failed: ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved
2026-12-01 10:00:03 ERROR instance 20261201100000002gjobb failed: ODPS-0420095: Access Denied - no privilege
`

// lookBackForByLastIndex is LookBackFor as it was first written, with
// bytes.LastIndex: the reference its forward search is checked against.
func lookBackForByLastIndex(buf []byte, from, to int, id []byte) Before {
	var b Before
	for hi := to; hi > from && len(id) > 0; {
		k := bytes.LastIndex(buf[from:hi], id)
		if k < 0 {
			break
		}
		s := Span{from + k, from + k + len(id)}
		hi = s.Start
		if s.Start > from && isWord(buf[s.Start-1]) || s.End < len(buf) && isWord(buf[s.End]) || !announced(buf, from, s) {
			continue
		}
		line, inside := lineOf(buf, from, s)
		if !inside {
			break
		}
		logView := isLogViewID(buf, from, s)
		if b.Named.Empty() {
			b.Named, b.ID, b.NamedLogView = line, s, logView
		}
		b.First = line
		if logView {
			b.LogView = line
		}
		hi = line.Start
	}
	if !b.First.Empty() {
		b.Statement = lastPrompt(buf, from, b.First.Start)
	}
	return b
}

// LookBackFor finds what the search by bytes.LastIndex found, on windows
// where the ID comes many times: announced or not, several times on a
// line, inside longer words, overlapping itself, cut by the window's ends.
func TestLookBackForAsLastIndex(t *testing.T) {
	ids := []string{"20261201090240093gb7kq1m5", "20261201090240093g", "2026120109024009320261201090240093"} // the last overlaps itself
	pieces := []string{"Instance ID: %s\n", "ID = %s\n", "x%s ", "%s%s\n", "odps@ p_beta>select 1;\n",
		"http://logview.odps.aliyun.com/logview/?h=x&p=p_beta&i=%s&token=abc\n", "2026-12-01 09:02:44 INFO running\n", "%s"}
	rng := rand.New(rand.NewPCG(1, 2))
	named := 0
	for n := range 20000 {
		id := ids[rng.IntN(len(ids))]
		var b strings.Builder
		for range rng.IntN(30) {
			p := pieces[rng.IntN(len(pieces))]
			b.WriteString(strings.ReplaceAll(p, "%s", id))
		}
		buf := []byte(b.String())
		from, to := 0, len(buf)
		if len(buf) > 0 {
			from = rng.IntN(len(buf) + 1)
			to = from + rng.IntN(len(buf)-from+1)
		}
		want := lookBackForByLastIndex(buf, from, to, []byte(id))
		if !want.Named.Empty() && want.Named != want.First {
			named++
		}
		if got := LookBackFor(buf, from, to, []byte(id)); got != want {
			t.Fatalf("case %d, [%d, %d) of %q for %s:\ngot  %+v\nwant %+v", n, from, to, buf, id, got, want)
		}
	}
	if named < 1000 {
		t.Errorf("only %d cases found an instance announced on two lines or more: the test shows little", named)
	}
}

// BenchmarkLookBackFor looks back through the window of each line of a
// generated log that names an instance, for it, as a reader does for an
// instance new to the tracker.
func BenchmarkLookBackFor(b *testing.B) {
	data := genlogData(b, 16<<20)
	type named struct {
		at int
		id []byte
	}
	var lines []named
	for at := 0; at < len(data); {
		k := bytes.IndexByte(data[at:], '\n')
		if k < 0 {
			break
		}
		if id := lastInstance(data[at : at+k]).Of(data[at : at+k]); len(id) > 0 && at >= Window {
			lines = append(lines, named{at, id})
		}
		at += k + 1
	}
	b.SetBytes(int64(len(lines)) * Window)
	b.ReportAllocs()
	found := 0
	for b.Loop() {
		found = 0
		for _, l := range lines {
			if !LookBackFor(data, l.at-Window, l.at, l.id).Named.Empty() {
				found++
			}
		}
	}
	b.ReportMetric(float64(len(lines)), "lines")
	b.ReportMetric(float64(found), "found")
}
