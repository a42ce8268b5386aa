package filesource

import (
	"context"
	"testing"
)

// The pool hands out its buffers, the last given back first, waits when
// none is free, and never hands out more than it has.
func TestPool(t *testing.T) {
	p := NewPool(3, 64)
	ctx := context.Background()
	var got [][]byte
	for range 3 {
		b, ok := p.tryGet()
		if !ok || len(b) != 0 || cap(b) != 64 {
			t.Fatalf("tryGet: %v, len %d cap %d", ok, len(b), cap(b))
		}
		got = append(got, b)
	}
	if _, ok := p.tryGet(); ok {
		t.Fatal("a fourth buffer from a pool of three")
	}
	p.put(got[1])
	p.put(got[0])
	if b, _ := p.tryGet(); &b[:1][0] != &got[0][:1][0] {
		t.Error("the last buffer given back was not the first handed out")
	}
	// Waiting: for ctx, then for a buffer given back.
	if b, ok := p.get(ctx); !ok || &b[:1][0] != &got[1][:1][0] {
		t.Fatalf("get of the one free buffer: %v", ok)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := p.get(cancelled); ok {
		t.Fatal("get returned a buffer from an empty pool")
	}
	done := make(chan []byte)
	go func() {
		b, _ := p.get(ctx)
		done <- b
	}()
	p.put(got[2])
	if b := <-done; &b[:1][0] != &got[2][:1][0] {
		t.Error("the waiting get did not receive the buffer given back")
	}
}
