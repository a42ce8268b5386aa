package oneshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// JSON is the document WriteJSON writes.
type JSON struct {
	Lines   int64 `json:"lines"`
	Bytes   int64 `json:"bytes"`
	Matches int64 `json:"matches"`
	// Failures counts error events, however many times each was printed
	// (see attrib.Tracker); Matches counts the prints.
	Failures int64 `json:"failures"`
	// RecoveredFailures counts the failures that were retried and
	// recovered: in Failures all the same.
	RecoveredFailures int64      `json:"recovered_failures"`
	MatchedLines      int64      `json:"matched_lines"`
	CutLines          int64      `json:"cut_lines"`
	MinSeverity       int        `json:"min_severity"`
	Files             []JSONFile `json:"files"`
	Codes             []JSONCode `json:"codes"`
	// FoldedMatches and Folded describe the undocumented codes past
	// MaxUndocumentedCodes, added up by family, module and severity.
	FoldedMatches int64        `json:"folded_matches"`
	Folded        []JSONFolded `json:"folded"`
	// Jobs are the failed jobs, each with its root cause (see
	// attrib.Tracker); FailedJobs counts them, DroppedJobs the instances
	// announced past attrib.MaxJobs in a file, whose codes went to the job
	// of no instance.
	Jobs        []JSONJob `json:"jobs"`
	FailedJobs  int       `json:"failed_jobs"`
	DroppedJobs int64     `json:"dropped_jobs"`
}

// JSONFolded is one bucket of folded undocumented codes.
type JSONFolded struct {
	Family   string `json:"family"`
	Module   string `json:"module"`
	Severity int    `json:"severity"`
	Count    int64  `json:"count"`
}

// JSONFile is one input of the JSON document.
type JSONFile struct {
	Name     string `json:"name"`
	Bytes    int64  `json:"bytes"`
	Lines    int64  `json:"lines"`
	Matches  int64  `json:"matches"`
	CutLines int64  `json:"cut_lines"`
	Binary   bool   `json:"binary"`
}

// JSONCode is one code of the JSON document.
type JSONCode struct {
	Code        string `json:"code"`
	Count       int64  `json:"count"`
	Failures    int64  `json:"failures"`
	Family      string `json:"family"`
	FamilyName  string `json:"family_name"`
	Module      string `json:"module"`
	ModuleName  string `json:"module_name"`
	Severity    int    `json:"severity"`
	DocSeverity *int   `json:"doc_severity,omitempty"`
	Documented  bool   `json:"documented"`
	Title       string `json:"title"`
	HTTPStatus  string `json:"http_status,omitempty"`
	Hint        string `json:"hint,omitempty"`
	FirstFile   string `json:"first_file"`
	FirstLine   int64  `json:"first_line"`
	LastFile    string `json:"last_file"`
	LastLine    int64  `json:"last_line"`
	General     string `json:"general"`
	Context     string `json:"context"`
	Sample      string `json:"sample"`
}

// WriteJSON writes the report as one JSON object. The totals count every
// code; "codes" lists those at or above minSeverity.
func WriteJSON(w io.Writer, r *Report, minSeverity int) error {
	doc := JSON{
		Lines: r.Lines, Bytes: r.Bytes, Matches: r.Matches, MatchedLines: r.MatchedLines,
		CutLines: r.CutLines, MinSeverity: minSeverity, Files: []JSONFile{}, Codes: []JSONCode{},
		FoldedMatches: r.FoldedMatches, Folded: []JSONFolded{},
	}
	for _, f := range r.Folded(minSeverity) {
		doc.Folded = append(doc.Folded, JSONFolded{f.Class.Family.Label, f.Class.Module.Label, f.Class.Severity, f.Count})
	}
	for _, f := range r.Files {
		doc.Files = append(doc.Files, JSONFile{f.Name, f.Bytes, f.Lines, f.Matches, f.CutLines, f.Binary})
	}
	// The jobs, most of the report, are encoded apart (writeJSONJobs).
	jobs, failed, dropped := jsonJobs(r)
	doc.Jobs, doc.FailedJobs, doc.DroppedJobs = []JSONJob{}, failed, dropped
	var failures map[scan.Code]int64
	doc.Failures, failures = r.Failures()
	doc.RecoveredFailures = r.Recovered()
	for _, s := range r.Codes(minSeverity) {
		c := s.Class
		jc := JSONCode{
			Code: c.Code.String(), Count: s.Count, Failures: failures[c.Code],
			Family: c.Family.Label, FamilyName: c.Family.Name, Module: c.Module.Label, ModuleName: c.ModuleName(),
			Severity: c.Severity, Documented: c.Entry != nil, Title: c.Title(),
			FirstFile: s.First.File, FirstLine: s.First.Line, LastFile: s.Last.File, LastLine: s.Last.Line,
			General: s.General, Context: s.Context, Sample: s.Sample,
		}
		if e := c.Entry; e != nil {
			jc.HTTPStatus, jc.Hint = e.HTTPStatus, e.Hint
			if e.DocSeverity >= 0 && e.DocSeverity != c.Severity {
				jc.DocSeverity = &e.DocSeverity
			}
		}
		doc.Codes = append(doc.Codes, jc)
	}
	// Encoded compact, then indented (indenter: four times faster than
	// the encoder's own indentation).
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false) // samples are log lines, not HTML
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return writeJSONJobs(bufio.NewWriterSize(w, 64<<10), compact.Bytes(), jobs)
}

// emptyJobs is the list of jobs in the report's compact encoding, which
// writeJSONJobs fills. (A string holding these bytes is encoded with its
// quotes escaped: they are the key's.)
var emptyJobs = []byte(`"jobs":[]`)

// writeJSONJobs writes doc, the report encoded compact with an empty list
// of jobs, indented, with jobs in the list: each encoded on its own, into
// a buffer the next reuses. Encoded with the rest, a thousand jobs grew
// the encoder's buffer and the copy of it to 2 MB each, fresh memory
// that cost more in page faults than the encoding.
func writeJSONJobs(w *bufio.Writer, doc []byte, jobs []JSONJob) error {
	head, tail, ok := bytes.Cut(doc, emptyJobs)
	if !ok {
		return errors.New("BUG: no jobs in the report's JSON")
	}
	in := indenter{w: w}
	in.write(head)
	in.write(emptyJobs[:len(emptyJobs)-1])
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range jobs {
		buf.Reset()
		if err := enc.Encode(&jobs[i]); err != nil {
			return err
		}
		if i > 0 {
			in.write([]byte{','})
		}
		in.write(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
	}
	in.write([]byte{']'})
	in.write(tail)
	return w.Flush()
}

// WriteProm writes the codes at or above minSeverity as the Prometheus
// counters the daemon exports, with source="scan" (see WritePromSource).
func WriteProm(w io.Writer, r *Report, minSeverity int) error {
	return WritePromSource(w, r, minSeverity, DefaultPromSource)
}

// DefaultPromSource is the source label of scan's counters.
const DefaultPromSource = "scan"

// WritePromSource writes the counters with source set to source: a file
// for node exporter's textfile collector, say, where each file must have
// series of its own (the collector drops a series two files share).
func WritePromSource(w io.Writer, r *Report, minSeverity int, source string) error {
	reg := prometheus.NewRegistry()
	counters, err := sink.NewErrorCounters(reg, 0)
	if err != nil {
		return err
	}
	_, failures := r.Failures()
	recovered := r.RecoveredByCode()
	for _, s := range r.Codes(minSeverity) {
		counters.Add(source, s.Class, int(s.Count))
		counters.AddFailures(source, s.Class, int(failures[s.Class.Code]))
		if n := recovered[s.Class.Code]; n > 0 {
			counters.AddRecovered(source, s.Class, int(n))
		}
		delete(failures, s.Class.Code)
		delete(recovered, s.Class.Code)
	}
	for _, f := range r.Folded(minSeverity) {
		counters.AddFolded(source, f.Class, int(f.Count))
	}
	// The failures of the codes folded, and those recovered, with theirs.
	for code, n := range failures {
		if cl := classify.Classify(code); cl.Severity >= minSeverity && r.codes[code] == nil {
			counters.AddFoldedFailures(source, cl, int(n))
		}
	}
	for code, n := range recovered {
		if cl := classify.Classify(code); cl.Severity >= minSeverity && r.codes[code] == nil {
			counters.AddFoldedRecovered(source, cl, int(n))
		}
	}
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
