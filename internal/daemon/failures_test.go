package daemon

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/status"
)

// A failure printed on both sides of a restart counts once: the file's
// lines before its saved position go to its job tracker as context. A
// failure first printed after the restart counts, and so does the line
// read again because positions lagged (the prints are at least once, so
// are the failures; here positions were saved after the first print).
func TestFailuresSurviveARestart(t *testing.T) {
	const (
		failures0130071 = `odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"}`
		errors0130071   = `odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"}`
		failures0420095 = `odpswatch_failures_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="jobs"}`
		lagged          = `odpswatch_file_lag_bytes{source="jobs"}`
	)
	dir := t.TempDir()
	jobLog, state := filepath.Join(dir, "job.log"), filepath.Join(dir, "state")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	// PyODPS: the exception's header names the instance and the code...
	appendFile(t, jobLog, "2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gjoba\n"+
		"Traceback (most recent call last):\n  File \"job.py\", line 9, in <module>\n"+
		"odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gjoba\n")
	td := startDaemon(t, cfgPath, state)
	td.waitMetric(failures0130071, 1)
	td.waitMetric(lagged, 0)
	if err := td.stop(); err != nil { // saves positions
		t.Fatal(err)
	}
	// ... and, written while odpswatch is down, the message: the same
	// failure, printed again.
	appendFile(t, jobLog, "ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved\n"+
		"2026-12-01 10:01:00,001 INFO Instance ID: 20261201100100002gjobb\n"+
		"2026-12-01 10:01:09,001 ERROR instance 20261201100100002gjobb failed: ODPS-0420095: Access Denied - x\n")
	td = startDaemon(t, cfgPath, state)
	td.waitMetric(failures0420095, 1) // the new job's failure: the file is read
	td.waitMetric(lagged, 0)
	if got := td.metric(errors0130071); got != 1 {
		t.Errorf("after the restart, %v prints of ODPS-0130071, want 1", got)
	}
	if got := td.metric(failures0130071); got > 0 {
		t.Errorf("after the restart, the failure printed before it counted again: %v", got)
	}
}

// A job that runs for a while before it fails is named with its instance,
// project and LogView: followed as odpscmd writes it, its progress lines
// (more than the 8 KiB window) read a few at a time, and across a restart
// in the middle of them, the run then short, just under the window or
// long (the file's context goes back to the window before the run's
// start; a review found the run just under the window lost the job).
func TestLongJobIsNamed(t *testing.T) {
	const (
		id      = "20261201090100001gb7kq1m1"
		token   = "c2VjcmV0LWxvbmctam9iLXRva2Vu"
		failure = `odpswatch_failures_total{code="ODPS-0123049",family="sql",module="processor",severity="9",source="jobs"}`
		read    = `odpswatch_source_bytes_total{source="jobs"}`
	)
	progress := func(i int) string {
		return fmt.Sprintf("2026-12-01 %02d:%02d:%02d M1_job_0:%d/0/4[0%%]\tR2_1_job_0:0/0/1[0%%]\n", 9+i/3600, i/60%60, i%60, i%4)
	}
	// restartAt is the run's length when the daemon restarts (0: never).
	for _, restartAt := range []int{0, 2000, attrib.Window - 100, 20_000} {
		dir := t.TempDir()
		jobLog, state := filepath.Join(dir, "job.log"), filepath.Join(dir, "state")
		cfgPath := filepath.Join(dir, "c.yml")
		writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
		size, startedAt := 0, 0 // the file's size, when this daemon started
		write := func(s string) {
			appendFile(t, jobLog, s)
			size += len(s)
		}
		write(strings.Repeat("2026-12-01 09:00:00 INFO other lines of the file\n", 400))
		write("odps@ p_long>insert overwrite table t select * from s;\nID = " + id + "\nLog view:\n" +
			"http://logview.odps.aliyun.com/logview/?h=http://service.example.com/api&p=p_long&i=" + id + "&token=" + token + "\nJob Queueing...\n")
		td := startDaemon(t, cfgPath, state)
		run := 0
		for i := 0; run < 40_000; i++ {
			if restartAt > 0 && run < restartAt && run+len(progress(i)) >= restartAt {
				td.waitMetric(read, float64(size-startedAt))
				if err := td.stop(); err != nil { // saves positions
					t.Fatal(err)
				}
				td, startedAt = startDaemon(t, cfgPath, state), size
			}
			write(progress(i))
			run += len(progress(i))
			if i%32 == 31 {
				td.waitMetric(read, float64(size-startedAt)) // read before the next lines come
			}
		}
		write("FAILED: ODPS-0123049:buffer overflow - join J3_1_2 output row exceeds 8 MB\n")
		td.waitMetric(failure, 1)
		_, body := td.get("/api/v1/status")
		if strings.Contains(body, token) {
			t.Errorf("restart at %d: the status carries the LogView token", restartAt)
		}
		var doc status.Document
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.FailingJobs) != 1 || doc.FailingJobs[0].Instance != id || doc.FailingJobs[0].Project != "p_long" ||
			!strings.Contains(doc.FailingJobs[0].LogView, "i="+id) {
			t.Errorf("restart at %d bytes of the run: failing jobs %+v, want %s of p_long with its LogView", restartAt, doc.FailingJobs, id)
		}
		if err := td.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
