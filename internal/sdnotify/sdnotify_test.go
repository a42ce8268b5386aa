package sdnotify

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a real unixgram socket, as systemd does for NOTIFY_SOCKET.
func listen(t *testing.T) (string, *net.UnixConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return path, conn
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	// A deadline, not a sleep: the datagram is already queued when send
	// returns, so this only bounds a broken test.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifyOverARealSocket(t *testing.T) {
	path, conn := listen(t)
	n, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if !n.Enabled() {
		t.Fatal("a notifier with a socket is not enabled")
	}
	for _, tc := range []struct {
		send func() error
		want string
	}{
		{n.Ready, "READY=1"},
		{n.Watchdog, "WATCHDOG=1"},
		{n.Stopping, "STOPPING=1"},
		{func() error { return n.Status("tailing 3 files\nok") }, "STATUS=tailing 3 files ok"},
	} {
		if err := tc.send(); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, conn); got != tc.want {
			t.Errorf("received %q, want %q", got, tc.want)
		}
	}
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	got := receive(t, conn)
	if !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") || len(got) <= len("RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("received %q, want RELOADING=1 with MONOTONIC_USEC", got)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "@odpswatch-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "READY=1" {
		t.Errorf("received %q", got)
	}
}

// TestFullQueueDoesNotBlock fills the socket's queue, as a service manager
// that does not read would: sends fail after a bound instead of blocking.
func TestFullQueueDoesNotBlock(t *testing.T) {
	path, _ := listen(t)
	n, _ := New(path)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = n.Watchdog()
	}
	if err == nil || !strings.Contains(err.Error(), "cannot notify") {
		t.Errorf("sending to a queue nobody reads: %v, want a timeout error", err)
	}
}

func TestNoSocketIsANoOp(t *testing.T) {
	n, err := New("")
	if err != nil || n.Enabled() {
		t.Fatalf("New(\"\") = %v, %v", n.Enabled(), err)
	}
	if err := n.Ready(); err != nil {
		t.Error(err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := New("relative.sock"); err == nil || !strings.Contains(err.Error(), `NOTIFY_SOCKET "relative.sock"`) {
		t.Errorf("relative socket: %v", err)
	}
	n, _ := New(filepath.Join(t.TempDir(), "nobody-listens.sock"))
	if err := n.Ready(); err == nil || !strings.Contains(err.Error(), "cannot reach the service manager") {
		t.Errorf("socket nobody listens on: %v", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		err       string
	}{
		{"30000000", "", 15 * time.Second, ""},
		{"30000000", "42", 15 * time.Second, ""},
		{"30000000", "43", 0, "no watchdog"},
		{"", "", 0, "no watchdog"},
		{"abc", "", 0, `WATCHDOG_USEC "abc"`},
		{"0", "", 0, `WATCHDOG_USEC "0"`},
		{"100", "x", 0, `WATCHDOG_PID "x"`},
	} {
		got, err := WatchdogInterval(tc.usec, tc.pid, 42)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("WatchdogInterval(%q, %q) = %v, %v; want %v, %q", tc.usec, tc.pid, got, err, tc.want, tc.err)
		}
		if tc.err == "no watchdog" && !errors.Is(err, ErrNoWatchdog) {
			t.Errorf("WatchdogInterval(%q, %q): %v is not ErrNoWatchdog", tc.usec, tc.pid, err)
		}
	}
}
