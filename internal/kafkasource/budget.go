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
type budget struct {
	max int64

	mu   sync.Mutex
	used int64
	// freed is closed, and replaced, whenever bytes are given back.
	freed chan struct{}
}

func newBudget(max int64) *budget { return &budget{max: max, freed: make(chan struct{})} }

// tryTake takes n bytes if they fit.
func (b *budget) tryTake(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used > 0 && b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// take waits until n bytes fit and takes them; it reports false if ctx
// ended first.
func (b *budget) take(ctx context.Context, n int64) bool {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		}
	}
}

// give returns n bytes.
func (b *budget) give(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// inUse returns the bytes taken.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
