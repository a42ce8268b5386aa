// Package oneshot classifies whole files and streams in one pass, for
// `odpswatch scan`: an engineer with one huge job log who wants to know, now,
// what went wrong.
//
// A file is cut into blocks that a pool of workers reads (with pread, for
// regular files, so that reading is parallel too) and scans at the same
// time; a single merger takes the blocks' results in order, stitches the
// lines that cross block boundaries, and numbers lines. Blocks start at 64
// KiB and double up to Options.BlockSize while they hold few codes, and
// shrink when they hold many (see adapt), so that what is kept of a block
// stays small whatever its codes' density; their sizes follow the blocks
// merged, the same in every scan of an input. Memory is bounded by the
// blocks in flight (Options.InFlight × Options.BlockSize; what is kept of
// them is at most about maxBlockCodes codes each once the density is
// known) and by Options.MaxLine for a line that crosses blocks, whatever
// the input's size. Streams (stdin, gzip) are read by one goroutine and
// scanned by the pool.
package oneshot

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/hugemem"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// Options tune a scan. The zero value picks the defaults.
type Options struct {
	// Workers scanning blocks at once (0: every CPU).
	Workers int
	// BlockSize is the largest unit of reading and scanning (0: 1 MiB);
	// blocks start at 64 KiB and grow to it (see adapt).
	BlockSize int
	// InFlight bounds the blocks read but not yet merged (0: 2 × Workers + 2).
	InFlight int
	// MaxLine bounds how much of a line that crosses a block boundary is
	// kept and scanned (0: 1 MiB); codes past it are not counted and the line
	// is counted in Report.CutLines. Lines that fit in a block are scanned
	// whole.
	MaxLine int
	// Scanner bounds the descriptions.
	Scanner scan.Scanner
	// Progress, if set, is called from one goroutine after each block with
	// the bytes of the input consumed so far (compressed bytes for gzip).
	Progress func(consumed int64)

	// skipJobs leaves the jobs out, to measure what naming them costs.
	skipJobs bool
	// panicAt, if set, is called before a block is scanned ("scan") and
	// merged ("merge"): the tests make it panic.
	panicAt func(stage string, seq int)
	// blockMerged, if set, is called with the size of each block merged
	// and the codes it held, for the tests.
	blockMerged func(size int, codes int64)
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BlockSize <= 0 {
		o.BlockSize = 1 << 20
	}
	if o.InFlight <= 0 {
		o.InFlight = 2*o.Workers + 2
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 20
	}
	return o
}

// slot is the memory of one block in flight, reused from block to block.
type slot struct {
	buf   []byte        // BlockSize long, page-aligned
	codes []codeInBlock // scratch for blockResult.codes
	// Scratch for blockResult.lines, extras and the codes of each line.
	lines     []codeLine
	extras    []codeExtra
	lineCodes []attrib.CodeAt
}

// block is one unit of input, read into a slot's buffer.
type block struct {
	seq int
	*slot
	data []byte // what was read into buf
	off  int64  // where it starts in the input
	size int    // for a regular file, the bytes to read into it
	last bool   // no input after this block
	err  error  // a read error ends the input after this block
	res  blockResult
	// failed says what a panic while the block was read or scanned said:
	// its results are not merged, and the input ends before it.
	failed *panicked
}

type engine struct {
	r        *Report
	name     string
	opts     Options
	consumed func() int64
	pool     chan *slot
	// blockSize is the size blocks have after the last merged one (see
	// adapt; only the merger uses it); sizes[seq%InFlight] is what it was
	// after block seq: the size of block seq+InFlight, the first one
	// handed out after seq was merged (its slot). The sizes are then the
	// same in every scan of the same input, whatever the workers' timing:
	// a line longer than MaxLine is cut where it crosses blocks.
	blockSize int64
	sizes     []atomic.Int64
	// readerDone is closed when the goroutine that reads a stream is done
	// with it.
	readerDone chan struct{}
	// check, if set, reads the input's data in order after each block is
	// merged (a gzip stream's checksums: gzipMembers.check); an error ends
	// the scan as a read error does.
	check func(data []byte) error
}

func newEngine(r *Report, name string, opts Options) *engine {
	e := &engine{r: r, name: name, opts: opts, pool: make(chan *slot, opts.InFlight),
		sizes: make([]atomic.Int64, opts.InFlight), readerDone: make(chan struct{})}
	e.blockSize = e.firstBlockSize()
	return e
}

// What a worker and the merger keep of a block grows with its codes (a
// code's count, its line, its place: ~100 bytes for each; scan's matches
// 72), and a block of short lines that are all codes holds 80,000 in a
// MiB: six such blocks in flight took scan's peak RSS to 98 MiB. So blocks
// start small and double while they hold few codes, up to
// Options.BlockSize, and shrink at once to the size that holds about
// maxBlockCodes when they hold more. (The blocks already handed out when
// a dense one is merged keep their size: after a sparse start, up to
// InFlight of Options.BlockSize.)
const (
	minBlockSize  = 64 << 10
	maxBlockCodes = 8192
)

// adapt sets the size of the blocks after block seq, which the merger
// has just merged: size bytes holding codes codes.
func (e *engine) adapt(seq, size int, codes int64) {
	if h := e.opts.blockMerged; h != nil {
		h(size, codes)
	}
	bs := e.blockSize
	switch {
	case codes > maxBlockCodes:
		// At once to the size that holds maxBlockCodes at this density
		// (a power of two).
		fit := int64(size) * maxBlockCodes / codes
		bs = e.firstBlockSize()
		for bs*2 <= fit {
			bs *= 2
		}
	case codes < maxBlockCodes/4:
		bs = min(int64(e.opts.BlockSize), bs*2)
	}
	e.blockSize = bs
	e.sizes[seq%len(e.sizes)].Store(bs)
}

// firstBlockSize is the size blocks start at, and the smallest.
func (e *engine) firstBlockSize() int64 { return int64(min(e.opts.BlockSize, minBlockSize)) }

// blockSizeOf is the size of block seq: the first InFlight blocks are of
// the smallest size, the next of the size after block seq-InFlight was
// merged (see sizes); at most max.
func (e *engine) blockSizeOf(seq int, max int64) int {
	bs := e.firstBlockSize()
	if seq >= len(e.sizes) {
		bs = e.sizes[(seq-len(e.sizes))%len(e.sizes)].Load()
	}
	return int(min(bs, max))
}

// fillPool puts InFlight slots in the pool: their buffers from
// blockBuffers for a regular file read in blocks of half a huge page or
// more (returned by the release it returns, when no worker uses them any
// more), else from the heap. (A small file's blocks are smaller, and a
// huge page for each size of them would be more memory than the file.)
func (e *engine) fillPool(regular bool) (release func()) {
	pooled := regular && e.opts.BlockSize >= hugemem.PageSize/2
	slots := make([]*slot, e.opts.InFlight)
	for i := range slots {
		if pooled {
			slots[i] = &slot{buf: blockBuffers.get(e.opts.BlockSize)}
		} else {
			slots[i] = &slot{buf: hugemem.Aligned(e.opts.BlockSize)}
		}
		e.pool <- slots[i]
	}
	return func() {
		for _, s := range slots {
			if pooled {
				blockBuffers.put(s.buf)
			}
		}
	}
}

// run reads the input (with pread from file when size >= 0, else
// sequentially from src), scans blocks on the workers and merges them.
// counting is the workers' scanner: they only count codes; the merger
// reads a code's descriptions again, from its first line, for the report.
func (e *engine) counting() scan.Scanner {
	sc := e.opts.Scanner
	sc.CodesOnly = true
	return sc
}

func (e *engine) run(ctx context.Context, src io.Reader, size int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	todo := make(chan *block, e.opts.InFlight)
	done := make(chan *block, e.opts.InFlight)
	// read fills a block in the worker, for a regular file; nil for a
	// stream, which the feeder reads.
	var read func(b *block)

	ra, regular := src.(io.ReaderAt)
	regular = regular && size >= 0
	release := e.fillPool(regular)
	if regular {
		// Regular file: the workers read their own blocks. The feeder
		// hands out their offsets and sizes in order, as buffers free up,
		// so blocks in flight stay bounded. An empty file is one empty
		// block, so that the merger sees a last one.
		go func() {
			defer close(todo)
			var off int64
			for seq := 0; seq == 0 || off < size; seq++ {
				select {
				case s := <-e.pool:
					if ctx.Err() != nil {
						return // (a slot given back by a merge that failed)
					}
					n := e.blockSizeOf(seq, size-off)
					todo <- &block{seq: seq, slot: s, off: off, size: n, last: off+int64(n) >= size}
					off += int64(n)
				case <-ctx.Done():
					return
				}
			}
		}()
		read = func(b *block) {
			n, err := ra.ReadAt(b.buf[:b.size], b.off)
			switch {
			case n < b.size:
				err = fmt.Errorf("file shrank below %d bytes while being read: %w", size, io.ErrUnexpectedEOF)
			case err == io.EOF:
				err = nil
			}
			b.data, b.err = b.buf[:n], err
		}
	} else {
		// A stream: one goroutine reads it in order.
		go func() {
			defer close(e.readerDone)
			defer close(todo)
			var off int64
			for seq := 0; ; seq++ {
				var s *slot
				select {
				case s = <-e.pool:
				case <-ctx.Done():
					return
				}
				if ctx.Err() != nil {
					return // (a slot given back by a merge that failed)
				}
				n, err := fill(src, s.buf[:e.blockSizeOf(seq, int64(len(s.buf)))])
				b := &block{seq: seq, slot: s, off: off, data: s.buf[:n]}
				off += int64(n)
				switch {
				case err == io.EOF:
					b.last = true
				case err != nil:
					b.last, b.err = true, err
				}
				todo <- b
				if b.last {
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for range e.opts.Workers {
		wg.Go(func() {
			w := worker{skipJobs: e.opts.skipJobs}
			for b := range todo {
				e.scanBlock(&w, b, read)
				done <- b
			}
		})
	}
	err := e.merge(ctx, done)
	cancel()
	if regular {
		// The workers read from the file: let them stop before it is
		// closed, and before their buffers go back to blockBuffers. (A
		// stream's reader may be blocked in a Read: see ScanReader.)
		wg.Wait()
		release()
	}
	return err
}

// scanBlock reads the block b (for a regular file: read) and scans it;
// a panic fails the block (b.failed) instead of the process.
func (e *engine) scanBlock(w *worker, b *block, read func(*block)) {
	defer func() {
		if p := recover(); p != nil {
			b.failed = recovered(p)
		}
	}()
	if h := e.opts.panicAt; h != nil {
		h("scan", b.seq)
	}
	if read != nil {
		read(b)
	}
	w.process(b, e.counting())
}

// fill reads into buf until it is full or the input ends (io.EOF) or
// fails. Unlike io.ReadFull it passes the reader's own io.ErrUnexpectedEOF
// on, which is how a truncated gzip stream says so.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
