package oneshot

import (
	"context"
	"os"
	"strconv"
	"testing"
)

func BenchmarkZZWith(b *testing.B) {
	path := os.Getenv("ZZLOG")
	skip := os.Getenv("ZZSKIP") != ""
	for b.Loop() {
		r := NewReport()
		if err := ScanFile(context.Background(), r, path, Options{skipJobs: skip, BlockSize: bs()}); err != nil {
			b.Fatal(err)
		}
	}
}

func bs() int {
	n, _ := strconv.Atoi(os.Getenv("ZZBS"))
	return n << 10
}
