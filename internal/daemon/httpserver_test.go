package daemon

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// startQuietDaemon runs a daemon on one file source, its options changed
// by with.
func startQuietDaemon(t *testing.T, with func(*Options)) *testDaemon {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	return startDaemonLogging(t, cfgPath, "", slog.New(slog.DiscardHandler), with)
}

// rawGet sends one keep-alive request on c and reads its answer.
func rawGet(t *testing.T, c net.Conn, r *bufio.Reader) int {
	t.Helper()
	if _, err := io.WriteString(c, "GET /-/healthy HTTP/1.1\r\nHost: odpswatch\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A keep-alive connection left idle is closed by the server.
func TestIdleConnectionIsClosed(t *testing.T) {
	td := startQuietDaemon(t, func(o *Options) { o.HTTPIdleTimeout = 200 * time.Millisecond })
	c, err := net.Dial("tcp", strings.TrimPrefix(td.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if code := rawGet(t, c, r); code != 200 {
		t.Fatalf("GET /-/healthy: %d", code)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a bound on the wait, far above the idle timeout
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("reading the idle connection: %v, want EOF (closed by the server)", err)
	}
}

// At most HTTPMaxConnections are served at once, counted in
// odpswatch_http_connections: one more is accepted only once one closes.
func TestConnectionsAreCapped(t *testing.T) {
	td := startQuietDaemon(t, func(o *Options) { o.HTTPMaxConnections = 2 })
	addr := strings.TrimPrefix(td.url, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if code := rawGet(t, c, bufio.NewReader(c)); code != 200 {
			t.Fatalf("GET: %d", code)
		}
		held = append(held, c)
	}
	if n := td.d.metrics.httpOpen; gaugeValue(t, n) != 2 {
		t.Fatalf("odpswatch_http_connections %v, want 2", gaugeValue(t, n))
	}
	third, err := net.Dial("tcp", addr) // the kernel accepts it; the server does not yet
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	r := bufio.NewReader(third)
	io.WriteString(third, "GET /-/healthy HTTP/1.1\r\nHost: odpswatch\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(300 * time.Millisecond)) // a bounded check that nothing comes
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("a third connection was served while two were open")
	}
	held[0].Close()
	third.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the third connection once one closed: %v, %v", resp, err)
	}
	resp.Body.Close()
	if v := gaugeValue(t, td.d.metrics.httpMax); v != 2 {
		t.Errorf("odpswatch_http_connections_max %v, want 2", v)
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	return testutil.ToFloat64(g)
}
