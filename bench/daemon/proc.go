package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clkTck is the unit of utime and stime in /proc/PID/stat (USER_HZ); the
// script passes `getconf CLK_TCK`.
var clkTck = 100.0

// cpuSeconds returns utime+stime of pid, from /proc/PID/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields from after the last ')'. Field 3 (state) is then at
	// index 0, so utime (14) and stime (15) are at 11 and 12.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return float64(ut+st) / clkTck, nil
}

// readBytes returns how many bytes pid has read (rchar of /proc/PID/io:
// every read, files and sockets, page cache or not).
func readBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no rchar", pid)
}

// waitRead waits, polling /proc/PID/io every poll, until the daemon has
// read at least n bytes. It costs the daemon nothing, unlike a scrape of
// /metrics (about 3 ms of its CPU time each), so it can poll often.
func (d *daemon) waitRead(n int64, poll, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-d.exited:
			return d.alive()
		case <-deadline.C:
			return fmt.Errorf("%d bytes read: not reached within %v (%d read)", n, timeout, last)
		case <-tick.C:
			got, err := readBytes(d.pid)
			if err != nil {
				return err
			}
			if last = got; got >= n {
				return nil
			}
		}
	}
}

// memStatus returns VmRSS and VmHWM of pid in KiB, from /proc/PID/status.
func memStatus(pid int) (rssKiB, hwmKiB int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	rssKiB, hwmKiB = -1, -1
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			rssKiB = n
		} else {
			hwmKiB = n
		}
	}
	if rssKiB < 0 || hwmKiB < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no VmRSS or VmHWM", pid)
	}
	return rssKiB, hwmKiB, nil
}

// openFDs counts the entries of /proc/PID/fd.
func openFDs(pid int) int {
	e, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(e)
}

// daemon is a running `odpswatch run`.
type daemon struct {
	cmd     *exec.Cmd
	pid     int
	base    string // http://127.0.0.1:PORT
	start   time.Time
	logPath string
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
	client  *http.Client
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before odpswatch binds it; startDaemon then reports the bind
// failure from odpswatch's log.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startDaemon writes cfg to dir/odpswatch.yml and starts odpswatch on it,
// with its positions in dir/state and its log in dir/odpswatch.log. The
// returned start time is taken just before the process is started.
func startDaemon(bin, dir, cfg string) (*daemon, error) {
	cfgPath := filepath.Join(dir, "odpswatch.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "odpswatch.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "run", "--config.file="+cfgPath, "--state.dir="+state,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))
	cmd.Stdout, cmd.Stderr = logf, logf
	// No systemd here: an inherited NOTIFY_SOCKET or STATE_DIRECTORY
	// would change what odpswatch does.
	cmd.Env = envWithout(os.Environ(), "NOTIFY_SOCKET", "STATE_DIRECTORY", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")
	d := &daemon{
		cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath,
		exited: make(chan struct{}),
		client: &http.Client{
			Timeout: 2 * time.Second,
			// Plain text: gzip would add the cost of compressing and
			// decompressing every scrape.
			Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 2},
		},
	}
	d.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d.pid = cmd.Process.Pid
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

func envWithout(env []string, names ...string) []string {
	out := env[:0:0]
outer:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// alive returns an error when the process has exited.
func (d *daemon) alive() error {
	select {
	case <-d.exited:
		return fmt.Errorf("odpswatch exited early (%v); its log ends:\n%s", d.waitErr, tailFile(d.logPath, 2000))
	default:
		return nil
	}
}

// scrape fetches and parses /metrics.
func (d *daemon) scrape() (metrics, error) {
	resp, err := d.client.Get(d.base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// waitFor scrapes every `every` until cond holds on a scrape, the process
// exits or the deadline passes. It returns the scrape that satisfied cond
// and the time its response was parsed.
func (d *daemon) waitFor(every, timeout time.Duration, what string, cond func(metrics) bool) (metrics, time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var lastErr error
	var last metrics
	for {
		select {
		case <-d.exited:
			return nil, time.Time{}, d.alive()
		case <-deadline.C:
			return nil, time.Time{}, fmt.Errorf("%s: not reached within %v (last scrape error: %v; last values: %s)", what, timeout, lastErr, last.summary())
		case <-tick.C:
			m, err := d.scrape()
			now := time.Now()
			if err != nil {
				lastErr = err
				continue
			}
			last = m
			if cond(m) {
				return m, now, nil
			}
		}
	}
}

// stop sends SIGTERM and waits, at most 30 s, then kills. It returns the
// exit error, if any (a kill is reported).
func (d *daemon) stop() error {
	select {
	case <-d.exited:
		return d.waitErr
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-d.exited:
		return d.waitErr
	case <-t.C:
		d.cmd.Process.Kill()
		<-d.exited
		return fmt.Errorf("odpswatch did not stop within 30 s of SIGTERM; killed")
	}
}

// tailFile returns the last n bytes of a file.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	var b strings.Builder
	s := bufio.NewScanner(f)
	for s.Scan() {
		b.WriteString("  | " + s.Text() + "\n")
	}
	return b.String()
}
