package attrib

import (
	"bytes"

	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Bounds of a Tracker: whatever the stream holds, it keeps at most
// MaxJobs jobs (and one for the codes of no job), MaxJobCodes distinct
// codes and MaxRequestIDs request IDs per job, and a message of
// MaxMessageBytes built from at most MaxContinuation lines after the
// code's own. What goes past them is counted, never kept.
const (
	MaxJobs         = 1000
	MaxJobCodes     = 32
	MaxRequestIDs   = 8
	MaxMessageBytes = 512
	MaxContinuation = 3
	// FailureGap is how many lines apart two prints of the same code, in
	// the job of no instance, stay one failure (a retry loop printing it
	// again, a scheduler repeating it).
	FailureGap = 100
	// MaxProjectsWithoutJob bounds the jobs of no instance: one a project
	// (and one for codes of no project), the codes of further projects
	// go to the one of no project.
	MaxProjectsWithoutJob = 100
)

// Window is how far, in bytes of the stream, a code's attribution
// reaches back: to the lines that start at most Window bytes before the
// code's line, or before the long run of odpscmd's progress lines right
// before it (see LongRun). A job announced (or charged with a code)
// further back is not the code's job, nor is a project named further back
// its project; the code then belongs to no instance. A reader that feeds a Tracker
// needs to read only these lines (see LookBack): lines far from codes
// cost nothing.
const Window = 8 << 10

// Pos is where a line is in its stream.
type Pos struct {
	Line   int64 // 1-based
	Offset int64 // of the line's first byte
	// Record says that a new log record starts at the line or at the one
	// before it (see NewRecord): a job that has failed takes no more codes
	// from it unless it names the job.
	Record bool
	// Time, for a line with codes and no timestamp of its own, is the one
	// the line before it starts with, if any (see Timestamp): odpscmd
	// prints FAILED without one, right after a timestamped progress line.
	Time []byte
	// NoProgress says the line before is surely no progress line
	// (NoProgressBefore), as a reader that scanned the chunk ahead of the
	// line's turn knows: a Stream then does not read that line again (by
	// the turn, a cache miss).
	NoProgress bool
}

// Timestamp returns the timestamp line starts with, or nil.
func Timestamp(line []byte) []byte {
	if s := timestamp(line); !s.Empty() {
		return s.Of(line)
	}
	return nil
}

// NewRecord reports whether a new log record starts at line or at prev,
// the line before it: one of them starts with a timestamp. Codes in it
// belong to something else than the failure before it.
func NewRecord(prev, line []byte) bool {
	return !timestamp(line).Empty() || !timestamp(prev).Empty()
}

// CodeAt is a code on a line: Offset is where its "ODPS-" starts in the
// line.
type CodeAt struct {
	Code   scan.Code
	Offset int
}

// Tracker carries the current job along one stream (a file, stdin, a
// Kafka partition) and attributes each code to a job:
//
//  1. the instance its own line names;
//  2. else the instance last named on the stream (announced, or the job
//     of a code) if that line starts within Window bytes before the
//     code's line and no odpscmd prompt (a new statement) came since;
//  3. else no instance: the job of no instance of the project named
//     last within Window (a CreateInstance that was denied), or of no
//     project.
//
// A failure is one error event, however many times it is printed. The
// codes of a job instance are one failure: the instance failed once (a
// retry is another instance). In the job of no instance, a line's codes
// start a new failure when the line starts a new log record (Pos.Record)
// and its innermost code is not the one the current failure was printed
// with within FailureGap lines; otherwise they are the current failure's.
// The codes of one line are always one failure (a nested code belongs to
// its wrapper's failure, as its root cause).
//
// A failure is recovered when the log says it was retried and the retry
// succeeded: after its last print, and within Window bytes of it, a line
// announces a retry or a fallback (retry, retrying, fall back, fallback,
// 重试: also on the failure's own lines), and then a line names another
// instance and says it succeeded (success, succeeded, 成功). Its failure
// still counts; Job.Recovered counts it recovered. A reader offers the
// lines after a failure to Watch (see Watching).
//
// A job that has failed takes no code from a line that does not name it
// once a new log record has started (Pos.Record): the codes after its
// failure are its own only within its error block (Caused by: chains,
// the message's lines). The root cause is the innermost code of its first
// line of codes, or of the last "Caused by:" line of its error block.
//
// Lines must come in stream order. Lines that neither carry codes nor
// announce anything may be left out, and so may any line that starts more
// than Window bytes before the next code's, or before the long run of
// progress lines that code follows (given to Progress instead, see
// LongRun): the jobs that fail are the same. Its memory is bounded
// (MaxJobs and the other bounds above).
type Tracker struct {
	jobs    []*Job
	byID    map[string]*Job
	current *Job
	noJob   map[string]*Job // codes of no instance, by project
	noJobs  []*Job          // in the order they were made

	project   []byte // the last project the stream named, at projectAt
	projectAt int64
	// statement is the project of the last prompt, at statementAt: an
	// instance without a project of its own lines takes it, not one
	// another job's line named.
	statement   []byte
	statementAt int64
	// newStatement says a prompt or odpscmd's OK came since the last
	// line with codes: the next failure is another statement's, however
	// alike.
	newStatement bool

	// next is the job whose root message the next line may continue;
	// nextLeft is how many more lines may.
	next     *Job
	nextLeft int

	// DroppedJobs counts the instances announced past MaxJobs: their
	// codes go to the job of no instance. (One announced again after
	// another is counted again: the tracker keeps no more of them than
	// the last.)
	DroppedJobs int64
	lastDropped []byte

	// maxJobs bounds jobs; with evict, a new instance past it makes room
	// by forgetting the one named least recently (a daemon's stream runs
	// for ever), else it is dropped (a scan lists every job it kept).
	maxJobs int
	evict   bool
	// EvictedJobs counts the jobs forgotten to make room.
	EvictedJobs int64

	// lastCode is the job of the last line with codes, which ended at
	// stream offset lastCodeNext; currentAtLastCode the current job then.
	lastCode, currentAtLastCode *Job
	lastCodeNext                int64

	// watching is the job whose current failure may still recover, until
	// stream offset watchEnd (see Watch).
	watching *Job
	watchEnd int64
	// RecoveredFailures counts the failures recovered, of every job;
	// recovered holds their codes until TakeRecovered (a stream tracker's),
	// recoveredBy counts them by code (a scan's: distinct codes bound it).
	RecoveredFailures int64
	recovered         []scan.Code
	recoveredBy       map[scan.Code]int64

	// charged is the job the last line's codes went to, started the codes
	// of it that began a failure of theirs (see Charged).
	charged *Job
	started []scan.Code
}

// NewTracker returns a tracker of an empty stream that keeps MaxJobs
// jobs: the instances announced after them are dropped (DroppedJobs).
func NewTracker() *Tracker { return &Tracker{byID: make(map[string]*Job), maxJobs: MaxJobs} }

// NewStreamTracker returns a tracker of an empty stream that keeps the
// maxJobs (at least 1, at most MaxJobs) instances named most recently: a
// new one past them makes room by forgetting the one named least
// recently (EvictedJobs). An instance forgotten and named again is a new
// job: its codes start a new failure.
func NewStreamTracker(maxJobs int) *Tracker {
	return &Tracker{byID: make(map[string]*Job), maxJobs: min(max(maxJobs, 1), MaxJobs), evict: true}
}

// Charged returns the job the codes of the last line given to Line went
// to (nil when it had none), and those of them that began a failure of
// theirs: the first print of the failure, or a code joining it for the
// first time (a cause printed after its wrapper). Its slice is reused by
// the next line.
func (t *Tracker) Charged() (*Job, []scan.Code) { return t.charged, t.started }

// Line takes the line at at, its clues (Find) and the codes found in it,
// in line order.
func (t *Tracker) Line(at Pos, line []byte, c Clues, codes []CodeAt) {
	t.next = nil
	t.charged, t.started = nil, t.started[:0]
	// The project of the stream, for the codes of no instance, is the
	// statement's (a prompt names it, or names none) or the last a line
	// with codes named: the lines a reader feeds whatever else it feeds
	// (see LookBack). An instance's own line names its project.
	if c.Statement || len(codes) > 0 && !c.Project.Empty() {
		t.project = append(t.project[:0], c.Project.Of(line)...)
		t.projectAt = at.Offset
	}
	if c.Statement {
		t.statement = append(t.statement[:0], c.Project.Of(line)...)
		t.statementAt = at.Offset
	}
	if c.Statement || c.Done {
		t.current = nil
		t.newStatement = true
	}
	var j *Job
	if !c.Instance.Empty() {
		// An instance past MaxJobs ends the current job all the same.
		j = t.job(c.Instance.Of(line))
		t.current = j
	}
	// (The line after may start one byte later: a CRLF line's span
	// leaves its '\r' out.)
	if len(codes) > 0 && at.Record && c.Time.Empty() && at.Offset-t.lastCodeNext >= 0 && at.Offset-t.lastCodeNext <= 1 {
		// Right after the last line with codes, without a timestamp of
		// its own: the same record (an exception after its log line).
		at.Record = false
	}
	switch {
	case j != nil || len(codes) == 0:
	case !at.Record && !t.newStatement && t.lastCode != nil && t.current == t.currentAtLastCode && at.Offset-t.lastCode.seen <= Window:
		// The same error block as the last line with codes, nothing
		// announced since: the same job (a Caused by: of a denial).
		j = t.lastCode
	case t.current != nil && at.Offset-t.current.seen <= Window && !(t.current.Root != 0 && at.Record):
		j = t.current
	case t.current != nil && at.Offset-t.current.seen <= Window && codes[len(codes)-1].Code == t.current.failureCode &&
		at.Line-t.current.failureLine <= FailureGap && t.current.hasAll(codes):
		// A new record printing the failed job's failure again, and
		// nothing else (a scheduler's or driver's summary): the same
		// failure.
		j = t.current
	}
	if j == nil {
		if len(codes) == 0 {
			return
		}
		var project []byte
		switch {
		case !c.Project.Empty():
			project = c.Project.Of(line)
		case at.Offset-t.projectAt <= Window:
			project = t.project
		}
		j = t.withoutInstance(project)
	}
	j.seen = at.Offset
	// A job's project is the first one named with it (its LogView's p=,
	// the statement's prompt); a job of no instance has its own.
	if j.Project == "" && j.Instance != "" {
		switch {
		case !c.Project.Empty():
			j.Project = string(c.Project.Of(line))
		case len(t.statement) > 0 && at.Offset-t.statementAt <= Window:
			// Another job's line with codes may have named a project
			// since: not this one's.
			j.Project = string(t.statement)
		}
	}
	if j.LogView == "" && !c.LogView.Empty() {
		j.LogView = LogView(c.LogView.Of(line))
	}
	if !c.RequestID.Empty() {
		j.addRequestID(c.RequestID.Of(line))
	}
	// Times are kept as bytes, a buffer a job reuses, so that a line
	// allocates nothing (Jobs makes them strings).
	ts := c.Time.Of(line)
	if len(ts) == 0 && len(codes) > 0 {
		ts = at.Time
	}
	if j.FirstLine == 0 {
		j.FirstLine, j.FirstTime = at.Line, string(ts)
	}
	j.LastLine = at.Line
	if len(ts) > 0 {
		j.lastTime = append(j.lastTime[:0], ts...)
	}
	if len(codes) == 0 {
		return
	}
	if j.firstCode == 0 {
		j.firstCode = at.Line
	}
	// The innermost code of the line: the last one on it.
	last := codes[len(codes)-1]
	if j.Failures == 0 || j.Instance == "" && (t.newStatement || at.Record && (last.Code != j.failureCode || at.Line-j.failureLine > FailureGap)) {
		j.Failures++
		j.failureCode = last.Code
		j.retried = false
	}
	j.failureLine = at.Line
	// The lines after it may say it was retried and recovered.
	if j.recoveredFailure != j.Failures { // a failure recovers once
		j.retried = j.retried || retryAnnounced(line)
		t.watching, t.watchEnd = j, at.Offset+int64(len(line))+1+RetryWindow
		if j.retried {
			t.watchEnd = at.Offset + int64(len(line)) + 1 + SuccessWindow
		}
	}
	switch {
	case j.Root == 0 || causedBy(line):
		j.Root, j.RootLine = last.Code, at.Line
		if len(ts) > 0 || j.RootTime == "" {
			j.RootTime = string(ts)
		}
		j.RootMessage = message(line, last.Offset)
		t.next, t.nextLeft = j, MaxContinuation
	case j.Root == codes[0].Code && at.Line == j.RootLine+1 && shortMessage(j.RootMessage):
		// PyODPS prints "ODPS-0130013: InstanceId: ..." as the exception's
		// header and the message on the next line, after the code again;
		// a cause nested in it is the root ("ODPS-0010000:System internal
		// error - ..., caused by: ODPS-0123131:...").
		j.Root = last.Code
		j.RootMessage = message(line, last.Offset)
		j.RootLine = at.Line
		t.next, t.nextLeft = j, MaxContinuation
	}
	t.charged = j
	t.lastCode, t.currentAtLastCode, t.lastCodeNext = j, t.current, at.Offset+int64(len(line))+1
	t.newStatement = false
	for _, m := range codes {
		if j.add(m.Code) {
			t.started = append(t.started, m.Code)
		}
	}
}

// WantsNext reports whether the line after the last one given may
// continue a root cause's message: give it to Next if it has no code
// (one with codes goes to Line, as any).
func (t *Tracker) WantsNext() bool { return t.next != nil }

// Next takes the line after the last one given, which has no code, and
// reports whether it continued the message of the root cause just found
// (it is not a new log record, a stack frame or a prompt): it is then
// added to it. A line it did not take is read as any other.
func (t *Tracker) Next(at Pos, line []byte) bool {
	j := t.next
	t.next = nil
	if j == nil || !continues(line) {
		return false
	}
	msg := redact.Bytes(bytes.TrimSpace(line))
	if j.RootMessage != "" {
		j.RootMessage += " "
	}
	j.RootMessage = string(scan.CutUTF8([]byte(j.RootMessage+string(msg)), MaxMessageBytes))
	j.LastLine = at.Line
	if t.nextLeft--; t.nextLeft > 0 && len(j.RootMessage) < MaxMessageBytes {
		t.next = j
	}
	return true
}

// causedBy reports whether line goes on with a Java exception's cause.
func causedBy(line []byte) bool {
	return hasPrefixFold(bytes.TrimLeft(line, " \t"), "caused by:")
}
