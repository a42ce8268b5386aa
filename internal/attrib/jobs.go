package attrib

import (
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Bounds of a Tracker: whatever the stream holds, it keeps at most
// MaxJobs jobs (and one for the codes of no job), MaxJobCodes distinct
// codes and MaxRequestIDs request IDs per job, and a message of
// MaxMessageBytes. What goes past them is counted, never kept.
const (
	MaxJobs         = 1000
	MaxJobCodes     = 32
	MaxRequestIDs   = 8
	MaxMessageBytes = 512
)

// Job is one MaxCompute job instance as a stream tells it. A job with
// codes is a failed job.
type Job struct {
	Instance, Project string
	LogView           string // without its token
	RequestIDs        []string
	// FirstLine and LastLine are the first and last lines that named it or
	// carried one of its codes; FirstTime and LastTime their timestamps as
	// written, where they had one.
	FirstLine, LastLine int64
	FirstTime, LastTime string
	Codes               []JobCode // in the order first seen
	// Root is the code that explains the failure: the innermost of the
	// first line of codes (ODPS-0010000 "System internal error ... caused
	// by: ODPS-0123031" is caused by ODPS-0123031), with the message after
	// it, redacted and cut to MaxMessageBytes.
	Root        scan.Code
	RootMessage string
	RootLine    int64
	// FoldedCodes counts the occurrences of codes past MaxJobCodes.
	FoldedCodes int64
}

// JobCode is one code of a job.
type JobCode struct {
	Code  scan.Code
	Count int64
}

// Failed reports whether the job carries codes.
func (j *Job) Failed() bool { return len(j.Codes) > 0 || j.FoldedCodes > 0 }

// Tracker carries the current job along one stream (a file, stdin, a
// Kafka partition) and attributes each code to a job: the instance its
// own line names, else the last instance announced on the stream before
// it and since the last statement began (odpscmd's prompt), else none (a
// job with no instance, under the project the line or the stream last
// named: a CreateInstance that was denied). Lines must
// come in stream order. Its memory is bounded (MaxJobs and the other
// bounds above).
type Tracker struct {
	jobs    []*Job
	byID    map[string]*Job
	current *Job
	noJob   *Job   // codes of no instance
	project string // the last project the stream named
	// DroppedJobs counts the instances announced past MaxJobs: their
	// codes go to the job of no instance.
	DroppedJobs int64
}

// NewTracker returns a tracker of an empty stream.
func NewTracker() *Tracker { return &Tracker{byID: make(map[string]*Job)} }

// Line takes line n (1-based) of the stream, its clues (Find) and the
// codes found in it (in line order; their spans refer to line). Lines
// without codes need only be given when they have an instance or a
// project: they announce the current job.
func (t *Tracker) Line(n int64, line []byte, c Clues, codes []scan.Match) {
	if !c.Project.Empty() {
		t.project = string(c.Project.Of(line))
	}
	if c.Statement {
		t.current = nil
	}
	var j *Job
	if !c.Instance.Empty() {
		j = t.job(string(c.Instance.Of(line)))
		if j != nil {
			t.current = j
		}
	}
	if j == nil && len(codes) > 0 {
		j = t.current
	}
	if j == nil {
		if len(codes) == 0 {
			return
		}
		if t.noJob == nil {
			t.noJob = &Job{}
		}
		j = t.noJob
	}
	if j.Project == "" || !c.Project.Empty() {
		if t.project != "" {
			j.Project = t.project
		}
	}
	if j.LogView == "" && !c.LogView.Empty() {
		j.LogView = LogView(c.LogView.Of(line))
	}
	if !c.RequestID.Empty() && len(j.RequestIDs) < MaxRequestIDs {
		id := string(c.RequestID.Of(line))
		seen := false
		for _, r := range j.RequestIDs {
			seen = seen || r == id
		}
		if !seen {
			j.RequestIDs = append(j.RequestIDs, id)
		}
	}
	var ts string
	if !c.Time.Empty() {
		ts = string(c.Time.Of(line))
	}
	if j.FirstLine == 0 {
		j.FirstLine, j.FirstTime = n, ts
	}
	j.LastLine = n
	if ts != "" {
		j.LastTime = ts
	}
	if len(codes) == 0 {
		return
	}
	if j.Root == 0 {
		// The innermost code of the first line of codes: the last one on it.
		m := codes[len(codes)-1]
		j.Root, j.RootLine = m.Code, n
		msg := line[min(m.Offset, len(line)):]
		j.RootMessage = string(scan.CutUTF8(redact.Bytes(msg), MaxMessageBytes))
	}
	for _, m := range codes {
		j.add(m.Code)
	}
}

// job returns the job of instance id, made if new; nil past MaxJobs.
func (t *Tracker) job(id string) *Job {
	if j, ok := t.byID[id]; ok {
		return j
	}
	if len(t.jobs) >= MaxJobs {
		t.DroppedJobs++
		return nil
	}
	j := &Job{Instance: id}
	t.byID[id] = j
	t.jobs = append(t.jobs, j)
	return j
}

func (j *Job) add(c scan.Code) {
	for i := range j.Codes {
		if j.Codes[i].Code == c {
			j.Codes[i].Count++
			return
		}
	}
	if len(j.Codes) >= MaxJobCodes {
		j.FoldedCodes++
		return
	}
	j.Codes = append(j.Codes, JobCode{Code: c, Count: 1})
}

// Jobs returns the jobs in the order they were announced, then the one of
// no instance if it has codes.
func (t *Tracker) Jobs() []*Job {
	out := append([]*Job(nil), t.jobs...)
	if t.noJob != nil {
		out = append(out, t.noJob)
	}
	return out
}

// Failed returns the jobs that carry codes, in the order of Jobs.
func (t *Tracker) Failed() []*Job {
	var out []*Job
	for _, j := range t.Jobs() {
		if j.Failed() {
			out = append(out, j)
		}
	}
	return out
}
