package inflate

// A generator of DEFLATE streams that are valid but unusual (15-bit codes
// in both tables, a single one-bit code, blocks without distances or
// without literals, HLIT 286 and HDIST 30, repeat codes across the two
// code lengths' boundary, stored blocks of 0 and 65535 bytes, empty final
// blocks, length 258 as 284 plus 31, distance 32768, output past several
// slides of the window), or invalid on purpose, each with the output it
// must give: from a helper's review of the decoder, compared with
// compress/flate.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

var rvLenBase = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
var rvLenExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
var rvDistBase = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}

func rvDistExtra(s int) uint {
	if s < 2 {
		return 0
	}
	return uint(s/2 - 1)
}

// randomCode returns complete code lengths for n leaves, max length maxLen,
// by splitting leaves; deep biases toward deep trees.
func randomCode(rng *rand.Rand, n int, maxLen int, deep bool) []int {
	if n == 1 {
		return []int{1} // degenerate single code of 1 bit
	}
	depths := []int{0}
	for len(depths) < n {
		// pick a splittable leaf
		var cand []int
		for i, d := range depths {
			if d < maxLen {
				cand = append(cand, i)
			}
		}
		if len(cand) == 0 {
			break
		}
		var i int
		if deep && rng.IntN(3) > 0 {
			// deepest splittable
			i = cand[0]
			for _, c := range cand {
				if depths[c] > depths[i] {
					i = c
				}
			}
		} else {
			i = cand[rng.IntN(len(cand))]
		}
		d := depths[i] + 1
		depths[i] = d
		depths = append(depths, d)
	}
	return depths
}

// assign places code lengths of a complete code onto symbols: must
// includes symbols that must have a code, pool the others.
func assign(rng *rand.Rand, size int, depths []int, must []int, pool []int) []int {
	lens := make([]int, size)
	syms := append([]int{}, must...)
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	used := map[int]bool{}
	for _, s := range must {
		used[s] = true
	}
	for _, s := range pool {
		if len(syms) >= len(depths) {
			break
		}
		if !used[s] {
			syms = append(syms, s)
			used[s] = true
		}
	}
	rng.Shuffle(len(depths), func(i, j int) { depths[i], depths[j] = depths[j], depths[i] })
	for i, s := range syms {
		if i < len(depths) {
			lens[s] = depths[i]
		}
	}
	return lens
}

// canon returns canonical codes for lens.
func canon(lens []int) []uint32 {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lens))
	for s, l := range lens {
		if l > 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

type gen struct {
	rng  *rand.Rand
	w    bitWriter
	out  []byte // reference output
	bad  bool   // the stream is known invalid
	opts genOpts
}

type genOpts struct {
	maxBlocks  int
	maxSymbols int
	invalid    bool // allow deliberately invalid constructs
	bigOutput  bool // favour long matches: output past the window
}

func (g *gen) lit(b byte) { g.out = append(g.out, b) }

// symbols emits the block's data with the given codes.
func (g *gen) symbols(llens []int, lcodes []uint32, dlens []int, dcodes []uint32) {
	rng := g.rng
	var lits, lensyms []int
	for s := 0; s < 256; s++ {
		if llens[s] > 0 {
			lits = append(lits, s)
		}
	}
	for s := 257; s < len(llens); s++ {
		if llens[s] > 0 {
			lensyms = append(lensyms, s)
		}
	}
	var dsyms []int
	for s, l := range dlens {
		if l > 0 {
			dsyms = append(dsyms, s)
		}
	}
	n := rng.IntN(g.opts.maxSymbols + 1)
	for i := 0; i < n; i++ {
		matchOK := len(lensyms) > 0 && len(dsyms) > 0 && len(g.out) > 0
		if matchOK && (len(lits) == 0 || rng.IntN(3) > 0 || g.opts.bigOutput) {
			// a match: choose a length symbol with code, distance symbol with code
			ls := lensyms[rng.IntN(len(lensyms))]
			if ls >= 286 {
				if !g.opts.invalid {
					continue
				}
				g.w.code(lcodes[ls], uint(llens[ls]))
				g.bad = true
				return
			}
			ex := rvLenExtra[ls-257]
			ev := uint32(rng.IntN(1 << ex))
			length := rvLenBase[ls-257] + int(ev)
			// distance: a symbol whose range intersects [1, len(out)]
			var ok []int
			for _, d := range dsyms {
				if d < 30 && rvDistBase[d] <= min(len(g.out), 32768) {
					ok = append(ok, d)
				}
			}
			if len(ok) == 0 {
				if g.opts.invalid && rng.IntN(20) == 0 {
					ds := dsyms[rng.IntN(len(dsyms))]
					g.w.code(lcodes[ls], uint(llens[ls]))
					g.w.value(ev, ex)
					g.w.code(dcodes[ds], uint(dlens[ds]))
					g.w.value(0, 13)
					g.bad = true
					return
				}
				continue
			}
			if g.opts.invalid && len(dsyms) > 0 && dsyms[len(dsyms)-1] >= 30 && rng.IntN(50) == 0 {
				ds := dsyms[len(dsyms)-1-rng.IntN(2)]
				g.w.code(lcodes[ls], uint(llens[ls]))
				g.w.value(ev, ex)
				g.w.code(dcodes[ds], uint(dlens[ds]))
				g.w.value(0, 13)
				g.bad = true
				return
			}
			ds := ok[rng.IntN(len(ok))]
			dex := rvDistExtra(ds)
			maxd := min(len(g.out), 32768)
			span := min(1<<dex, maxd-rvDistBase[ds]+1)
			dv := rng.IntN(span)
			if rng.IntN(4) == 0 {
				dv = span - 1 // farthest
			}
			dist := rvDistBase[ds] + dv
			g.w.code(lcodes[ls], uint(llens[ls]))
			g.w.value(ev, ex)
			g.w.code(dcodes[ds], uint(dlens[ds]))
			g.w.value(uint32(dv), dex)
			for k := 0; k < length; k++ {
				g.out = append(g.out, g.out[len(g.out)-dist])
			}
			continue
		}
		if len(lits) == 0 {
			break
		}
		b := lits[rng.IntN(len(lits))]
		g.w.code(lcodes[b], uint(llens[b]))
		g.lit(byte(b))
	}
	g.w.code(lcodes[256], uint(llens[256]))
}

// specific long-match sequences for fixed blocks
func (g *gen) fixedCodes() ([]int, []uint32, []int, []uint32) {
	ll := make([]int, 288)
	for s := range ll {
		switch {
		case s < 144:
			ll[s] = 8
		case s < 256:
			ll[s] = 9
		case s < 280:
			ll[s] = 7
		default:
			ll[s] = 8
		}
	}
	dl := make([]int, 32)
	for s := range dl {
		dl[s] = 5
	}
	if !g.opts.invalid {
		// keep 286/287, 30/31 out of the pool by zeroing copies for selection
		ll2 := append([]int{}, ll...)
		dl2 := append([]int{}, dl...)
		ll2[286], ll2[287] = 0, 0
		dl2[30], dl2[31] = 0, 0
		return ll2, canon(ll), dl2, canon(dl)
	}
	return ll, canon(ll), dl, canon(dl)
}

func (g *gen) block(final bool) {
	rng := g.rng
	fb := uint32(0)
	if final {
		fb = 1
	}
	switch k := rng.IntN(10); {
	case k == 0: // stored
		g.w.value(fb, 1)
		g.w.value(0, 2)
		// pad to byte
		for g.w.nbits%8 != 0 {
			g.w.value(uint32(rng.IntN(2)), 1) // padding bits: any value
		}
		var n int
		switch rng.IntN(4) {
		case 0:
			n = 0
		case 1:
			n = 65535
		default:
			n = rng.IntN(300)
		}
		g.w.value(uint32(n), 16)
		g.w.value(uint32(^n&0xffff), 16)
		for i := 0; i < n; i++ {
			b := byte(rng.IntN(256))
			g.w.value(uint32(b), 8)
			g.lit(b)
		}
	case k <= 2: // fixed
		g.w.value(fb, 1)
		g.w.value(1, 2)
		ll, lc, dl, dc := g.fixedCodes()
		g.symbols(ll, lc, dl, dc)
	default:
		g.w.value(fb, 1)
		g.w.value(2, 2)
		g.dynamic()
	}
}

func (g *gen) dynamic() {
	rng := g.rng
	nlit := 257 + rng.IntN(30)
	if rng.IntN(3) == 0 {
		nlit = 286
	}
	ndist := 1 + rng.IntN(30)
	if rng.IntN(3) == 0 {
		ndist = 30
	}
	deep := rng.IntN(2) == 0
	// literal/length code
	var pool []int
	onlyLits := rng.IntN(6) == 0
	for s := 0; s < nlit; s++ {
		if s == 256 {
			continue
		}
		if onlyLits && s > 256 {
			continue
		}
		pool = append(pool, s)
	}
	nsyms := 1 + rng.IntN(len(pool)+1)
	if rng.IntN(10) == 0 {
		nsyms = 1 // only EOB: single 1-bit code
	}
	if rng.IntN(5) == 0 {
		nsyms = min(len(pool)+1, 150+rng.IntN(140))
	}
	var must []int
	must = append(must, 256)
	if nlit > 257 && rng.IntN(2) == 0 && !onlyLits {
		must = append(must, nlit-1) // the last symbol coded
	}
	nsyms = max(nsyms, len(must))
	ldepths := randomCode(rng, nsyms, 15, deep)
	llens := assign(rng, nlit, ldepths, must, pool)
	// distance code
	var dlens []int
	switch rng.IntN(6) {
	case 0: // no distance codes at all
		dlens = make([]int, ndist)
	case 1: // a single distance code, 1 bit
		dlens = make([]int, ndist)
		dlens[rng.IntN(ndist)] = 1
	default:
		var dpool []int
		for s := 0; s < ndist; s++ {
			dpool = append(dpool, s)
		}
		var dmust []int
		if rng.IntN(2) == 0 {
			dmust = append(dmust, ndist-1)
		}
		dn := max(1, 1+rng.IntN(ndist))
		dn = max(dn, len(dmust))
		dd := randomCode(rng, dn, 15, rng.IntN(2) == 0)
		dlens = assign(rng, ndist, dd, dmust, dpool)
	}
	// invalid tweaks
	if g.opts.invalid && rng.IntN(8) == 0 {
		switch rng.IntN(4) {
		case 0: // over-subscribe / incomplete lit
			i := rng.IntN(nlit)
			if llens[i] > 0 {
				llens[i]--
			} else {
				llens[i] = 1 + rng.IntN(15)
			}
		case 1:
			i := rng.IntN(ndist)
			if dlens[i] > 0 {
				dlens[i]--
			} else {
				dlens[i] = 1 + rng.IntN(15)
			}
		case 2:
			llens[256] = 0
		case 3:
			// nlit/ndist beyond limits
			for len(llens) < 288 && rng.IntN(2) == 0 {
				llens = append(llens, 0)
			}
			for len(dlens) < 32 && rng.IntN(2) == 0 {
				dlens = append(dlens, 0)
			}
			nlit, ndist = len(llens), len(dlens)
		}
		g.bad = true
	}
	all := append(append([]int{}, llens...), dlens...)
	// run-length encode with random choices
	type item struct {
		sym   int
		extra uint32
		nb    uint
	}
	var items []item
	for i := 0; i < len(all); {
		l := all[i]
		run := 1
		for i+run < len(all) && all[i+run] == l {
			run++
		}
		switch {
		case l == 0 && run >= 11 && rng.IntN(4) > 0:
			r := min(run, 138)
			r = 11 + rng.IntN(r-10)
			items = append(items, item{18, uint32(r - 11), 7})
			i += r
		case l == 0 && run >= 3 && rng.IntN(3) > 0:
			r := min(run, 10)
			r = 3 + rng.IntN(r-2)
			items = append(items, item{17, uint32(r - 3), 3})
			i += r
		case i > 0 && all[i-1] == l && run >= 3 && rng.IntN(3) > 0:
			r := min(run, 6)
			r = 3 + rng.IntN(r-2)
			items = append(items, item{16, uint32(r - 3), 2})
			i += r
		default:
			items = append(items, item{l, 0, 0})
			i++
		}
	}
	if g.opts.invalid && rng.IntN(30) == 0 {
		// a repeat past the end
		items = append(items, item{18, 127, 7})
		g.bad = true
	}
	if g.opts.invalid && rng.IntN(30) == 0 {
		items = append([]item{{16, 0, 2}}, items...)
		g.bad = true
	}
	// code-length code
	var used [19]bool
	var cpool []int
	for _, it := range items {
		used[it.sym] = true
	}
	var cmust []int
	for s, u := range used {
		if u {
			cmust = append(cmust, s)
		}
	}
	_ = cpool
	nc := len(cmust)
	extraC := 0
	if nc < 19 && rng.IntN(3) == 0 {
		extraC = rng.IntN(19 - nc + 1)
	}
	var clens []int
	if nc+extraC > 1<<7 {
		panic("x")
	}
	for {
		cd := randomCode(rng, nc+extraC, 7, rng.IntN(2) == 0)
		if len(cd) == nc+extraC {
			var p []int
			for s := 0; s < 19; s++ {
				if !used[s] {
					p = append(p, s)
				}
			}
			clens = assign(rng, 19, cd, cmust, p)
			break
		}
	}
	if g.opts.invalid && rng.IntN(20) == 0 {
		i := rng.IntN(19)
		clens[i] = rng.IntN(8)
		g.bad = true
	}
	ccodes := canon(clens)
	// HCLEN: the last nonzero in codeOrder
	ncode := 4
	for i, s := range codeOrder {
		if clens[s] != 0 {
			ncode = max(ncode, i+1)
		}
	}
	if rng.IntN(3) == 0 {
		ncode = max(ncode, 4+rng.IntN(16))
	}
	nlitW, ndistW := nlit, ndist
	g.w.value(uint32(nlitW-257), 5)
	g.w.value(uint32(ndistW-1), 5)
	g.w.value(uint32(ncode-4), 4)
	for i := 0; i < ncode; i++ {
		g.w.value(uint32(clens[codeOrder[i]]), 3)
	}
	for _, it := range items {
		g.w.code(ccodes[it.sym], uint(clens[it.sym]))
		g.w.value(it.extra, it.nb)
	}
	if g.bad {
		// emit some junk symbols and stop
		for i := 0; i < 20; i++ {
			g.w.value(uint32(rng.IntN(256)), 8)
		}
		return
	}
	// pad llens for the symbol emission
	ll := append([]int{}, llens...)
	g.symbols(ll, canon(llens), dlens, canon(dlens))
}

// genStream returns a stream and its output; valid reports whether the
// generator made it valid.
func genStream(seed uint64, opts genOpts) ([]byte, []byte, bool) {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 77)), opts: opts}
	nb := 1 + g.rng.IntN(opts.maxBlocks)
	for i := 0; i < nb && !g.bad; i++ {
		g.block(i == nb-1)
	}
	if !g.bad && g.rng.IntN(4) == 0 {
		// trailing padding bits are already zero; nothing
	}
	return g.w.out, g.out, !g.bad
}

// decodeFull inflates with our Reader, bufio of size bs, reads of chunk.
func decodeFull(stream, after []byte, bs, chunk int) ([]byte, []byte, error) {
	return inflateAll(stream, after, chunk, bs)
}

func flateRef(stream, after []byte) ([]byte, []byte, error) {
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(stream), bytes.NewReader(after)), 4096)
	want, werr := io.ReadAll(flate.NewReader(br))
	wrest, _ := io.ReadAll(br)
	return want, wrest, werr
}

func checkStream(t *testing.T, seed uint64, stream, ref []byte, valid bool) {
	t.Helper()
	after := []byte("<AFTER>")
	want, wrest, werr := flateRef(stream, after)
	if valid {
		if werr != nil {
			t.Fatalf("seed %d: compress/flate fails on a valid generated stream: %v", seed, werr)
		}
		if !bytes.Equal(want, ref) {
			t.Fatalf("seed %d: compress/flate output differs from the generator's", seed)
		}
	}
	for _, cfg := range [][2]int{{4096, 1 << 20}, {16, 7}, {64 << 10, 1}} {
		if cfg[1] == 1 && len(want) > 20000 {
			continue
		}
		got, rest, err := decodeFull(stream, after, cfg[0], cfg[1])
		switch {
		case werr == nil && err != nil:
			t.Fatalf("seed %d cfg %v: flate ok (%d bytes), ours: %v (after %d bytes, first diff %d)", seed, cfg, len(want), err, len(got), firstDiff(got, want))
		case werr != nil && err == nil:
			t.Fatalf("seed %d cfg %v: flate fails %v (after %d bytes), ours ok %d bytes", seed, cfg, werr, len(want), len(got))
		case werr == nil && !bytes.Equal(got, want):
			t.Fatalf("seed %d cfg %v: output differs at %d (got %d want %d)", seed, cfg, firstDiff(got, want), len(got), len(want))
		case werr == nil && !bytes.Equal(rest, wrest):
			t.Fatalf("seed %d cfg %v: rest %q, want %q", seed, cfg, head(rest), head(wrest))
		case werr != nil && !bytes.HasPrefix(want, got) && !bytes.HasPrefix(got, want):
			t.Fatalf("seed %d cfg %v: both fail (%v / %v), output differs at %d", seed, cfg, err, werr, firstDiff(got, want))
		}
		if werr != nil && err != nil {
			if errors.Is(werr, io.ErrUnexpectedEOF) != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Logf("seed %d cfg %v: error kinds differ: ours %v, flate %v", seed, cfg, err, werr)
			}
		}
	}
}

func TestInflateGeneratedStreams(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 100
	}
	for seed := uint64(0); seed < uint64(n); seed++ {
		stream, ref, valid := genStream(seed, genOpts{maxBlocks: 6, maxSymbols: 400})
		if !valid {
			t.Fatalf("seed %d: invalid without invalid opts", seed)
		}
		checkStream(t, seed, stream, ref, valid)
	}
}

func TestInflateGeneratedInvalidStreams(t *testing.T) {
	for seed := uint64(100000); seed < 100600; seed++ {
		stream, ref, valid := genStream(seed, genOpts{maxBlocks: 6, maxSymbols: 300, invalid: true})
		checkStream(t, seed, stream, ref, valid)
	}
}

func TestInflateGeneratedLongOutput(t *testing.T) {
	for seed := uint64(200000); seed < 200006; seed++ {
		stream, ref, valid := genStream(seed, genOpts{maxBlocks: 12, maxSymbols: 8000, bigOutput: true})
		checkStream(t, seed, stream, ref, valid)
		t.Logf("seed %d: %d in, %d out", seed, len(stream), len(ref))
	}
}

// Truncation at every byte, and bit flips, of generated streams.
func TestInflateGeneratedCutsAndFlips(t *testing.T) {
	for seed := uint64(300000); seed < 300004; seed++ {
		stream, ref, _ := genStream(seed, genOpts{maxBlocks: 4, maxSymbols: 60})
		for cut := 0; cut < len(stream); cut++ {
			got, _, err := decodeFull(stream[:cut], nil, 4096, 4096)
			want, _, werr := flateRef(stream[:cut], nil)
			if werr == nil && err == nil {
				if !bytes.Equal(got, want) {
					t.Fatalf("seed %d cut %d: both ok, differ", seed, cut)
				}
				continue
			}
			if (werr == nil) != (err == nil) {
				t.Fatalf("seed %d cut %d/%d: ours %v, flate %v", seed, cut, len(stream), err, werr)
			}
			if !bytes.HasPrefix(ref, got) {
				t.Fatalf("seed %d cut %d: output no prefix of ref", seed, cut)
			}
		}
		rng := rand.New(rand.NewPCG(seed, 5))
		for k := 0; k < 100; k++ {
			bad := bytes.Clone(stream)
			for j := 1 + rng.IntN(2); j > 0; j-- {
				bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
			}
			checkStream(t, seed, bad, nil, false)
		}
	}
}
