package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	const text = `# HELP odpswatch_errors_total Codes.
# TYPE odpswatch_errors_total counter
odpswatch_errors_total{code="ODPS-0123105",family="sql",module="processor",severity="5",source="a"} 2
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="a"} 3
odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="b"} 7
odpswatch_source_bytes_total{source="a"} 1.073741827e+09
odpswatch_build_info{goversion="go1.26.8",revision="x\"y\\z",version=""} 1
go_goroutines 12
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.value("odpswatch_errors_total", "source", "a"); got != 5 {
		t.Errorf("errors of a = %g, want 5", got)
	}
	if got := m.value("odpswatch_errors_total", "code", "ODPS-0130071", "source", "b"); got != 7 {
		t.Errorf("ODPS-0130071 of b = %g, want 7", got)
	}
	if got := m.value("odpswatch_source_bytes_total", "source", "a"); got != 1073741827 {
		t.Errorf("bytes = %g", got)
	}
	if _, found := m.sum("odpswatch_source_bytes_total", "source", "c"); found {
		t.Error("found a series of source c")
	}
	if got := m.byLabel("odpswatch_errors_total", "a", "code"); len(got) != 2 || got["ODPS-0123105"] != 2 {
		t.Errorf("byLabel = %v", got)
	}
	var rev string
	for _, s := range m {
		if s.name == "odpswatch_build_info" {
			rev = s.labels["revision"]
		}
	}
	if rev != `x"y\z` {
		t.Errorf("escaped label = %q", rev)
	}
	if got := m.value("go_goroutines"); got != 12 {
		t.Errorf("go_goroutines = %g", got)
	}
	if _, err := parseMetrics(strings.NewReader(`x{a="b} 1` + "\n")); err == nil {
		t.Error("no error for an unterminated label value")
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.9: 90, 0.99: 99, 1: 100, 0: 1} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%g) = %d, want %d", q, got, want)
		}
	}
}

func TestProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuSeconds(os.Getpid()); err != nil {
		t.Error(err)
	}
	rss, hwm, err := memStatus(os.Getpid())
	if err != nil || rss <= 0 || hwm < rss {
		t.Errorf("memStatus = %d, %d, %v", rss, hwm, err)
	}
}

// readBytes counts what the process read: 1 MiB more after reading a
// 1 MiB file.
func TestReadBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := readBytes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	after, err := readBytes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := after - before; got < 1<<20 {
		t.Fatalf("rchar grew by %d bytes over a 1 MiB read", got)
	}
}
