package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/config"
)

// Metric names and the code the inputs carry.
const (
	errorsTotal = "odpswatch_errors_total"
	linesTotal  = "odpswatch_source_lines_total"
	cutTotal    = "odpswatch_source_lines_cut_total"
	readErrors  = "odpswatch_file_read_errors_total"
	watched     = "odpswatch_files_watched"
	denied      = "ODPS-0420095"
)

// fastSource makes a source notice new files and idle lines quickly.
const fastSource = "    poll_interval: 50ms\n    rescan_interval: 200ms\n    partial_line_timeout: 200ms\n"

// TestBadInput feeds the daemon input that a log follower meets sooner or
// later, and checks what it counts and that it stays up.
func TestBadInput(t *testing.T) {
	t.Run("long line without newline", testLongLine)
	t.Run("binary data", testBinaryData)
	t.Run("unreadable file", testUnreadableFile)
	t.Run("directory matching the glob", testDirectoryMatches)
	t.Run("a thousand files", testThousandFiles)
}

// testLongLine writes two lines of 100 MiB in 1 MiB chunks while the daemon
// follows them: one then ends with '\n' and is followed by a short line,
// the other never ends and goes idle. Each is cut at max_line_bytes: the
// code in its first bytes counts, codes past the cut do not, the cut is
// counted once, and the daemon's memory stays bounded.
func testLongLine(t *testing.T) {
	const (
		chunk    = 1 << 20
		lineSize = 100 << 20
		hwmLimit = 150 << 20
	)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	mkdir(t, logs)
	cfg := filepath.Join(dir, "odpswatch.yml")
	// partial_line_timeout is long enough that a writer stalled by a loaded
	// machine between two chunks does not end the line early.
	writeFile(t, cfg, []byte(configYAML("  max_line_bytes: 1048576\n", filepath.Join(logs, "*.log"),
		"    rescan_interval: 200ms\n    partial_line_timeout: 3s\n")), 0o644)
	ended, idle := filepath.Join(logs, "ended.log"), filepath.Join(logs, "idle.log")
	writeFile(t, ended, nil, 0o644)
	writeFile(t, idle, nil, 0o644)
	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()

	// The first chunk (exactly max_line_bytes) opens with a code; the others
	// carry another code that lies past the cut and must not be counted.
	head := bytes.Repeat([]byte("x"), chunk)
	copy(head, "2026-11-27 FAILED: ODPS-0420095: Access Denied - ")
	rest := bytes.Repeat([]byte("0123456789abcdef "), chunk/17+1)[:chunk]
	for i := 1000; i+20 < chunk; i += 4096 {
		copy(rest[i:], " ODPS-0130071: x ")
	}
	writeLong := func(path string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for off := 0; off < lineSize; off += chunk {
			c := rest
			if off == 0 {
				c = head
			}
			if _, err := f.Write(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	writeLong(idle)
	writeLong(ended)
	appendFile(t, ended, []byte("\n2026-11-27 FAILED: ODPS-0420095: Access Denied - after the long line\n"))
	t.Logf("wrote 2 × 100 MiB in %v", time.Since(start).Round(time.Millisecond))

	// ended.log: its long line and the next; idle.log: its long line once
	// it has been idle for partial_line_timeout.
	d.waitMetric(2, cutTotal, "source", "jobs")
	d.waitMetric(3, linesTotal, "source", "jobs")
	d.waitMetric(3, errorsTotal, "source", "jobs", "code", denied)
	t.Logf("both cuts counted %v after the writes began", time.Since(start).Round(time.Millisecond))
	if v := d.value(errorsTotal, "code", "ODPS-0130071"); v != 0 {
		t.Errorf("codes past max_line_bytes were counted: %v", v)
	}
	if v := d.value(cutTotal, "source", "jobs"); v != 2 {
		t.Errorf("lines cut: %v, want 2", v)
	}
	hwm, err := vmHWM(d.pid())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VmHWM %.1f MiB after two 100 MiB lines (limit %d MiB)", float64(hwm)/(1<<20), hwmLimit>>20)
	if hwm > hwmLimit {
		t.Errorf("VmHWM %.1f MiB, want under %d MiB: a long line is not bounded by max_line_bytes", float64(hwm)/(1<<20), hwmLimit>>20)
	}
	d.assertHealthy()
}

// testBinaryData appends random binary bytes, runs of NUL and invalid UTF-8
// with codes in between, and checks every code and line is counted exactly.
func testBinaryData(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	mkdir(t, logs)
	path := filepath.Join(logs, "binary.log")
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("", filepath.Join(logs, "*.log"), fastSource)), 0o644)

	rng := rand.New(rand.NewPCG(27, 11))
	codes := []string{"ODPS-0420095", "ODPS-0130071", "ODPS-0123105", "ODPS-0110999"}
	// Non-word bytes around a code: ASCII punctuation, NUL, bytes that are
	// invalid UTF-8, and CJK text, as in 然后会报错ODPS-0130161.
	before := [][]byte{{0}, {0xff}, {0x80}, {0xc3}, {' '}, {'('}, {'\t'}, {'\n'}, []byte("报错"), []byte("（")}
	after := [][]byte{{0}, {0xff}, {':'}, {'\r'}, []byte("）"), {'\n'}, {0xed, 0xa0, 0x80}, {0xc0, 0xaf}, []byte(": x - y")}
	want := map[string]int{}
	part := func(n int) []byte {
		var b []byte
		for range n {
			switch rng.IntN(5) {
			case 0: // random bytes; no 'O', so that no code appears by chance
				for range rng.IntN(400) {
					c := byte(rng.IntN(256))
					if c == 'O' {
						c = 0
					}
					b = append(b, c)
				}
			case 1:
				b = append(b, make([]byte, 1+rng.IntN(3000))...)
			case 2:
				b = append(b, [][]byte{{0xff, 0xfe}, {0xc3, 0x28}, {0xe2, 0x82}, {0xf0, 0x28, 0x8c, 0xbc}, {0x80, 0x80}}[rng.IntN(5)]...)
			default:
				c := codes[rng.IntN(len(codes))]
				b = append(b, before[rng.IntN(len(before))]...)
				b = append(b, c...)
				b = append(b, after[rng.IntN(len(after))]...)
				want[c]++
			}
		}
		return append(b, '\n')
	}
	// 4 KiB of NUL opens the file.
	first := append(make([]byte, 4096), '\n')
	first = append(first, part(500)...)
	writeFile(t, path, first, 0o644)
	lines := bytes.Count(first, []byte{'\n'})
	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()
	check := func() {
		t.Helper()
		d.waitMetric(float64(lines), linesTotal, "source", "jobs")
		for _, c := range codes {
			if v := d.value(errorsTotal, "source", "jobs", "code", c); v != float64(want[c]) {
				t.Errorf("%s counted %v times, want %d", c, v, want[c])
			}
		}
	}
	check()
	for range 4 {
		p := part(2000)
		appendFile(t, path, p)
		lines += bytes.Count(p, []byte{'\n'})
		check()
	}
	st, _ := os.Stat(path)
	t.Logf("%d bytes, %d lines, codes %v", st.Size(), lines, want)
	d.assertHealthy()
}

// testUnreadableFile runs the daemon as nobody so that a file of mode 0000
// cannot be opened (root reads everything): the file is reported with
// reason "open", the others are counted, and once it becomes readable it
// is followed at the next rescan.
func testUnreadableFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run odpswatch as nobody (uid 65534): a file of mode 0000 is only unreadable for a user without CAP_DAC_OVERRIDE and root owns the test files")
	}
	// Not t.TempDir(): its parent is 0700, and nobody must reach the files.
	dir, err := os.MkdirTemp("", "odpswatch-e2e-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logs, state := filepath.Join(dir, "logs"), filepath.Join(dir, "state")
	mkdir(t, logs)
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(state, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	readable, secret := filepath.Join(logs, "readable.log"), filepath.Join(logs, "secret.log")
	writeFile(t, readable, []byte("FAILED: ODPS-0420095: Access Denied - a\nFAILED: ODPS-0420095: Access Denied - b\n"), 0o644)
	writeFile(t, secret, []byte("FAILED: ODPS-0130071: no such table\n"), 0o644)
	if err := os.Chmod(secret, 0); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("  positions_save_interval: 1s\n", filepath.Join(logs, "*.log"), fastSource)), 0o644)

	d := startDaemon(t, daemonOptions{config: cfg, stateDir: state, dir: dir, asNobody: true})
	if uid, err := procUID(d.pid()); err != nil || uid != "65534" {
		t.Fatalf("odpswatch runs as uid %q (%v), want 65534", uid, err)
	}
	d.waitReady()
	d.waitMetric(2, errorsTotal, "source", "jobs", "code", denied)
	d.waitMetricFunc("an open error reported", func(v float64) bool { return v >= 1 }, readErrors, "source", "jobs", "reason", "open")
	d.waitFor("a log record naming the unreadable file", func() (bool, string) {
		for _, r := range d.log.records {
			if r.Path == secret && r.Reason == "open" {
				return true, ""
			}
		}
		return false, "none"
	})
	d.waitMetric(1, watched, "source", "jobs")
	if v := d.value(errorsTotal, "code", "ODPS-0130071"); v != 0 {
		t.Errorf("the unreadable file's code was counted: %v", v)
	}
	// nobody can save positions in its state directory.
	d.waitMetricFunc("a positions save", func(v float64) bool { return v >= 1 }, "odpswatch_positions_saves_total")
	if v := d.value("odpswatch_positions_save_failures_total"); v != 0 {
		t.Errorf("positions save failures: %v", v)
	}
	d.assertHealthy()

	// Readable now: followed at the next rescan.
	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	d.waitMetric(1, errorsTotal, "source", "jobs", "code", "ODPS-0130071")
	d.waitMetric(2, watched, "source", "jobs")
	d.waitMetric(3, linesTotal, "source", "jobs")
	d.assertHealthy()
}

// testDirectoryMatches puts a directory where the glob expects files.
func testDirectoryMatches(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	mkdir(t, filepath.Join(logs, "archive.log"))
	// Inside the directory, out of the glob's reach: not counted.
	writeFile(t, filepath.Join(logs, "archive.log", "old.log"), []byte("FAILED: ODPS-0420095: Access Denied - old\n"), 0o644)
	writeFile(t, filepath.Join(logs, "job.log"), []byte("start\nFAILED: ODPS-0420095: Access Denied - x\n"), 0o644)
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("", filepath.Join(logs, "*.log"), fastSource)), 0o644)
	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()
	d.waitMetricFunc("a directory error reported", func(v float64) bool { return v >= 1 }, readErrors, "source", "jobs", "reason", "directory")
	d.waitMetric(2, linesTotal, "source", "jobs")
	d.waitMetric(1, errorsTotal, "source", "jobs", "code", denied)
	d.waitMetric(1, watched, "source", "jobs")
	// Still following: a line appended later is counted.
	appendFile(t, filepath.Join(logs, "job.log"), []byte("FAILED: ODPS-0420095: Access Denied - y\n"))
	d.waitMetric(2, errorsTotal, "source", "jobs", "code", denied)
	d.assertHealthy()
}

// testThousandFiles has the glob match 1 000 files, half there at start
// and half created while the daemon runs, each with one code.
func testThousandFiles(t *testing.T) {
	const n = 1000
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	mkdir(t, logs)
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("", filepath.Join(logs, "*.log"), fastSource)), 0o644)
	create := func(from, to int) {
		for i := from; i < to; i++ {
			writeFile(t, filepath.Join(logs, fmt.Sprintf("job-%04d.log", i)),
				fmt.Appendf(nil, "2026-11-27 FAILED: ODPS-0420095: Access Denied - job %d\n", i), 0o644)
		}
	}
	create(0, n/2)
	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()
	create(n/2, n)
	d.waitMetric(n, errorsTotal, "source", "jobs", "code", denied)
	d.waitMetric(n, linesTotal, "source", "jobs")
	d.waitMetric(n, watched, "source", "jobs")
	if v, k, _ := d.metric(readErrors, "source", "jobs"); v != 0 {
		t.Errorf("%v read errors over %d series", v, k)
	}
	d.assertHealthy()
}

// TestConfigErrors runs check-config and run on every invalid
// configuration of internal/config's tests. check-config must print what
// config.Load returns (the messages config_test.go pins down) and exit 1;
// run must print it too and exit 2 before it listens: the test holds the
// port run is given, so a run that listened first would fail differently.
func TestConfigErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "config", "testdata", "bad-*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad-*.yml in internal/config/testdata (%v)", err)
	}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	for _, f := range files {
		path, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		_, loadErr := config.Load(path)
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			if loadErr == nil {
				t.Fatalf("config.Load(%s) accepts it", path)
			}
			want := loadErr.Error()
			first, _, _ := strings.Cut(want, "\n")

			code, stdout, stderr := runBinary(t, "check-config", path)
			if code != 1 {
				t.Errorf("check-config exit status %d, want 1", code)
			}
			if !strings.Contains(stderr, first) || stderr != want+"\n" {
				t.Errorf("check-config stderr:\n%s\nwant exactly:\n%s", stderr, want)
			}
			if stdout != "" {
				t.Errorf("check-config stdout: %q", stdout)
			}

			code, stdout, stderr = runBinary(t, "run", "--config.file="+path, "--web.listen-address="+held.Addr().String(), "--log.format=json")
			if code != 2 {
				t.Errorf("run exit status %d, want 2", code)
			}
			if !strings.Contains(stderr, "odpswatch run: "+first) {
				t.Errorf("run stderr:\n%s\nwant it to hold: odpswatch run: %s", stderr, first)
			}
			if strings.Contains(stderr, "Listening on") || strings.Contains(stderr, "cannot listen") {
				t.Errorf("run tried to listen with an invalid configuration:\n%s", stderr)
			}
			if stderr != "odpswatch run: "+want+"\n" {
				t.Errorf("run stderr:\n%s\nwant exactly:\nodpswatch run: %s", stderr, want)
			}
			if stdout != "" {
				t.Errorf("run stdout: %q", stdout)
			}
		})
	}
}

// runBinary runs odpswatch to its end (killed after waitTimeout).
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = daemonEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("odpswatch %s did not exit within %v\nstderr:\n%s", strings.Join(args, " "), waitTimeout, errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatalf("odpswatch %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errb.String()
}
