package daemon

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/positions"
	"github.com/odpswatch/odpswatch/internal/sdnotify"
	"github.com/odpswatch/odpswatch/internal/testwait"
)

type testDaemon struct {
	t       *testing.T
	d       *Daemon
	url     string
	cancel  context.CancelFunc
	done    chan error
	cfgPath string
	notes   *net.UnixConn

	// The notifications received so far, read by a goroutine as they
	// come: an unread socket fills up (the kernel queues a few datagrams),
	// and each watchdog ping would then hold the daemon's loop for the
	// notifier's timeout. waitNote takes them in order from noteNext.
	noteMu   sync.Mutex
	noteLog  []string
	noteNext int
}

func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sourceYAML(name, glob string) string {
	return fmt.Sprintf(`  - name: %s
    type: file
    paths: [%q]
    start_at: beginning
    poll_interval: 20ms
    rescan_interval: 100ms
    partial_line_timeout: 100ms
`, name, glob)
}

// startDaemon runs a daemon with the config file at cfgPath, a state
// directory, HTTP on a loopback port and a real notify socket.
func startDaemon(t *testing.T, cfgPath, stateDir string) *testDaemon {
	t.Helper()
	return startDaemonLogging(t, cfgPath, stateDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startDaemonLogging is startDaemon with the daemon's logs going to logger,
// and its options changed by each of with.
func startDaemonLogging(t *testing.T, cfgPath, stateDir string, logger *slog.Logger, with ...func(*Options)) *testDaemon {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "notify.sock")
	notes, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notes.Close() })
	notifier, _ := sdnotify.New(sock)
	opts := Options{
		Config: cfg, LoadConfig: func() (*config.Config, error) { return config.Load(cfgPath) },
		StateDir: stateDir, Listeners: []net.Listener{l}, Logger: logger,
		Notifier: notifier, WatchdogInterval: 50 * time.Millisecond, Version: BuildInfo{Version: "test", Revision: "abc", Date: "2026-12-01T00:00:00Z", GoVersion: "go"},
		EnableLifecycle: true, // the reload tests post to /-/reload
	}
	for _, w := range with {
		w(&opts)
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td := &testDaemon{t: t, d: d, url: "http://" + l.Addr().String(), cancel: cancel, done: make(chan error, 1), cfgPath: cfgPath, notes: notes}
	go td.readNotes()
	go func() { td.done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not get ready")
	}
	t.Cleanup(func() { td.stop() })
	return td
}

func (td *testDaemon) stop() error {
	td.cancel()
	select {
	case err := <-td.done:
		td.done <- err // a second stop sees it too
		return err
	case <-time.After(30 * time.Second):
		td.t.Fatal("the daemon did not stop")
		return nil
	}
}

func (td *testDaemon) get(path string) (int, string) {
	td.t.Helper()
	resp, err := http.Get(td.url + path)
	if err != nil {
		td.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (td *testDaemon) post(path string) (int, string) {
	td.t.Helper()
	resp, err := http.Post(td.url+path, "text/plain", nil)
	if err != nil {
		td.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of the series whose line starts with series in
// /metrics, or -1.
func (td *testDaemon) metric(series string) float64 {
	_, body := td.get("/metrics")
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	var v float64
	fmt.Sscan(m[1], &v)
	return v
}

// waitMetric waits until the series has the value, with a deadline.
func (td *testDaemon) waitMetric(series string, want float64) {
	td.t.Helper()
	var got float64
	testwait.Until(td.t, 20*time.Second, fmt.Sprintf("%s = %v", series, want), func() bool {
		got = td.metric(series)
		return got == want
	}, testwait.Describe(func() string { return fmt.Sprintf("it is %v", got) }))
}

// waitFor waits until cond holds, with a deadline.
func (td *testDaemon) waitFor(what string, cond func() bool) {
	td.t.Helper()
	testwait.Until(td.t, 30*time.Second, what, cond)
}

// readNotes keeps the notifications until the socket is closed.
func (td *testDaemon) readNotes() {
	buf := make([]byte, 4096)
	for {
		n, err := td.notes.Read(buf)
		if err != nil {
			return
		}
		td.noteMu.Lock()
		td.noteLog = append(td.noteLog, string(buf[:n]))
		td.noteMu.Unlock()
	}
}

// running returns the running source of that name (nil if none).
func (td *testDaemon) running(name string) *runningSource {
	td.d.mu.Lock()
	defer td.d.mu.Unlock()
	if r := td.d.sources[name]; r != nil {
		return r.running
	}
	return nil
}

// waitNote waits for a notification that starts with prefix, after the
// one the last waitNote returned.
func (td *testDaemon) waitNote(prefix string) string {
	td.t.Helper()
	var found string
	td.waitFor(fmt.Sprintf("a %q notification", prefix), func() bool {
		td.noteMu.Lock()
		defer td.noteMu.Unlock()
		for ; td.noteNext < len(td.noteLog); td.noteNext++ {
			if s := td.noteLog[td.noteNext]; strings.HasPrefix(s, prefix) {
				found = s
				td.noteNext++
				return true
			}
		}
		return false
	})
	return found
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

const accessDenied = `odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="jobs"}`

func TestDaemonFollowsReloadsAndStops(t *testing.T) {
	dir := t.TempDir()
	logs, state := filepath.Join(dir, "logs"), filepath.Join(dir, "state")
	os.Mkdir(logs, 0o755)
	jobLog := filepath.Join(logs, "job.log")
	appendFile(t, jobLog, "start\nFAILED: ODPS-0420095: Access Denied - no privilege\n")
	cfgPath := filepath.Join(dir, "odpswatch.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(logs, "*.log")))

	td := startDaemon(t, cfgPath, state)
	td.waitNote("READY=1")
	if code, body := td.get("/-/ready"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/-/ready: %d %q", code, body)
	}
	if code, _ := td.get("/-/healthy"); code != 200 {
		t.Errorf("/-/healthy: %d", code)
	}
	if code, _ := td.get("/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	if code, _ := td.get("/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
	td.waitMetric(accessDenied, 1)
	td.waitNote("WATCHDOG=1")

	// Following: appended lines are counted.
	appendFile(t, jobLog, "ODPS-0420095:Access Denied\nODPS-0420095:Access Denied\n")
	td.waitMetric(accessDenied, 3)

	// A reload that adds a source: counters are kept, the new one counts.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	appendFile(t, filepath.Join(other, "a.log"), "ODPS-0130071:x\n")
	// The new source goes first: jobs moves down the file, unchanged.
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("more", filepath.Join(other, "*.log"))+sourceYAML("jobs", filepath.Join(logs, "*.log")))
	jobsBefore := td.running("jobs")
	if code, body := td.post("/-/reload"); code != 200 {
		t.Fatalf("reload: %d %q", code, body)
	}
	if s := td.waitNote("RELOADING=1"); !strings.Contains(s, "MONOTONIC_USEC=") {
		t.Errorf("reload notification %q", s)
	}
	td.waitNote("READY=1")
	td.waitMetric(`odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="more"}`, 1)
	if v := td.metric(accessDenied); v != 3 {
		t.Errorf("after reload the jobs counter is %v, want 3 (kept)", v)
	}
	// The jobs source was unchanged, though on other lines: it was not
	// restarted and read nothing again.
	if td.running("jobs") != jobsBefore {
		t.Error("the unchanged jobs source was restarted by the reload")
	}
	appendFile(t, jobLog, "ODPS-0420095:x\n")
	td.waitMetric(accessDenied, 4)

	// An invalid config: the running one stays, the gauge says so.
	writeConfig(t, cfgPath, "sources:\n  - name: jobs\n    type: file\n    pathz: [x]\n")
	if code, body := td.post("/-/reload"); code != 500 || !strings.Contains(body, `unknown key "pathz"`) {
		t.Errorf("invalid reload: %d %q", code, body)
	}
	td.waitMetric("odpswatch_config_last_reload_successful", 0)
	appendFile(t, jobLog, "ODPS-0420095:x\n")
	td.waitMetric(accessDenied, 5)

	// Reload by signal (the channel SIGHUP feeds) with the config fixed.
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(logs, "*.log")))
	if err := td.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	td.waitMetric("odpswatch_config_last_reload_successful", 1)

	// Shutdown: STOPPING=1, positions saved at the end of the file.
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	td.waitNote("STOPPING=1")
	saved, err := positions.NewStore(state).Load()
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(jobLog)
	var found bool
	for _, e := range saved.Files {
		if e.Path == jobLog {
			found = true
			if e.Offset != st.Size() || e.Source != "jobs" {
				t.Errorf("saved %+v, want offset %d", e, st.Size())
			}
		}
	}
	if !found {
		t.Errorf("no saved position for %s in %+v", jobLog, saved)
	}
	// The removed source's positions are kept for when it comes back.
	var keptMore bool
	for _, e := range saved.Files {
		keptMore = keptMore || e.Source == "more"
	}
	if !keptMore {
		t.Errorf("the positions of the removed source were dropped: %+v", saved)
	}
	// With what each source followed, so that a file rotated in while the
	// daemon is down is read from its start.
	var jobsDirs []string
	for _, src := range saved.Sources {
		if src.Name == "jobs" {
			jobsDirs = src.Dirs
			if src.Scanned.IsZero() {
				t.Errorf("source jobs saved without the time of its last scan: %+v", src)
			}
		}
	}
	if !slices.Contains(jobsDirs, filepath.Dir(jobLog)) {
		t.Errorf("source jobs saved with directories %q, want %s among them", jobsDirs, filepath.Dir(jobLog))
	}

	// A restart resumes: nothing is counted twice.
	td2 := startDaemon(t, cfgPath, state)
	appendFile(t, jobLog, "ODPS-0420095:after restart\n")
	td2.waitMetric(accessDenied, 1)
}

func TestCorruptPositionsAreKeptAside(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	os.WriteFile(filepath.Join(state, positions.FileName), []byte("{not json"), 0o600)
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "ODPS-0420095:x\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	td := startDaemon(t, cfgPath, state)
	td.waitMetric(accessDenied, 1)
	if v := td.metric("odpswatch_positions_load_failures_total"); v != 1 {
		t.Errorf("load failures %v, want 1", v)
	}
	kept, _ := filepath.Glob(filepath.Join(state, positions.FileName+".bad-*"))
	if len(kept) != 1 {
		t.Errorf("kept aside: %v", kept)
	}
}

func TestStateDirDeletedWhileRunning(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "ODPS-0420095:x\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "global:\n  positions_save_interval: 1s\nsources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	td := startDaemon(t, cfgPath, state)
	td.waitMetric(accessDenied, 1)
	saves := td.metric("odpswatch_positions_saves_total")
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	// Both: the file proves a save after the removal (a save that ended
	// just before it moves the counter too), and the counter moves only
	// after the file's rename and the directory's sync, so the file can
	// be seen a moment before the counter that reports it.
	td.waitFor("positions saved again, and counted, after the state directory was deleted", func() bool {
		_, err := os.Stat(filepath.Join(state, positions.FileName))
		return err == nil && td.metric("odpswatch_positions_saves_total") > saves
	})
}

var update = flag.Bool("update", false, "rewrite testdata/metrics.golden")

// TestMetricsGolden compares the daemon's own metrics, after it has read a
// known file, with testdata/metrics.golden (run with -update after a
// deliberate change, and read the diff), and has the real promtool lint the
// whole exposition.
func TestMetricsGolden(t *testing.T) {
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "start\nFAILED: ODPS-0420095: Access Denied - x\nODPS-0130071:[1,8] Semantic analysis exception - y\nODPS-1850002 undocumented\n")
	os.Mkdir(filepath.Join(dir, "adir.log"), 0o755)
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	td := startDaemon(t, cfgPath, "")
	td.waitMetric(accessDenied, 1)
	td.waitMetric(`odpswatch_files_watched{source="jobs"}`, 1)
	td.waitMetric(`odpswatch_file_lag_bytes{source="jobs"}`, 0)

	names := []string{
		"odpswatch_errors_total", "odpswatch_errors_folded_total", "odpswatch_source_lines_total",
		"odpswatch_source_bytes_total", "odpswatch_source_lines_cut_total", "odpswatch_files_watched",
		"odpswatch_file_lag_bytes", "odpswatch_file_polling", "odpswatch_file_rotations_total",
		"odpswatch_file_truncations_total", "odpswatch_file_watch_fallbacks_total",
		"odpswatch_config_last_reload_successful", "odpswatch_positions_persisted", "odpswatch_build_info",
		"odpswatch_pipeline_queued_batches", "odpswatch_failures_total", "odpswatch_attribution_streams",
		"odpswatch_attribution_streams_evicted_total", "odpswatch_attribution_jobs_evicted_total",
		"odpswatch_pipeline_batches_failed_total",
	}
	got, err := gatherText(td.d, names)
	if err != nil {
		t.Fatal(err)
	}
	// The directory matching the glob is reported at every rescan: only
	// whether it was is stable.
	if td.metric(`odpswatch_file_read_errors_total{reason="directory",source="jobs"}`) < 1 {
		t.Error("the directory matching the glob was not reported")
	}
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("metrics differ from %s (run with -update and read the diff):\n%s", golden, got)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run must install Debian's prometheus package")
		}
		t.Skip("promtool not installed")
	}
	_, body := td.get("/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if lint, err := cmd.CombinedOutput(); err != nil || len(lint) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, lint)
	}
}

// gatherText renders the named metric families as exposition text.
func gatherText(d *Daemon, names []string) (string, error) {
	families, err := d.Registry().Gather()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if slices.Contains(names, mf.GetName()) {
			if err := enc.Encode(mf); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}
