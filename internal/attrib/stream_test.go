package attrib

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// chunkLines splits log into chunks of whole lines: sizes[i%len(sizes)]
// lines for the i-th.
func chunkLines(log []byte, sizes []int) [][]byte {
	var out [][]byte
	for i := 0; len(log) > 0; i++ {
		end := 0
		for range max(sizes[i%len(sizes)], 1) {
			if end == len(log) {
				break
			}
			end = nextLine(log, end)
		}
		out = append(out, log[:end])
		log = log[end:]
	}
	return out
}

// codeLines finds the lines of chunk with codes, as the daemon's pipeline
// gives them to Chunk.
func codeLines(chunk []byte) []CodeLine {
	var sc scan.Scanner
	var out []CodeLine
	for _, m := range sc.Scan(nil, chunk) {
		if n := len(out); n == 0 || out[n-1].Line != m.Line {
			out = append(out, CodeLine{Line: m.Line, Newlines: m.Newlines, NoAt: m.NoAt})
		}
		l := &out[len(out)-1]
		l.Codes = append(l.Codes, CodeAt{m.Code, m.Offset - m.Line.Start})
	}
	return out
}

// trackChunks feeds log to a Stream in chunks of whole lines, every other
// one read by Prepare first, as a worker does; charged collects, line by
// line, the codes that began a failure.
func trackChunks(log []byte, sizes []int, charged *[]string) *Tracker {
	s := NewStream(NewTracker())
	for i, chunk := range chunkLines(log, sizes) {
		lines := codeLines(chunk)
		var p Prepared
		if i%2 == 1 {
			p = Prepare(chunk, lines, newlinesOf(chunk))
		}
		s.Chunk(chunk, lines, p, func(i int, j *Job, started []scan.Code) {
			if charged != nil {
				*charged = append(*charged, fmt.Sprintf("%s %v", j.Instance, started))
			}
		})
	}
	return s.T
}

// pyodpsLog prints one failure twice (the exception's header, then the
// message) and a second job's failure; its message goes on after the
// code's line.
const pyodpsLog = `2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gpyodps01
2026-12-01 10:00:09,002 INFO Instance ID: 20261201100000001gpyodps01 status SUCCESS
2026-12-01 10:01:00,003 INFO Instance ID: 20261201100100002gpyodps02
Traceback (most recent call last):
  File "job.py", line 9, in <module>
    inst.wait_for_success()
odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100100002gpyodps02
ODPS-0130071:[1,8] Semantic analysis exception - column foo cannot be resolved
  in the select list of the query
2026-12-01 10:02:00,004 INFO Instance ID: 20261201100200003gpyodps03
2026-12-01 10:02:30,005 ERROR ODPS-0420095: Access Denied - no privilege 'odps:Select'
`

// Chunks of any number of lines name the same jobs as the windowed
// feeding of the whole log (the engine's), itself checked against
// feeding every line.
func TestStreamChunksAttributeAsWindowed(t *testing.T) {
	logs := map[string]string{"odpscmd": odpscmdLog, "far": farLog(), "pyodps": pyodpsLog, "long": longJobLog(3 * Window),
		"unended": strings.TrimSuffix(pyodpsLog, "\n")}
	for name, log := range logs {
		want := attributions(trackWindowed([]byte(log)))
		if want == "" {
			t.Fatalf("%s: no failed job", name)
		}
		for _, sizes := range [][]int{{1}, {2}, {3, 1}, {7}, {1 << 20}} {
			if got := attributions(trackChunks([]byte(log), sizes, nil)); got != want {
				t.Errorf("%s in chunks of %v lines:\n%s\nwant:\n%s", name, sizes, got, want)
			}
		}
	}
}

// Charged tells each line's job and the codes that began a failure: a
// code printed again in the same failure begins none.
func TestStreamCharged(t *testing.T) {
	var charged []string
	tr := trackChunks([]byte(pyodpsLog), []int{2}, &charged)
	want := []string{
		"20261201100100002gpyodps02 [ODPS-0130071]", // the exception's header
		"20261201100100002gpyodps02 []",             // its message: the same failure
		"20261201100200003gpyodps03 [ODPS-0420095]",
	}
	if !slices.Equal(charged, want) {
		t.Errorf("charged %q, want %q", charged, want)
	}
	jobs := tr.Failed()
	if len(jobs) != 2 || jobs[0].Failures != 1 || jobs[0].Codes[0].Count != 2 ||
		jobs[0].RootMessage != "[1,8] Semantic analysis exception - column foo cannot be resolved in the select list of the query" {
		t.Errorf("jobs:\n%s", attributions(tr))
	}
}

// A stream tracker keeps the instances named most recently: a new one
// past its bound forgets the one named least recently, and an instance
// forgotten and failing again is a new failure.
func TestStreamTrackerForgetsTheOldest(t *testing.T) {
	tr := NewStreamTracker(2)
	s := NewStream(tr)
	var log bytes.Buffer
	for i := range 3 {
		fmt.Fprintf(&log, "Instance ID: 2026120110000000%dgjob\nFAILED: ODPS-0130071:[1,8] x\n", i)
	}
	fmt.Fprintf(&log, "Instance ID: 20261201100000000gjob\nFAILED: ODPS-0130071:[1,8] x\n")
	var started int
	s.Chunk(log.Bytes(), codeLines(log.Bytes()), Prepared{}, func(_ int, _ *Job, codes []scan.Code) { started += len(codes) })
	if tr.EvictedJobs != 2 || len(tr.Jobs()) != 2 || tr.DroppedJobs != 0 {
		t.Errorf("evicted %d, kept %d, dropped %d; want 2, 2, 0", tr.EvictedJobs, len(tr.Jobs()), tr.DroppedJobs)
	}
	if started != 4 {
		t.Errorf("%d failures began, want 4 (the first instance again after it was forgotten)", started)
	}
	if jobs := tr.Jobs(); jobs[0].Instance != "20261201100000002gjob" || jobs[1].Instance != "20261201100000000gjob" {
		t.Errorf("kept %s and %s", jobs[0].Instance, jobs[1].Instance)
	}
}

// Found by review: a chunk ending in a line cut short (no '\n') was
// copied whole into a buffer the stream kept: memory past its bound.
func TestStreamKeepsNoLongLine(t *testing.T) {
	s := NewStream(NewStreamTracker(4))
	long := append([]byte("x ODPS-0130071:[1,8] y "), bytes.Repeat([]byte("z"), 1<<20)...)
	s.Chunk(long, codeLines(long), Prepared{}, nil)
	s.Chunk([]byte("after\n"), nil, Prepared{}, nil)
	if hist, _ := s.History(); len(hist) > Window || cap(s.scratch) > 2*Window {
		t.Errorf("the stream keeps %d bytes of history and a %d-byte buffer", len(hist), cap(s.scratch))
	}
}

// Found by review: the scanner's line spans leave a CRLF line's '\r'
// out, so the line right after a code line looked one byte late and its
// exception went to another job than its log line's.
func TestCRLFKeepsTheErrorBlock(t *testing.T) {
	log := "2026-12-01 03:00:00,100 INFO Instance ID: 20261201030000310g8c2rrq1m\n" +
		"2026-12-01 03:05:00,200 ERROR job failed: ODPS-0010000:System internal error - fuxi job failed\n" +
		"com.aliyun.odps.OdpsException: ODPS-0123144: Fuxi job failed - Job killed: SigKill(OOM)\n"
	lf := attributions(trackChunks([]byte(log), []int{3}, nil))
	crlf := attributions(trackChunks([]byte(strings.ReplaceAll(log, "\n", "\r\n")), []int{3}, nil))
	if lf != crlf || strings.Count(lf, "\n") != 1 {
		t.Errorf("LF:\n%s\nCRLF:\n%s", lf, crlf)
	}
}

// newlinesOf counts chunk's '\n's as the pipeline's scan does, for
// Prepare.
func newlinesOf(chunk []byte) int {
	_, n := scan.Scanner{}.ScanLines(nil, chunk)
	return n
}

// feedPrepared feeds log to a stream tracker of maxJobs jobs in chunks of
// sizes lines, preparing the chunks prep picks, and returns the jobs and
// each line's job and the codes that began a failure.
func feedPrepared(log []byte, sizes []int, prep func(i int) bool, maxJobs int) string {
	s := NewStream(NewStreamTracker(maxJobs))
	var charged []string
	for i, chunk := range chunkLines(log, sizes) {
		lines := codeLines(chunk)
		var p Prepared
		if prep(i) {
			p = Prepare(chunk, lines, newlinesOf(chunk))
		}
		n := s.Chunk(chunk, lines, p, func(_ int, j *Job, started []scan.Code) {
			if j == nil {
				charged = append(charged, "nil")
				return
			}
			charged = append(charged, fmt.Sprintf("%s/%s %v", j.Instance, j.Project, started))
		})
		charged = append(charged, fmt.Sprintf("%d lines", n))
	}
	return attributions(s.T) + strings.Join(charged, "\n")
}

// Chunks read by Prepare first find the same jobs, lines' jobs and
// failures as chunks read without it, on random logs of jobs that
// interleave, are announced again, fail, continue their messages and
// print LogView links, with lines long enough that windows reach back
// past chunks, and trackers of 1 to 4 jobs (new instances, evicted ones).
// (Written by a review.)
func TestPrepareAsUnprepared(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ids := []string{"20261201090100001gaaaa01", "20261201090100002gbbbb02", "20261201090100003gcccc03", "20261201090100004gdddd04"}
	pad := func(n int) string { return strings.Repeat("M1_job_0:0/0/1[0%] ", n/19+1) }
	bad, nontriv := 0, 0
	for n := range 1500 {
		var b strings.Builder
		for range 5 + rng.IntN(40) {
			id := ids[rng.IntN(len(ids))]
			switch rng.IntN(14) {
			case 0:
				fmt.Fprintf(&b, "odps@ p_%d>select 1;\n", rng.IntN(3))
			case 1:
				fmt.Fprintf(&b, "ID = %s\n", id)
			case 2:
				fmt.Fprintf(&b, "2026-12-01 10:00:00,001 INFO Instance ID: %s\n", id)
			case 3:
				fmt.Fprintf(&b, "2026-12-01 10:00:01,002 ERROR ODPS-0130071: [1,8] Semantic analysis exception\n")
			case 4:
				fmt.Fprintf(&b, "ODPS-0420095: Access Denied - no privilege\n")
			case 5:
				fmt.Fprintf(&b, "  continuation of the message %d\n", rng.IntN(9))
			case 6:
				fmt.Fprintf(&b, "Caused by: ODPS-0130071: inner\n")
			case 7:
				fmt.Fprintf(&b, "FAILED: ODPS-0130071: InstanceId: %s\n", id)
			case 8:
				fmt.Fprintf(&b, "http://logview.odps.aliyun.com/logview/?h=http://service&p=p_lv&i=%s&token=abc\n", id)
			case 9, 10:
				b.WriteString(pad(rng.IntN(4000)) + "\n")
			case 11:
				b.WriteString(pad(rng.IntN(9000)) + "\n")
			case 12:
				fmt.Fprintf(&b, "retrying job %s ... Job got killed ODPS-0123105: Job got killed\n", id)
			default:
				b.WriteString("\n")
			}
		}
		log := []byte(b.String())
		sizes := []int{1 + rng.IntN(5), 1 + rng.IntN(30)}
		mj := 1 + rng.IntN(4)
		want := feedPrepared(log, sizes, func(int) bool { return false }, mj)
		if strings.Contains(want, "[ODPS") && len(log) > 2*Window {
			nontriv++
		}
		for _, p := range []func(int) bool{func(int) bool { return true }, func(i int) bool { return i%2 == 0 }} {
			if got := feedPrepared(log, sizes, p, mj); got != want {
				bad++
				if bad < 3 {
					t.Errorf("case %d sizes %v: prepared\n%s\nunprepared\n%s", n, sizes, got, want)
				}
			}
		}
	}
	t.Logf("%d of 1500 logs longer than two windows named a failure", nontriv)
	if nontriv < 300 {
		t.Errorf("only %d logs longer than two windows named a failure: the test shows little", nontriv)
	}
}

// Found by review: the history keeps no line longer than Window, nor the
// '\n' Chunk adds to a last line without one; the line before the next
// chunk's first is still known: where it starts (a run of progress lines
// ends there) and whether it starts a record.
func TestStreamAfterALineLongerThanTheHistory(t *testing.T) {
	lv := "http://logview.odps.aliyun.com/logview/?h=http://service&p=p_lv&i=20261201090100001gaaaa01&token=abc\n"
	prog := "2026-12-01 09:00:00 " + strings.Repeat("y", Window) + " M1_job_0:0/0/4[0%]"
	code := "FAILED: ODPS-0123049:buffer overflow - row exceeds 8 MB\n"
	long := "FAILED: ODPS-0123049:buffer overflow\n2026-12-01 09:00:00 INFO " + strings.Repeat("z", Window) +
		"\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception\n"
	for _, c := range []struct {
		name   string
		chunks []string
	}{
		{"an unended progress line", []string{lv, prog, code}},
		{"a record", []string{long}},
	} {
		// The stream: Chunk takes a chunk's last line as ended.
		var log string
		for _, chunk := range c.chunks {
			log += strings.TrimSuffix(chunk, "\n") + "\n"
		}
		want := attributions(trackWindowed([]byte(log)))
		s := NewStream(NewTracker())
		for _, chunk := range c.chunks {
			s.Chunk([]byte(chunk), codeLines([]byte(chunk)), Prepared{}, nil)
		}
		if got := attributions(s.T); got != want {
			t.Errorf("%s, in the given chunks:\n%s\nwant:\n%s", c.name, got, want)
		}
		for _, sizes := range [][]int{{1}, {2}} {
			if got := attributions(trackChunks([]byte(log), sizes, nil)); got != want {
				t.Errorf("%s, in chunks of %v lines:\n%s\nwant:\n%s", c.name, sizes, got, want)
			}
		}
	}
	if jobs := trackWindowed([]byte(long)).Failed(); len(jobs) != 1 || jobs[0].Failures != 2 {
		t.Errorf("a failure after a new record is not a second one:\n%s", attributions(trackWindowed([]byte(long))))
	}
}
