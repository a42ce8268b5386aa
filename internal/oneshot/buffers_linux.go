package oneshot

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapBlockMemory returns size bytes of anonymous memory that starts on a
// huge page boundary, which the kernel is asked to back with transparent
// huge pages (with THP set to "madvise", as Debian ships it, or "always";
// with "never" they are small pages, as from the heap), or nil when it
// cannot be mapped. It is never unmapped: bufferPool keeps it.
func mapBlockMemory(size int) []byte {
	size = (size + hugePage - 1) / hugePage * hugePage
	m, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	// The huge page boundary in it; the bytes before and after it are
	// never touched, so they take no memory.
	off := int(-uintptr(unsafe.Pointer(&m[0])) & (hugePage - 1))
	region := m[off : off+size : off+size]
	_ = unix.Madvise(region, unix.MADV_HUGEPAGE) // EINVAL without THP: small pages then
	return region
}
