package main

import "time"

// The pieces lines are made of: codes and their descriptions, times,
// numbers, IDs, and templates with placeholders.

func (g *gen) s(s string) { g.line = append(g.line, s...) }

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// code appends a code; the caller must make sure the bytes around it are not
// ASCII word characters.
func (g *gen) code(i int) {
	g.line = append(g.line, codes[i].code...)
	g.lineCodes++
	g.used[i] = true
}

// desc appends the general description (if the code has one), " - " and a
// context description of code i.
func (g *gen) desc(i int) {
	if codes[i].desc != "" {
		g.s(codes[i].desc)
		g.s(" - ")
	}
	g.expand(g.pick(codes[i].ctx))
}

func (g *gen) ts() {
	sec := g.clock / 1000
	if sec != g.tsSec {
		g.tsSec = sec
		g.tsText = time.UnixMilli(g.clock).UTC().AppendFormat(g.tsText[:0], "2006-01-02 15:04:05")
	}
	g.line = append(g.line, g.tsText...)
}

func (g *gen) tsMillis() {
	g.ts()
	ms := g.clock % 1000
	g.line = append(g.line, ',', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

func (g *gen) num(n int) {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	g.line = append(g.line, b[i:]...)
}

func (g *gen) randFrom(alphabet string, n int) {
	for range n {
		g.line = append(g.line, alphabet[g.r.IntN(len(alphabet))])
	}
}

// instanceID appends the current job's id, shaped like MaxCompute's:
// timestamp digits, 'g', lower-case alphanumerics. A new job starts every
// 50 to 500 lines.
func (g *gen) instanceID() {
	if g.job == nil || g.st.Lines >= g.jobEnds {
		line := g.line
		g.line = time.UnixMilli(g.clock).UTC().AppendFormat(g.job[:0], "20060102150405")
		ms := g.clock % 1000
		g.line = append(g.line, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'g')
		g.randFrom(lower, 9)
		g.job, g.line = g.line, line
		g.jobEnds = g.st.Lines + 50 + g.r.Int64N(450)
	}
	g.line = append(g.line, g.job...)
}

func (g *gen) uuid() {
	g.randFrom(hexLo, 8)
	g.s("-")
	g.randFrom(hexLo, 4)
	g.s("-")
	g.randFrom(hexLo, 4)
	g.s("-")
	g.randFrom(hexLo, 4)
	g.s("-")
	g.randFrom(hexLo, 12)
}

// expand appends s with placeholders replaced: {p} project, {t} table,
// {c} column, {d} date, {n} number, {i} instance id, {u} uuid, {q} quota.
// Any other brace text is copied as is.
func (g *gen) expand(s string) {
	for len(s) > 0 {
		j := 0
		for j < len(s) && s[j] != '{' {
			j++
		}
		g.s(s[:j])
		s = s[j:]
		if len(s) < 3 || s[2] != '}' {
			if len(s) > 0 {
				g.s(s[:1])
				s = s[1:]
			}
			continue
		}
		switch s[1] {
		case 'p':
			g.s(g.pick(projects))
		case 't':
			g.s(g.pick(tables))
		case 'c':
			g.s(g.pick(columns))
		case 'd':
			g.line = time.UnixMilli(g.clock).UTC().AppendFormat(g.line, "20060102")
		case 'n':
			g.num(g.r.IntN(5_000_000))
		case 'i':
			g.instanceID()
		case 'u':
			g.uuid()
		case 'q':
			g.s(g.pick(quotas))
		default:
			g.s(s[:3])
		}
		s = s[3:]
	}
}

func (g *gen) logPrefix(level string) {
	g.tsMillis()
	g.s(" ")
	g.s(level)
	g.s(" [")
	g.s(g.pick(threads))
	g.s("] ")
	g.s(g.pick(classes))
	g.s(" - ")
}
