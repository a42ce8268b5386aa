package oneshot

import (
	"sync"
	"unsafe"
)

// Block buffers for regular files come from blockBuffers, which keeps
// them for the next file rather than leaving them to the garbage
// collector, in memory the kernel is asked to back with transparent huge
// pages where it can (mapBlockMemory). A page fault costs tens of
// microseconds on the virtual machines odpswatch runs on: the 6 MiB of a
// scan's buffers, touched a 4 KiB page at a time, cost 1,500 of them,
// 15 % of scanning a 256 MiB log; in huge pages, three.
//
// A stream's buffers are the garbage collector's (alignedBuffer): the
// goroutine reading a stream may still be blocked in a Read into one
// when the scan returns (see ScanReader), so they cannot be handed out
// again.

// hugePage is the size of a transparent huge page on amd64 and arm64
// (with 4 KiB pages).
const hugePage = 2 << 20

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
	n := max(1, hugePage/size)
	region := mapBlockMemory(n * size)
	if region == nil {
		return alignedBuffer(size)
	}
	for i := 1; i < n; i++ {
		p.free[size] = append(p.free[size], region[i*size:(i+1)*size:(i+1)*size])
	}
	return region[:size:size]
}

// put takes back a buffer get returned, which nothing uses any more.
func (p *bufferPool) put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free[cap(b)] = append(p.free[cap(b)], b[:cap(b)])
}

// alignedBuffer returns a page-aligned buffer from the garbage collected
// heap: reads into a misaligned destination copy from the page cache at a
// third of the speed.
func alignedBuffer(size int) []byte {
	const page = 4096
	b := make([]byte, size+page)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (page - 1))
	if off != 0 {
		off = page - off
	}
	return b[off : off+size : off+size]
}
