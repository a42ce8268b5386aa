package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// codeRE is the rule odpswatch applies (see bench/compare.sh's regexp
// baseline): a code is ODPS- and seven digits between word boundaries.
var codeRE = regexp.MustCompile(`\bODPS-[0-9]{7}\b`)

// TestMessages checks what the broker promises of its messages, at the
// smallest size and at the default one: exact size, exactly one code in
// the code messages and none (nor any "ODPS-") in the others, every code in
// the catalog, and codeMessages counting the code messages.
func TestMessages(t *testing.T) {
	catalog := readCatalog(t)
	for _, size := range []int{minMessageBytes, 130, 1000} {
		for _, every := range []int{1, 3, 100} {
			n := 10*every*len(codeLines) + 7
			codes := 0
			var buf []byte
			for i := range n {
				buf = message(buf[:0], i, size, every, base)
				m := string(buf)
				if len(m) != size {
					t.Fatalf("size %d: message %d has %d bytes: %q", size, i, len(m), m)
				}
				if strings.ContainsAny(m, "\n\r") {
					t.Fatalf("message %d holds a line break: %q", i, m)
				}
				found := codeRE.FindAllString(m, -1)
				if !isCode(i, every) {
					if strings.Contains(m, "ODPS-") {
						t.Fatalf("message %d is plain but holds ODPS-: %q", i, m)
					}
					continue
				}
				codes++
				if len(found) != 1 || strings.Count(m, "ODPS-") != 1 {
					t.Fatalf("size %d: code message %d holds codes %q, want exactly one: %q", size, i, found, m)
				}
				if !catalog[found[0]] {
					t.Fatalf("message %d: %s is not in internal/classify/catalog.tsv", i, found[0])
				}
			}
			if got := codeMessages(n, every); got != codes {
				t.Errorf("codeMessages(%d, %d) = %d, want %d", n, every, got, codes)
			}
		}
	}
	// The same arguments give the same bytes.
	a := string(message(nil, 12345, 130, 100, base))
	b := string(message(nil, 12345, 130, 100, base))
	if a != b {
		t.Errorf("message is not deterministic: %q, %q", a, b)
	}
}

func TestCodeMessages(t *testing.T) {
	for _, c := range []struct{ n, every, want int }{
		{1, 100, 0}, {50, 100, 0}, {51, 100, 1}, {100, 100, 1}, {5_000_000, 100, 50_000},
		{1, 1, 1}, {7, 1, 7}, {2, 3, 1}, {1, 3, 0},
	} {
		if got := codeMessages(c.n, c.every); got != c.want {
			t.Errorf("codeMessages(%d, %d) = %d, want %d", c.n, c.every, got, c.want)
		}
	}
}

func readCatalog(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("../../internal/classify/catalog.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string]bool)
	s := bufio.NewScanner(f)
	for s.Scan() {
		code, _, _ := strings.Cut(s.Text(), "\t")
		if strings.HasPrefix(code, "ODPS-") {
			out[code] = true
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("catalog.tsv: only %d codes read", len(out))
	}
	return out
}
