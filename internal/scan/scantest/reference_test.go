package scantest

import (
	"fmt"
	"regexp"
	"testing"
)

var bounded = regexp.MustCompile(`\bODPS-[0-9]{7}\b`)

// withoutGlued is Codes without the glued codes, for comparing with the
// regexp: the codes whose byte before is not a word byte.
func withoutGlued(buf []byte) [][2]int {
	var out [][2]int
	for _, c := range Codes(buf) {
		if c[0] == 0 || !isWord(buf[c[0]-1]) {
			out = append(out, c)
		}
	}
	return out
}

func check(t *testing.T, buf []byte) {
	t.Helper()
	var want [][2]int
	for _, m := range bounded.FindAllIndex(buf, -1) {
		want = append(want, [2]int{m[0], m[1]})
	}
	if got := withoutGlued(buf); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("in %q: Codes %v, the regexp %v", buf, got, want)
	}
}

func TestBoundedCodesAreTheRegexps(t *testing.T) {
	for _, s := range []string{
		"", "ODPS-0130071", "x ODPS-0130071: y", "ODPS-01300711", "aODPS-0130071", "_ODPS-0130071",
		"ODPS-0130071_", "ODPS-ODPS-0130071", "报错ODPS-0130161", "（ODPS-0420095）", "ODPS-013007 ODPS-0130071",
	} {
		check(t, []byte(s))
	}
}

func TestGlued(t *testing.T) {
	for s, want := range map[string]int{
		"cannot be resolvedODPS-0130071:[1,44]": 1, "abcODPS-0130071:": 1, "abODPS-0130071:": 0,
		"MyODPS-0130071:": 0, "x_abcODPS-0130071:": 0, "v1abcODPS-0130071:": 0, "errorODPS-0130071 ": 0,
		"errorODPS-0130071": 0, "abcODPS-01300711:": 0,
	} {
		if got := len(Codes([]byte(s))); got != want {
			t.Errorf("%q: %d codes, want %d", s, got, want)
		}
	}
}

func FuzzBoundedCodes(f *testing.F) {
	f.Add([]byte("x ODPS-0130071: y aODPS-0130071 ODPS-01300711"))
	f.Fuzz(func(t *testing.T, buf []byte) { check(t, buf) })
}
