package attrib

import (
	"fmt"
	"math/rand/v2"
	"regexp"

	"strings"
	"testing"
)

// longJobLog is odpscmd's output of a statement whose job fails after
// running for a while: its ID and LogView, then progress lines, far more
// than Window bytes of them (n), then FAILED; then a second statement,
// whose instance is announced far before its failure, with other lines
// between.
func longJobLog(n int) string {
	var b strings.Builder
	b.WriteString("odps@ p_long>insert overwrite table t select * from s;\nID = 20261201090100001gb7kq1m1\nLog view:\n" +
		"http://logview.odps.aliyun.com/logview/?h=http://service.example.com/api&p=p_long&i=20261201090100001gb7kq1m1&token=dG9rZW4tbG9uZw==\n" +
		"Job Queueing...\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-12-01 09:%02d:%02d M1_job_0:%d/0/4[0%%]\tR2_1_job_0:0/0/1[0%%]\n", i/60%60, i%60, i%4)
	}
	b.WriteString("FAILED: ODPS-0123049:buffer overflow - join J3_1_2 output row exceeds 8 MB\n")
	b.WriteString(farLog())
	return b.String()
}

// A run of progress lines does not count against a code's window: the job
// that was running when it started fails at its end, with its LogView
// and project.
func TestProgressKeepsTheJob(t *testing.T) {
	for _, n := range []int{LongRun + 100, 3 * Window, 40 * Window} {
		tr := trackWindowed([]byte(longJobLog(n)))
		failed := tr.Failed()
		if len(failed) != 3 || failed[0].Instance != "20261201090100001gb7kq1m1" || failed[0].Project != "p_long" ||
			!strings.Contains(failed[0].LogView, "i=20261201090100001gb7kq1m1") || failed[0].Root != mustCode(t, "ODPS-0123049") ||
			failed[1].Instance != "" || failed[2].Instance != "20261201090100002gb7kq1m2" {
			t.Errorf("%d bytes of progress: want the long job named, the far one not:\n%s", n, attributions(tr))
		}
		if all := attributions(track(longJobLog(n))); all != attributions(tr) {
			t.Errorf("%d bytes of progress: every line:\n%s\nwindowed:\n%s", n, all, attributions(tr))
		}
	}
}

func TestIsProgress(t *testing.T) {
	for line, want := range map[string]bool{
		"2026-11-20 10:00:00 M1_job_0:0/0/4[0%]  R2_1_job_0:0/0/1[0%]":           true,
		"2015-08-06 15:04:47 M1_Stg1_job0:0/1/1[0%]\tR2_1_Stg1_job0:0/0/1[0%]\r": true,
		"M1_job_0:12/3/40[100%] ": true,
		"2026-11-20 10:00:00 INFO  2026-11-20 10:00:00 J3_1_2_job_0:1/1/1[100%]": true,
		"M1_job_0:0/0/4[0%] ODPS-0123049 x:1/1/1[1%]":                            false, // a code
		"M1_job_0:0/0/4[0%] done":                                                false,
		"M1_job_0:0/4[0%]":                                                       false,
		"M1_job_0:0/0/4[%]":                                                      false,
		"M1_job_0:0/0/4[0]":                                                      false,
		":0/0/4[0%]":                                                             false,
		"a b:0/0/4[0%]x":                                                         false,
		"a-b:0/0/4[0%]":                                                          false,
		"":                                                                       false,
		"[0%]":                                                                   false,
	} {
		if got := IsProgress([]byte(line)); got != want {
			t.Errorf("IsProgress(%q) = %v, want %v", line, got, want)
		}
	}
}

// randomLongJobs returns a log of odpscmd statements with runs of
// progress lines of lengths around LongRun and Window, some broken by
// other lines, some lines longer than Window, CRLF or LF, the last line
// ended or not. (From a review's generator.)
func randomLongJobs(rng *rand.Rand) string {
	var b strings.Builder
	nl := "\n"
	if rng.IntN(6) == 0 {
		nl = "\r\n"
	}
	progress := func(i int) string {
		switch rng.IntN(10) {
		case 0:
			return fmt.Sprintf("M1_job_0:%d/0/4[0%%]", i%5)
		case 1:
			return fmt.Sprintf("2026-12-01 09:00:%02d %s M1_job_0:0/0/4[0%%]", i%60, strings.Repeat("x", rng.IntN(300)))
		case 2:
			if rng.IntN(4) == 0 {
				return fmt.Sprintf("2026-12-01 09:00:00 %s R2_1_job_0:0/0/1[0%%]", strings.Repeat("y", Window+rng.IntN(600)))
			}
		}
		return fmt.Sprintf("2026-12-01 09:%02d:%02d M1_job_0:%d/0/4[0%%]\tR2_1_job_0:0/0/1[0%%]", i/60%60, i%60, i%4)
	}
	runs := []int{100, LongRun - 60, LongRun, LongRun + 80, Window - 50, Window + 50, 3 * Window}
	for st := range 1 + rng.IntN(5) {
		id := fmt.Sprintf("2026120109%07dg%04d", rng.IntN(1e7), st)
		if rng.IntN(4) > 0 {
			fmt.Fprintf(&b, "odps@ p_%d>insert overwrite table t select * from s;%s", st, nl)
		}
		if rng.IntN(5) > 0 {
			fmt.Fprintf(&b, "ID = %s%s", id, nl)
		}
		if rng.IntN(3) > 0 {
			fmt.Fprintf(&b, "Log view:%shttp://logview.odps.aliyun.com/logview/?h=http://service&p=p_lv%d&i=%s&token=abc%s", nl, st, id, nl)
		}
		for range 1 + rng.IntN(3) {
			if rng.IntN(4) == 0 {
				fmt.Fprintf(&b, "2026-12-01 09:00:00 INFO %s%s", strings.Repeat("z", rng.IntN(5000)), nl)
			}
			n := runs[rng.IntN(len(runs))] + rng.IntN(40) - 20
			for start, i := b.Len(), 0; b.Len()-start < n; i++ {
				b.WriteString(progress(i) + nl)
			}
		}
		switch rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "FAILED: ODPS-0130071: InstanceId: %s%s", id, nl)
		case 1:
			fmt.Fprintf(&b, "OK%s", nl)
		default:
			fmt.Fprintf(&b, "FAILED: ODPS-0123049:buffer overflow - row exceeds 8 MB%s", nl)
		}
	}
	if rng.IntN(5) == 0 {
		return strings.TrimRight(b.String(), "\r\n")
	}
	return b.String()
}

// jobsSummary sums up the failed jobs; without their last lines, where
// feeding every line may read one more.
func jobsSummary(t *Tracker, lastLines bool) string {
	var b strings.Builder
	for _, j := range t.Failed() {
		fmt.Fprintf(&b, "%q %q line %d lv %q root %v@%d %q codes %v failures %d\n", j.Instance, j.Project, j.FirstLine, j.LogView, j.Root, j.RootLine, j.RootMessage, j.Codes, j.Failures)
		if lastLines {
			fmt.Fprintf(&b, "  last line %d\n", j.LastLine)
		}
	}
	return b.String()
}

// Random logs of long jobs name the same jobs, line numbers and all, in
// chunks of any lines (with and without Prepare, chunks that end without
// their '\n') as in the windowed reading.
func TestLongRunsAsWindowed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 37))
	named, bad := 0, 0
	for n := range 400 {
		log := randomLongJobs(rng)
		want := jobsSummary(trackWindowed([]byte(log)), true)
		if strings.Contains(want, `"2026`) {
			named++
		}
		if len(log) < Window {
			// Feeding every line knows what was announced further back
			// (FuzzLookBack compares them within a window too).
			if all, w := jobsSummary(track(log), false), jobsSummary(trackWindowed([]byte(log)), false); all != w {
				bad++
				t.Errorf("log %d: every line:\n%s\nwindowed:\n%s", n, all, w)
			}
		}
		for _, sizes := range [][]int{{1}, {3, 1}, {1 << 20}, {1 + rng.IntN(4), 1 + rng.IntN(20)}} {
			for i, prep := range []func(int) bool{func(int) bool { return false }, func(int) bool { return true }, func(i int) bool { return i%2 == 1 }} {
				for _, unended := range []bool{false, true} {
					s := NewStream(NewTracker())
					for k, chunk := range chunkLines([]byte(log), sizes) {
						if unended {
							chunk = []byte(strings.TrimSuffix(string(chunk), "\n"))
						}
						lines := codeLines(chunk)
						var p Prepared
						if prep(k) {
							p = Prepare(chunk, lines, newlinesOf(chunk))
						}
						s.Chunk(chunk, lines, p, nil)
					}
					if got := jobsSummary(s.T, true); got != want {
						if bad++; bad < 4 {
							t.Errorf("log %d in chunks of %v lines, prepared %d, unended %v:\n%s\nwant:\n%s", n, sizes, i, unended, got, want)
						}
					}
				}
			}
		}
	}
	if named < 100 {
		t.Errorf("only %d of 400 logs named a job: the test shows little", named)
	}
}

// progressLineRE is what IsProgress reads, but for the codes.
var progressLineRE = regexp.MustCompile(`(^|[ \t])[A-Za-z0-9_]+:[0-9]+/[0-9]+/[0-9]+\[[0-9]+%\][ \t\r]*$`)

// The shape of a progress line is read as the expression says, on random
// lines of the bytes that matter.
func TestProgressShapeAsTheExpression(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const alphabet = "M1_job0:/[]%% \t\r9x-"
	matched := 0
	for n := range 200_000 {
		var b []byte
		if n%2 == 0 {
			b = append(b, "2026-12-01 09:00:05 M1_job_0:1/0/4[0%]"[:rng.IntN(39)]...)
		}
		for range rng.IntN(20) {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		if n%3 == 0 {
			b = append(b, " R2_1_job_0:0/0/1[0%]"[rng.IntN(21):]...)
		}
		got, want := progressShape(b), progressLineRE.Match(b)
		if got != want {
			t.Fatalf("progressShape(%q) = %v, want %v", b, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < 10_000 {
		t.Errorf("only %d of the random lines are progress lines: the test shows little", matched)
	}
}
