package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func obs(code int, prints, failures int, jobs ...alert.FailingJob) alert.Observation {
	return alert.Observation{Source: "jobs", Class: classify.Classify(scan.Code(code)), Prints: prints, Failures: failures, Jobs: jobs}
}

// The hour's codes, by failures then prints; older minutes drop out.
func TestTopOfTheLastHour(t *testing.T) {
	r := NewRecorder()
	r.Add(t0.Add(-2*time.Hour), obs(123105, 100, 100)) // more than an hour before: gone
	r.Add(t0.Add(-59*time.Minute), obs(420095, 10, 2))
	r.Add(t0.Add(-time.Minute), obs(420095, 4, 1))
	r.Add(t0, obs(130071, 50, 1))
	r.Add(t0, obs(123144, 1, 1))
	top, other := r.Top(t0, 2)
	got := fmt.Sprint(top, other)
	if want := "[{ODPS-0420095 {14 3}} {ODPS-0130071 {50 1}}] {0 0}"; got != want {
		t.Errorf("top %s, want %s", got, want)
	}
	if top, _ := r.Top(t0.Add(time.Hour), 10); len(top) != 0 {
		t.Errorf("an hour later: %v", top)
	}
}

// Memory is bounded: codes past the bound in a minute add up as other;
// jobs past MaxJobs push the oldest out; tokens never come out.
func TestRecorderBounds(t *testing.T) {
	r := NewRecorder()
	for i := range MaxCodesPerMinute + 500 {
		r.Add(t0, obs(9000000+i*10+5, 1, 1))
	}
	top, other := r.Top(t0, MaxCodesPerMinute+500)
	if len(top) != MaxCodesPerMinute || other != (Count{500, 500}) {
		t.Errorf("%d codes and other %v, want %d and {500 500}", len(top), other, MaxCodesPerMinute)
	}
	for i := range MaxJobs + 5 {
		r.Add(t0.Add(time.Duration(i)*time.Second), obs(420095, 1, 1, alert.FailingJob{
			Instance: fmt.Sprintf("2026120610000000%02dgjob", i), LogView: "https://logview.example.com/?i=x&token=c2VjcmV0"}))
	}
	jobs := r.Jobs(t0.Add(time.Minute))
	if len(jobs) != MaxJobs || jobs[0].Instance != "202612061000000024gjob" || jobs[MaxJobs-1].Instance != "202612061000000005gjob" {
		t.Errorf("%d jobs, newest %s, oldest %s", len(jobs), jobs[0].Instance, jobs[len(jobs)-1].Instance)
	}
	for _, j := range jobs {
		if strings.Contains(j.LogView, "c2VjcmV0") {
			t.Fatalf("a token kept: %s", j.LogView)
		}
	}
	if len(r.Jobs(t0.Add(2*time.Hour))) != 0 {
		t.Error("jobs older than an hour are shown")
	}
	// One observation of more jobs than the bound keeps its last ones,
	// newest first; fewer than the bound, only those.
	var many []alert.FailingJob
	for i := range MaxJobs + 10 {
		many = append(many, alert.FailingJob{Instance: fmt.Sprintf("2026120611000000%02dgjob", i)})
	}
	r = NewRecorder()
	r.Add(t0, obs(420095, 1, 1, many...))
	jobs = r.Jobs(t0)
	if len(jobs) != MaxJobs || jobs[0].Instance != many[len(many)-1].Instance || jobs[MaxJobs-1].Instance != many[10].Instance {
		t.Errorf("%d jobs from one observation of %d, newest %s, oldest %s", len(jobs), len(many), jobs[0].Instance, jobs[len(jobs)-1].Instance)
	}
	r = NewRecorder()
	r.Add(t0, obs(420095, 1, 1, many[:3]...))
	if jobs = r.Jobs(t0); len(jobs) != 3 || jobs[0].Instance != many[2].Instance {
		t.Errorf("3 jobs observed, %d shown: %v", len(jobs), jobs)
	}
}

// The page escapes what logs say, and stays bounded whatever the counts.
func TestPage(t *testing.T) {
	r := NewRecorder()
	for i := range 10000 { // distinct undocumented codes
		r.Add(t0, obs(9000000+i*10+5, 1, 1))
	}
	doc := Document{Version: "test", Healthy: true, Ready: true, StartedAt: t0, GeneratedAt: t0, Links: []string{"/metrics"},
		FailingJobs: []FailJob{{Instance: "2026<script>alert(1)</script>", Code: "ODPS-0130071", LogView: "https://logview.example.com/?i=1", At: t0}}}
	top, other := r.Top(t0, MaxCodesListed)
	for _, c := range top {
		doc.TopCodes = append(doc.TopCodes, Code{Code: c.Code.String(), Prints: c.Prints, Failures: c.Failures})
	}
	doc.OtherCodes = other
	for i := range 1000 {
		s := Source{Name: fmt.Sprintf("s%d", i), Type: "file", FilesTotal: 5000}
		for j := range MaxFilesListed {
			s.Files = append(s.Files, File{Path: fmt.Sprintf("/var/log/odps/%d/%d.log", i, j), Offset: 1, Size: 2, LagBytes: 1})
		}
		doc.Sources = append(doc.Sources, s)
	}
	var b strings.Builder
	if err := WritePage(&b, doc); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("a log's text is not escaped")
	}
	if n := strings.Count(page, "/var/log/odps/"); n != MaxFilesOnPage {
		t.Errorf("%d files listed, want %d", n, MaxFilesOnPage)
	}
	if len(page) > 512<<10 {
		t.Errorf("the page is %d bytes with 10,000 codes and 1,000 sources", len(page))
	}
	if !strings.Contains(page, "Other codes: 9000 prints") {
		t.Errorf("the codes past the bound are not shown added up")
	}
}

// BenchmarkAdd observes a code with the 20 failing jobs a batch names at
// most, as the pipeline does for each code of each batch.
func BenchmarkAdd(b *testing.B) {
	var jobs []alert.FailingJob
	for i := range 20 {
		jobs = append(jobs, alert.FailingJob{Instance: fmt.Sprintf("2026120611000000%02dgjob", i), Project: "p_beta",
			LogView: "http://logview.odps.aliyun.com/logview/?h=http%3A%2F%2Fservice.cn-hangzhou.maxcompute.aliyun.com%2Fapi&i=x&p=p_beta"})
	}
	r := NewRecorder()
	o := obs(420095, 3, 1, jobs...)
	b.ReportAllocs()
	for b.Loop() {
		r.Add(t0, o)
	}
}
