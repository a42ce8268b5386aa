package filesource

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/odpswatch/odpswatch/internal/offsets"
	"github.com/odpswatch/odpswatch/internal/positions"
	"golang.org/x/sys/unix"
)

// FingerprintBytes is how many of a file's first bytes identify it.
const FingerprintBytes = 1024

type fileKey struct{ dev, ino uint64 }

func keyOf(st os.FileInfo) fileKey {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return fileKey{uint64(sys.Dev), sys.Ino}
	}
	return fileKey{}
}

// fingerprint is a file's first bytes (up to FingerprintBytes) and their
// hash.
type fingerprint struct {
	head []byte
}

func (p *fingerprint) read(fh *os.File, size int64) error {
	n := min(size, FingerprintBytes)
	p.head = make([]byte, n, FingerprintBytes)
	if n == 0 {
		return nil
	}
	got, err := fh.ReadAt(p.head, 0)
	p.head = p.head[:got]
	if err == io.EOF {
		err = nil
	}
	return err
}

// grow adds bytes read at offset off to the fingerprint while it is short.
func (p *fingerprint) grow(b []byte, off int64) {
	if int64(len(p.head)) >= FingerprintBytes || off > int64(len(p.head)) {
		return
	}
	skip := int64(len(p.head)) - off
	if skip >= int64(len(b)) {
		return
	}
	b = b[skip:]
	p.head = append(p.head, b[:min(len(b), FingerprintBytes-len(p.head))]...)
}

// changed reports whether the file's first bytes differ from the
// fingerprint: the file was truncated and written again.
func (p *fingerprint) changed(fh *os.File, size int64) bool {
	n := int64(len(p.head))
	if n == 0 {
		return false
	}
	if size < n {
		return true
	}
	var buf [FingerprintBytes]byte
	got, err := fh.ReadAt(buf[:n], 0)
	if err != nil && err != io.EOF {
		return false
	}
	return !bytes.Equal(buf[:got], p.head)
}

func (p *fingerprint) hex() string {
	if len(p.head) == 0 {
		return ""
	}
	sum := sha256.Sum256(p.head)
	return hex.EncodeToString(sum[:])
}

func (p *fingerprint) matches(e positions.Entry) bool {
	if e.FingerprintLen == 0 {
		return true
	}
	if len(p.head) < e.FingerprintLen {
		return false
	}
	sum := sha256.Sum256(p.head[:e.FingerprintLen])
	return hex.EncodeToString(sum[:]) == e.Fingerprint
}

// birthTime returns when the open file was created, where the filesystem
// keeps it (statx STATX_BTIME: ext4, xfs, btrfs, tmpfs).
func birthTime(fh *os.File) (time.Time, bool) {
	rc, err := fh.SyscallConn()
	if err != nil {
		return time.Time{}, false
	}
	var stx unix.Statx_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), "", unix.AT_EMPTY_PATH, unix.STATX_BTIME, &stx)
	}); err != nil || serr != nil || stx.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, false
	}
	return time.Unix(stx.Btime.Sec, int64(stx.Btime.Nsec)), true
}

// linked reports whether the open file still has a name: a deleted file
// can never show up again.
func linked(fh *os.File) bool {
	if st, err := fh.Stat(); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink == 0 {
			return false
		}
	}
	return true
}

var (
	errChanged   = errors.New("the path holds another file than the one looked at")
	errIrregular = errors.New("not a regular file")
)

// open opens the regular file at path, whose stat gave key, and takes its
// fingerprint. It never blocks: a FIFO swapped in since the stat would
// block a plain open until a writer comes, freezing the whole source, so
// the open is non-blocking and the type is checked on what was opened.
// Identity comes from the open file, not from the path's stat: a path
// rotated in between gives errChanged. errIrregular comes with the open
// file's stat.
func (s *Source) open(path string, key fileKey) (*file, os.FileInfo, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	switch {
	case err != nil:
		fh.Close()
		return nil, nil, err
	case !st.Mode().IsRegular():
		fh.Close()
		return nil, st, errIrregular
	case keyOf(st) != key:
		fh.Close()
		return nil, st, errChanged
	}
	f := &file{path: path, fh: fh, key: key, lines: lineAssembler{max: s.opts.MaxLineBytes}, offsets: offsets.New(0)}
	f.setSize(-1)
	if err := f.fp.read(fh, st.Size()); err != nil {
		fh.Close()
		return nil, st, fmt.Errorf("cannot read the first bytes of %s: %w", path, err)
	}
	f.setFingerprint()
	return f, st, nil
}
