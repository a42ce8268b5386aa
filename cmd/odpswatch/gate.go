package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/oneshot"
)

// gate is what makes `scan` exit 1: any failure (--fail-on failure), or a
// code at or above a severity (--fail-on severity:N, --fail-on-severity N).
type gate struct {
	failure  bool
	severity int // -1: none
}

// parseGate reads --fail-on's value.
func parseGate(spec string) (gate, error) {
	g := gate{severity: -1}
	switch {
	case spec == "":
	case spec == "failure":
		g.failure = true
	case strings.HasPrefix(spec, "severity:"):
		n, err := strconv.Atoi(strings.TrimPrefix(spec, "severity:"))
		if err != nil || n < 0 || n > 9 {
			return g, fmt.Errorf("--fail-on %q: the severity must be 0 to 9", spec)
		}
		g.severity = n
	default:
		return g, fmt.Errorf("--fail-on %q: want failure or severity:N (N from 0 to 9)", spec)
	}
	return g, nil
}

// maxReasons bounds the failures a failing gate names on stderr.
const maxReasons = 3

// check returns why the report fails the gate, one line each, or nothing.
func (g gate) check(r *oneshot.Report) []string {
	var why []string
	if g.failure {
		total, _ := r.Failures()
		if n := total - r.Recovered(); n > 0 {
			recovered := ""
			if total > n {
				recovered = fmt.Sprintf(" (and %d retried and recovered)", total-n)
			}
			why = append(why, fmt.Sprintf("--fail-on failure: %d %s%s", n, pluralize(n, "failure", "failures"), recovered))
			named, jobs := 0, 0
			for _, f := range r.Files {
				for _, j := range f.Jobs() {
					if !j.Failed() || j.Recovered == j.Failures {
						continue
					}
					if jobs++; named < maxReasons {
						why = append(why, "  "+failedJob(f.Name, j, len(r.Files) > 1))
						named++
					}
				}
			}
			if jobs > named {
				why = append(why, fmt.Sprintf("  … and %d more failed %s (--format json lists them)", jobs-named, pluralize(int64(jobs-named), "job", "jobs")))
			}
		}
	}
	if g.severity >= 0 && r.MaxSeverity() >= g.severity {
		codes := r.Codes(g.severity)
		line := fmt.Sprintf("--fail-on severity:%d: %d %s at severity %d or above", g.severity, len(codes), pluralize(int64(len(codes)), "code", "codes"), g.severity)
		if len(codes) > 0 {
			c := codes[0]
			line += fmt.Sprintf("; the most severe: %s (severity %d, %s) first at %s:%d", c.Class.Code, c.Class.Severity, c.Class.Title(), c.First.File, c.First.Line)
		} else {
			line += " (undocumented codes past the first 1000, folded)"
		}
		why = append(why, line)
	}
	return why
}

// failedJob says in one line which job failed, with what and where.
func failedJob(file string, j *attrib.Job, withFile bool) string {
	who := "a job of no instance"
	if j.Instance != "" {
		who = "instance " + j.Instance
	}
	if j.Project != "" {
		who += " of project " + j.Project
	}
	where := "line " + strconv.FormatInt(j.RootLine, 10)
	if withFile {
		where = file + ":" + strconv.FormatInt(j.RootLine, 10)
	}
	return fmt.Sprintf("%s failed with %s (%s) at %s", who, j.Root, classify.Classify(j.Root).Title(), where)
}

func pluralize(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
