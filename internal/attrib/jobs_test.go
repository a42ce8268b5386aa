package attrib

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// track feeds every line of log to a tracker: the clues of each line and
// the codes the scanner finds in it, and the line after a root cause to
// Next.
func track(log string) *Tracker {
	t := NewTracker()
	var sc scan.Scanner
	offset := int64(0)
	var prev []byte
	// The run of progress lines the lines so far end with: its first
	// line's offset (-1: none) and its last's.
	runStart, runLast := int64(-1), int64(0)
	for i, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		b := []byte(line)
		at := Pos{Line: int64(i + 1), Offset: offset, Record: NewRecord(prev, b), Time: Timestamp(prev)}
		offset += int64(len(line)) + 1
		prev = b
		var codes []CodeAt
		for _, m := range sc.Scan(nil, b) {
			codes = append(codes, CodeAt{m.Code, m.Offset})
		}
		switch {
		case IsProgress(b):
			if runStart < 0 {
				runStart = at.Offset
			}
			runLast = at.Offset
		case len(codes) > 0 && runStart >= 0:
			if at.Offset-runStart >= LongRun {
				t.Progress(runStart, runLast)
			}
			fallthrough
		default:
			runStart = -1
		}
		if len(codes) == 0 && t.WantsNext() && t.Next(at, b) {
			continue
		}
		if _, _, ok := t.Watching(); ok && len(codes) == 0 && RecoveryHint(b) {
			t.Watch(at, b)
		}
		t.Line(at, b, Find(b), codes)
	}
	return t
}

const odpscmdLog = `odps@ p_beta>select count(*) from ods_orders;
ID = 20261201090100001gb7kq1m1
Log view:
https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_beta&i=20261201090100001gb7kq1m1&token=dG9rZW4tMQ==
Job Queueing...
OK
odps@ p_beta>select * from ods_users;
ID = 20261201090240093gb7kq1m5
Log view:
https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_beta&i=20261201090240093gb7kq1m5&token=dG9rZW4tMg==
2026-12-01 09:02:44 FAILED: ODPS-0130013:Authorization exception - Authorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}. token=dG9rZW4tMg==
odps@ p_beta>insert overwrite table t select * from s;
ID = 20261201090300002gb7kq1m6
2026-12-01 09:03:10 FAILED: ODPS-0010000:System internal error - fuxi job failed, caused by: ODPS-0123031:Partition exception - invalid partition value
odps@ p_beta>create table x as select 1;
2026-12-01 09:04:00 FAILED: ODPS-0420095: Access Denied - Authorization Failed [4093], You have no privilege 'odps:CreateInstance' on {acs:odps:*:projects/p_gamma}. RequestId=6741C3A2B8F0E1D2C3B4A596
`

func TestTrackerNamesTheFailedJobs(t *testing.T) {
	tr := track(odpscmdLog)
	if n := len(tr.Jobs()); n != 4 {
		t.Fatalf("%d jobs, want 3 instances and the job of no instance", n)
	}
	failed := tr.Failed()
	if len(failed) != 3 {
		t.Fatalf("%d failed jobs, want 3 (the first one succeeded)", len(failed))
	}
	j := failed[0]
	if j.Instance != "20261201090240093gb7kq1m5" || j.Project != "p_beta" || j.Root != mustCode(t, "ODPS-0130013") || j.RootLine != 11 ||
		j.FirstLine != 8 || j.LastTime != "2026-12-01 09:02:44" {
		t.Errorf("job 2: %+v", j)
	}
	if !strings.HasPrefix(j.RootMessage, "Authorization exception - Authorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}") {
		t.Errorf("job 2's message: %q", j.RootMessage)
	}
	if !strings.Contains(j.LogView, "i=20261201090240093gb7kq1m5") || !strings.Contains(j.LogView, "p=p_beta") {
		t.Errorf("job 2's LogView: %q", j.LogView)
	}
	nested := failed[1]
	if nested.Instance != "20261201090300002gb7kq1m6" || nested.Root != mustCode(t, "ODPS-0123031") || len(nested.Codes) != 2 {
		t.Errorf("nested: root %v, codes %v; want the innermost ODPS-0123031 and both codes", nested.Root, nested.Codes)
	}
	denied := failed[2]
	if denied.Instance != "" || denied.Project != "p_gamma" || denied.Root != mustCode(t, "ODPS-0420095") ||
		len(denied.RequestIDs) != 1 || denied.RequestIDs[0] != "6741C3A2B8F0E1D2C3B4A596" {
		t.Errorf("denied CreateInstance: %+v", denied)
	}
	for _, j := range tr.Jobs() {
		if s := fmt.Sprintf("%+v", *j); strings.Contains(s, "dG9rZW4t") {
			t.Errorf("a token is kept: %s", s)
		}
	}
}

// Until an instance is announced, codes belong to no job; after one, to it.
func TestTrackerCodeBeforeAnyInstance(t *testing.T) {
	tr := track("FAILED: ODPS-0130161:[1,8] Parse exception - syntax error\nInstance ID: 20261201090100001gb7kq1m1\nODPS-0130071:[1,2] Semantic analysis exception - x\n")
	jobs := tr.Failed() // in the order they failed
	if len(jobs) != 2 || jobs[1].Instance != "20261201090100001gb7kq1m1" || jobs[1].Root != mustCode(t, "ODPS-0130071") ||
		jobs[0].Instance != "" || jobs[0].Root != mustCode(t, "ODPS-0130161") {
		t.Errorf("jobs %+v %+v", jobs[0], jobs[len(jobs)-1])
	}
}

func TestTrackerBounds(t *testing.T) {
	var b bytes.Buffer
	for i := range MaxJobs + 5 {
		fmt.Fprintf(&b, "ID = 2026120109%07dgb7kq1m1\n", i)
	}
	for i := range MaxJobCodes + 8 {
		fmt.Fprintf(&b, "ODPS-01%04d1 x\n", 3000+i)
	}
	fmt.Fprintf(&b, "ODPS-0130071 %s\n", strings.Repeat("y", 4*MaxMessageBytes))
	tr := track(b.String())
	// The instances past MaxJobs are dropped, and they end the job before
	// them: the codes after them go to the job of no instance.
	if n := len(tr.Jobs()); n != MaxJobs+1 || tr.DroppedJobs != 5 {
		t.Errorf("%d jobs, %d dropped; want %d and 5", n, tr.DroppedJobs, MaxJobs+1)
	}
	failed := tr.Failed()
	if len(failed) != 1 || failed[0].Instance != "" || tr.Jobs()[0] != failed[0] {
		t.Fatalf("%d failed jobs; want the codes after a dropped instance in the job of no instance, listed first", len(failed))
	}
	last := failed[0]
	// 40 distinct codes (ODPS-0130071 among the first 32, seen again last).
	if len(last.Codes) != MaxJobCodes || last.FoldedCodes != 8 {
		t.Errorf("%d codes kept, %d folded; want %d and 8", len(last.Codes), last.FoldedCodes, MaxJobCodes)
	}
	if len(last.RootMessage) > MaxMessageBytes {
		t.Errorf("root message of %d bytes, more than %d", len(last.RootMessage), MaxMessageBytes)
	}
}

func mustCode(t *testing.T, s string) scan.Code {
	t.Helper()
	c, err := scan.ParseCode(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A line of a job already known allocates nothing, whether it names the
// job, carries its codes or continues its message: the tracker's memory
// grows with jobs and codes, not with lines.
func TestTrackerLineAllocatesNothing(t *testing.T) {
	tr := track(odpscmdLog)
	named := []byte("2026-12-01 09:02:50 instance 20261201090240093gb7kq1m5 status=Running RequestId=6741C3A2B8F0E1D2C3B4A596")
	code := []byte("2026-12-01 09:02:51 FAILED: ODPS-0130013:Authorization exception on {acs:odps:*:projects/p_beta/tables/t}")
	codes := []CodeAt{{mustCode(t, "ODPS-0130013"), 28}}
	nc, cc := Find(named), Find(code)
	n := int64(100)
	allocs := testing.AllocsPerRun(100, func() {
		n += 2
		tr.Line(Pos{Line: n, Offset: n * 200, Record: true}, named, nc, nil)
		tr.Line(Pos{Line: n + 1, Offset: n*200 + 120}, code, cc, codes)
	})
	if allocs != 0 {
		t.Errorf("%v allocations a pair of lines, want 0", allocs)
	}
	if j := tr.Failed()[0]; j.LastTime != "2026-12-01 09:02:51" || j.Codes[0].Count < 100 {
		t.Errorf("job %+v", j)
	}
}

// Failures, not prints: a job instance fails once however often its codes
// are printed; in the job of no instance a retry loop printing the same
// code is one failure, another code in a new record another.
func TestFailures(t *testing.T) {
	tr := track(odpscmdLog)
	var failures int64
	for _, j := range tr.Failed() {
		failures += j.Failures
		for _, c := range j.Codes {
			if c.Failures != 1 {
				t.Errorf("%s of %q: in %d failures, want 1", c.Code, j.Instance, c.Failures)
			}
		}
	}
	if failures != 3 {
		t.Errorf("%d failures in the odpscmd log, want 3", failures)
	}

	retries := ""
	for i := range 4 {
		retries += fmt.Sprintf("2026-12-01 02:10:0%d.881 [job-0] ERROR RetryUtil - attempt %d failed: ODPS-0420095: Access Denied - no privilege on {acs:odps:*:projects/ads_report}\n", i, i+1)
	}
	retries += "2026-12-01 02:11:00.000 [job-0] ERROR JobContainer - ODPS-0130131:Table not found - ads_report.t\n"
	retries += "\tat com.alibaba.datax.Writer.init(Writer.java:41)\n"
	retries += "Caused by: ODPS-0130131:Table not found - ads_report.t\n"
	jobs := track(retries).Failed()
	if len(jobs) != 1 || jobs[0].Failures != 2 {
		t.Fatalf("retries: %+v, want one job of no instance with 2 failures", jobs)
	}
	for _, c := range jobs[0].Codes {
		if c.Failures != 1 {
			t.Errorf("retries: %s printed %d times is in %d failures, want 1", c.Code, c.Count, c.Failures)
		}
	}
	if jobs[0].Codes[0].Count != 4 || jobs[0].Codes[1].Count != 2 {
		t.Errorf("retries: prints %+v, want 4 and 2", jobs[0].Codes)
	}
}
