package oneshot

import (
	"context"
	"testing"
	"unsafe"
)

// The pool's buffers are page-aligned, of the size asked, apart from each
// other, and handed out again once put back.
func TestBufferPool(t *testing.T) {
	p := bufferPool{free: make(map[int][][]byte)}
	const size = 1 << 20
	var got [][]byte
	for range 5 {
		b := p.get(size)
		if len(b) != size || cap(b) != size {
			t.Fatalf("a buffer of len %d cap %d, want %d", len(b), cap(b), size)
		}
		if addr := uintptr(unsafe.Pointer(&b[0])); addr%4096 != 0 {
			t.Fatalf("a buffer at %#x, not page-aligned", addr)
		}
		for i := range b {
			b[i] = byte(len(got))
		}
		got = append(got, b)
	}
	for i, b := range got {
		if b[0] != byte(i) || b[size-1] != byte(i) {
			t.Fatalf("buffer %d was written through another one", i)
		}
	}
	p.put(got[2])
	if b := p.get(size); &b[0] != &got[2][0] {
		t.Errorf("the buffer put back was not handed out again")
	}
}

// Scanning file after file reuses the block buffers of the first: the
// pool does not grow.
func TestBlockBuffersAreReused(t *testing.T) {
	// Larger than a block: a smaller file's blocks are smaller, and
	// from the heap.
	data := examples(t)
	for len(data) < 3<<20 {
		data = append(data, data...)
	}
	path := writeTemp(t, data)
	opts := Options{BlockSize: 1 << 20, Workers: 2}
	free := func() int {
		blockBuffers.mu.Lock()
		defer blockBuffers.mu.Unlock()
		return len(blockBuffers.free[opts.BlockSize])
	}
	if err := ScanFile(context.Background(), NewReport(), path, opts); err != nil {
		t.Fatal(err)
	}
	after := free()
	if after == 0 {
		t.Fatal("no block buffer went back to the pool")
	}
	for range 3 {
		if err := ScanFile(context.Background(), NewReport(), path, opts); err != nil {
			t.Fatal(err)
		}
	}
	if n := free(); n != after {
		t.Errorf("%d buffers free after three more scans, %d after the first", n, after)
	}
}
