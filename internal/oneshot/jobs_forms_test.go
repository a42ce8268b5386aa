package oneshot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/odpswatch/odpswatch/internal/attrib"
)

// wantJob is what a failed job of a log must say; empty fields are not
// checked, except Instance and Project.
type wantJob struct {
	Instance, Project string
	Root              string // the root cause's code
	Message           string // in the root cause's message
	LogViewOf         bool   // a LogView link naming the instance
	RequestID         string
	Time              string // the root cause's
}

// Each form real logs take, written by hand from the shapes in
// odps-codes.md and the SDKs' sources, with the jobs a reader finds in it.
var jobForms = map[string][]wantJob{
	// A succeeded statement, a failed one whose reason is on the line
	// after the code, a wrapper with its cause nested on the same line, a
	// denied CreateInstance under the project it names.
	"odpscmd.log": {
		{Instance: "20261201090240093gb7kq1m5", Project: "p_beta", Root: "ODPS-0130013",
			Message: "Authorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}", LogViewOf: true,
			Time: "2026-12-01 09:02:43"}, // of the progress line before FAILED, which has none
		{Instance: "20261201090300002gb7kq1m6", Project: "p_beta", Root: "ODPS-0123031", Message: "more than 10000 partitions", LogViewOf: true},
		{Project: "p_gamma", Root: "ODPS-0420095", Message: "'odps:CreateInstance' on {acs:odps:*:projects/p_gamma}"},
	},
	// The exception's header names the instance, the next line the cause.
	"pyodps.log": {
		{Instance: "20261201020011117gxw83mq0p", Project: "demo_project", Root: "ODPS-0130071",
			Message: "[2,5] Semantic analysis exception - column uid cannot be resolved", LogViewOf: true},
		// Found by review: the message after the header nests the cause.
		{Instance: "20261201100500001gpyodps99", Root: "ODPS-0123131", Message: "User defined function exception - Traceback: ZeroDivisionError"},
	},
	// The innermost cause of a Caused by: chain; then a CreateInstance
	// refused in a new record, which is not the failed job's.
	"java-sdk.log": {
		{Instance: "20261201030000310g8c2rrq1m", Project: "sales_dw", Root: "ODPS-0123144", Message: "SigKill(OOM)", LogViewOf: true},
		{Project: "sales_dw", Root: "ODPS-0420095", Message: "'odps:CreateInstance'"},
	},
	// Found by review: a message that names the instance holding a lock
	// names another job, not the failed one (before the code, in a
	// PyODPS header after it, or announced on the lines before).
	"locked.log": {
		{Instance: "20261121020000111aaaa0001", Root: "ODPS-0110061", Message: "table sales.t1 is locked"},
		{Instance: "20261121021000111bbbb0002", Root: "ODPS-0110061", Message: "partition ds=20261120 is locked"},
		{Instance: "20261121022000111cccc0003", Root: "ODPS-0110061", Message: "table sales.t3 is locked"},
	},
	// Found by review: another job's project (its link's p=, a denied
	// resource's) is no project of the next instance's.
	"projects.log": {
		{Instance: "20261121021601102bbbbbbbb2", Project: "proj_b", Root: "ODPS-0123031", LogViewOf: true},
		{Instance: "20261121021701102cccccccc3", Root: "ODPS-0110061"},
		{Project: "other_proj", Root: "ODPS-0420095", Message: "'odps:CreateInstance'"},
		{Instance: "20261121021830102dddddddd4", Root: "ODPS-0130071"},
	},
	// Found by review: a link URL-encoded inside another (i%3D<id>) on
	// a line before the one naming the instance.
	"encoded.log": {
		{Instance: "20261121021701102cccccccc3", Project: "proj_c", Root: "ODPS-0110061", LogViewOf: true},
	},
	// Found by review: timestamps in brackets (Airflow's), and zap's JSON
	// lines (a level first, epoch seconds with a fraction), start new
	// records: two failures, the denial not the job's, the message not
	// the next record's.
	"airflow.log": {
		{Instance: "20261121020000111aaaa0001", Root: "ODPS-0130071", Message: "column a cannot be resolved", Time: "2026-11-21, 02:00:30 UTC"},
		{Project: "fin_proj", Root: "ODPS-0420095", Message: "'odps:CreateInstance'"},
	},
	"zap.log": {
		{Instance: "20261121021500101aaaa0001", Root: "ODPS-0130071", Message: "column x cannot be resolved", Time: "1763691301.123"},
		{Project: "other_proj", Root: "ODPS-0420095", Message: "'odps:CreateInstance'"},
	},
	// Found by review: Gson escapes '=' in a link as \u003d too.
	"gson.log": {
		{Instance: "20261121021500101gson0001", Project: "gson_proj", Root: "ODPS-0130071", LogViewOf: true},
	},
	// Found by review: odpscmd -f prints OK when a statement succeeded,
	// and no prompt: the failure of the next statement (a DDL, no
	// instance) is not the succeeded job's; the one after is its own.
	"odpscmd-f.log": {
		{Root: "ODPS-0130071", Message: "column nosuch cannot be resolved"},
		{Instance: "20261121021600102okjob0002", Root: "ODPS-0123131", Message: "ZeroDivisionError"},
	},
	"dataworks.log": {
		{Instance: "20261130180002118gq7b2lm", Project: "dw_prod", Root: "ODPS-0130131", Message: "dw_prod.ods_orders_di cannot be resolved",
			LogViewOf: true, Time: "2026-12-01 02:00:31"},
	},
	"datax.log": {
		{Project: "ads_report", Root: "ODPS-0420095", Message: "'odps:CreateTable'", RequestID: "5F3A22B19C0D11AA"},
	},
	// JSON lines: \u0026 in the link, an escaped \n in the message, epoch
	// milliseconds.
	"json.log": {
		{Instance: "20261201020000000gj5onl1a", Project: "json_proj", Root: "ODPS-0130071",
			Message: "column day_n cannot be resolved at line 1", LogViewOf: true, Time: "1764554460000"},
	},
	"cjk.log": {
		{Instance: "20261201040001555g7qk2md8a", Project: "cjk_proj", Root: "ODPS-0130161", Message: "（请检查SQL语法）", LogViewOf: true},
	},
	// Two workers' jobs interleaved: each code names its instance.
	"interleaved.log": {
		{Instance: "20261201050000010gb2b2b2b2", Root: "ODPS-0130071", Message: "column a cannot be resolved"},
		{Instance: "20261201050000000ga1a1a1a1", Root: "ODPS-0123144", Message: "WorkerRestart"},
	},
}

func TestJobForms(t *testing.T) {
	for name, want := range jobForms {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "jobs", name)
			for _, bs := range []int{1 << 20, 13} {
				r := NewReport()
				if err := ScanFile(context.Background(), r, path, Options{BlockSize: bs}); err != nil {
					t.Fatal(err)
				}
				var failed []*attrib.Job
				for _, j := range r.Files[0].Jobs() {
					if j.Failed() {
						failed = append(failed, j)
					}
				}
				if len(failed) != len(want) {
					t.Fatalf("block %d: %d failed jobs, want %d:\n%s", bs, len(failed), len(want), jobsOf(r))
				}
				for i, w := range want {
					j := failed[i]
					ok := j.Instance == w.Instance && j.Project == w.Project && j.Root.String() == w.Root &&
						strings.Contains(j.RootMessage, w.Message) &&
						(!w.LogViewOf || strings.Contains(j.LogView, "i="+w.Instance) && !strings.Contains(strings.ToLower(j.LogView), "token")) &&
						(w.RequestID == "" || len(j.RequestIDs) > 0 && j.RequestIDs[0] == w.RequestID) &&
						(w.Time == "" || j.RootTime == w.Time)
					if !ok {
						t.Errorf("block %d: job %d is\n%s\nwant %+v", bs, i+1, jobsOf(r), w)
					}
				}
			}
		})
	}
}

// The engineer holding the odpscmd log reads, first, which jobs failed
// and why, in 80 columns.
func TestTableNamesTheFailedJobs(t *testing.T) {
	r := NewReport()
	if err := ScanFile(context.Background(), r, filepath.Join("testdata", "jobs", "odpscmd.log"), Options{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, r, 0); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{
		"3 failed jobs",
		"1. instance 20261201090240093gb7kq1m5  project p_beta",
		"cause   ODPS-0130013 Authorization exception",
		"Authorization Failed [4019]",
		"LogView https://logview.aliyun.com/logview/?h=",
		"2. instance 20261201090300002gb7kq1m6",
		"cause   ODPS-0123031 Partition exception (2 codes in all)",
		"3. no instance named  project p_gamma",
		"SEV  CODE",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "20261201090100001gb7kq1m1") {
		t.Errorf("the succeeded instance is listed:\n%s", table)
	}
	if strings.Contains(table, "Zm9yLXRlc3Rz") {
		t.Errorf("a LogView token is printed:\n%s", table)
	}
	if strings.Index(table, "failed jobs") > strings.Index(table, "SEV  CODE") {
		t.Errorf("the jobs do not come first:\n%s", table)
	}
}

// Found by review: a file name in CJK pushed the codes table's columns
// past the width (they were padded by runes, not columns).
func TestTableFitsWithWideFileNames(t *testing.T) {
	dir := t.TempDir()
	r := NewReport()
	for _, name := range []string{"日志日志日志日志.log", "abcdefghijklmnopqrst.log"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("FAILED: ODPS-0130071:[1,8] Semantic analysis exception - x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ScanFile(context.Background(), r, p, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range []int{60, 80, 100} {
		var out bytes.Buffer
		if err := WriteTableWidth(&out, r, 0, width); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out.String(), "\n") {
			cols := 0
			for _, c := range line {
				cols++
				if unicode.Is(unicode.Han, c) {
					cols++
				}
			}
			if cols > width {
				t.Errorf("width %d: a line of %d columns: %q", width, cols, line)
			}
		}
	}
}
