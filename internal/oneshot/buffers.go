package oneshot

import (
	"sync"

	"github.com/odpswatch/odpswatch/internal/hugemem"
)

// Block buffers for regular files come from blockBuffers, which keeps
// them for the next file rather than leaving them to the garbage
// collector, in memory the kernel is asked to back with transparent huge
// pages (hugemem): the 6 MiB of a scan's buffers, touched a 4 KiB page at
// a time, cost 1,500 page faults, 15 % of scanning a 256 MiB log; in huge
// pages, three.
//
// A stream's buffers are the garbage collector's (hugemem.Aligned): the
// goroutine reading a stream may still be blocked in a Read into one
// when the scan returns (see ScanReader), so they cannot be handed out
// again.

// bufferPool hands out block buffers of a size and takes them back.
type bufferPool struct {
	mu   sync.Mutex
	free map[int][][]byte
}

var blockBuffers = bufferPool{free: make(map[int][][]byte)}

// get returns a page-aligned buffer of size bytes.
func (p *bufferPool) get(size int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.free[size]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[size] = l[:len(l)-1]
		return b
	}
	// A huge page's worth of them at a time (one, if larger).
	bufs := hugemem.Alloc(max(1, hugemem.PageSize/size), size)
	p.free[size] = append(p.free[size], bufs[1:]...)
	return bufs[0]
}

// put takes back a buffer get returned, which nothing uses any more.
func (p *bufferPool) put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free[cap(b)] = append(p.free[cap(b)], b[:cap(b)])
}
