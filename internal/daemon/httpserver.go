package daemon

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The HTTP server's bounds. A scrape is answered within promhttp's 30 s;
// a connection that sends nothing, or waits idle between two requests,
// is closed, so that idle clients cannot take the descriptors the sources
// need to open files and save positions.
const (
	httpReadTimeout       = 30 * time.Second
	httpReadHeaderTimeout = 10 * time.Second
	httpWriteTimeout      = 60 * time.Second
	// DefaultHTTPIdleTimeout closes a keep-alive connection idle this long.
	DefaultHTTPIdleTimeout = 2 * time.Minute
	// DefaultHTTPMaxConnections is how many connections are served at
	// once; more wait to be accepted.
	DefaultHTTPMaxConnections = 32
)

// newHTTPServer is the daemon's server with its timeouts.
func (d *Daemon) newHTTPServer() *http.Server {
	idle := d.opts.HTTPIdleTimeout
	if idle <= 0 {
		idle = DefaultHTTPIdleTimeout
	}
	return &http.Server{Handler: d.handler(), ReadTimeout: httpReadTimeout, ReadHeaderTimeout: httpReadHeaderTimeout,
		WriteTimeout: httpWriteTimeout, IdleTimeout: idle}
}

// limitListeners wraps the listeners so that together they serve at most
// HTTPMaxConnections connections at once.
func (d *Daemon) limitListeners() []net.Listener {
	max := d.opts.HTTPMaxConnections
	if max <= 0 {
		max = DefaultHTTPMaxConnections
	}
	d.metrics.httpMax.Set(float64(max))
	slots := make(chan struct{}, max)
	out := make([]net.Listener, len(d.opts.Listeners))
	for i, l := range d.opts.Listeners {
		out[i] = &limitListener{Listener: l, slots: slots, open: d.metrics.httpOpen, done: make(chan struct{})}
	}
	return out
}

// limitListener accepts a connection only when one of the slots it shares
// with the other listeners is free, and counts the open ones: the next
// Accept waits for one to close (or for the listener to close).
type limitListener struct {
	net.Listener
	slots     chan struct{}
	open      prometheus.Gauge
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Inc()
	return &limitedConn{Conn: c, release: func() { l.open.Dec(); <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
