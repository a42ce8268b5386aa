package hugemem

import (
	"testing"
	"unsafe"
)

// Alloc's buffers are of the size asked, page-aligned and apart from each
// other, in sizes that fill huge pages exactly and that do not.
func TestAlloc(t *testing.T) {
	for _, c := range []struct{ n, size int }{{6, 1 << 20}, {66, 256 << 10}, {3, 5000}, {1, 1}} {
		bufs := Alloc(c.n, c.size)
		if len(bufs) != c.n {
			t.Fatalf("Alloc(%d, %d): %d buffers", c.n, c.size, len(bufs))
		}
		for i, b := range bufs {
			if len(b) != c.size || cap(b) != c.size {
				t.Fatalf("Alloc(%d, %d): buffer %d of len %d cap %d", c.n, c.size, i, len(b), cap(b))
			}
			if i == 0 && uintptr(unsafe.Pointer(&b[0]))%4096 != 0 {
				t.Fatalf("Alloc(%d, %d): not page-aligned", c.n, c.size)
			}
			for j := range b {
				b[j] = byte(i)
			}
		}
		for i, b := range bufs {
			if b[0] != byte(i) || b[c.size-1] != byte(i) {
				t.Fatalf("Alloc(%d, %d): buffer %d was written through another", c.n, c.size, i)
			}
		}
	}
}
