package attrib

import (
	"slices"

	"github.com/odpswatch/odpswatch/internal/scan"
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
	// by: ODPS-0123031" is caused by ODPS-0123031). RootMessage is what
	// the log says after it: the rest of its line (to the end of the JSON
	// string or XML section it stands in), then the lines that continue it,
	// redacted and cut to MaxMessageBytes. RootTime is the timestamp of its
	// line, if it has one.
	Root        scan.Code
	RootMessage string
	RootLine    int64
	RootTime    string
	// FoldedCodes counts the occurrences of codes past MaxJobCodes.
	FoldedCodes int64
	// Failures counts the job's failures (see Tracker): one for a job
	// instance, however many times its codes are printed; the job of no
	// instance may have many.
	Failures int64
	// Recovered counts those of its failures that were retried and
	// recovered (see Tracker): counted in Failures all the same.
	Recovered int64

	seen     int64 // offset of the last line that named it or charged it
	lastTime []byte
	// failureCode and failureLine are the innermost code of the current
	// failure and the last line it was printed on.
	failureCode scan.Code
	failureLine int64
	firstCode   int64 // the line of its first code
	// retried says a retry was announced since its current failure;
	// recoveredFailure is the number of the last failure recovered.
	retried          bool
	recoveredFailure int64
}

// JobCode is one code of a job: how many times it was printed, and in
// how many of the job's failures.
type JobCode struct {
	Code     scan.Code
	Count    int64
	Failures int64

	lastFailure int64 // the number of the last failure it was in
}

// Failed reports whether the job carries codes.
func (j *Job) Failed() bool { return len(j.Codes) > 0 || j.FoldedCodes > 0 }

func (j *Job) addRequestID(id []byte) {
	for _, r := range j.RequestIDs {
		if r == string(id) {
			return
		}
	}
	if len(j.RequestIDs) < MaxRequestIDs {
		j.RequestIDs = append(j.RequestIDs, string(id))
	}
}

// hasAll reports whether every code of codes is one of j's.
func (j *Job) hasAll(codes []CodeAt) bool {
	for _, c := range codes {
		if !slices.ContainsFunc(j.Codes, func(jc JobCode) bool { return jc.Code == c.Code }) {
			return false
		}
	}
	return true
}

// add counts a print of c and reports whether it began a failure of c's.
func (j *Job) add(c scan.Code) bool {
	i := 0
	for i < len(j.Codes) && j.Codes[i].Code != c {
		i++
	}
	if i == len(j.Codes) {
		if len(j.Codes) >= MaxJobCodes {
			j.FoldedCodes++
			return false
		}
		j.Codes = append(j.Codes, JobCode{Code: c})
	}
	jc := &j.Codes[i]
	jc.Count++
	if jc.lastFailure != j.Failures {
		jc.Failures++
		jc.lastFailure = j.Failures
		return true
	}
	return false
}
