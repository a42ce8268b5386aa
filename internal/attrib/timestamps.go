package attrib

import (
	"bytes"
	"strings"
)

// The timestamp a log line starts with: where a new record starts, and
// when a job failed (see Clues.Time and NewRecord).

// timestamp finds the timestamp a line starts with: ISO 8601
// (2026-11-21T02:15:05.459Z, 2026-11-21 02:15:05,459, with or without
// fractions), in brackets ([2026-11-21 02:15:05,459], Airflow's
// [2026-11-21, 02:15:05 UTC]) or after a level (ERROR 2026-11-21
// 02:15:05), syslog's "Nov 21 02:15:05", or a JSON line's "ts", "time",
// "timestamp" or "@timestamp" field among its first: epoch milliseconds,
// epoch seconds with or without a fraction (zap's 1763691301.123), or an
// ISO 8601 string.
func timestamp(line []byte) Span {
	if n := isoTime(line); n > 0 {
		return Span{0, n}
	}
	if len(line) >= 15 && isMonth(line[:3]) && line[3] == ' ' && clock(line[7:15]) {
		return Span{0, 15}
	}
	if len(line) > 0 && line[0] == '[' {
		if n := isoTime(line[1:]); n > 0 {
			return Span{1, 1 + n}
		}
	}
	for _, l := range levels {
		if len(line) > len(l) && hasPrefixFold(line, l) && line[len(l)] == ' ' {
			at := len(l) + 1
			for at < len(line) && (line[at] == ' ' || line[at] == '[') {
				at++
			}
			if n := isoTime(line[at:]); n > 0 {
				return Span{at, at + n}
			}
		}
	}
	if len(line) > 0 && line[0] == '{' {
		return jsonTime(line)
	}
	return Span{}
}

// levels are the log levels a line may start with before its timestamp.
var levels = []string{"error", "warn", "warning", "info", "debug", "fatal", "trace"}

// jsonTime finds the time field among the first bytes of a JSON line.
func jsonTime(line []byte) Span {
	head := line[:min(len(line), 160)]
	for _, k := range []string{`"ts":`, `"time":`, `"timestamp":`, `"@timestamp":`} {
		i := bytes.Index(head, []byte(k))
		if i < 0 {
			continue
		}
		start := i + len(k)
		for start < len(line) && line[start] == ' ' {
			start++
		}
		if start < len(line) && line[start] == '"' {
			if n := isoTime(line[start+1:]); n > 0 && start+1+n < len(line) && line[start+1+n] == '"' {
				return Span{start + 1, start + 1 + n}
			}
			continue
		}
		end := start
		for end < len(line) && '0' <= line[end] && line[end] <= '9' {
			end++
		}
		switch n := end - start; {
		case n == 13:
			return Span{start, end}
		case n == 10:
			if end+1 < len(line) && line[end] == '.' && isDigit(line[end+1]) {
				end++
				for end < len(line) && isDigit(line[end]) {
					end++
				}
			}
			return Span{start, end}
		}
	}
	return Span{}
}

// isoTime returns the length of the ISO-like date and time line starts
// with, or 0.
func isoTime(line []byte) int {
	if len(line) < 19 || !digits(line[0:4]) || line[4] != '-' || !digits(line[5:7]) || line[7] != '-' || !digits(line[8:10]) {
		return 0
	}
	// Airflow writes "2026-11-21, 02:15:05 UTC".
	sep := 1
	if line[10] == ',' && len(line) >= 20 && line[11] == ' ' {
		sep = 2
	}
	if sep == 1 && line[10] != ' ' && line[10] != 'T' || !clock(line[10+sep:18+sep]) {
		return 0
	}
	n := 18 + sep
	if n < len(line) && (line[n] == ',' || line[n] == '.') {
		k := n + 1
		for k < len(line) && '0' <= line[k] && line[k] <= '9' {
			k++
		}
		if k > n+1 {
			n = k
		}
	}
	switch {
	case n < len(line) && line[n] == 'Z':
		n++
	case n+6 <= len(line) && (line[n] == '+' || line[n] == '-') && digits(line[n+1:n+3]) && line[n+3] == ':' && digits(line[n+4:n+6]):
		n += 6
	case n+4 <= len(line) && string(line[n:n+4]) == " UTC":
		n += 4
	}
	return n
}

func clock(s []byte) bool {
	return len(s) == 8 && digits(s[0:2]) && s[2] == ':' && digits(s[3:5]) && s[5] == ':' && digits(s[6:8])
}

func isMonth(s []byte) bool {
	return strings.Contains("JanFebMarAprMayJunJulAugSepOctNovDec", string(s)) && len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z'
}
