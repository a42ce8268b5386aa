package filesource

import (
	"context"
	"sync"

	"github.com/odpswatch/odpswatch/internal/hugemem"
)

// Pool is the batch buffers of file sources: the bound on the memory of
// lines in flight. The buffers are in huge pages where the system has
// them (hugemem: the first fill of 16 MiB of them cost 4,000 page
// faults), and the last one given back is the first handed out again, so
// that a daemon following slow files keeps using the same few, warm in
// the cache, and touches one huge page rather than all of them.
type Pool struct {
	// free holds a token for each buffer in bufs: waiting on it is
	// waiting for a buffer.
	free chan struct{}
	mu   sync.Mutex
	bufs [][]byte
}

// NewPool returns a pool of n batch buffers of size bytes.
func NewPool(n, size int) *Pool {
	bufs := hugemem.Alloc(n, size)
	// The first in memory on top.
	for i, j := 0, len(bufs)-1; i < j; i, j = i+1, j-1 {
		bufs[i], bufs[j] = bufs[j], bufs[i]
	}
	p := &Pool{free: make(chan struct{}, n), bufs: bufs}
	for range n {
		p.free <- struct{}{}
	}
	return p
}

// tryGet returns a free buffer, if there is one now.
func (p *Pool) tryGet() ([]byte, bool) {
	select {
	case <-p.free:
		return p.pop(), true
	default:
		return nil, false
	}
}

// get waits for a free buffer, or for ctx to be done.
func (p *Pool) get(ctx context.Context) ([]byte, bool) {
	select {
	case <-p.free:
		return p.pop(), true
	case <-ctx.Done():
		return nil, false
	}
}

func (p *Pool) pop() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bufs[len(p.bufs)-1]
	p.bufs = p.bufs[:len(p.bufs)-1]
	return b[:0]
}

// put gives a buffer back. It never blocks: the pool has room for every
// buffer it handed out.
func (p *Pool) put(b []byte) {
	p.mu.Lock()
	p.bufs = append(p.bufs, b[:0])
	p.mu.Unlock()
	select {
	case p.free <- struct{}{}:
	default:
		panic("BUG: more buffers given back to the pool than taken")
	}
}

// getBuffer waits for a free batch buffer: the pool is the source's share of
// memory, and waiting on it is how a slow pipeline slows the source down.
func (s *Source) getBuffer(ctx context.Context) ([]byte, bool) {
	if b, ok := s.pool.tryGet(); ok {
		return b, true
	}
	s.progress.waiting()
	defer func() { s.progress.resume(s.now()) }()
	return s.pool.get(ctx)
}

// putBuffer gives a pool buffer back.
func (s *Source) putBuffer(b []byte) { s.pool.put(b) }
