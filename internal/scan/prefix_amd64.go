package scan

import "golang.org/x/sys/cpu"

// prefixVector is whether indexPrefix compares 32 positions at a time
// with AVX2 (indexPrefixAVX2) before its portable search; tests turn it
// off to test that search too.
var prefixVector = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// indexPrefixAVX2 returns the first i in [0, n) where p[i:i+5] is
// "ODPS-", or -1, and the '\n's in p[0:i] (p[0:n] when -1); ats is 0 when
// no '@' is in p[0:i] (nor in the rest of i's round of 32 bytes). n is a
// multiple of 32, and p[n+3] is readable.
//
//go:noescape
func indexPrefixAVX2(p *byte, n int) (at, newlines, ats int)
