package daemon

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/filesource"
	"github.com/odpswatch/odpswatch/internal/kafkasource"
	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/status"
)

// statusDocument gathers what /api/v1/status and the status page show.
// Its work is bounded: a stat of at most status.MaxFilesListed files a
// source (those furthest behind), the recorder's hour, the alerts firing.
func (d *Daemon) statusDocument(now time.Time) status.Document {
	b := d.opts.Version
	doc := status.Document{
		Schema: status.Schema, Version: b.Version, Revision: b.Revision, GoVersion: b.GoVersion,
		StartedAt: d.started.UTC(), UptimeSeconds: now.Sub(d.started).Seconds(), ConfigFile: d.opts.ConfigFile,
		Problems: d.stuck(now), Links: []string{"/metrics", "/-/healthy", "/-/ready", "/api/v1/status"},
		GeneratedAt: now.UTC(),
	}
	doc.Healthy = len(doc.Problems) == 0
	select {
	case <-d.ready:
		doc.Ready = true
	default:
	}
	d.reloadMu.Lock()
	if d.lastReload != nil {
		r := *d.lastReload
		doc.LastReload = &r
	}
	d.reloadMu.Unlock()

	for _, rs := range d.runningSources() {
		s := status.Source{Name: rs.cfg.Name, Type: rs.cfg.Type, Globs: rs.cfg.Paths, Topics: rs.cfg.Topics,
			Files: []status.File{}, Partitions: []status.Partition{}, Problems: []string{}}
		if f := rs.file.Load(); f != nil {
			files, problems := f.Status()
			s.FilesTotal = len(files)
			for _, fs := range mostBehind(files, status.MaxFilesListed) {
				file := status.File{Path: fs.Path, Offset: fs.Offset, Size: -1, LagBytes: -1}
				if st, err := os.Stat(fs.Path); err == nil {
					file.Size, file.LagBytes = st.Size(), max(st.Size()-fs.Offset, 0)
				}
				if !fs.LastRead.IsZero() {
					at := fs.LastRead.UTC()
					file.LastRead = &at
				}
				s.Files = append(s.Files, file)
			}
			slices.SortFunc(s.Files, func(a, b status.File) int {
				return cmp.Or(cmp.Compare(b.LagBytes, a.LagBytes), cmp.Compare(a.Path, b.Path))
			})
			for _, path := range slices.Sorted(maps.Keys(problems)) {
				if len(s.Problems) == status.MaxProblemsListed {
					break
				}
				s.Problems = append(s.Problems, path+": "+problems[path])
			}
		}
		if k, ok := rs.src.(*kafkasource.Source); ok {
			for _, p := range k.Partitions() {
				if len(s.Partitions) == status.MaxPartitionsListed {
					break
				}
				s.Partitions = append(s.Partitions, status.Partition{Topic: p.Topic, Partition: p.Partition, Lag: p.Lag})
			}
		}
		doc.Sources = append(doc.Sources, s)
	}
	slices.SortFunc(doc.Sources, func(a, b status.Source) int { return cmp.Compare(a.Name, b.Name) })

	top, other := d.recorder.Top(now, status.MaxCodesListed)
	doc.OtherCodes = status.Count{Prints: other.Prints, Failures: other.Failures}
	doc.TopCodes = []status.Code{}
	for _, c := range top {
		cl := classify.Classify(c.Code)
		code := status.Code{Code: c.Code.String(), Title: cl.Title(), Family: cl.Family.Label, Module: cl.Module.Label,
			Severity: cl.Severity, Prints: c.Prints, Failures: c.Failures}
		if cl.Entry != nil {
			code.Hint = cl.Entry.Hint
		}
		doc.TopCodes = append(doc.TopCodes, code)
	}
	doc.FailingJobs = []status.FailJob{}
	for _, j := range d.recorder.Jobs(now) {
		doc.FailingJobs = append(doc.FailingJobs, status.FailJob{Source: j.Source, Instance: j.Instance, Project: j.Project,
			LogView: j.LogView, Code: j.Code.String(), Title: classify.Classify(j.Code).Title(), At: j.At.UTC()})
	}
	doc.AlertsFiring = []status.Alert{}
	for _, a := range d.alerts.Firing() {
		if len(doc.AlertsFiring) == status.MaxAlertsListed {
			break
		}
		doc.AlertsFiring = append(doc.AlertsFiring, status.Alert{Rule: a.Labels["alertname"], Labels: a.Labels,
			Summary: a.Annotations["summary"], StartsAt: a.StartsAt.UTC()})
	}
	return doc
}

// runningSources returns the sources running, from the copy the health
// check reads (it never waits on d.mu).
func (d *Daemon) runningSources() []*runningSource {
	var out []*runningSource
	if m := d.running.Load(); m != nil {
		for _, rs := range *m {
			out = append(out, rs)
		}
	}
	return out
}

// serveStatus answers /api/v1/status.
func (d *Daemon) serveStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET.", http.StatusMethodNotAllowed)
		return
	}
	body, err := json.MarshalIndent(d.statusDocument(time.Now()), "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Every text is a log's or the configuration's: tokens go, whatever
	// path they took.
	body = redact.Bytes(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// servePage answers / with the status page: the status document as
// HTML (status.WritePage), redacted as the JSON is.
func (d *Daemon) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET.", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := status.WritePage(&buf, d.statusDocument(time.Now())); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(redact.Bytes(buf.Bytes()))
}

// noteReload keeps the last reload's result for the status page.
func (d *Daemon) noteReload(err error) {
	r := &status.Reload{At: time.Now().UTC(), Successful: err == nil}
	if err != nil {
		r.Error = string(redact.Bytes([]byte(err.Error())))
	}
	d.reloadMu.Lock()
	d.lastReload = r
	d.reloadMu.Unlock()
}

// mostBehind returns the n files furthest behind their end, as the source
// last saw it (those it has not sized yet last), by path when even: the
// files the page lists, whatever order the source keeps them in, and
// only they are looked at again.
func mostBehind(files []filesource.FileStatus, n int) []filesource.FileStatus {
	lag := func(f filesource.FileStatus) int64 {
		if f.Size < 0 {
			return -1
		}
		return max(f.Size-f.Offset, 0)
	}
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b filesource.FileStatus) int {
		return cmp.Or(cmp.Compare(lag(b), lag(a)), cmp.Compare(a.Path, b.Path))
	})
	return files[:min(n, len(files))]
}
