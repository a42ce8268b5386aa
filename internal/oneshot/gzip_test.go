package oneshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
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

// A member's data is checked against its trailer (CRC-32 and size): a
// large one's by the merger, not while it is inflated, a small one's as it
// is read. A wrong trailer is a read error either way, in any member,
// whatever the blocks; the data before it is scanned.
func TestGzipTrailersChecked(t *testing.T) {
	data := examples(t)
	half := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	large := bytes.Repeat(data, 4)
	if half > smallMember || len(large) <= smallMember {
		t.Fatalf("members of %d and %d bytes: not one small and one large", half, len(large))
	}
	for _, size := range []struct {
		name   string
		member []byte
	}{{"small", data[:half]}, {"large", large}} {
		first, second := gzipOf(t, size.member, gzip.Header{}), gzipOf(t, data[half:], gzip.Header{})
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
			t.Run(size.name+" "+tc.name, func(t *testing.T) {
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
	}
	// A trailer cut short: its data is there, but the input is cut.
	_, err, errStream := scanGzip(t, gzipOf(t, data, gzip.Header{})[:len(gzipOf(t, data, gzip.Header{}))-3], 4096)
	for _, e := range []error{err, errStream} {
		if e == nil || !strings.Contains(e.Error(), "unexpected EOF") {
			t.Errorf("cut trailer: error %v, want unexpected EOF", e)
		}
	}
}

// What the merger has to check is bounded by the large members in
// flight, not by the members: runs of small and empty members are checked
// as they are read and leave one entry (found by review: two million
// empty members left two million, 33 MiB).
func TestGzipSmallMembersLeaveOneEnd(t *testing.T) {
	empty := gzipOf(t, nil, gzip.Header{})
	var z bytes.Buffer
	for range 20000 {
		z.Write(empty)
	}
	z.Write(gzipOf(t, []byte("ODPS-0130071:x\n"), gzip.Header{}))
	g, err := newGzipMembers(bufio.NewReader(&z))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(g)
	if err != nil || string(got) != "ODPS-0130071:x\n" {
		t.Fatalf("read %q, %v", got, err)
	}
	if len(g.ends) != 1 || !g.ends[0].read || g.ends[0].at != int64(len(got)) {
		t.Errorf("ends %+v, want one run of members read, to %d", g.ends, len(got))
	}
	if err := g.check(got); err != nil || len(g.ends) != 0 {
		t.Errorf("check: %v, %d ends left", err, len(g.ends))
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
