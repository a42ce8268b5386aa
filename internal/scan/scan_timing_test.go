package scan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan/scantest"
)

// corpus builds about size bytes of log lines, density of them with a code,
// deterministically. Ordinary lines carry the uppercase words of SQL text and
// Java traces, so the search meets many 'O's and 'D's that start no code.
func corpus(size int, density float64) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	ordinary := []string{
		"2026-11-20 10:01:%02d INFO  [main] com.aliyun.odps.task.SQLTask - M1_job_0:0/%d/12[%d%%]  R2_1_job_0:0/0/4[0%%]",
		"2026-11-20 10:01:%02d INFO  SELECT o.order_id, SUM(o.amount) FROM demo.orders o JOIN demo.users u ON o.uid = u.id WHERE ds = '2026112%d' GROUP BY %d",
		"2026-11-20 10:01:%02d WARN  Logview: http://logview.example.com/logview/?h=demo&p=demo_project&i=2026112002030%d&token=OK%d",
		"\tat com.aliyun.odps.commons.transport.DefaultConnection.connect(DefaultConnection.java:%d) ORDER BY ON OR %d",
	}
	codes := []string{
		"2026-11-20 10:01:%02d ERROR FAILED: ODPS-0130071:[1,8] Semantic analysis exception - column amount%d cannot be resolved %d",
		"2026-11-20 10:01:%02d ERROR ODPS-0420095: Access Denied - Authorization Failed [4093], You have no privilege 'odps:CreateInstance' %d %d",
		"2026-11-20 10:01:%02d ERROR ODPS-0010000:System internal error - SQL Runtime Internal Error: ODPS-0123031:Partition exception %d %d",
		"2026-11-20 10:01:%02d ERROR 然后会报错ODPS-0130161:Parse exception - 缺少右括号 %d %d",
	}
	var b bytes.Buffer
	for b.Len() < size {
		set := ordinary
		if r.Float64() < density {
			set = codes
		}
		fmt.Fprintf(&b, set[r.IntN(len(set))], r.IntN(60), r.IntN(1000), r.IntN(100))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkScan measures Scan with AVX2 (/vector, where the machine has it) and,
// under /portable, with the portable search alone.
func BenchmarkScan(b *testing.B) {
	b.Run("vector", benchmarkScan)
	if prefixVector {
		prefixVector = false
		defer func() { prefixVector = true }()
		b.Run("portable", benchmarkScan)
	}
}

func benchmarkScan(b *testing.B) {
	for _, bc := range []struct {
		name    string
		density float64
	}{{"density=1%", 0.01}, {"density=0", 0}, {"density=10%", 0.10}} {
		buf := corpus(4<<20, bc.density)
		want := len(scantest.Codes(buf))
		for _, sc := range []struct {
			name string
			s    Scanner
		}{{"", Scanner{}}, {"/codes-only", Scanner{CodesOnly: true}}} {
			b.Run(bc.name+sc.name, func(b *testing.B) {
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				dst := make([]Match, 0, 4096)
				n := 0
				for b.Loop() {
					dst = sc.s.Scan(dst[:0], buf)
					n = len(dst)
				}
				if n != want {
					b.Fatalf("found %d codes, the reference %d", n, want)
				}
			})
		}
	}
}

// BenchmarkBytesIndex is the floor Scan is measured against: a bare loop of
// bytes.Index over the same code-free buffer.
func BenchmarkBytesIndex(b *testing.B) {
	buf := corpus(4<<20, 0)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for i := 0; ; {
			j := bytes.Index(buf[i:], prefix)
			if j < 0 {
				break
			}
			n++
			i += j + len(prefix)
		}
	}
	if n != 0 {
		b.Fatalf("code-free corpus holds %d prefixes", n)
	}
}
