//go:build !linux

package oneshot

// mapBlockMemory returns nil: block buffers come from the heap.
func mapBlockMemory(size int) []byte { return nil }
