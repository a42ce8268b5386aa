package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func appendTo(t *testing.T, path, text string) {
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

// waitOutput waits, with a deadline, until out holds want.
func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(out.String(), want) {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %q; have %q", want, out.String())
		}
	}
}

// TestFollowsAcrossRenameAndStops checks the baseline program does what the
// rotation tests rely on: prints lines as they come, follows the new file
// after a rename, and returns nil once its context is done.
func TestFollowsAcrossRenameAndStops(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "job.log")
			appendTo(t, path, "old line\n")
			ctx, cancel := context.WithCancel(context.Background())
			var out, logs syncBuffer
			done := make(chan error, 1)
			go func() { done <- run(ctx, config{path: path, poll: poll, fromEnd: false, complete: true}, &out, &logs) }()
			waitOutput(t, &out, "old line\n")
			if !poll {
				// nxadm/tail watches the file by its name once it has read to
				// its end: renamed before that, it watches the new file and
				// never reopens it (a race of the library, not of this
				// program, which a loaded machine lost once in CI).
				waitInotifyWatch(t, path)
			}
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			appendTo(t, path, "after rename\n")
			waitOutput(t, &out, "after rename\n")
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return after cancel")
			}
			if got := out.String(); got != "old line\nafter rename\n" {
				t.Errorf("output %q", got)
			}
		})
	}
}

// waitInotifyWatch waits, with a deadline, until an inotify instance of
// this process watches the file at path (its inode, as
// /proc/self/fdinfo lists the watches).
func waitInotifyWatch(t *testing.T, path string) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("ino:%x ", st.Ino)
	watched := func() bool {
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if target, _ := os.Readlink("/proc/self/fd/" + fd.Name()); target != "anon_inode:inotify" {
				continue
			}
			info, _ := os.ReadFile("/proc/self/fdinfo/" + fd.Name())
			if strings.Contains(string(info), want) {
				return true
			}
		}
		return false
	}
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !watched() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for an inotify watch on %s", path)
		}
	}
}
