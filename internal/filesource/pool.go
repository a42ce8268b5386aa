package filesource

import (
	"context"
)

// NewPool returns a pool of n batch buffers of size bytes.
func NewPool(n, size int) chan []byte {
	p := make(chan []byte, n)
	for range n {
		p <- make([]byte, size)
	}
	return p
}

// getBuffer waits for a free batch buffer: the pool is the source's share of
// memory, and waiting on it is how a slow pipeline slows the source down.
func (s *Source) getBuffer(ctx context.Context) ([]byte, bool) {
	select {
	case b := <-s.pool:
		return b[:0], true
	default:
	}
	s.progress.waiting()
	defer func() { s.progress.resume(s.now()) }()
	select {
	case b := <-s.pool:
		return b[:0], true
	case <-ctx.Done():
		return nil, false
	}
}

// putBuffer gives a pool buffer back. It never blocks: the pool has room
// for every buffer it handed out.
func (s *Source) putBuffer(b []byte) {
	select {
	case s.pool <- b[:0]:
	default:
		panic("BUG: more buffers given back to the pool than taken")
	}
}
