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

// idBefore finds, from *p down to from, the next instance ID shape (14
// digits or more, then lower-case letters and digits), and leaves *p
// where the search goes on, before it.
func idBefore(buf []byte, from int, p *int) (Span, bool) {
	end := *p + 1
	// A run that holds *p and goes on past it is read whole.
	for end < len(buf) && end > from && isDigit(buf[end-1]) && isDigit(buf[end]) {
		end++
	}
	for {
		q := lastDigitRun(buf, from, end)
		if q < 0 {
			*p = from - 1
			return Span{}, false
		}
		a, b := q, q+minIDDigits
		for a > from && isDigit(buf[a-1]) {
			a--
		}
		end = a
		if b == len(buf) || buf[b] < 'a' || buf[b] > 'z' {
			continue
		}
		e := b
		for e < len(buf) && isWord(buf[e]) {
			e++
		}
		if isInstanceID(buf[a:e]) {
			*p = a - 1
			return Span{a, e}, true
		}
	}
}
