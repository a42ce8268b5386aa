package testwait

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records and ends the goroutine,
// as the real one does.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on a goroutine of its own and returns what
// it failed with, "" if it returned.
func run(f func(t testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failed
}

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int64
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	if msg := run(func(tb testing.TB) {
		Until(tb, 10*time.Second, "three", func() bool { return n.Load() == 3 })
	}); msg != "" {
		t.Fatalf("Until failed: %s", msg)
	}
}

func TestUntilFailsAtItsDeadline(t *testing.T) {
	start := time.Now()
	msg := run(func(tb testing.TB) {
		Until(tb, 50*time.Millisecond, "never", func() bool { return false },
			Describe(func() string { return "seen nothing" }))
	})
	if !strings.Contains(msg, "still waiting after 50ms for never: seen nothing") {
		t.Errorf("failed with %q", msg)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("gave up after %v, before its deadline", d)
	}
}

func TestUntilWakes(t *testing.T) {
	wake := make(chan struct{})
	var ready atomic.Bool
	go func() {
		ready.Store(true)
		close(wake)
	}()
	if msg := run(func(tb testing.TB) {
		Until(tb, 10*time.Second, "ready", ready.Load, Wake(wake), Every(time.Hour))
	}); msg != "" {
		t.Fatalf("Until failed: %s", msg)
	}
}

func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 1
	if msg := run(func(tb testing.TB) { Receive(tb, time.Second, "a value", ch) }); msg != "" {
		t.Errorf("Receive failed: %s", msg)
	}
	if msg := run(func(tb testing.TB) { Receive(tb, 20*time.Millisecond, "a value", ch) }); !strings.Contains(msg, "for a value") {
		t.Errorf("Receive of nothing failed with %q", msg)
	}
}

// TestUntilAfterWakeCloses: a closed wake channel does not make Until spin
// on its condition.
func TestUntilAfterWakeCloses(t *testing.T) {
	wake := make(chan struct{})
	close(wake)
	var checks atomic.Int64
	msg := run(func(tb testing.TB) {
		Until(tb, 50*time.Millisecond, "never", func() bool { checks.Add(1); return false }, Wake(wake))
	})
	if msg == "" {
		t.Fatal("Until returned on a condition that never holds")
	}
	// Every Poll for 50ms, and once for the wake and at the deadline.
	if n := checks.Load(); n > 50*time.Millisecond.Milliseconds()/Poll.Milliseconds()+5 {
		t.Errorf("%d checks in 50ms: Until spun on the closed channel", n)
	}
}
