package attrib

// lastDigitRun returns the largest q in [from, end-minIDDigits] such that
// buf[q:q+minIDDigits] are all digits, or -1: where the last run of
// minIDDigits digits or more ends, less minIDDigits. With AVX2 it tests
// 32 bytes a round (idBefore's probe of one byte in 14 stopped at every
// digit of every timestamp and number on the way, and was the jobs
// layer's largest cost); the bytes below a multiple of 32 are read one
// at a time.
func lastDigitRun(buf []byte, from, end int) int {
	_ = buf[from:end] // the assembly reads buf[end-32:end] unchecked
	rem := end        // the bytes below it are read one at a time
	if n := (end - from) &^ 31; pairsVector && n > 0 {
		rem = end - n
		if k := lastDigitRunAVX2(&buf[rem], n); k >= 0 {
			return rem + k
		}
	}
	// The runs that start below rem: up to minIDDigits-1 of their digits
	// may be at rem or above.
	run := 0
	for i := min(end, rem+minIDDigits-1) - 1; i >= from; i-- {
		if !isDigit(buf[i]) {
			run = 0
			continue
		}
		if run++; run >= minIDDigits && i < rem {
			return i
		}
	}
	return -1
}
