package attrib

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkStream feeds a generated log (bench/genlog, 1 % of lines with
// codes) to a Stream in 1 MiB chunks of whole lines, as the daemon does:
// Prepare, which workers run side by side, then Chunk, which runs in the
// stream's order, one chunk at a time. It reports each part's throughput:
// Chunk's bounds how fast one stream is read.
func BenchmarkStream(b *testing.B) {
	path := filepath.Join(b.TempDir(), "job.log")
	cmd := exec.Command("go", "run", "../../bench/genlog", "-size", strconv.Itoa(64<<20), "-density", "0.01", "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("genlog: %v\n%s", err, out)
	}
	log, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	chunks := chunkBytes(log, 1<<20)
	lines := make([][]CodeLine, len(chunks))
	newlines := make([]int, len(chunks)) // the scan counts them, not Prepare
	for i, c := range chunks {
		lines[i], newlines[i] = codeLines(c), newlinesOf(c)
	}
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	var prepare, chunk time.Duration
	for b.Loop() {
		// A tracker as the daemon makes one, of its default 32 jobs.
		s := NewStream(NewStreamTracker(32))
		for i, c := range chunks {
			t0 := time.Now()
			p := Prepare(c, lines[i], newlines[i])
			t1 := time.Now()
			s.Chunk(c, lines[i], p, nil)
			chunk += time.Since(t1)
			prepare += t1.Sub(t0)
		}
		if s.T.EvictedJobs == 0 {
			b.Fatal("no jobs came and went")
		}
	}
	b.ReportMetric(0, "ns/op")
	n := float64(len(log)) * float64(b.N) / 1e6
	b.ReportMetric(n/prepare.Seconds(), "MB/s-prepare")
	b.ReportMetric(n/chunk.Seconds(), "MB/s-chunk")
}

// chunkBytes splits log into chunks of whole lines of about size bytes.
func chunkBytes(log []byte, size int) [][]byte {
	var out [][]byte
	for len(log) > 0 {
		end := min(size, len(log))
		end = nextLine(log, end-1)
		out = append(out, log[:end])
		log = log[end:]
	}
	return out
}
