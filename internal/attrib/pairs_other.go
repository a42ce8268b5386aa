//go:build !amd64

package attrib

// pairsVector is false: pairsFold's portable loop does all of it.
var pairsVector = false

func pairsFoldAVX2(p *byte, n int, a0, a1, c0, c1 byte) int { panic("no AVX2") }

func lastDigitRunAVX2(p *byte, n int) int { panic("no AVX2") }

func quadsFoldAVX2(p *byte, n int, a, c uint32) int { panic("no AVX2") }
