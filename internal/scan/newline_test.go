package scan

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// LastNewline agrees with bytes.LastIndexByte on every length up to a few
// words, with newlines anywhere and the bytes around '\n' in value (0x09,
// 0x0b, 0x8a, 0x0a|0x80) as decoys.
func TestLastNewline(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'\n', 0x09, 0x0b, 0x8a, 0x00, 0xff, 'a', 0x1a}
	for n := 0; n < 40; n++ {
		for range 2000 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
				if r.IntN(3) > 0 && b[i] == '\n' {
					b[i] = 'x' // fewer newlines: more words without one
				}
			}
			if got, want := LastNewline(b), bytes.LastIndexByte(b, '\n'); got != want {
				t.Fatalf("LastNewline(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

func BenchmarkLastNewline(b *testing.B) {
	line := []byte("\n2026-11-22 08:30:07,410 INFO odps.models.instance: Waiting for instance to finish, 37 of 120 tasks done, rows read 1234567")
	for _, f := range []struct {
		name string
		fn   func([]byte) int
	}{{"LastNewline", LastNewline}, {"bytes.LastIndexByte", func(b []byte) int { return bytes.LastIndexByte(b, '\n') }}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if f.fn(line) != 0 {
					b.Fatal("wrong")
				}
			}
		})
	}
}
