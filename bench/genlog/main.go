// Command genlog writes a deterministic, realistic MaxCompute job log for
// throughput benchmarks of the odpswatch scanner.
//
// The output mixes progress lines, log4j INFO/WARN lines, SQL text, Java and
// Python stack traces and job summaries with error blocks carrying ODPS error
// codes in the forms seen in real logs (see odps-codes.md). The same flags and
// seed always give the same bytes.
//
// Invariant, relied on by bench/compare.sh to cross-check the tools: the
// substring "ODPS-" occurs in the output only as part of a code matching
// `\bODPS-[0-9]{7}\b`. So `grep -c ODPS-` counts exactly the lines holding at
// least one code. Decoys avoid that substring (odps-0130071, ODPS_0410077).
//
// A one-line JSON summary (bytes, lines, matched_lines, matches,
// distinct_codes) goes to stderr.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

const (
	b64   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	lower = "abcdefghijklmnopqrstuvwxyz0123456789"
	hexUp = "0123456789ABCDEF"
	hexLo = "0123456789abcdef"
)

// stats describes what was written; the cross-check numbers for the tools.
type stats struct {
	Bytes         int64 `json:"bytes"`
	Lines         int64 `json:"lines"`
	MatchedLines  int64 `json:"matched_lines"`
	Matches       int64 `json:"matches"`
	DistinctCodes int   `json:"distinct_codes"`
}

type gen struct {
	r       *rand.Rand
	w       io.Writer
	size    int64
	density float64
	done    bool
	err     error

	line      []byte
	lineCodes int
	used      [numCodes]bool
	st        stats

	clock     int64 // unix milliseconds of the current line
	tsSec     int64
	tsText    []byte // "2006-01-02 15:04:05" of tsSec
	nextErrAt int64  // line number at which the next error block starts

	// job is the instance ID of the job the log is about; a job lasts
	// until line jobEnds, as in a real log, where one instance is named
	// again and again (polls, LogView, its error) until the next one.
	job     []byte
	jobEnds int64
}

// startTime is the wall clock of the first line; fixed so output is stable.
var startTime = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()

// generate writes log lines to w until the first line end at or after size
// bytes and returns what it wrote. seed selects the PRNG stream.
func generate(w io.Writer, size int64, density float64, seed uint64) (stats, error) {
	if density < 0 || density > 1 {
		return stats{}, fmt.Errorf("cannot generate log: density %v not in [0,1]", density)
	}
	g := &gen{
		r:       rand.New(rand.NewPCG(seed, 0x0d95_c0de)),
		w:       w,
		size:    size,
		density: density,
		done:    size <= 0,
		line:    make([]byte, 0, 4096),
		clock:   startTime,
		tsSec:   -1,
	}
	g.nextErrAt = g.gap(1)
	for !g.done {
		if g.density > 0 && g.st.Lines >= g.nextErrAt {
			start := g.st.Lines
			// Multi-line blocks hold lines without codes too; when they
			// leave the code-line count behind the target, use one-line
			// events to catch up.
			behind := g.density*float64(start)-float64(g.st.MatchedLines) > 2
			c := g.errorBlock(behind)
			g.nextErrAt = start + g.gap(c)
		} else {
			g.ordinary()
		}
	}
	for _, u := range g.used {
		if u {
			g.st.DistinctCodes++
		}
	}
	return g.st, g.err
}

// gap is the number of lines, counted from the start of an error block that
// put c code lines out, until the next error block: c/density on average,
// so the share of code lines tracks density.
func (g *gen) gap(c int) int64 {
	if g.density <= 0 {
		return 1 << 62
	}
	return int64(float64(c) / g.density * (0.5 + g.r.Float64()))
}

// end finishes the current line and writes it, unless the size is reached.
func (g *gen) end() {
	if g.done {
		g.line, g.lineCodes = g.line[:0], 0
		return
	}
	g.line = append(g.line, '\n')
	if _, err := g.w.Write(g.line); err != nil {
		g.err = fmt.Errorf("cannot write log line %d: %w", g.st.Lines+1, err)
		g.done = true
		return
	}
	g.st.Bytes += int64(len(g.line))
	g.st.Lines++
	if g.lineCodes > 0 {
		g.st.MatchedLines++
		g.st.Matches += int64(g.lineCodes)
	}
	if g.st.Bytes >= g.size {
		g.done = true
	}
	g.line, g.lineCodes = g.line[:0], 0
	g.clock += int64(g.r.IntN(8))
}

// ordinary writes one event without codes: one or a few lines.
func (g *gen) ordinary() {
	switch n := g.r.IntN(1000); {
	case n < 280:
		g.progress()
	case n < 840:
		g.logPrefix("INFO ")
		g.expand(g.pick(infoMsgs))
		g.end()
	case n < 860:
		g.warnTrace()
	case n < 890:
		for range 2 + g.r.IntN(6) {
			g.expand(g.pick(sqlLines))
			g.end()
		}
	case n < 900:
		g.summary()
	case n < 990:
		g.logPrefix("INFO ")
		g.s("Log view:")
		g.end()
		g.s("http://logview.odps.aliyun.com/logview/?h=http://service.cn-hangzhou.maxcompute.aliyun.com/api&p=")
		g.s(g.pick(projects))
		g.s("&i=")
		g.instanceID()
		g.s("&token=")
		g.randFrom(b64, 96)
		g.end()
	default:
		g.logPrefix("WARN ")
		g.s(g.pick(decoyMsgs))
		g.end()
	}
}

func (g *gen) progress() {
	g.ts()
	shape := stageShapes[g.r.IntN(len(stageShapes))]
	for i, st := range shape {
		if i == 0 {
			g.s(" ")
		} else {
			g.s("\t")
		}
		g.s(st)
		g.s("_job_0:")
		total := 1 + g.r.IntN(1500)
		term := g.r.IntN(total + 1)
		run := g.r.IntN(total - term + 1)
		g.num(run)
		g.s("/")
		g.num(term)
		g.s("/")
		g.num(total)
		g.s("[")
		g.num(term * 100 / total)
		g.s("%]")
	}
	g.end()
}

func (g *gen) frames(n int) {
	start := g.r.IntN(len(javaFrames))
	for k := range n {
		g.s(javaFrames[(start+k)%len(javaFrames)])
		g.end()
	}
}

func (g *gen) warnTrace() {
	g.logPrefix("WARN ")
	g.expand(g.pick(warnMsgs))
	g.end()
	if g.r.IntN(2) == 0 {
		g.s(g.pick(frameForExc))
		g.end()
		g.frames(3 + g.r.IntN(6))
	}
}

func (g *gen) summary() {
	g.s("Summary:")
	g.end()
	g.s("resource cost: cpu ")
	g.num(g.r.IntN(90))
	g.s(".")
	g.num(10 + g.r.IntN(90))
	g.s(" Core * Min, memory ")
	g.num(g.r.IntN(300))
	g.s(".")
	g.num(10 + g.r.IntN(90))
	g.s(" GB * Min")
	g.end()
	for _, dir := range []string{"inputs:", "outputs:"} {
		g.s(dir)
		g.end()
		g.expand("        {p}.{t}/ds={d}: {n} ({n} bytes)")
		g.end()
	}
	g.s("Job run time: ")
	g.num(g.r.IntN(3000))
	g.s(".000")
	g.end()
	g.s("Job run mode: fuxi job")
	g.end()
	g.s("M1:")
	g.end()
	g.expand("        instance count: {n}")
	g.end()
	g.s("        run time: 35.000")
	g.end()
	g.s("        instance time:")
	g.end()
	g.s("                min: 21.000, max: 33.000, avg: 27.833")
	g.end()
}

// errorBlock writes one error event and returns how many of its lines
// carry a code. oneLine asks for a one-line event, so that high densities
// can be reached.
func (g *gen) errorBlock(oneLine bool) int {
	before := g.st.MatchedLines
	kind := g.r.IntN(100)
	if oneLine {
		kind = 100 + g.r.IntN(5)
	}
	switch {
	case kind < 25, kind == 100:
		g.consoleFailed()
	case kind < 40:
		g.javaBlock()
	case kind < 50, kind == 101:
		g.nested()
	case kind < 60:
		g.pythonBlock()
	case kind < 68, kind == 102:
		g.cjk()
	case kind < 76, kind == 103:
		g.xml()
	case kind < 84, kind == 104:
		g.jsonLine()
	case kind < 92:
		g.retryEOL()
	default:
		g.misc()
	}
	if c := int(g.st.MatchedLines - before); c > 0 {
		return c
	}
	return 1 // the block was cut at the size limit
}

func main() {
	size := flag.Int64("size", 1<<30, "stop at the first line end at or after this many bytes")
	out := flag.String("o", "", "output path (default stdout)")
	density := flag.Float64("density", 0.01, "fraction of lines carrying codes, in [0,1]")
	seed := flag.Uint64("seed", 1, "PRNG seed; the same seed gives the same bytes")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "genlog: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(*size, *out, *density, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}

func run(size int64, out string, density float64, seed uint64) (err error) {
	f := os.Stdout
	if out != "" && out != "-" {
		f, err = os.Create(out)
		if err != nil {
			return fmt.Errorf("cannot create output: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("cannot close %s: %w", out, cerr)
			}
		}()
	}
	w := bufio.NewWriterSize(f, 4<<20)
	st, err := generate(w, size, density, seed)
	if ferr := w.Flush(); ferr != nil {
		err = errors.Join(err, fmt.Errorf("cannot flush output: %w", ferr))
	}
	if err != nil {
		return err
	}
	summary, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("cannot encode summary: %w", err)
	}
	fmt.Fprintln(os.Stderr, string(summary))
	return nil
}
