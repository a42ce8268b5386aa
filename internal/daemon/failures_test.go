package daemon

import (
	"path/filepath"
	"testing"
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
