//go:build !amd64

package scan

// prefixVector is false: indexPrefix's portable search does all of it.
var prefixVector = false

func indexPrefixAVX2(p *byte, n int) (at, newlines, ats int) { panic("no AVX2") }
