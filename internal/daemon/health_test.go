package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/config"
)

// blockingHandler logs as text into a buffer, and blocks the one record
// whose message and path are given until released: a log call that never
// returns, like a write to a stalled journal, inside a source's loop.
type blockingHandler struct {
	slog.Handler
	msg, path string
	blocked   chan struct{} // closed when the record is held
	release   chan struct{}
	once      *sync.Once
}

func (h blockingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		var path string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "path" {
				path = a.Value.String()
			}
			return true
		})
		if path == h.path {
			h.once.Do(func() { close(h.blocked) })
			<-h.release
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h blockingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

// A file source stuck in a call that does not return turns /-/healthy red
// (503, naming the source and what it is on) and withholds the watchdog
// ping; once the call returns, the daemon is healthy again.
func TestStuckSourceIsUnhealthy(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "job.log"), "ODPS-0420095:x\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	stall := filepath.Join(dir, "stall.log")
	logs := &jsonLogs{}
	h := blockingHandler{
		Handler: slog.NewJSONHandler(logs, nil),
		msg:     "cannot follow a file; retrying at each rescan", path: stall,
		blocked: make(chan struct{}), release: make(chan struct{}), once: new(sync.Once),
	}
	released := false
	release := func() {
		if !released {
			released = true
			close(h.release)
		}
	}
	defer release()
	td := startDaemonLogging(t, cfgPath, "", slog.New(h), func(o *Options) { o.StuckAfter = 300 * time.Millisecond })
	td.waitMetric(accessDenied, 1)
	if code, body := td.get("/-/healthy"); code != 200 {
		t.Fatalf("before the stall: %d %s", code, body)
	}

	// A directory matching the glob is reported, and that report's log
	// call blocks: the source's loop is stuck in it.
	if err := os.Mkdir(stall, 0o755); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("the source never logged the directory")
	}
	var body string
	td.waitFor("/-/healthy to turn red", func() bool {
		var code int
		code, body = td.get("/-/healthy")
		return code == 503
	})
	if !strings.Contains(body, "source jobs has been on "+stall+" for ") {
		t.Errorf("/-/healthy says %q; want it to name the source and what it is on", body)
	}
	td.waitFor("the watchdog ping withheld", func() bool {
		return len(logs.records(t, "a file source makes no progress; withholding the watchdog ping")) > 0
	})

	release()
	td.waitFor("/-/healthy to turn green again", func() bool {
		code, _ := td.get("/-/healthy")
		return code == 200
	})
	td.noteMu.Lock()
	td.noteNext = len(td.noteLog) // pings from now on only
	td.noteMu.Unlock()
	td.waitNote("WATCHDOG")
}

// Without --web.enable-lifecycle, POST /-/reload is refused (403, saying
// how to enable it) and changes nothing; a reload by signal still works.
func TestReloadEndpointOffByDefault(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	sighup := make(chan struct{}, 1)
	td := startDaemonLogging(t, cfgPath, "", slog.New(slog.DiscardHandler), func(o *Options) {
		o.EnableLifecycle, o.Reload = false, sighup
	})
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log"))+sourceYAML("more", filepath.Join(dir, "*.txt")))
	code, body := td.post("/-/reload")
	if code != 403 || !strings.Contains(body, "--web.enable-lifecycle") {
		t.Errorf("POST /-/reload without the flag: %d %q, want 403 naming the flag", code, body)
	}
	if td.running("more") != nil {
		t.Error("the refused reload applied the new configuration")
	}
	sighup <- struct{}{}
	td.waitFor("the reload by signal to start the new source", func() bool { return td.running("more") != nil })
}

// The descriptor budget adds every file source's max_files, the HTTP
// connections and the reserve, against the process's limit.
func TestFDBudget(t *testing.T) {
	cfg, err := config.Parse([]byte("sources:\n"+sourceYAML("a", "/x/*.log")+sourceYAML("b", "/y/*.log")+
		"  - name: k\n    type: kafka\n    brokers: [\"127.0.0.1:9\"]\n    topics: [t]\n    group_id: g\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	need, limit := fdBudget(cfg, 32)
	if want := uint64(2*cfg.Sources[0].MaxFiles + 32 + fdReserve); need != want {
		t.Errorf("need %d, want %d (two file sources' max_files, 32 connections, the reserve)", need, want)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || limit != rl.Cur {
		t.Errorf("limit %d, want the soft RLIMIT_NOFILE %d (%v)", limit, rl.Cur, err)
	}
}
