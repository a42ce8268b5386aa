// Package testwait is how odpswatch's tests wait for something to happen:
// a condition polled until a deadline, or a channel, never a sleep that
// hopes the other side is done. It is imported by tests only.
package testwait

import (
	"cmp"
	"testing"
	"time"
)

// Poll is how often Until checks its condition: often enough that a test
// waits a few milliseconds past the event, rarely enough to leave the
// CPU to the code under test on a loaded two-core machine.
const Poll = 5 * time.Millisecond

// Until waits until cond holds, checking it every Poll (or as opts say),
// and fails t, naming what it waited for (and what Describe says), when
// timeout passes first. cond runs on the caller's goroutine: it may fail
// t itself (a process it waits on exited).
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(cmp.Or(o.every, Poll))
	defer tick.Stop()
	wake := o.wake
	for !cond() {
		select {
		case _, ok := <-wake:
			if !ok {
				wake = nil // closed: it says nothing more
			}
		case <-tick.C:
		case <-deadline.C:
			if cond() {
				return
			}
			msg := ""
			if o.describe != nil {
				msg = ": " + o.describe()
			}
			t.Fatalf("still waiting after %s for %s%s", timeout, what, msg)
		}
	}
}

// Option adds to what Until does.
type Option func(*options)

type options struct {
	wake     <-chan struct{}
	describe func() string
	every    time.Duration
}

// Every makes Until check its condition every d instead of every Poll,
// for a condition that is costly to check (a process's HTTP endpoint).
func Every(d time.Duration) Option { return func(o *options) { o.every = d } }

// Wake makes Until check its condition at once when ch delivers (a
// collector's "something arrived"), besides every Poll; once ch is closed,
// it is checked every Poll again.
func Wake(ch <-chan struct{}) Option { return func(o *options) { o.wake = ch } }

// Describe makes Until's failure say what describe returns then (the
// value last seen, the log so far).
func Describe(describe func() string) Option { return func(o *options) { o.describe = describe } }

// Receive waits for ch to deliver or be closed, and fails t, naming what
// it waited for, when timeout passes first.
func Receive[T any](t testing.TB, timeout time.Duration, what string, ch <-chan T) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("still waiting after %s for %s", timeout, what)
	}
}
