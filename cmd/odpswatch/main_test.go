package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/oneshot"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// odpswatch runs the command line in-process, from the repository's root
// so that paths read as in the README.
func odpswatch(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	status = run(env{strings.NewReader(stdin), &out, &errOut, func(string) string { return "" }}, args)
	return out.String(), errOut.String(), status
}

func atRoot(t *testing.T) {
	t.Helper()
	t.Chdir("../..")
}

func exampleLogs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("examples/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example logs: %v", err)
	}
	return files
}

// TestScanGolden runs `odpswatch scan` in every format on each example log
// and on all of them at once, and compares with testdata/golden. Run
// `go test ./cmd/odpswatch -run Golden -update` to rewrite them after a
// deliberate change, and read the diff.
func TestScanGolden(t *testing.T) {
	atRoot(t)
	cases := map[string][]string{"all": exampleLogs(t)}
	for _, f := range exampleLogs(t) {
		cases[strings.TrimSuffix(filepath.Base(f), ".log")] = []string{f}
	}
	for name, files := range cases {
		for _, format := range []string{"table", "json", "prom"} {
			t.Run(name+"."+format, func(t *testing.T) {
				out, errOut, status := odpswatch(t, "", append([]string{"scan", "--format", format}, files...)...)
				if status != exitOK || errOut != "" {
					t.Fatalf("status %d, stderr %q", status, errOut)
				}
				golden := filepath.Join("cmd", "odpswatch", "testdata", "golden", name+"."+format)
				if *update {
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if out != string(want) {
					t.Errorf("output differs from %s (run with -update and read the diff):\n%s", golden, out)
				}
			})
		}
	}
}

func TestScanJSONAgreesWithTable(t *testing.T) {
	atRoot(t)
	out, _, status := odpswatch(t, "", "scan", "--format", "json", "examples/sql-job.log")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	var doc struct {
		Lines, Bytes, Matches int64
		Codes                 []struct {
			Code      string
			Count     int64
			Severity  int
			Title     string
			FirstLine int64 `json:"first_line"`
			LastLine  int64 `json:"last_line"`
			Sample    string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("examples/sql-job.log")
	if doc.Bytes != int64(len(data)) || doc.Lines != int64(bytes.Count(data, []byte("\n"))) {
		t.Errorf("bytes %d lines %d, want %d %d", doc.Bytes, doc.Lines, len(data), bytes.Count(data, []byte("\n")))
	}
	lines := strings.Split(string(data), "\n")
	var total int64
	for i, c := range doc.Codes {
		total += c.Count
		if i > 0 && c.Severity > doc.Codes[i-1].Severity {
			t.Errorf("codes not ordered by severity: %s after %s", c.Code, doc.Codes[i-1].Code)
		}
		if !strings.Contains(lines[c.FirstLine-1], c.Code) || !strings.Contains(lines[c.LastLine-1], c.Code) {
			t.Errorf("%s: lines %d and %d do not both hold it", c.Code, c.FirstLine, c.LastLine)
		}
		if !strings.Contains(c.Sample, c.Code) {
			t.Errorf("%s: sample %q does not hold it", c.Code, c.Sample)
		}
	}
	if total != doc.Matches || total == 0 {
		t.Errorf("codes add up to %d, matches %d", total, doc.Matches)
	}
}

// TestPromtoolAcceptsExposition runs the real promtool on `scan --format
// prom`: it must print nothing. CI installs promtool; elsewhere the test is
// skipped when it is missing.
func TestPromtoolAcceptsExposition(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run must install Debian's prometheus package")
		}
		t.Skip("promtool not installed")
	}
	atRoot(t)
	out, _, status := odpswatch(t, "", append([]string{"scan", "--format", "prom"}, exampleLogs(t)...)...)
	if status != exitOK || !strings.Contains(out, "odpswatch_errors_total{") {
		t.Fatalf("status %d, output %q", status, out)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(out)
	lint, err := cmd.CombinedOutput()
	if err != nil || len(lint) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, lint)
	}
}

func TestScanExitStatus(t *testing.T) {
	atRoot(t)
	// sql-job.log holds severity 9 (ODPS-0110999); pyodps-job.log's highest
	// is checked from its JSON rather than assumed.
	if _, _, s := odpswatch(t, "", "scan", "--fail-on-severity", "9", "examples/sql-job.log"); s != exitFound {
		t.Errorf("--fail-on-severity 9 with a severity-9 code: status %d, want 1", s)
	}
	if _, _, s := odpswatch(t, "", "scan", "examples/sql-job.log", "--fail-on-severity", "5", "--format", "json"); s != exitFound {
		t.Errorf("flags after the file: status %d, want 1", s)
	}
	if _, _, s := odpswatch(t, "ok line\nODPS-0130071:x\n", "scan", "--fail-on-severity", "2", "-"); s != exitOK {
		t.Errorf("severity 1 only, --fail-on-severity 2: status %d, want 0", s)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "no/such.log"}, "cannot open no/such.log"},
		{[]string{"scan", "examples"}, "cannot scan examples: is a directory"},
		{[]string{"scan", "--format", "xml", "examples/sql-job.log"}, `--format "xml": want table, json or prom`},
		{[]string{"scan", "--min-severity", "10"}, "--min-severity 10: want 0 to 9"},
		{[]string{"scan", "--fail-on-severity", "-3"}, "--fail-on-severity -3: want 0 to 9"},
		{[]string{"scan", "--max-line-bytes", "10"}, "--max-line-bytes 10"},
		{[]string{"scan", "--workers", "100000", "examples/sql-job.log"}, "--workers 100000: want 0 (one per CPU) to 64"},
		{[]string{"scan", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"explain", "ODPS-013007"}, "not an ODPS error code"},
		{[]string{"explain"}, "name a code"},
		{[]string{"codes", "--family", "nope"}, `--family "nope": want two digits or one of common, sql`},
	} {
		_, errOut, s := odpswatch(t, "", tc.args...)
		if s != exitFailure || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", tc.args, s, errOut, tc.want)
		}
	}
}

// TestScanUnreadableKeepsGoing scans a good file after a missing one: the
// good one is reported, and the status says something failed.
func TestScanUnreadableKeepsGoing(t *testing.T) {
	atRoot(t)
	out, errOut, s := odpswatch(t, "", "scan", "--format", "json", "missing.log", "examples/sql-job.log")
	if s != exitFailure || !strings.Contains(errOut, "missing.log") || !strings.Contains(out, "ODPS-0110999") {
		t.Errorf("status %d stderr %q; want 2, the error, and the other file's codes", s, errOut)
	}
}

// TestDoubleDash scans files whose names look like flags, after "--".
func TestDoubleDash(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"-a", "-b"} {
		if err := os.WriteFile(name, []byte("ODPS-0130071:x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, s := odpswatch(t, "", "scan", "--format", "json", "--", "-a", "-b")
	if s != exitOK || !strings.Contains(out, `"matches": 2`) {
		t.Errorf("status %d stderr %q output %q", s, errOut, out)
	}
}

func TestScanStdinAndGzip(t *testing.T) {
	atRoot(t)
	data, err := os.ReadFile("examples/mr-job.log")
	if err != nil {
		t.Fatal(err)
	}
	plain, _, _ := odpswatch(t, "", "scan", "--format", "prom", "examples/mr-job.log")
	fromStdin, _, s := odpswatch(t, string(data), "scan", "--format", "prom")
	if s != exitOK || fromStdin != plain {
		t.Errorf("stdin gave status %d and a different result:\n%s\nwant\n%s", s, fromStdin, plain)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	gz := filepath.Join(t.TempDir(), "mr-job.log.1") // no .gz: found by magic bytes
	if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fromGzip, _, s := odpswatch(t, "", "scan", "--format", "prom", gz)
	if s != exitOK || fromGzip != plain {
		t.Errorf("gzip gave status %d and a different result", s)
	}
	gzStdin, _, s := odpswatch(t, z.String(), "scan", "--format", "prom", "-")
	if s != exitOK || gzStdin != plain {
		t.Errorf("gzip on stdin gave status %d and a different result", s)
	}
}

// Several gzip files are inflated side by side (one a worker); the report,
// the warnings and the errors are those of scanning them one after the
// other (--workers 1).
func TestScanGzipFilesSideBySide(t *testing.T) {
	atRoot(t)
	dir := t.TempDir()
	var args []string
	for i, ex := range []string{"examples/mr-job.log", "examples/console-cjk.log", "examples/mr-job.log"} {
		data, err := os.ReadFile(ex)
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		if i == 1 {
			z.WriteString("trailing garbage") // a warning in its place
		}
		gz := filepath.Join(dir, fmt.Sprintf("%d.gz", i))
		if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, gz)
		if i == 1 {
			args = append(args, filepath.Join(dir, "missing.gz")) // an error in its place
		}
	}
	for _, format := range []string{"json", "table", "prom"} {
		seqOut, seqErr, seqStatus := odpswatch(t, "", append([]string{"scan", "--workers", "1", "--format", format}, args...)...)
		out, errOut, status := odpswatch(t, "", append([]string{"scan", "--workers", "3", "--format", format}, args...)...)
		if out != seqOut || errOut != seqErr || status != seqStatus {
			t.Errorf("%s, 3 side by side: status %d, stderr %q, output:\n%s\nwant (one after another) status %d, stderr %q, output:\n%s",
				format, status, errOut, out, seqStatus, seqErr, seqOut)
		}
		if !strings.Contains(seqErr, "missing.gz") || !strings.Contains(seqErr, "trailing garbage") || seqStatus != exitFailure {
			t.Errorf("%s: one after another, status %d and stderr %q: want the missing file and the trailing garbage", format, seqStatus, seqErr)
		}
	}
}

func TestScanMinSeverity(t *testing.T) {
	atRoot(t)
	out, _, _ := odpswatch(t, "", "scan", "--format", "json", "--min-severity", "5", "examples/console-cjk.log")
	var doc struct{ Codes []struct{ Severity int } }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Codes) == 0 {
		t.Fatal("no code of severity 5 or above in console-cjk.log")
	}
	for _, c := range doc.Codes {
		if c.Severity < 5 {
			t.Errorf("severity %d listed with --min-severity 5", c.Severity)
		}
	}
}

func TestExplain(t *testing.T) {
	out, _, s := odpswatch(t, "", "explain", "ODPS-0420095", "0130999", "odps-0424145")
	if s != exitOK {
		t.Fatalf("status %d", s)
	}
	e, _ := classify.Lookup(420095)
	for _, want := range []string{
		"ODPS-0420095", "04 API", "Worker-Request handler", "Access Denied", "403", e.Hint,
		"ODPS-0130999", "01 SQL", "PARSER", "not documented",
		"ODPS-0424145", "the documentation's table says 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = odpswatch(t, "", "explain", "ODPS-6412345")
	if !strings.Contains(out, "64 (not a documented family)") || !strings.Contains(out, "outside the family's documented module ranges") {
		t.Errorf("explain of an unknown family:\n%s", out)
	}
}

func TestCodes(t *testing.T) {
	out, _, s := odpswatch(t, "", "codes", "--family", "sql", "--min-severity", "5")
	if s != exitOK {
		t.Fatalf("status %d", s)
	}
	want := 0
	for _, e := range classify.Catalog() {
		if e.Code.Family() == 1 && e.Code.Severity() >= 5 {
			want++
			if !strings.Contains(out, e.Code.String()) {
				t.Errorf("codes lacks %s", e.Code)
			}
		}
	}
	if !strings.Contains(out, "\n"+strconv.Itoa(want)+" codes\n") || strings.Contains(out, "ODPS-04") {
		t.Errorf("codes --family sql --min-severity 5 printed:\n%s", out)
	}
	out, _, _ = odpswatch(t, "", "codes")
	if !strings.Contains(out, "\n246 codes\n") {
		t.Errorf("codes lists %q, want 246", out[strings.LastIndexByte(strings.TrimSpace(out), '\n'):])
	}
}

func TestVersionAndHelp(t *testing.T) {
	if out, _, s := odpswatch(t, "", "version"); s != exitOK || !strings.HasPrefix(out, "odpswatch ") {
		t.Errorf("version: %d %q", s, out)
	}
	if out, _, s := odpswatch(t, "", "--help"); s != exitOK || !strings.Contains(out, "odpswatch scan") {
		t.Errorf("--help: %d %q", s, out)
	}
	if _, errOut, s := odpswatch(t, "", "scan", "--help"); s != exitOK || !strings.Contains(errOut, "-fail-on-severity") {
		t.Errorf("scan --help: %d %q", s, errOut)
	}
	if _, _, s := odpswatch(t, ""); s != exitFailure {
		t.Errorf("no command: status %d, want 2", s)
	}
}

// check-config prints what is valid but likely a mistake as a warning on
// stderr, and still exits 0.
func TestCheckConfigWarns(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfg, []byte("sources:\n  - name: jobs\n    type: file\n    paths: [\"/nonexistent-dir-odpswatch/*.log\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, status := odpswatch(t, "", "check-config", cfg)
	if status != exitOK || !strings.Contains(out, "valid, 1 sources") {
		t.Errorf("check-config: status %d, stdout %q; want 0 and valid", status, out)
	}
	if want := cfg + `: warning: source "jobs": its paths match no file now`; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

// The table fits the terminal: 80 columns by default (CJK characters
// count two), $COLUMNS when it is set, and a wider terminal gets more.
func TestScanTableFitsColumns(t *testing.T) {
	atRoot(t)
	args := append([]string{"scan"}, exampleLogs(t)...)
	for _, c := range []struct {
		columns string
		width   int
	}{{"", 80}, {"120", 120}, {"50", 50}, {"20", oneshot.MinTableWidth}, {"wide", 80}} {
		var out, errOut bytes.Buffer
		getenv := func(k string) string {
			if k == "COLUMNS" {
				return c.columns
			}
			return ""
		}
		if status := run(env{strings.NewReader(""), &out, &errOut, getenv}, args); status != 0 {
			t.Fatalf("COLUMNS=%q: status %d: %s", c.columns, status, errOut.String())
		}
		widest := 0
		for _, line := range strings.Split(out.String(), "\n") {
			w := 0
			for _, r := range line {
				w++
				if unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hangul, unicode.Hiragana, unicode.Katakana) || 0xff00 <= r && r <= 0xff60 || 0x3000 <= r && r <= 0x303e {
					w++
				}
			}
			if w > c.width {
				t.Errorf("COLUMNS=%q: a line of %d columns, more than %d: %q", c.columns, w, c.width, line)
			}
			widest = max(widest, w)
		}
		if widest < c.width*9/10 {
			t.Errorf("COLUMNS=%q: the widest line has %d columns, the table does not use the %d it has", c.columns, widest, c.width)
		}
		if !strings.Contains(out.String(), "failed jobs") || !strings.Contains(out.String(), "ODPS-0130013") {
			t.Errorf("COLUMNS=%q: no jobs or codes:\n%s", c.columns, out.String())
		}
	}
}

// --fail-on failure gates on failed jobs and error events, whatever their
// severity digit, and says why; --fail-on severity:N is the old gate.
func TestScanFailOn(t *testing.T) {
	atRoot(t)
	// A log whose only failure is ODPS-0010000, severity 0: every
	// severity gate above 0 lets it through.
	wrapper := "ID = 20261201090300002gb7kq1m6\nFAILED: ODPS-0010000:System internal error - fuxi job failed\n"
	out, errOut, s := odpswatch(t, wrapper, "scan", "--fail-on", "failure", "-")
	if s != exitFound || !strings.Contains(errOut, "--fail-on failure: 1 failure") ||
		!strings.Contains(errOut, "instance 20261201090300002gb7kq1m6 failed with ODPS-0010000 (System internal error) at line 2") {
		t.Errorf("--fail-on failure: status %d, stderr %q", s, errOut)
	}
	if !strings.Contains(out, "1 failed job") {
		t.Errorf("the report is still written on a failing gate:\n%s", out)
	}
	if _, errOut, s := odpswatch(t, wrapper, "scan", "--fail-on", "severity:1", "-"); s != exitOK || errOut != "" {
		t.Errorf("--fail-on severity:1 on a severity-0 failure: status %d, stderr %q", s, errOut)
	}
	// Retried, and the retry succeeded: a failure, recovered, which the
	// gate lets through; it fails on the same log without the success.
	retried := "2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gjoba\n" +
		"odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gjoba\n" +
		"2026-12-01 10:01:00,001 WARN retrying in a new instance\n"
	success := "2026-12-01 10:01:30,003 INFO instance 20261201100100002gjobb status=Terminated, success\n"
	if out, errOut, s := odpswatch(t, retried+success, "scan", "--fail-on", "failure", "-"); s != exitOK || errOut != "" ||
		!strings.Contains(out, "retried and recovered (1 of 1)") || !strings.Contains(out, "1 failure (1 recovered)") {
		t.Errorf("--fail-on failure on a recovered failure: status %d, stderr %q\n%s", s, errOut, out)
	}
	if _, errOut, s := odpswatch(t, retried, "scan", "--fail-on", "failure", "-"); s != exitFound || !strings.Contains(errOut, "--fail-on failure: 1 failure") {
		t.Errorf("--fail-on failure on a retry not known to succeed: status %d, stderr %q", s, errOut)
	}
	if _, errOut, s := odpswatch(t, "all fine\n", "scan", "--fail-on", "failure", "-"); s != exitOK || errOut != "" {
		t.Errorf("--fail-on failure without codes: status %d, stderr %q", s, errOut)
	}
	_, errOut, s = odpswatch(t, "", "scan", "--fail-on", "severity:9", "examples/sql-job.log")
	if s != exitFound || !strings.Contains(errOut, "ODPS-0110999 (severity 9") || !strings.Contains(errOut, "examples/sql-job.log:262") {
		t.Errorf("--fail-on severity:9: status %d, stderr %q", s, errOut)
	}
	_, errOut, s = odpswatch(t, "", "scan", "--fail-on", "failure", "examples/sql-job.log")
	if s != exitFound || !strings.Contains(errOut, "… and 9 more failed jobs") {
		t.Errorf("--fail-on failure names at most %d jobs and counts the rest: status %d, stderr %q", maxReasons, s, errOut)
	}
	for _, c := range []struct{ args []string }{
		{[]string{"--fail-on", "sev"}}, {[]string{"--fail-on", "severity:10"}}, {[]string{"--fail-on", "severity:x"}},
		{[]string{"--fail-on", "failure", "--fail-on-severity", "3"}}, {[]string{"--source", ""}},
	} {
		args := append(append([]string{"scan"}, c.args...), "examples/sql-job.log")
		if _, errOut, s := odpswatch(t, "", args...); s != exitFailure || !strings.Contains(errOut, "scan: --") {
			t.Errorf("%v: status %d, stderr %q; want 2 and the flag named", c.args, s, errOut)
		}
	}
}

// Failures, not prints, in the JSON: per code, per job and in all, and
// consistent with each other.
func TestScanCountsFailures(t *testing.T) {
	atRoot(t)
	out, _, s := odpswatch(t, "", "scan", "--format", "json", "internal/oneshot/testdata/jobs/odpscmd.log")
	if s != exitOK {
		t.Fatalf("status %d", s)
	}
	var doc struct {
		Matches, Failures int64
		Codes             []struct {
			Code            string
			Count, Failures int64
		}
		Jobs []struct{ Failures int64 }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var jobs int64
	for _, j := range doc.Jobs {
		jobs += j.Failures
	}
	if doc.Failures != 3 || jobs != 3 || doc.Matches != 4 {
		t.Errorf("%d failures (%d in the jobs) for %d prints; want 3 failures of 4 prints", doc.Failures, jobs, doc.Matches)
	}
	for _, c := range doc.Codes {
		if c.Failures != 1 || c.Failures > c.Count {
			t.Errorf("%s: %d failures of %d prints, want 1", c.Code, c.Failures, c.Count)
		}
	}
	out, _, _ = odpswatch(t, "", "scan", "--format", "prom", "--source", "odpscmd.log", "internal/oneshot/testdata/jobs/odpscmd.log")
	if !strings.Contains(out, `source="odpscmd.log"`) || strings.Contains(out, `source="scan"`) {
		t.Errorf("--source does not name the series:\n%s", out)
	}
}

// What a release build stamps (-X main.version, main.commit, main.date) is
// what version and --version print.
func TestVersionShowsTheStamp(t *testing.T) {
	v, c, d := version, commit, date
	t.Cleanup(func() { version, commit, date = v, c, d })
	version, commit, date = "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T09:00:00Z"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, s := odpswatch(t, "", args...)
		if s != exitOK || !strings.HasPrefix(out, "odpswatch v1.2.3, revision 0123456789abcdef0123456789abcdef01234567, built from a commit of 2026-12-01T09:00:00Z, go") {
			t.Errorf("%v: status %d, %q", args, s, out)
		}
	}
}
