package attrib

import "testing"

// TestPairFold checks the pair searches, eight and sixteen positions at
// a time, against a test of each position, on random buffers of the
// pairs' letters in both cases, with every start and bound.
func TestPairFold(t *testing.T) {
	naive := func(b []byte, from, lim int, a0, a1, c0, c1 byte) int {
		for i := from; i < lim && i+1 < len(b); i++ {
			x, y := b[i]|0x20, b[i+1]|0x20
			if x == a0 && y == a1 || x == c0 && y == c1 {
				return i
			}
		}
		return -1
	}
	const alphabet = "cCkKtTrRx\n"
	rnd := uint64(7)
	for n := range 3000 {
		b := make([]byte, n%70)
		for i := range b {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			b[i] = alphabet[rnd>>33%uint64(len(alphabet))]
		}
		for from := 0; from <= len(b); from += 3 {
			for lim := from; lim <= len(b)+2; lim += 5 {
				if got, want := pairFold(b, from, lim, 'c', 'c'), naive(b, from, lim, 'c', 'c', 'c', 'c'); got != want {
					t.Fatalf("pairFold(%q, %d, %d, cc) = %d, want %d", b, from, lim, got, want)
				}
				if got, want := pairsFold(b, from, lim, 't', 'r', 'c', 'k'), naive(b, from, lim, 't', 'r', 'c', 'k'); got != want {
					t.Fatalf("pairsFold(%q, %d, %d, tr, ck) = %d, want %d", b, from, lim, got, want)
				}
			}
		}
	}
}
