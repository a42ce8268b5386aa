package hugemem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapHuge returns size bytes (at least) of anonymous memory that starts on
// a huge page boundary, which the kernel is asked to back with transparent
// huge pages (madvise; with THP set to "madvise", as Debian ships it, or
// "always"), or nil when it cannot be mapped.
func mapHuge(size int) []byte {
	size = (size + PageSize - 1) / PageSize * PageSize
	m, err := unix.Mmap(-1, 0, size+PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	// The huge page boundary in it; the bytes before and after it are
	// never touched, so they take no memory.
	off := int(-uintptr(unsafe.Pointer(&m[0])) & (PageSize - 1))
	region := m[off : off+size : off+size]
	_ = unix.Madvise(region, unix.MADV_HUGEPAGE) // EINVAL without THP: small pages then
	return region
}
