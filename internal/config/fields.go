package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/prometheus/common/model"
)

// typeFile is the type of a source that follows files.
const typeFile = "file"

// sourceTypes are the supported source types.
var sourceTypes = []string{typeFile}

// maxPaths bounds the globs of a file source.
const maxPaths = 64

// kind is what a field holds.
type kind int

const (
	kindInt      kind = iota // an integer within [min, max]
	kindDuration             // a duration within [min, max] nanoseconds
	kindChoice               // one of choices; the first is the default
	kindString               // any non-empty string, checked by the caller
	kindGlobs                // a list of at most max globs (max 0: no bound)
)

// A field is one key of a mapping that decodes into a T: its kind, its
// bounds and default, and where in a T its value goes. The tables below are
// the single source of the defaults and bounds; the messages, the defaults
// and the test of configs/odpswatch.yaml's comments all read them.
type field[T any] struct {
	key      string
	kind     kind
	def      int64 // kindInt, kindDuration
	min, max int64 // kindInt, kindDuration; kindGlobs: max only
	choices  []string

	num  func(*T) *int
	dur  func(*T) *model.Duration
	str  func(*T) *string
	list func(*T) *[]string
}

func intField[T any](key string, def, lo, hi int, p func(*T) *int) field[T] {
	return field[T]{key: key, kind: kindInt, def: int64(def), min: int64(lo), max: int64(hi), num: p}
}

func durationField[T any](key string, def, lo, hi time.Duration, p func(*T) *model.Duration) field[T] {
	return field[T]{key: key, kind: kindDuration, def: int64(def), min: int64(lo), max: int64(hi), dur: p}
}

func choiceField[T any](key string, choices []string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindChoice, choices: choices, str: p}
}

func stringField[T any](key string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindString, str: p}
}

func globsField[T any](key string, hi int, p func(*T) *[]string) field[T] {
	return field[T]{key: key, kind: kindGlobs, max: int64(hi), list: p}
}

var globalFields = []field[Global]{
	durationField("positions_save_interval", 5*time.Second, time.Second, 10*time.Minute,
		func(g *Global) *model.Duration { return &g.PositionsSaveInterval }),
	durationField("shutdown_timeout", 15*time.Second, time.Second, 25*time.Second,
		func(g *Global) *model.Duration { return &g.ShutdownTimeout }),
	intField("workers", 0, 0, 256, func(g *Global) *int { return &g.Workers }),
	intField("queue_batches", 64, 1, 4096, func(g *Global) *int { return &g.QueueBatches }),
	intField("batch_bytes", 256<<10, 4<<10, 16<<20, func(g *Global) *int { return &g.BatchBytes }),
	intField("max_line_bytes", 1<<20, 256, 64<<20, func(g *Global) *int { return &g.MaxLineBytes }),
}

var sourceFields = []field[Source]{
	stringField("name", func(s *Source) *string { return &s.Name }),
	stringField("type", func(s *Source) *string { return &s.Type }),
	globsField("paths", maxPaths, func(s *Source) *[]string { return &s.Paths }),
	globsField("exclude", 0, func(s *Source) *[]string { return &s.Exclude }),
	choiceField("start_at", []string{"end", "beginning"}, func(s *Source) *string { return &s.StartAt }),
	choiceField("watch", []string{"auto", "poll"}, func(s *Source) *string { return &s.Watch }),
	durationField("poll_interval", 250*time.Millisecond, 10*time.Millisecond, time.Minute,
		func(s *Source) *model.Duration { return &s.PollInterval }),
	durationField("rescan_interval", 10*time.Second, 100*time.Millisecond, time.Hour,
		func(s *Source) *model.Duration { return &s.RescanInterval }),
	durationField("partial_line_timeout", 5*time.Second, 10*time.Millisecond, time.Hour,
		func(s *Source) *model.Duration { return &s.PartialLineTimeout }),
	intField("max_files", 10000, 1, 100000, func(s *Source) *int { return &s.MaxFiles }),
}

var prometheusFields = []field[PrometheusSink]{
	intField("max_unknown_codes", 100, 0, 10000, func(p *PrometheusSink) *int { return &p.MaxUnknownCodes }),
}

// setDefault gives v's field f its default, if it has one.
func (f field[T]) setDefault(v *T) {
	switch f.kind {
	case kindInt:
		*f.num(v) = int(f.def)
	case kindDuration:
		*f.dur(v) = model.Duration(f.def)
	case kindChoice:
		*f.str(v) = f.choices[0]
	}
}

// defaultText is the default as a user writes it; "" when there is none.
func (f field[T]) defaultText() string {
	switch f.kind {
	case kindInt:
		return strconv.FormatInt(f.def, 10)
	case kindDuration:
		return model.Duration(f.def).String()
	case kindChoice:
		return f.choices[0]
	}
	return ""
}

// allowedText is what the field accepts, as messages say it after "want".
func (f field[T]) allowedText() string {
	switch f.kind {
	case kindInt:
		return fmt.Sprintf("%d to %d", f.min, f.max)
	case kindDuration:
		return fmt.Sprintf("%s to %s", model.Duration(f.min), model.Duration(f.max))
	case kindChoice:
		return orList(f.choices)
	case kindGlobs:
		if f.max > 0 {
			return fmt.Sprintf("at most %d", f.max)
		}
		return "any number"
	}
	return "a string"
}

func defaults[T any](fields []field[T]) T {
	var v T
	for _, f := range fields {
		f.setDefault(&v)
	}
	return v
}

func defaultGlobal() Global { return defaults(globalFields) }

func defaultSource() Source { return defaults(sourceFields) }

func defaultSinks() Sinks { return Sinks{Prometheus: defaults(prometheusFields)} }

func defaultConfig() *Config { return &Config{Global: defaultGlobal(), Sinks: defaultSinks()} }

// keys lists the fields' keys, for messages.
func keys[T any](fields []field[T]) []string {
	ks := make([]string, len(fields))
	for i, f := range fields {
		ks[i] = f.key
	}
	return ks
}

// orList writes "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

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
