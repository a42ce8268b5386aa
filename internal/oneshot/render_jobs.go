package oneshot

import (
	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
)

// JSONJob is one failed job of the JSON document. The job of no instance
// (codes no instance could be named for) has an empty instance.
type JSONJob struct {
	File       string   `json:"file"`
	Instance   string   `json:"instance"`
	Project    string   `json:"project"`
	LogView    string   `json:"logview"` // without its token
	RequestIDs []string `json:"request_ids"`
	FirstLine  int64    `json:"first_line"`
	LastLine   int64    `json:"last_line"`
	FirstTime  string   `json:"first_time"` // as the log wrote it; "" if it did not
	LastTime   string   `json:"last_time"`
	// Codes are the job's codes, in the order first seen; FoldedCodes
	// counts the occurrences of codes past attrib.MaxJobCodes.
	Codes       []JSONJobCode `json:"codes"`
	FoldedCodes int64         `json:"folded_codes"`
	Failures    int64         `json:"failures"` // 1 for an instance
	// RecoveredFailures counts those of its failures that were retried and
	// recovered: a later instance succeeded after a retry was announced.
	RecoveredFailures int64          `json:"recovered_failures"`
	RootCause         *JSONRootCause `json:"root_cause"`
}

// JSONJobCode is one code of a job.
type JSONJobCode struct {
	Code     string `json:"code"`
	Count    int64  `json:"count"`
	Failures int64  `json:"failures"`
	Severity int    `json:"severity"`
	Title    string `json:"title"`
}

// JSONRootCause is the code that explains a job's failure, what the
// catalog says of it and what the log says.
type JSONRootCause struct {
	Code     string `json:"code"`
	Severity int    `json:"severity"`
	Title    string `json:"title"`
	Hint     string `json:"hint,omitempty"`
	Line     int64  `json:"line"`
	Time     string `json:"time"`
	Message  string `json:"message"`
}

func jsonJobs(r *Report) (jobs []JSONJob, failed int, dropped int64) {
	jobs = []JSONJob{}
	for _, f := range r.Files {
		dropped += f.DroppedJobs()
		for _, j := range f.Jobs() {
			if j.Failed() {
				jobs = append(jobs, jsonJob(f.Name, j))
			}
		}
	}
	return jobs, len(jobs), dropped
}

func jsonJob(file string, j *attrib.Job) JSONJob {
	out := JSONJob{
		File: file, Instance: j.Instance, Project: j.Project, LogView: j.LogView,
		RequestIDs: append([]string{}, j.RequestIDs...),
		FirstLine:  j.FirstLine, LastLine: j.LastLine, FirstTime: j.FirstTime, LastTime: j.LastTime,
		Codes: []JSONJobCode{}, FoldedCodes: j.FoldedCodes, Failures: j.Failures, RecoveredFailures: j.Recovered,
	}
	for _, c := range j.Codes {
		cl := classify.Classify(c.Code)
		out.Codes = append(out.Codes, JSONJobCode{Code: c.Code.String(), Count: c.Count, Failures: c.Failures, Severity: cl.Severity, Title: cl.Title()})
	}
	if j.Root != 0 {
		cl := classify.Classify(j.Root)
		rc := &JSONRootCause{Code: j.Root.String(), Severity: cl.Severity, Title: cl.Title(),
			Line: j.RootLine, Time: j.RootTime, Message: j.RootMessage}
		if cl.Entry != nil {
			rc.Hint = cl.Entry.Hint
		}
		out.RootCause = rc
	}
	return out
}
