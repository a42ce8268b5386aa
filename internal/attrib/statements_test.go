package attrib

import (
	"strings"
	"testing"
)

// odpscmdOKLog is odpscmd -f's output: no prompts, OK after a statement
// that succeeded, a statement without an instance failing after it.
const odpscmdOKLog = `ID = 20261121021501102okjob0001
Log view:
http://logview.odps.aliyun.com/logview/?h=http://service.odps.aliyun.com/api&p=etl_proj&i=20261121021501102okjob0001&token=abc
2026-11-21 02:15:05 M1_job_0:1/0/1[100%]
OK
FAILED: ODPS-0130071:[1,22] Semantic analysis exception - column nosuch cannot be resolved
odps@ p2>select 1;
ID = 20261121021600102okjob0002
OK
ID = 20261121021700102okjob0003
FAILED: ODPS-0123131:User defined function exception
OK
`

// odpscmd's OK ends the job of its statement, read line by line or
// windowed alike.
func TestOKEndsTheStatementsJob(t *testing.T) {
	for name, tr := range map[string]*Tracker{"every line": track(odpscmdOKLog), "windowed": trackWindowed([]byte(odpscmdOKLog))} {
		var got []string
		for _, j := range tr.Failed() {
			got = append(got, j.Instance+" "+j.Root.String())
		}
		if want := []string{" ODPS-0130071", "20261121021700102okjob0003 ODPS-0123131"}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// A prompt or odpscmd's OK ends a statement's failure too: the failures of
// two statements without instances are two, however alike (the third
// review: 139 DDL statements failing after OK were one failure).
func TestStatementsFailApart(t *testing.T) {
	for _, log := range []string{
		"FAILED: ODPS-0130131:Table not found - table t1\nOK\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n",
		"FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\nOK\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - y\n",
		"odps@ etl>drop table t1;\nFAILED: ODPS-0130131:Table not found - t1\nodps@ etl>select x from t;\nFAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n",
		// odpscmd's output wrapped by Airflow and DataWorks.
		"[2026-12-01, 02:00:10 UTC] {subprocess.py:93} INFO - FAILED: ODPS-0130131:Table not found - t1\n[2026-12-01, 02:00:11 UTC] {subprocess.py:93} INFO - OK\n[2026-12-01, 02:00:12 UTC] {subprocess.py:93} INFO - FAILED: ODPS-0130131:Table not found - t2\n",
		"2026-12-01 02:00:10 INFO FAILED: ODPS-0130131:Table not found - t1\n2026-12-01 02:00:20 INFO OK\n2026-12-01 02:00:21 INFO FAILED: ODPS-0130131:Table not found - t2\n",
	} {
		for name, tr := range map[string]*Tracker{"every line": track(log), "windowed": trackWindowed([]byte(log))} {
			jobs := tr.Failed()
			if len(jobs) != 1 || jobs[0].Instance != "" || jobs[0].Failures != 2 {
				t.Errorf("%s, %q: %s", name, log, attributions(tr))
			}
		}
	}
}
