package oneshot

import (
	"bytes"
	"context"
	"os"
)

// IsGzipFile reports whether path is a regular file that starts with a
// gzip member's magic bytes (as ScanFile tells them).
func IsGzipFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
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
func ScanSideBySide(ctx context.Context, r *Report, paths []string, n int, opts Options) []error {
	type scanned struct {
		r   *Report
		err error
	}
	results := make([]chan scanned, len(paths))
	for i := range results {
		results[i] = make(chan scanned, 1)
	}
	go func() {
		slots := make(chan struct{}, max(n, 1))
		for i, path := range paths {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] <- scanned{NewReport(), ctx.Err()}
				continue
			}
			go func() {
				defer func() { <-slots }()
				sub := NewReport()
				err := ScanFile(ctx, sub, path, opts)
				results[i] <- scanned{sub, err}
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
	}
	return errs
}
