package oneshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// gzipOf compresses data into one member, with header fields as given.
func gzipOf(t *testing.T, data []byte, h gzip.Header) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Header = h
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// scanGzip scans gz as a file, and as a stream in blocks of bs bytes
// (members then end inside blocks and at their edges), and returns the
// file's report and both errors.
func scanGzip(t *testing.T, gz []byte, bs int) (*Report, error, error) {
	t.Helper()
	r := NewReport()
	err := ScanFile(context.Background(), r, writeTemp(t, gz), Options{})
	errStream := ScanReader(context.Background(), NewReport(), "x", bytes.NewReader(gz), Options{BlockSize: bs, Workers: 2})
	return r, err, errStream
}

// A member's data is checked against its trailer (CRC-32 and size) by the
// merger, not while it is inflated: a wrong trailer is still a read error,
// in any member, whatever the blocks; the data before it is scanned.
func TestGzipTrailersChecked(t *testing.T) {
	data := examples(t)
	half := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	first, second := gzipOf(t, data[:half], gzip.Header{}), gzipOf(t, data[half:], gzip.Header{})
	for _, tc := range []struct {
		name string
		gz   func() []byte
	}{
		{"crc of the last member", func() []byte {
			gz := bytes.Clone(first)
			gz[len(gz)-8] ^= 1
			return gz
		}},
		{"size of the last member", func() []byte {
			gz := bytes.Clone(first)
			gz[len(gz)-4] ^= 1
			return gz
		}},
		{"crc of the first of two", func() []byte {
			gz := bytes.Clone(first)
			gz[len(gz)-5] ^= 0x80
			return append(gz, second...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, bs := range []int{1, 4096, 1 << 20} {
				r, err, errStream := scanGzip(t, tc.gz(), bs)
				for _, e := range []error{err, errStream} {
					if e == nil || !strings.Contains(e.Error(), "cannot read") || !strings.Contains(e.Error(), "invalid checksum") {
						t.Errorf("blocks of %d: error %v, want a read error for the checksum", bs, e)
					}
				}
				if r.Lines == 0 {
					t.Errorf("blocks of %d: nothing scanned before the error", bs)
				}
			}
		})
	}
	// A trailer cut short: its data is there, but the input is cut.
	_, err, errStream := scanGzip(t, first[:len(first)-3], 4096)
	for _, e := range []error{err, errStream} {
		if e == nil || !strings.Contains(e.Error(), "unexpected EOF") {
			t.Errorf("cut trailer: error %v, want unexpected EOF", e)
		}
	}
}

// The headers' optional fields are read past (an extra field, a name, a
// comment, a header CRC), empty members are members, and what a header
// must not hold is an invalid header, as gzip.Reader says.
func TestGzipHeaders(t *testing.T) {
	data := examples(t)
	plain := NewReport()
	if err := ScanFile(context.Background(), plain, writeTemp(t, data), Options{}); err != nil {
		t.Fatal(err)
	}
	withFields := gzipOf(t, data, gzip.Header{Name: "job.log", Comment: "from the scheduler", Extra: []byte("ab\x02\x00xy")})
	// A header CRC (FHCRC), which gzip.Writer does not write: the low 16
	// bits of the CRC-32 of the header before it.
	withHCRC := func(bad bool) []byte {
		gz := bytes.Clone(gzipOf(t, data, gzip.Header{}))
		gz[3] |= flagHeaderCRC
		crc := uint16(crc32.ChecksumIEEE(gz[:10]))
		if bad {
			crc++
		}
		return append(append(bytes.Clone(gz[:10]), binary.LittleEndian.AppendUint16(nil, crc)...), gz[10:]...)
	}
	empty := gzipOf(t, nil, gzip.Header{})
	for _, tc := range []struct {
		name string
		gz   []byte
		err  string // "" when all of data is read
	}{
		{"extra, name and comment", withFields, ""},
		{"header crc", withHCRC(false), ""},
		{"empty members around", append(append(bytes.Clone(empty), withFields...), empty...), ""},
		{"wrong header crc", withHCRC(true), "invalid header"},
		{"reserved flag", func() []byte { gz := bytes.Clone(withFields); gz[3] |= 0x80; return gz }(), "invalid header"},
		{"another method", func() []byte { gz := bytes.Clone(withFields); gz[2] = 7; return gz }(), "invalid header"},
		{"a long name", gzipOf(t, data, gzip.Header{Name: strings.Repeat("n", maxHeaderString)}), "invalid header"},
		{"a bad second header", append(bytes.Clone(withFields), func() []byte { gz := bytes.Clone(empty); gz[3] |= 0x40; return gz }()...), "invalid header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err, errStream := scanGzip(t, tc.gz, 4096)
			for _, e := range []error{err, errStream} {
				switch {
				case tc.err == "" && e != nil:
					t.Errorf("error %v, want none", e)
				case tc.err != "" && (e == nil || !strings.Contains(e.Error(), tc.err)):
					t.Errorf("error %v, want one saying %q", e, tc.err)
				}
			}
			if tc.err == "" && (r.Lines != plain.Lines || r.Matches != plain.Matches) {
				t.Errorf("%d matches on %d lines, want %d on %d as from the plain file", r.Matches, r.Lines, plain.Matches, plain.Lines)
			}
		})
	}
}
