package oneshot

import (
	"bytes"
	"context"
	"os"
)

// IsGzipFile reports whether path is a regular file that starts with a
// gzip member's magic bytes (as ScanFile tells them). Anything else is not
// opened: opening and closing a named pipe would lose what its writer
// wrote.
func IsGzipFile(path string) bool {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	return bytes.Equal(magic[:n], gzipMagic)
}

// ScanSideBySide scans the files at paths into r as ScanFile one after the
// other would, but up to n of them at a time, each into a report of its
// own, merged into r in the order given (Report.Merge; a file whose report
// cannot be merged is scanned again, into r). It suits gzip files:
// inflating a stream takes a core, which the scanning pool waits on. It
// returns each file's error, in order; once ctx is done, the files not
// started have its error.
//
// Memory: at most n reports at once, scanning or waiting to be merged
// (each bounded as any report is), and each file is scanned by one
// worker in blocks of SideBySideBlock: n × 4 × 256 KiB of blocks in all.
func ScanSideBySide(ctx context.Context, r *Report, paths []string, n int, opts Options) []error {
	type scanned struct {
		r       *Report
		err     error
		started bool // holds a slot
	}
	opts.Workers, opts.BlockSize, opts.InFlight = 1, SideBySideBlock, 0
	results := make([]chan scanned, len(paths))
	for i := range results {
		results[i] = make(chan scanned, 1)
	}
	// A slot is taken before a file is scanned and given back once its
	// report is merged.
	slots := make(chan struct{}, max(n, 1))
	go func() {
		for i, path := range paths {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] <- scanned{NewReport(), ctx.Err(), false}
				continue
			}
			go func() {
				sub := NewReport()
				err := scanFileSideBySide(ctx, sub, path, opts)
				results[i] <- scanned{sub, err, true}
			}()
		}
	}()
	errs := make([]error, len(paths))
	for i, path := range paths {
		s := <-results[i]
		errs[i] = s.err
		if !r.Merge(s.r) {
			errs[i] = ScanFile(ctx, r, path, opts)
		}
		if s.started {
			<-slots
		}
	}
	return errs
}

// scanFileSideBySide scans a file side by side: ScanFile, or what a test
// puts in its place to watch how many run at once.
var scanFileSideBySide = ScanFile

// SideBySideBlock is the block size of files scanned side by side.
const SideBySideBlock = 256 << 10
