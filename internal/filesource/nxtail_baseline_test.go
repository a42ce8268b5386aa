//go:build baseline

package filesource

// The nxadm/tail baseline: bench/rotation.sh runs it (go test -tags
// baseline); it measures another program, so it is not part of the suite.

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestNxadmTailBaseline runs the workloads against github.com/nxadm/tail
// (bench/nxtail, Follow + ReOpen, as `tail -F`) and reports what it loses
// and reads twice. It asserts only that the program ran: losing lines is
// what the baseline is known for (see bench/rotation.md).
func TestNxadmTailBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bench/nxtail; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build bench/nxtail")
	}
	bin := filepath.Join(t.TempDir(), "nxtail")
	build := exec.Command(goBin, "build", "-o", bin, "./bench/nxtail")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building bench/nxtail: %v\n%s", err, out)
	}
	runs := []struct {
		method string
		poll   bool
	}{
		{"rename", false}, {"rename", true},
		{"rename-matching", false},
		{"delete", false},
		{"symlink", false},
		{"copytruncate", false}, {"copytruncate", true},
		{"truncate", false},
	}
	for _, run := range runs {
		m := rotMethodNamed(run.method)
		t.Run(m.name+"/"+watchName(run.poll), func(t *testing.T) {
			runNxtail(t, bin, m, run.poll, rotSeed(m))
		})
	}
}

// nxGate is how long the writer waits, before rotating, for nxadm/tail to
// deliver a line of the current file. It waits no longer: when nxadm/tail
// has missed a rotation it waits for an event that does not come. Polling,
// it looks every 250ms (watch.POLL_DURATION), so it gets three of those.
func nxGate(poll bool) time.Duration {
	if poll {
		return 750 * time.Millisecond
	}
	return 250 * time.Millisecond
}

func runNxtail(t *testing.T, bin string, m rotMethod, poll bool, seed uint64) {
	dir := t.TempDir()
	w := newRotWriter(t, m, dir, seed)
	tr := newRotTracker()
	args := []string{"-start", "beginning"}
	if poll {
		args = append(args, "-poll")
	}
	cmd := exec.Command(bin, append(args, w.path)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		logText   strings.Builder
		stderrEOF = make(chan struct{})
	)
	go func() {
		defer close(tr.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			tr.add(sc.Text())
		}
	}()
	go func() {
		defer close(stderrEOF)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logText.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	exited := false
	stop := func() {
		if exited {
			return
		}
		exited = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-tr.done:
		case <-time.After(5 * time.Second):
			t.Logf("nxtail did not exit 5s after SIGTERM; killing it")
			cmd.Process.Kill()
			<-tr.done
		}
		<-stderrEOF
		cmd.Wait()
	}
	defer stop()

	// The writer gives nxadm/tail the same chance as the file source (see
	// the file's comment), but only up to nxGate.
	missedGates := 0
	gate := func(first int) {
		if !tr.until(nxGate(poll), func() bool { return tr.maxSeq() >= first }) {
			missedGates++
		}
	}
	began := time.Now()
	w.run(gate)
	quiet := tr.quiet(time.Second, 20*time.Second)
	stop()
	r := tr.result("nxadm/tail", m, watchName(poll), w, began)
	mu.Lock()
	defer mu.Unlock()
	if missedGates > 0 {
		r.Note = fmt.Sprintf("%d times the writer waited %v in vain", missedGates, nxGate(poll))
	}
	if !quiet {
		r.Note = strings.TrimPrefix(r.Note+"; still delivering 20s after the writer finished", "; ")
	}
	reopens := strings.Count(logText.String(), "Re-opening")
	t.Logf("%s/%s: nxadm/tail delivered %d of %d lines: %d lost, %d duplicated, %d garbled; %d rotations, %d reopens; %v",
		m.name, watchName(poll), r.Delivered, r.Written, r.Lost, r.Duplicated, r.Garbled, r.Rotations, reopens, cmd.ProcessState)
	if r.Lost > 0 {
		t.Logf("lost: %s", ranges(r.missing, 10))
	}
	if r.Duplicated > 0 {
		t.Logf("duplicated: %s", ranges(r.dups, 10))
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		// It gave up by itself (or was killed): say why.
		log := strings.Split(strings.TrimSpace(logText.String()), "\n")
		r.Note = strings.TrimPrefix(r.Note+"; "+fmt.Sprintf("exited %d: %s", code, log[len(log)-1]), "; ")
		t.Logf("nxtail exited %d; its last messages: %q", code, log[max(0, len(log)-3):])
	}
	r.log(t)
	if r.Delivered == 0 {
		t.Errorf("nxtail delivered nothing; stderr:\n%s", logText.String())
	}
}

// quiet waits until no line has come for idle, up to limit, and reports
// whether it did.
func (tr *rotTracker) quiet(idle, limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		timer := time.NewTimer(idle)
		select {
		case <-tr.changed:
			timer.Stop()
		case <-timer.C:
			return true
		case <-tr.done:
			timer.Stop()
			return true
		case <-deadline.C:
			timer.Stop()
			return false
		}
	}
}
