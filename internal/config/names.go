package config

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// What names and globs must be, and how messages list words.

// validName reports whether s matches ^[a-zA-Z_][a-zA-Z0-9_.-]{0,62}$, what
// a source name must be to be a label value that reads well everywhere.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// nameRule says what validName wants.
const nameRule = "want 1 to 63 letters, digits, _, . or -, starting with a letter or _"

// globProblem says what is wrong with the glob s, or returns "" if nothing
// is. doublestar.ValidatePattern decides; the rest only explains its
// verdict, following the same rules ('/' separates, '\' escapes).
func globProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if doublestar.ValidatePattern(s) {
		return ""
	}
	alts := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i++; i >= len(s) {
				return `\ at the end escapes nothing`
			}
		case '[':
			start := i
			i++
			if i < len(s) && (s[i] == '^' || s[i] == '!') {
				i++
			}
			if i < len(s) && s[i] == ']' {
				return fmt.Sprintf("empty character class %q", s[start:i+1])
			}
			closed := false
			for ; i < len(s) && !closed; i++ {
				if s[i] == '\\' {
					i++
				} else if s[i] == ']' {
					closed = true
				}
			}
			if !closed {
				return "[ without a closing ]"
			}
			i-- // the loop's i++ steps past the ]
		case '{':
			alts++
		case '}':
			if alts == 0 {
				return "} without an opening {"
			}
			alts--
		}
	}
	if alts > 0 {
		return "{ without a closing }"
	}
	return "not a valid pattern"
}

// orList writes "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
