package oneshot

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// printsAndFailures is how many times a code is printed in a log, and
// how many error events those prints are.
type printsAndFailures struct{ prints, failures int64 }

// failureForms are the forms real logs take when one error event is
// printed many times (testdata/failures, written by hand from the
// shapes in odps-codes.md and the SDKs' sources), with the failures a
// reader must count in each, by code.
var failureForms = map[string]map[string]printsAndFailures{
	// Java: a wrapper with its cause nested, two Caused by: repeating the
	// cause, the scheduler's WARN naming the instance: one failure of the
	// instance; then a denied CreateInstance, printed again in its Caused
	// by: one failure of no instance.
	"java-sdk.log": {"ODPS-0010000": {1, 1}, "ODPS-0123144": {4, 1}, "ODPS-0420095": {2, 1}},
	// DataX's RetryUtil prints the refusal on each of three retries, and
	// the job container once more: one failure.
	"datax.log": {"ODPS-0420095": {4, 1}},
	// PyODPS prints the code in the exception's header and again with the
	// message; the job run again later is another instance, another
	// failure.
	"pyodps.log": {"ODPS-0130071": {4, 2}},
	// Spark on MaxCompute: the ApplicationMaster's line, the exception
	// after it, and the final status repeating it: one failure.
	"spark.log": {"ODPS-0130071": {3, 1}},
	// JSON lines: a job's error logged twice, another job's once.
	"json.log": {"ODPS-0123031": {2, 1}, "ODPS-0130071": {1, 1}},
}

func TestFailuresOfRealForms(t *testing.T) {
	var prints, failures int64
	for name, want := range failureForms {
		r := NewReport()
		if err := ScanFile(context.Background(), r, filepath.Join("testdata", "failures", name), Options{}); err != nil {
			t.Fatal(err)
		}
		total, byCode := r.Failures()
		got := map[string]printsAndFailures{}
		for _, c := range r.Codes(0) {
			got[c.Class.Code.String()] = printsAndFailures{c.Count, byCode[c.Class.Code]}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: codes (prints, failures) %v, want %v", name, got, want)
		}
		var wantTotal int64
		for _, pf := range want {
			prints += pf.prints
			wantTotal += pf.failures
		}
		// A failure counts once in all, whatever codes it holds.
		if name == "java-sdk.log" {
			wantTotal--
		}
		if total != wantTotal {
			t.Errorf("%s: %d failures in all, want %d", name, total, wantTotal)
		}
		failures += total
	}
	// Found by review: with CRLF line ends an exception's lines went to
	// another job than its log line's.
	for name, want := range failureForms {
		data, err := os.ReadFile(filepath.Join("testdata", "failures", name))
		if err != nil {
			t.Fatal(err)
		}
		r := NewReport()
		crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		if err := ScanReader(context.Background(), r, name, bytes.NewReader(crlf), Options{}); err != nil {
			t.Fatal(err)
		}
		_, byCode := r.Failures()
		for code, pf := range want {
			c, _ := scan.ParseCode(code)
			if byCode[c] != pf.failures {
				t.Errorf("%s with CRLF: %s in %d failures, want %d", name, code, byCode[c], pf.failures)
			}
		}
	}
	t.Logf("%d prints stand for %d failures in %s", prints, failures, strings.Join(slices.Sorted(maps.Keys(failureForms)), ", "))
	if fmt.Sprint(prints, failures) != "21 8" {
		t.Errorf("%d prints and %d failures, want 21 and 8", prints, failures)
	}
}

// TestRecoveredByCodeAddsUp: the recovered failures by code (what
// --format prom writes) add up to those the JSON and the table count, and
// a code has no more recovered than failures, on the shipped examples
// (which hold three recoveries).
func TestRecoveredByCodeAddsUp(t *testing.T) {
	paths, err := filepath.Glob("../../examples/*.log")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	r := NewReport()
	for _, p := range paths {
		if err := ScanFile(context.Background(), r, p, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	_, failures := r.Failures()
	var sum int64
	for code, n := range r.RecoveredByCode() {
		sum += n
		if n > failures[code] {
			t.Errorf("%s: %d recovered of %d failures", code, n, failures[code])
		}
	}
	if sum != r.Recovered() || sum != 3 {
		t.Errorf("recovered by code add up to %d, Recovered says %d; want 3", sum, r.Recovered())
	}
}
