package oneshot

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// A panic while a block is scanned or merged is a bug; it ends the scan of
// that input with an error that says so, like a read error (the report
// keeps what was counted before the block, the other inputs are scanned,
// scan exits 2), instead of crashing the process with a stack: an engineer
// holding a huge log keeps the rest of the answer, and a bug report has
// what it needs.

// panicked is what a recovered panic said, and where.
type panicked struct {
	what  string // the panic's value, redacted and cut
	where string // the function and line that panicked
}

// recovered makes a panicked of p, the value recover returned, from the
// deferred function that called recover. The value may quote log text (a
// formatted error): it is redacted and cut; no line is ever added to it.
func recovered(p any) *panicked {
	what := redact.String(scan.CutUTF8(fmt.Sprint(p), 300))
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return &panicked{what: what, where: fmt.Sprintf("%s (%s:%d)", f.Function, trimPath(f.File), f.Line)}
		}
		if !more {
			return &panicked{what: what, where: "unknown"}
		}
	}
}

// trimPath keeps the file's path from the module's directories on.
func trimPath(file string) string {
	for _, d := range []string{"/internal/", "/cmd/"} {
		if i := strings.LastIndex(file, d); i >= 0 {
			return file[i+1:]
		}
	}
	return file
}

// errorAt is the error of an input whose block of bytes [from, to) failed
// while stage ("scanning", "merging") ran.
func (p *panicked) errorAt(stage string, from, to int64) error {
	return fmt.Errorf("internal error while %s bytes %d-%d, a bug (please report it with this message): %s, in %s; "+
		"the results of this input stop before these bytes", stage, from, to, p.what, p.where)
}
