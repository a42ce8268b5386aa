// Package e2e_test runs the real odpswatch binary as a separate process:
// it is built once by TestMain, started with a configuration file, a state
// directory and HTTP on a loopback port it picks itself, and watched through
// its stderr (JSON logs) and its HTTP endpoints.
//
// Nothing here sleeps to synchronise: every wait polls a condition (a log
// record, a metric, an endpoint) in a loop bounded by a deadline, and ends
// early, with the daemon's stderr, if the daemon exits.
package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/testwait"
)

// binary is the odpswatch built by TestMain.
var binary string

// waitTimeout bounds every wait: generous, for a loaded 2-core machine.
const waitTimeout = 30 * time.Second

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "odpswatch-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	// Reachable by other users: one test runs the daemon as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	binary = filepath.Join(dir, "odpswatch")
	build := exec.Command("go", "build", "-o", binary, "./cmd/odpswatch")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot build odpswatch: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// daemonEnv is the test's environment without what would make the daemon
// talk to a service manager or change its memory behaviour.
func daemonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "STATE_DIRECTORY",
			"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "GOMEMLIMIT", "GOGC":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// logRecord is one JSON record of the daemon's stderr, with the attributes
// the tests look at.
type logRecord struct {
	Msg     string
	Level   string
	Source  string
	Origin  string
	Path    string
	Reason  string
	Address string
	Offset  int64
	End     int64
	Lines   int64
	Codes   int64
	Raw     string
}

func parseRecord(line []byte) (logRecord, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return logRecord{}, false
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	num := func(k string) int64 {
		n, _ := m[k].(json.Number)
		v, _ := n.Int64()
		return v
	}
	return logRecord{
		Msg: str("msg"), Level: str("level"), Source: str("source"), Origin: str("origin"),
		Path: str("path"), Reason: str("reason"), Address: str("address"),
		Offset: num("offset"), End: num("end"), Lines: num("lines"), Codes: num("codes"),
		Raw: string(line),
	}, true
}

// logTail reads a daemon's stderr file as it grows.
type logTail struct {
	path    string
	off     int64
	partial []byte
	records []logRecord
	other   []string // lines that are not JSON records
}

// poll reads what was appended since the last poll.
func (l *logTail) poll() error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(l.off, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	l.off += int64(len(data))
	data = append(l.partial, data...)
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		l.partial = data
		return nil
	}
	l.partial = append([]byte(nil), data[last+1:]...)
	sc := bufio.NewScanner(bytes.NewReader(data[:last+1]))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if r, ok := parseRecord(sc.Bytes()); ok {
			l.records = append(l.records, r)
		} else {
			l.other = append(l.other, sc.Text())
		}
	}
	return sc.Err()
}

func (l *logTail) count(msg string) int {
	n := 0
	for _, r := range l.records {
		if r.Msg == msg {
			n++
		}
	}
	return n
}

// text is the stderr read so far, for failure messages: its last lines.
func (l *logTail) text() string {
	data, _ := os.ReadFile(l.path)
	const keep = 6000
	if len(data) > keep {
		data = append([]byte("…"), data[len(data)-keep:]...)
	}
	return string(data)
}

// daemon is a running odpswatch process.
type daemon struct {
	t       *testing.T
	cmd     *exec.Cmd
	log     *logTail
	url     string
	client  *http.Client
	done    chan struct{}
	waitErr error
}

type daemonOptions struct {
	config   string // --config.file
	stateDir string // --state.dir; "" for none
	logFile  string // where stderr goes; "" for a file in t.TempDir()
	dir      string // working directory; "" for the test's
	asNobody bool   // run as uid/gid 65534
}

// startDaemon starts odpswatch run with debug JSON logs and HTTP on a port
// of 127.0.0.1 the kernel picks, and waits until it says where it listens.
func startDaemon(t *testing.T, o daemonOptions) *daemon {
	t.Helper()
	if o.logFile == "" {
		o.logFile = filepath.Join(t.TempDir(), "stderr.log")
	}
	args := []string{"run", "--config.file=" + o.config, "--web.listen-address=127.0.0.1:0",
		"--log.level=debug", "--log.format=json"}
	if o.stateDir != "" {
		args = append(args, "--state.dir="+o.stateDir)
	}
	out, err := os.OpenFile(o.logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = daemonEnv()
	cmd.Dir = o.dir
	if o.asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	err = cmd.Start()
	out.Close()
	if err != nil {
		t.Fatalf("cannot start odpswatch: %v", err)
	}
	d := &daemon{
		t: t, cmd: cmd, log: &logTail{path: o.logFile}, done: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
	}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.cleanup)
	d.waitFor("the daemon to say where it listens", func() (bool, string) {
		for _, r := range d.log.records {
			if r.Msg == "Listening on" && r.Address != "" {
				d.url = "http://" + r.Address
				return true, ""
			}
		}
		return false, "no \"Listening on\" record yet"
	})
	return d
}

// cleanup kills the daemon if it still runs (by its own pid) and reaps it.
func (d *daemon) cleanup() {
	if !d.exited() {
		_ = d.cmd.Process.Kill()
	}
	select {
	case <-d.done:
	case <-time.After(waitTimeout):
		d.t.Errorf("odpswatch (pid %d) did not exit after SIGKILL", d.cmd.Process.Pid)
	}
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// waitFor polls cond (after reading new stderr) until it holds, the
// daemon exits or the deadline passes. cond returns what it saw, for the
// failure message.
func (d *daemon) waitFor(what string, cond func() (bool, string)) {
	d.t.Helper()
	var state string
	testwait.Until(d.t, waitTimeout, what, func() bool {
		if err := d.log.poll(); err != nil {
			d.t.Fatalf("reading the daemon's stderr: %v", err)
		}
		ok, seen := cond()
		if state = seen; ok {
			return true
		}
		if d.exited() {
			d.log.poll()
			if ok, _ := cond(); ok {
				return true
			}
			d.t.Fatalf("waiting for %s: odpswatch exited (%v); last seen: %s\nstderr:\n%s", what, d.waitErr, state, d.log.text())
		}
		return false
	}, testwait.Every(20*time.Millisecond), testwait.Wake(d.done), testwait.Describe(func() string {
		return "last seen: " + state + "\nstderr:\n" + d.log.text()
	}))
}

// get fetches an endpoint.
func (d *daemon) get(path string) (int, string, error) {
	resp, err := d.client.Get(d.url + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func (d *daemon) waitReady() {
	d.t.Helper()
	d.waitFor("/-/ready to answer 200", func() (bool, string) {
		code, body, err := d.get("/-/ready")
		return code == 200, fmt.Sprintf("%d %q %v", code, body, err)
	})
}

// assertHealthy checks that the daemon still runs and /-/healthy says so.
func (d *daemon) assertHealthy() {
	d.t.Helper()
	if d.exited() {
		d.t.Fatalf("odpswatch exited: %v\nstderr:\n%s", d.waitErr, d.log.text())
	}
	if code, body, err := d.get("/-/healthy"); code != 200 {
		d.t.Errorf("/-/healthy: %d %q %v", code, body, err)
	}
}

// sample is one series of the exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseExposition reads Prometheus' text format (what promhttp writes).
func parseExposition(body string) ([]sample, error) {
	var out []sample
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(rest, "{ "); i < 0 {
			return nil, fmt.Errorf("bad line %q", line)
		} else {
			s.name, rest = rest[:i], rest[i:]
		}
		if strings.HasPrefix(rest, "{") {
			rest = rest[1:]
			for !strings.HasPrefix(rest, "}") {
				eq := strings.Index(rest, `="`)
				if eq < 0 {
					return nil, fmt.Errorf("bad labels in %q", line)
				}
				name := strings.TrimPrefix(rest[:eq], ",")
				rest = rest[eq+2:]
				var val strings.Builder
				for {
					if rest == "" {
						return nil, fmt.Errorf("unterminated label value in %q", line)
					}
					c := rest[0]
					rest = rest[1:]
					if c == '"' {
						break
					}
					if c == '\\' && rest != "" {
						switch rest[0] {
						case 'n':
							val.WriteByte('\n')
						default:
							val.WriteByte(rest[0])
						}
						rest = rest[1:]
						continue
					}
					val.WriteByte(c)
				}
				s.labels[name] = val.String()
				rest = strings.TrimPrefix(rest, ",")
			}
			rest = rest[1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("bad value in %q: %v", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, nil
}

// metric sums the series of name whose labels include those given as
// "key", "value" pairs; n is how many series matched.
func (d *daemon) metric(name string, labels ...string) (sum float64, n int, err error) {
	code, body, err := d.get("/metrics")
	if err != nil {
		return 0, 0, err
	}
	if code != 200 {
		return 0, 0, fmt.Errorf("/metrics: %d %q", code, body)
	}
	samples, err := parseExposition(body)
	if err != nil {
		return 0, 0, err
	}
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		sum += s.value
		n++
	}
	return sum, n, nil
}

func seriesName(name string, labels ...string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// value returns the sum of the matching series (0 when there is none).
func (d *daemon) value(name string, labels ...string) float64 {
	d.t.Helper()
	v, _, err := d.metric(name, labels...)
	if err != nil {
		d.t.Fatalf("%s: %v", seriesName(name, labels...), err)
	}
	return v
}

// waitMetric waits until the matching series add up to want.
func (d *daemon) waitMetric(want float64, name string, labels ...string) {
	d.t.Helper()
	d.waitMetricFunc(fmt.Sprintf("%s = %v", seriesName(name, labels...), want),
		func(v float64) bool { return v == want }, name, labels...)
}

// waitMetricFunc waits until ok holds for the sum of the matching series.
func (d *daemon) waitMetricFunc(what string, ok func(float64) bool, name string, labels ...string) {
	d.t.Helper()
	d.waitFor(what, func() (bool, string) {
		v, n, err := d.metric(name, labels...)
		return err == nil && ok(v), fmt.Sprintf("%v over %d series (err %v)", v, n, err)
	})
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !d.exited() {
		d.t.Fatalf("SIGKILL: %v", err)
	}
	d.waitExit("SIGKILL")
	var ee *exec.ExitError
	if !errors.As(d.waitErr, &ee) {
		d.t.Fatalf("after SIGKILL: %v", d.waitErr)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		d.t.Fatalf("odpswatch was not killed by SIGKILL but ended with %v\nstderr:\n%s", d.waitErr, d.log.text())
	}
	d.log.poll()
}

// terminate sends SIGTERM and returns how the process ended (nil: exit 0).
func (d *daemon) terminate() error {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !d.exited() {
		d.t.Fatalf("SIGTERM: %v", err)
	}
	d.waitExit("SIGTERM")
	d.log.poll()
	return d.waitErr
}

func (d *daemon) waitExit(after string) {
	d.t.Helper()
	select {
	case <-d.done:
	case <-time.After(waitTimeout):
		d.t.Fatalf("odpswatch did not exit within %v of %s\nstderr:\n%s", waitTimeout, after, d.log.text())
	}
}

// vmHWM returns the process's peak resident set size in bytes.
func vmHWM(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("VmHWM line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// procUID returns the real uid the process runs as.
func procUID(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0], nil
			}
		}
	}
	return "", errors.New("no Uid in /proc/PID/status")
}

func writeFile(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// configYAML is a configuration with one file source named jobs following
// glob from the beginning; global and source are extra indented keys.
func configYAML(global, glob, source string) string {
	if global != "" {
		global = "global:\n" + global
	}
	return global +
		"sources:\n  - name: jobs\n    type: file\n    paths: [" + strconv.Quote(glob) + "]\n    start_at: beginning\n" + source
}
