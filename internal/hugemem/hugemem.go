// Package hugemem allocates long-lived buffers (a scan's blocks, the
// daemon's batches) in memory the kernel is asked to back with
// transparent huge pages.
//
// A page fault costs tens of microseconds on the virtual machines
// odpswatch runs on, and a buffer filled for the first time takes one for
// every 4 KiB page of it: the daemon's 16 MiB of batch buffers took 4,000
// of them, a sixth of its CPU catching up on a 256 MiB file. In 2 MiB
// huge pages, eight.
//
// The memory is never given back: callers keep it for the process's
// life, in pools. On systems without transparent huge pages (THP set to
// "never", or not Linux) it is ordinary memory, as the heap's.
package hugemem

import "unsafe"

// PageSize is the size of a transparent huge page on amd64 and arm64
// (with 4 KiB base pages).
const PageSize = 2 << 20

// Alloc returns n buffers of size bytes each, page-aligned, side by side
// in one region that starts on a huge page boundary where it can.
func Alloc(n, size int) [][]byte {
	region := mapHuge(n * size)
	if region == nil {
		region = Aligned(n * size)
	}
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = region[i*size : (i+1)*size : (i+1)*size]
	}
	return bufs
}

// Aligned returns size bytes of the garbage collected heap, starting on a
// 4 KiB page (reads from the page cache copy fastest into a page-aligned
// destination): for a buffer that must be left to the collector, and
// what Alloc falls back to.
func Aligned(size int) []byte {
	const page = 4096
	b := make([]byte, size+page)
	off := int(-uintptr(unsafe.Pointer(&b[0])) & (page - 1))
	return b[off : off+size : off+size]
}
