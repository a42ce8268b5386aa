package filesource

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"syscall"

	"github.com/odpswatch/odpswatch/internal/positions"
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
