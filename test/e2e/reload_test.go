package e2e_test

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestSIGHUPReloads sends a real SIGHUP to the real process: a source added
// to the file starts counting, the counters of the running one are kept,
// and an invalid file leaves the running configuration in place with the
// reload gauge at 0; SIGTERM then stops it cleanly.
func TestSIGHUPReloads(t *testing.T) {
	dir := t.TempDir()
	jobs, more := filepath.Join(dir, "jobs"), filepath.Join(dir, "more")
	mkdir(t, jobs)
	mkdir(t, more)
	appendFile(t, filepath.Join(jobs, "a.log"), []byte("FAILED: ODPS-0420095: Access Denied - x\n"))
	appendFile(t, filepath.Join(more, "b.log"), []byte("ODPS-0123105:Job got killed\n"))
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(t, cfg, []byte(configYAML("", filepath.Join(jobs, "*.log"), "")), 0o644)

	d := startDaemon(t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
	d.waitReady()
	d.waitMetric(1, "odpswatch_errors_total", "code", "ODPS-0420095", "source", "jobs")

	second := "  - name: more\n    type: file\n    paths: [" + strconv.Quote(filepath.Join(more, "*.log")) + "]\n    start_at: beginning\n"
	writeFile(t, cfg, []byte(configYAML("", filepath.Join(jobs, "*.log"), "")+second), 0o644)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.waitMetric(1, "odpswatch_errors_total", "code", "ODPS-0123105", "source", "more")
	if v := d.value("odpswatch_errors_total", "code", "ODPS-0420095", "source", "jobs"); v != 1 {
		t.Errorf("after the reload the jobs counter is %v, want 1", v)
	}

	writeFile(t, cfg, []byte("sources:\n  - name: jobs\n    type: nope\n"), 0o644)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.waitMetric(0, "odpswatch_config_last_reload_successful")
	appendFile(t, filepath.Join(more, "b.log"), []byte("ODPS-0123105:again\n"))
	d.waitMetric(2, "odpswatch_errors_total", "code", "ODPS-0123105", "source", "more")
	d.assertHealthy()
	if err := d.terminate(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "positions.json")); err != nil {
		t.Errorf("no positions saved at shutdown: %v", err)
	}
}
