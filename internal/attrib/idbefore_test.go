package attrib

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// idBeforeProbe is idBefore as it was, probing one byte in 14: the
// reference the new one is tested against.
//
// idBeforeProbe finds, probing backwards from *p down to from, the next
// instance ID shape (14 digits or more, then lower-case letters and
// digits), and leaves *p where the probing goes on, before it.
func idBeforeProbe(buf []byte, from int, p *int) (Span, bool) {
	i := *p
	for i >= from {
		// The probe: most bytes are not digits, and this loop is all a
		// region without IDs costs.
		for i >= from && buf[i]-'0' > 9 {
			i -= minIDDigits
		}
		if i < from {
			break
		}
		// A run of 14 digits that holds i holds the 8 bytes that end at i
		// or the 8 that start at it: the digits of times and numbers are
		// rejected by two 8-byte loads.
		if (i-7 < from || !digits8(buf[i-7:])) && (i+8 > len(buf) || !digits8(buf[i:])) {
			i -= minIDDigits
			continue
		}
		a, b := i, i+1
		for a > from && isDigit(buf[a-1]) {
			a--
		}
		for b < len(buf) && isDigit(buf[b]) {
			b++
		}
		i = a - 1
		if b-a < minIDDigits || b == len(buf) || buf[b] < 'a' || buf[b] > 'z' {
			continue
		}
		e := b
		for e < len(buf) && isWord(buf[e]) {
			e++
		}
		if isInstanceID(buf[a:e]) {
			*p = i
			return Span{a, e}, true
		}
	}
	*p = i
	return Span{}, false
}

// idBefore finds the IDs the probe found, in the same order, whatever the
// bytes around them: runs of digits of every length near 14, letters
// after them or not, runs cut by from, across 32-byte rounds, with and
// without AVX2.
func TestIDBeforeAsTheProbe(t *testing.T) {
	pieces := []string{"2026112301150110", "20261123011501102g7qk2md8a", "12345678901234", "1234567890123", "123456789012345x",
		"0", "99", "a", "z", "Q", " ", "\n", "=", "i=", "ID = ", "instance ", "_", "-", ":", "2026-11-23 01:15:01,102"}
	r := rand.New(rand.NewPCG(3, 4))
	for _, vector := range []bool{false, true} {
		if vector && !pairsVector {
			continue
		}
		saved := pairsVector
		pairsVector = vector
		for range 20000 {
			var buf []byte
			for n := r.IntN(30); n > 0; n-- {
				buf = append(buf, pieces[r.IntN(len(pieces))]...)
			}
			if len(buf) == 0 {
				continue
			}
			from := r.IntN(len(buf))
			top := from + r.IntN(len(buf)-from)
			p, q := top, top
			for {
				got, gok := idBefore(buf, from, &p)
				want, wok := idBeforeProbe(buf, from, &q)
				if got != want || gok != wok {
					pairsVector = saved
					t.Fatalf("AVX2 %v, idBefore(%q, %d, %d) = %v %v, the probe %v %v", vector, buf, from, top, got, gok, want, wok)
				}
				if !gok || p < from {
					break
				}
			}
		}
		pairsVector = saved
	}
}

// BenchmarkIDBefore searches 8 KiB of log lines with timestamps, numbers
// and no instance ID (a window LookBack reads to its start), with the
// search and with the probe it replaced.
func BenchmarkIDBefore(b *testing.B) {
	var w []byte
	for i := 0; len(w) < Window; i++ {
		w = fmt.Appendf(w, "2026-11-22 08:30:%02d,%03d INFO odps.models.instance: Waiting for instance to finish, %d of 120 tasks done, rows read %d\n", i%60, i%1000, i%120, 1234567+i)
	}
	for _, f := range []struct {
		name string
		fn   func([]byte, int, *int) (Span, bool)
	}{{"search", idBefore}, {"probe", idBeforeProbe}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				p := len(w) - 1
				if _, ok := f.fn(w, 0, &p); ok {
					b.Fatal("an ID found")
				}
			}
		})
	}
}
