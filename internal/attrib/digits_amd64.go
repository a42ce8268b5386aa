package attrib

// lastDigitRunAVX2 returns the largest q such that p[q:q+minIDDigits] are
// all digits, the bytes from p[n] on taken as not digits, or -1. n is a
// multiple of 32.
//
//go:noescape
func lastDigitRunAVX2(p *byte, n int) int
