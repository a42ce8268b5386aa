package scan

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a MaxCompute error code ODPS-MMCCCCX held as the integer MMCCCCX
// (0 to 9,999,999). Leading zeros are part of the code, so ODPS-0010000 is
// Code(10000) and prints back as "ODPS-0010000".
type Code uint32

// MaxCode is the largest code the format can express: ODPS-9999999.
const MaxCode Code = 9_999_999

// Prefix is what every code starts with.
const Prefix = "ODPS-"

// Family returns MM, the product family.
func (c Code) Family() int { return int(c / 100_000) }

// Module returns CCCC, the module number inside the family.
func (c Code) Module() int { return int(c / 10 % 10_000) }

// Severity returns X, the trailing digit, which the format defines as the
// severity (1 lowest to 5 highest on the API page; 0 to 9 seen in practice).
func (c Code) Severity() int { return int(c % 10) }

func (c Code) appendDigits(b []byte) []byte {
	var d [7]byte
	v := uint32(c)
	for i := 6; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

// String returns the code as logs print it, e.g. "ODPS-0130071".
func (c Code) String() string {
	if c > MaxCode {
		return fmt.Sprintf("ODPS-invalid(%d)", uint32(c))
	}
	var buf [12]byte
	return string(c.appendDigits(append(buf[:0], Prefix...)))
}

// ErrBadCode is wrapped by ParseCode's errors.
var ErrBadCode = errors.New("not an ODPS error code")

// ParseCode reads a code written as "ODPS-MMCCCCX" or as the bare seven digits
// "MMCCCCX". The prefix is accepted in any case, since people type it by hand.
func ParseCode(s string) (Code, error) {
	digits := s
	if len(s) >= len(Prefix) && strings.EqualFold(s[:len(Prefix)], Prefix) {
		digits = s[len(Prefix):]
	}
	if len(digits) != 7 {
		return 0, fmt.Errorf("%w: %q: want ODPS- and exactly 7 digits, got %d characters after the prefix", ErrBadCode, s, len(digits))
	}
	var v uint32
	for i := 0; i < 7; i++ {
		ch := digits[i]
		if ch < '0' || ch > '9' {
			return 0, fmt.Errorf("%w: %q: %q at position %d is not a digit", ErrBadCode, s, ch, len(s)-len(digits)+i+1)
		}
		v = v*10 + uint32(ch-'0')
	}
	return Code(v), nil
}
