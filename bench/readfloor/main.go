// Command readfloor measures the floor of reading a file from the page
// cache on this machine: pread into page-aligned buffers, nothing else
// done with the bytes, by one goroutine or several reading parts of the
// file side by side. odpswatch scan cannot be faster than the second;
// ripgrep --no-mmap, one thread, is about the first.
//
//	go run ./bench/readfloor -block 1048576 -readers 2 FILE
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/odpswatch/odpswatch/internal/hugemem"
)

func main() {
	block := flag.Int("block", 1<<20, "bytes read at once")
	readers := flag.Int("readers", 1, "goroutines reading the file side by side, each its own part")
	runs := flag.Int("runs", 5, "times the file is read; the best is printed")
	flag.Parse()
	if flag.NArg() != 1 || *block <= 0 || *readers <= 0 || *runs <= 0 {
		fmt.Fprintln(os.Stderr, "usage: readfloor [-block N] [-readers N] [-runs N] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "readfloor:", err)
		os.Exit(1)
	}
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "readfloor:", err)
		os.Exit(1)
	}
	size := st.Size()
	bufs := hugemem.Alloc(*readers, *block)
	best := time.Duration(1 << 62)
	for range *runs {
		start := time.Now()
		var wg sync.WaitGroup
		part := (size + int64(*readers) - 1) / int64(*readers)
		for r := range *readers {
			wg.Go(func() {
				buf := bufs[r]
				for off := int64(r) * part; off < min(size, int64(r+1)*part); off += int64(len(buf)) {
					if _, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off); err != nil {
						fmt.Fprintln(os.Stderr, "readfloor:", err)
						os.Exit(1)
					}
				}
			})
		}
		wg.Wait()
		best = min(best, time.Since(start))
	}
	fmt.Printf("%s: %d bytes, blocks of %d, %d reader(s): best %.3f s, %.0f MB/s\n",
		flag.Arg(0), size, *block, *readers, best.Seconds(), float64(size)/best.Seconds()/1e6)
}
