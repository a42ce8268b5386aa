package attrib

import "golang.org/x/sys/cpu"

// pairsVector is whether pairsFold and lastDigitRun test 32 positions at
// a time with AVX2 (pairsFoldAVX2, lastDigitRunAVX2) before their
// portable loops; tests turn it off to test those loops too.
var pairsVector = cpu.X86.HasAVX2

// pairsFoldAVX2 returns the first i in [0, n) where p[i]|0x20, p[i+1]|0x20
// are a0, a1 or c0, c1, or -1. n is a multiple of 32, and p[n] is
// readable (a pair's second byte).
//
//go:noescape
func pairsFoldAVX2(p *byte, n int, a0, a1, c0, c1 byte) int

// quadsFoldAVX2 returns the first i in [0, n) where p[i:i+4], each byte
// |0x20, spell a or c (the first letter in the low byte), or -1. n is a
// multiple of 32, and p[n+2] is readable (a quad's last byte).
//
//go:noescape
func quadsFoldAVX2(p *byte, n int, a, c uint32) int
