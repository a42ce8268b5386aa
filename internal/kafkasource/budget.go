package kafkasource

import (
	"context"
	"sync"
)

// budget bounds the bytes of message values a source holds: fetched from
// kafka-go and not yet done by the pipeline (counted, and delivered by the
// event sink when there is one). A partition that would go past it waits,
// so that with the pipeline held up, memory stops growing instead of
// reaching the unit's MemoryMax (and a crash loop that reads the backlog
// again). One message larger than the whole budget still goes through,
// alone, so that nothing waits forever.
//
// Waiters are served in turn (first come, first served), and nobody takes
// past a waiter: a message larger than the budget, which waits for it to
// empty, is not starved by other partitions' small ones.
type budget struct {
	max int64

	mu   sync.Mutex
	used int64
	// tickets is the number of the next waiter, serving the one whose
	// turn it is: the waiters are those in [serving, tickets).
	tickets, serving uint64
	// freed is closed, and replaced, whenever bytes are given back or a
	// waiter is served.
	freed chan struct{}
	// skipped are the tickets of waiters that gave up before their turn.
	skipped map[uint64]bool
	// waiting, for tests, is told when a taker starts to wait.
	waiting func()
}

func newBudget(max int64) *budget { return &budget{max: max, freed: make(chan struct{})} }

// fits reports whether n more bytes fit; b.mu is held.
func (b *budget) fits(n int64) bool { return b.used == 0 || b.used+n <= b.max }

// tryTake takes n bytes if they fit and nobody is waiting.
func (b *budget) tryTake(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tickets != b.serving || !b.fits(n) {
		return false
	}
	b.used += n
	return true
}

// take waits its turn and until n bytes fit, and takes them; it reports
// false if ctx ended first.
func (b *budget) take(ctx context.Context, n int64) bool {
	b.mu.Lock()
	ticket := b.tickets
	b.tickets++
	if b.waiting != nil && (ticket != b.serving || !b.fits(n)) {
		b.waiting()
	}
	for ticket != b.serving || !b.fits(n) {
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			b.mu.Lock()
			b.leave(ticket)
			b.mu.Unlock()
			return false
		}
		b.mu.Lock()
	}
	b.used += n
	b.serving++
	for b.skipped[b.serving] {
		delete(b.skipped, b.serving)
		b.serving++
	}
	b.wake()
	b.mu.Unlock()
	return true
}

// leave gives up the turn of ticket, which ends waiting without taking;
// b.mu is held. A waiter behind it would wait for a turn that never comes,
// so the turns after it move up: ticket is skipped when its turn comes.
func (b *budget) leave(ticket uint64) {
	if ticket == b.serving {
		b.serving++
		for b.skipped[b.serving] {
			delete(b.skipped, b.serving)
			b.serving++
		}
		b.wake()
		return
	}
	if b.skipped == nil {
		b.skipped = make(map[uint64]bool)
	}
	b.skipped[ticket] = true
}

// wake tells the waiters something changed; b.mu is held.
func (b *budget) wake() {
	close(b.freed)
	b.freed = make(chan struct{})
}

// give returns n bytes.
func (b *budget) give(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.wake()
	b.mu.Unlock()
}

// inUse returns the bytes taken.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
