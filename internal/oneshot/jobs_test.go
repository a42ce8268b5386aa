package oneshot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/attrib"
)

// jobsOf sums up the failed jobs of every input of r.
func jobsOf(r *Report) string {
	var b strings.Builder
	for _, f := range r.Files {
		for _, j := range f.Jobs() {
			if !j.Failed() {
				continue
			}
			fmt.Fprintf(&b, "%s: %q %q lines %d-%d %q-%q lv %q req %v root %v@%d %q %q codes %v folded %d\n", f.Name,
				j.Instance, j.Project, j.FirstLine, j.LastLine, j.FirstTime, j.LastTime, j.LogView, j.RequestIDs,
				j.Root, j.RootLine, j.RootTime, j.RootMessage, j.Codes, j.FoldedCodes)
		}
	}
	return b.String()
}

// The jobs found do not depend on where blocks fall nor on how many
// workers scan them.
func TestJobsDoNotDependOnBlocks(t *testing.T) {
	data := examples(t)
	path := writeTemp(t, data)
	r := NewReport()
	if err := ScanFile(context.Background(), r, path, Options{BlockSize: 1 << 20, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	want := jobsOf(r)
	if strings.Count(want, "\n") < 5 {
		t.Fatalf("too few failed jobs in the examples:\n%s", want)
	}
	for _, bs := range []int{1, 7, 64, 4093, 8192} {
		for _, workers := range []int{1, 3} {
			opts := Options{BlockSize: bs, Workers: workers}
			r := NewReport()
			if err := ScanFile(context.Background(), r, path, opts); err != nil {
				t.Fatal(err)
			}
			if got := jobsOf(r); got != want {
				t.Errorf("block %d, %d workers:\n%s\nwant\n%s", bs, workers, got, want)
			}
			r = NewReport()
			if err := ScanReader(context.Background(), r, path, bytes.NewReader(data), opts); err != nil {
				t.Fatal(err)
			}
			if got := jobsOf(r); got != want {
				t.Errorf("stream, block %d, %d workers:\n%s\nwant\n%s", bs, workers, got, want)
			}
		}
	}
}

// BenchmarkJobsCost scans a generated 1 % code density log (bench/genlog's
// mix, 64 MiB) from the page cache with and without naming jobs, in turns,
// and reports what naming them costs as a share of the scan's time
// (issue 15 asks for at most 10 %).
func BenchmarkJobsCost(b *testing.B) {
	path := filepath.Join(b.TempDir(), "job.log")
	cmd := exec.Command("go", "run", "../../bench/genlog", "-size", strconv.Itoa(256<<20), "-density", "0.01", "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("genlog: %v\n%s", err, out)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	scanOnce := func(skip bool) time.Duration {
		start := time.Now()
		r := NewReport()
		if err := ScanFile(context.Background(), r, path, Options{skipJobs: skip}); err != nil {
			b.Fatal(err)
		}
		if !skip && len(r.Files[0].Jobs()) == 0 {
			b.Fatal("no jobs named")
		}
		return time.Since(start)
	}
	scanOnce(true) // the page cache
	var without, with time.Duration
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		without += scanOnce(true)
		with += scanOnce(false)
	}
	b.ReportMetric(0, "ns/op")
	// without and with add up b.N scans each.
	b.ReportMetric(float64(st.Size())*float64(b.N)/without.Seconds()/1e6, "MB/s-codes-only")
	b.ReportMetric(float64(st.Size())*float64(b.N)/with.Seconds()/1e6, "MB/s-with-jobs")
	b.ReportMetric(100*(with.Seconds()/without.Seconds()-1), "%-cost")
}

// scanJobs scans data as a stream in blocks of bs bytes.
func scanJobs(t *testing.T, data []byte, bs int) string {
	t.Helper()
	r := NewReport()
	if err := ScanReader(context.Background(), r, "x", bytes.NewReader(data), Options{BlockSize: bs, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return jobsOf(r)
}

// Found by review: a line with codes that crosses a block boundary looks
// back the whole window too (the history holds the window before it, not
// the line itself), and a line that starts before the window is not read
// as one inside it, whatever the block size.
func TestJobsWindowAtBlockBoundaries(t *testing.T) {
	// An instance 8150 bytes before a 200-byte line with a code: in the
	// window.
	var b strings.Builder
	b.WriteString("ID = 20261201090100001gb7kq1m1\n")
	for b.Len() < 8150-45 {
		b.WriteString("M1_job_0:0/0/1[0%] running\n")
	}
	for b.Len() < 8150 {
		b.WriteString("x\n")
	}
	code := "FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x "
	b.WriteString(code + strings.Repeat("y", 200-len(code)) + "\n")
	near := []byte(b.String())
	// "instance <id>" exactly Window bytes before the code's line, in a
	// line that starts 51 bytes before that: outside.
	ann := "instance 20261201090100001gb7kq1m1 "
	long := strings.Repeat("z", 50) + " " + ann
	long += strings.Repeat("p", attrib.Window+51-1-len(long))
	far := []byte(long + "\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n")
	for _, c := range []struct {
		name     string
		data     []byte
		instance string
	}{{"near", near, `"20261201090100001gb7kq1m1"`}, {"far", far, `""`}} {
		for _, bs := range []int{1 << 20, 1, 64, 100, 4096, 8000, 8192, 8200} {
			got := scanJobs(t, c.data, bs)
			if !strings.Contains(got, "x: "+c.instance+" ") {
				t.Errorf("%s, block %d: the code's job is not %s:\n%s", c.name, bs, c.instance, got)
			}
		}
	}
}

// A job that runs for a while before it fails prints far more than a
// window of progress lines between its ID and LogView and its FAILED:
// still named, with its LogView and project, whatever the blocks (the
// run crosses many of them); a second job's run broken by another line is
// not (attrib.IsProgress).
func TestLongJobsAcrossBlocks(t *testing.T) {
	var b strings.Builder
	for i, n := range []int{3 * attrib.Window, 30 * attrib.Window} {
		id := fmt.Sprintf("2026120109010000%dgb7kq1m1", i)
		fmt.Fprintf(&b, "odps@ p_long%d>insert overwrite table t select * from s;\nID = %s\nLog view:\n"+
			"http://logview.odps.aliyun.com/logview/?h=http://service.example.com/api&p=p_long%d&i=%s&token=dG9rZW4tbG9uZw==\nJob Queueing...\n", i, id, i, id)
		for start := b.Len(); b.Len()-start < n; {
			fmt.Fprintf(&b, "2026-12-01 09:%02d:%02d M1_job_0:0/0/4[0%%]\tR2_1_job_0:0/0/1[0%%]\n", b.Len()/60%60, b.Len()%60)
		}
		b.WriteString("FAILED: ODPS-0123049:buffer overflow - join J3_1_2 output row exceeds 8 MB\n")
	}
	b.WriteString("odps@ p_broken>select 1;\nID = 20261201090100009gb7kq1m9\n")
	for start := b.Len(); b.Len()-start < 3*attrib.Window; {
		b.WriteString("2026-12-01 09:00:00 M1_job_0:0/0/4[0%]\n")
	}
	b.WriteString("2026-12-01 09:00:00 INFO something else\n2026-12-01 09:00:01 M1_job_0:0/0/4[0%]\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n")
	data := []byte(b.String())
	want := scanJobs(t, data, 1<<20)
	for i := range 2 {
		id := fmt.Sprintf("2026120109010000%dgb7kq1m1", i)
		if !strings.Contains(want, fmt.Sprintf(`x: %q "p_long%d"`, id, i)) || !strings.Contains(want, "i="+id) {
			t.Errorf("job %s is not named with its project and LogView:\n%s", id, want)
		}
	}
	if !strings.Contains(want, `x: "" "" lines`) || strings.Contains(want, "kq1m9") {
		t.Errorf("the broken run's code is not of no instance:\n%s", want)
	}
	for _, bs := range []int{1, 7, 64, 4093, 8192, 100_000} {
		for _, workers := range []int{1, 3} {
			r := NewReport()
			if err := ScanReader(context.Background(), r, "x", bytes.NewReader(data), Options{BlockSize: bs, Workers: workers}); err != nil {
				t.Fatal(err)
			}
			if got := jobsOf(r); got != want {
				t.Errorf("block %d, %d workers:\n%s\nwant\n%s", bs, workers, got, want)
			}
		}
	}
	if strings.Contains(want, "dG9rZW4tbG9uZw") {
		t.Errorf("a LogView token is kept:\n%s", want)
	}
}

// Found by review: a progress line cut at MaxLine where it crosses blocks
// still goes on with its run (its end is kept), and a line longer than the
// history still tells whether the line after it starts a record: the same
// jobs whatever the blocks.
func TestJobsAfterCutAndLongLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("odps@ p_x>select 1;\nID = 20261201090100001gaaaa01\n")
	for b.Len() < 3000 {
		b.WriteString("2026-12-01 09:00:00 M1_job_0:0/0/4[0%]\n")
	}
	b.WriteString("2026-12-01 09:00:05")
	for i := range 80 {
		fmt.Fprintf(&b, " M%d_job_0:0/0/4[0%%]", i)
	}
	b.WriteString("\n")
	for b.Len() < 12000 {
		b.WriteString("2026-12-01 09:00:10 M1_job_0:1/0/4[0%]\n")
	}
	b.WriteString("FAILED: ODPS-0123049:buffer overflow - row exceeds 8 MB\n")
	cut := []byte(b.String())
	long := []byte("FAILED: ODPS-0123049:buffer overflow\n2026-12-01 09:00:00 INFO " + strings.Repeat("z", attrib.Window) +
		"\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception\n")
	for _, c := range []struct {
		name string
		data []byte
		want string // in the jobs found (for long, the second failure's code)
	}{{"cut", cut, `x: "20261201090100001gaaaa01" "p_x"`}, {"long", long, "{ODPS-0130071 1 1 2}"}} {
		scanAt := func(bs int) string {
			r := NewReport()
			if err := ScanReader(context.Background(), r, "x", bytes.NewReader(c.data), Options{BlockSize: bs, Workers: 2, MaxLine: 1024}); err != nil {
				t.Fatal(err)
			}
			return jobsOf(r)
		}
		want := scanAt(1 << 20)
		if !strings.Contains(want, c.want) {
			t.Errorf("%s: the jobs do not have %s:\n%s", c.name, c.want, want)
		}
		for _, bs := range []int{1, 64, 3500, 8192} {
			if got := scanAt(bs); got != want {
				t.Errorf("%s, block %d:\n%s\nwant\n%s", c.name, bs, got, want)
			}
		}
	}
}
