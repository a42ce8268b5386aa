// Package sdnotify speaks systemd's service notification protocol
// (sd_notify(3)): it tells the service manager that the service is ready,
// reloading or stopping, and pings the watchdog.
//
// A Notifier is built from the values of NOTIFY_SOCKET, WATCHDOG_USEC and
// WATCHDOG_PID, which the caller reads from the environment: this package
// reads none. Without a socket every call is a no-op, so the same code runs
// under systemd and outside it. A Notifier is safe for concurrent use.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// sendTimeout bounds one notification.
const sendTimeout = time.Second

// Notifier sends notifications to the service manager's socket.
type Notifier struct {
	addr *net.UnixAddr // nil: not under a service manager
}

// New returns a Notifier for the socket named by NOTIFY_SOCKET: a path, or
// an abstract socket written with a leading '@'. An empty socket gives a
// Notifier whose calls do nothing.
func New(socket string) (*Notifier, error) {
	if socket == "" {
		return &Notifier{}, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("cannot use NOTIFY_SOCKET %q: want an absolute path or an @abstract name", socket)
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n.addr != nil }

// Ready says that start-up (or a reload) is complete.
func (n *Notifier) Ready() error { return n.send("READY=1") }

// Reloading says that a reload starts; Ready must follow when it is done.
// It carries the monotonic time, as systemd asks of Type=notify-reload.
func (n *Notifier) Reloading() error {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return fmt.Errorf("cannot read the monotonic clock: %w", err)
	}
	return n.send("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10))
}

// Stopping says that shutdown has started.
func (n *Notifier) Stopping() error { return n.send("STOPPING=1") }

// Watchdog pings the watchdog.
func (n *Notifier) Watchdog() error { return n.send("WATCHDOG=1") }

// Status sets the one-line status systemctl shows.
func (n *Notifier) Status(s string) error {
	return n.send("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

func (n *Notifier) send(state string) error {
	if n.addr == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("cannot reach the service manager at %s: %w", n.addr.Name, err)
	}
	defer conn.Close()
	// A service manager that does not read must not stall the caller: a
	// datagram socket blocks when its queue is full.
	conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("cannot notify the service manager at %s: %w", n.addr.Name, err)
	}
	return nil
}

// ErrNoWatchdog is returned by WatchdogInterval when no watchdog is asked
// for this process.
var ErrNoWatchdog = errors.New("no watchdog")

// WatchdogInterval returns how often to ping the watchdog, half of
// WATCHDOG_USEC as sd_watchdog_enabled(3) advises, given the values of
// WATCHDOG_USEC and WATCHDOG_PID and this process's pid. It returns
// ErrNoWatchdog when usec is empty or the watchdog is meant for another
// process.
func WatchdogInterval(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, ErrNoWatchdog
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("cannot parse WATCHDOG_PID %q: %w", pid, err)
		}
		if p != self {
			return 0, ErrNoWatchdog
		}
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return 0, fmt.Errorf("cannot parse WATCHDOG_USEC %q: want a positive number of microseconds", usec)
	}
	return time.Duration(us) * time.Microsecond / 2, nil
}
