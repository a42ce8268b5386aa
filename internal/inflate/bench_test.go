package inflate

import (
	"bufio"
	"bytes"
	"io"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// inflateWith reads all of stream through a bufio.Reader of 64 KiB, as
// scan does, with this package or klauspost's (klauspost set).
func inflateWith(b *testing.B, stream []byte, klauspost bool, p []byte) int64 {
	br := bufio.NewReaderSize(bytes.NewReader(stream), 64<<10)
	var r io.Reader
	if klauspost {
		r = kflate.NewReader(br)
	} else {
		r = NewReader(br)
	}
	var n int64
	for {
		k, err := r.Read(p)
		n += int64(k)
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInflate inflates 32 MiB of log text deflated at level 6, with
// this package and with klauspost/compress/flate (the decoder scan used
// before), in turns, and reports both speeds and their ratio.
func BenchmarkInflate(b *testing.B) {
	data := logText(20, 32<<20)
	stream := deflate(b, data, 6)
	p := make([]byte, 1<<20)
	var this, theirs time.Duration
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if n := inflateWith(b, stream, false, p); n != int64(len(data)) {
			b.Fatalf("%d bytes out, want %d", n, len(data))
		}
		this += time.Since(start)
		start = time.Now()
		inflateWith(b, stream, true, p)
		theirs += time.Since(start)
	}
	b.ReportMetric(0, "ns/op")
	mb := float64(len(data)) * float64(b.N) / 1e6
	b.ReportMetric(mb/this.Seconds(), "MB/s-this")
	b.ReportMetric(mb/theirs.Seconds(), "MB/s-klauspost")
	b.ReportMetric(theirs.Seconds()/this.Seconds(), "x-klauspost")
}
