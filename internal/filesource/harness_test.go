package filesource

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/positions"
)

// collector stands in for the pipeline: it takes batches, records their
// lines and marks them done, like a worker would.
type collector struct {
	in      chan *pipeline.Batch
	mu      sync.Mutex
	lines   []string
	context []string // the context batches (lines the pipeline counts nowhere)
	cut     int
	changed chan struct{}
	hold    chan struct{} // when set, batches wait for it before being done
}

func newCollector() *collector {
	return &collector{in: make(chan *pipeline.Batch, 4), changed: make(chan struct{}, 1)}
}

func (c *collector) run(ctx context.Context) {
	for {
		select {
		case b := <-c.in:
			if c.hold != nil {
				select {
				case <-c.hold:
				case <-ctx.Done():
					return
				}
			}
			c.mu.Lock()
			if b.Context {
				c.context = append(c.context, string(b.Data))
			} else {
				for _, l := range strings.SplitAfter(string(b.Data), "\n") {
					if l != "" {
						c.lines = append(c.lines, strings.TrimSuffix(l, "\n"))
					}
				}
			}
			if b.Cut {
				c.cut++
			}
			c.mu.Unlock()
			b.Done()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		case <-ctx.Done():
			return
		}
	}
}

func (c *collector) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// waitFor waits until cond holds on the lines seen, or fails after a
// deadline. It wakes on every batch and on a short tick (for conditions
// that do not come with a batch).
func (c *collector) waitFor(t *testing.T, what string, cond func([]string) bool) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		lines := c.snapshot()
		if cond(lines) {
			return lines
		}
		select {
		case <-c.changed:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; have %d lines: %q", what, len(lines), tail(lines))
		}
	}
}

func tail(l []string) []string {
	if len(l) > 5 {
		return l[len(l)-5:]
	}
	return l
}

func count(n int) func([]string) bool { return func(l []string) bool { return len(l) >= n } }

type harness struct {
	t    *testing.T
	src  *Source
	col  *collector
	stop func()
	done chan struct{}
	opts Options
}

func testOptions(t *testing.T, name string, paths ...string) Options {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Name: name, Paths: paths, PollInterval: 20 * time.Millisecond, RescanInterval: 50 * time.Millisecond,
		PartialLineTimeout: time.Hour, MaxFiles: 1000, MaxLineBytes: 1 << 20, BatchBytes: 4096, Buffers: 8,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m,
	}
}

// start runs a source with opts, resuming saved (positions alone, as
// saved before sources' directories were).
func start(t *testing.T, opts Options, saved []positions.Entry) *harness {
	t.Helper()
	return startFrom(t, opts, Resume{Files: saved})
}

// startFrom runs a source with opts, resuming from r.
func startFrom(t *testing.T, opts Options, r Resume) *harness {
	t.Helper()
	col := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, col: col, opts: opts, done: make(chan struct{})}
	h.src = New(opts, col.in, r)
	go col.run(ctx)
	go func() { h.src.Run(ctx); close(h.done) }()
	h.stop = func() { cancel(); <-h.done }
	select {
	case <-h.src.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the source did not get ready")
	}
	t.Cleanup(func() {
		select {
		case <-h.done:
		default:
			h.stop()
		}
	})
	return h
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func numbered(prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %06d", prefix, from+i)
	}
	return out
}

func glob(dir, pattern string) string { return filepath.Join(dir, pattern) }
