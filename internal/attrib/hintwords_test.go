package attrib

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestPairFold checks the pair and quad searches, 8, 16 and 32 positions
// at a time, against a test of each position, on random buffers of their
// letters in both cases, with every start and bound.
func TestPairFold(t *testing.T) {
	testPairFold(t)
	if pairsVector {
		t.Run("portable", func(t *testing.T) {
			pairsVector = false
			defer func() { pairsVector = true }()
			testPairFold(t)
		})
	}
}

func testPairFold(t *testing.T) {
	naive := func(b []byte, from, lim int, a0, a1, c0, c1 byte) int {
		for i := from; i < lim && i+1 < len(b); i++ {
			x, y := b[i]|0x20, b[i+1]|0x20
			if x == a0 && y == a1 || x == c0 && y == c1 {
				return i
			}
		}
		return -1
	}
	naiveQuads := func(b []byte, from, lim int, a, c string) int {
		for i := from; i < lim && i+3 < len(b); i++ {
			if hasPrefixFold(b[i:], a) || hasPrefixFold(b[i:], c) {
				return i
			}
		}
		return -1
	}
	const alphabet = "cCkKtTrRx\n"
	rnd := uint64(7)
	for n := range 3000 {
		b := make([]byte, n%140)
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

	// Quads from pieces of them, so that whole ones are common.
	pieces := []string{"retr", "RetR", "back", "BACK", "ret", "bac", "r", "k", "x", "\n", "re\ntr", "ba"}
	for n := range 3000 {
		var b []byte
		for len(b) < n%140 {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			b = append(b, pieces[rnd>>33%uint64(len(pieces))]...)
		}
		found := false
		for from := 0; from <= len(b); from += 3 {
			for lim := from; lim <= len(b)+4; lim += 5 {
				got, want := quadsFold(b, from, lim, "retr", "back"), naiveQuads(b, from, lim, "retr", "back")
				if got != want {
					t.Fatalf("quadsFold(%q, %d, %d, retr, back) = %d, want %d", b, from, lim, got, want)
				}
				found = found || got >= 0
			}
		}
		if n%140 > 40 && !found {
			t.Fatalf("no quad in %q: the test tests nothing", b)
		}
	}
}

// genlogData returns n bytes of bench/genlog's log at 1 % code density.
func genlogData(b *testing.B, n int) []byte {
	b.Helper()
	path := filepath.Join(b.TempDir(), "job.log")
	cmd := exec.Command("go", "run", "../../bench/genlog", "-size", strconv.Itoa(n), "-density", "0.01", "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("genlog: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkHints searches a generated log for the recovery watch's words
// a window at a time, as the watch after each failure does: the windows
// a retry is looked for in, and those a success is; with AVX2 where the
// machine has it, and without.
func BenchmarkHints(b *testing.B) {
	data := genlogData(b, 16<<20)
	vector := pairsVector
	defer func() { pairsVector = vector }()
	for _, bench := range []struct {
		name   string
		window int
		find   func([]byte) int
	}{{"retry", RetryWindow, retryAt}, {"success", SuccessWindow, successAt}} {
		for _, v := range []bool{false, true} {
			if v && !vector {
				continue
			}
			name := bench.name + "/portable"
			if v {
				name = bench.name + "/avx2"
			}
			b.Run(name, func(b *testing.B) {
				pairsVector = v
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				found := 0
				for b.Loop() {
					found = 0
					for at := 0; at < len(data); {
						w := data[at:min(at+bench.window, len(data))]
						k := bench.find(w)
						if k < 0 {
							at += len(w)
							continue
						}
						found++
						at += k + 1
					}
				}
				b.ReportMetric(float64(found), "found")
			})
		}
	}
}
