package filesource

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/odpswatch/odpswatch/internal/offsets"
)

// file is one followed file.
type file struct {
	path string
	fh   *os.File
	key  fileKey
	fp   fingerprint

	real     string // the file's path with symlinks resolved, for events
	draining bool   // its path leads elsewhere now: read until idle, then let go
	copyWait bool   // new, and maybe a copy of another file: not read yet (copies.go); set under mu
	readOff  int64  // next byte to read
	// context says the lines before readOff go to the pipeline as context
	// before the first read (sendContext).
	context  bool
	lines    lineAssembler
	lastRead time.Time
	// readAt is lastRead, for Status (read from another goroutine); size
	// is the size at the last check (-1: not known), read by Status too.
	readAt, size atomic.Int64

	mu      sync.Mutex // guards the fields below, shared with workers and Positions
	fpHex   string     // hash of fp.head
	fpLen   int
	offsets *offsets.Tracker // how far the file is counted, in file order
}

// growFingerprint adds bytes read at off to the fingerprint while it is
// short of FingerprintBytes.
func (f *file) growFingerprint(b []byte, off int64) {
	if len(f.fp.head) >= FingerprintBytes {
		return
	}
	f.fp.grow(b, off)
	f.setFingerprint()
}

func (f *file) setFingerprint() {
	h := f.fp.hex()
	f.mu.Lock()
	f.fpHex, f.fpLen = h, len(f.fp.head)
	f.mu.Unlock()
}

// setSize records the file's size at the last look (-1: not known).
func (f *file) setSize(n int64) { f.size.Store(n) }
