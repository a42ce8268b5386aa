package oneshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A panic while a block is scanned or merged (a bug) ends that input with
// an error naming the block's bytes and the panic, not the process: the
// report keeps exactly what the blocks before it held, and the panic's
// words are redacted.
func TestAPanicEndsTheInputWithAnError(t *testing.T) {
	const bs, lineLen = 4096, 64
	var sb strings.Builder
	for i := 0; sb.Len() < 10*bs; i++ {
		line := fmt.Sprintf("2026-12-01 09:02:%02d ERROR ODPS-01300%02d:x %d", i%60, i%90+10, i)
		sb.WriteString(line + strings.Repeat(".", lineLen-1-len(line)) + "\n")
	}
	data := []byte(sb.String())
	path := filepath.Join(t.TempDir(), "job.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	const secret = "c2VjcmV0LXRva2Vu"
	for _, stage := range []string{"scan", "merge"} {
		for _, file := range []bool{true, false} {
			const failing = 3
			opts := Options{BlockSize: bs, Workers: 2, panicAt: func(s string, seq int) {
				if s == stage && seq == failing {
					panic(fmt.Errorf("a bad line: ?p=x&token=%s", secret))
				}
			}}
			r := NewReport()
			var err error
			if file {
				err = ScanFile(context.Background(), r, path, opts)
			} else {
				err = ScanReader(context.Background(), r, "x", strings.NewReader(string(data)), opts)
			}
			what := fmt.Sprintf("%s, file %v", stage, file)
			verb := map[string]string{"scan": "scanning", "merge": "merging"}[stage]
			want := fmt.Sprintf("internal error while %s bytes %d-%d", verb, failing*bs, (failing+1)*bs)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "token=REDACTED") {
				t.Errorf("%s: error %v, want one with %q and the panic redacted", what, err, want)
			} else if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the panic's token in the error: %v", what, err)
			}
			// Blocks end at line ends: what is left is a scan of the blocks
			// before the failing one.
			before := NewReport()
			if err := ScanReader(context.Background(), before, "x", strings.NewReader(string(data[:failing*bs])), Options{BlockSize: bs}); err != nil {
				t.Fatal(err)
			}
			if r.Lines != before.Lines || r.Matches != before.Matches || len(r.Codes(0)) != len(before.Codes(0)) {
				t.Errorf("%s: %d lines, %d codes (%d distinct) kept, want those of the first %d blocks: %d, %d (%d)",
					what, r.Lines, r.Matches, len(r.Codes(0)), failing, before.Lines, before.Matches, len(before.Codes(0)))
			}
			if n, _ := r.Failures(); n == 0 {
				t.Errorf("%s: no failures kept from the blocks before the panic", what)
			}
		}
	}
}
