package oneshot

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/odpswatch/odpswatch/internal/attrib"
	"github.com/odpswatch/odpswatch/internal/classify"
)

// Widths of the table: DefaultTableWidth when none is known (output to a
// file or a pipe), MinTableWidth the narrowest it is laid out for.
const (
	DefaultTableWidth = 80
	MinTableWidth     = 40
	// MaxTableJobs bounds the failed jobs the table details; the JSON
	// lists them all.
	MaxTableJobs = 20
)

// WriteTable writes the report for a reader at a terminal DefaultTableWidth
// columns wide (see WriteTableWidth).
func WriteTable(w io.Writer, r *Report, minSeverity int) error {
	return WriteTableWidth(w, r, minSeverity, DefaultTableWidth)
}

// WriteTableWidth writes the report so that no line is wider than width
// columns: first the failed jobs (MaxTableJobs of them at most), each with
// its root cause, what the log says of it, what to do and its LogView
// link; then the codes at or above minSeverity, most severe first, with
// the catalog's title and hint; then a summary line. Text that does not
// fit is wrapped (messages, hints, links) or cut with "…" (table cells).
func WriteTableWidth(w io.Writer, r *Report, minSeverity, width int) error {
	width = max(width, MinTableWidth)
	if err := writeJobs(w, r, width); err != nil {
		return err
	}
	if err := writeCodes(w, r, minSeverity, width); err != nil {
		return err
	}
	shown := ""
	if minSeverity > 0 {
		shown = fmt.Sprintf(", %d at severity %d or above", len(r.Codes(minSeverity)), minSeverity)
	}
	failures, _ := r.Failures()
	recovered := ""
	if n := r.Recovered(); n > 0 {
		recovered = fmt.Sprintf(" (%d recovered)", n)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", strings.Join(wrap(fmt.Sprintf("%d lines, %d bytes: %d codes on %d lines, %d distinct%s; %d %s%s",
		r.Lines, r.Bytes, r.Matches, r.MatchedLines, len(r.codes), shown, failures, plural(int(failures), "failure", "failures"), recovered), width, 0), "\n"))
	return err
}

// jobLabel is as wide as the labels of a job's lines ("  LogView ").
const jobLabel = 10

func writeJobs(w io.Writer, r *Report, width int) error {
	type fileJob struct {
		file string
		job  *attrib.Job
	}
	var failed []fileJob
	for _, f := range r.Files {
		for _, j := range f.Jobs() {
			if j.Failed() {
				failed = append(failed, fileJob{f.Name, j})
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d failed %s\n", len(failed), plural(len(failed), "job", "jobs"))
	multi := len(r.Files) > 1
	for i, fj := range failed {
		if i == MaxTableJobs {
			fmt.Fprintf(&b, "\n%s\n", strings.Join(wrap(fmt.Sprintf("… and %d more (--format json lists them all)", len(failed)-i), width, 0), "\n"))
			break
		}
		j := fj.job
		b.WriteByte('\n')
		head := "no instance named"
		if j.Instance != "" {
			head = "instance " + j.Instance
		}
		if j.Project != "" {
			head += "  project " + j.Project
		}
		num := strconv.Itoa(i+1) + "."
		fmt.Fprintf(&b, "%-*s%s\n", len(num)+1, num, cell(head, width-len(num)-1))
		when := "line " + strconv.FormatInt(j.RootLine, 10)
		if multi {
			when = fj.file + ":" + strconv.FormatInt(j.RootLine, 10)
		}
		if j.RootTime != "" {
			when = j.RootTime + ", " + when
		}
		if j.Recovered > 0 {
			when += fmt.Sprintf("; retried and recovered (%d of %d)", j.Recovered, j.Failures)
		}
		line(&b, "failed", when, width)
		cl := classify.Classify(j.Root)
		cause := j.Root.String() + " " + cl.Title()
		if cl.Entry == nil {
			cause = j.Root.String() + " (undocumented)"
		}
		if n := len(j.Codes); n > 1 {
			cause += fmt.Sprintf(" (%d codes in all)", n)
		}
		para(&b, "cause", cause, width, 2)
		if j.RootMessage != "" {
			para(&b, "", j.RootMessage, width, 3)
		}
		if cl.Entry != nil && cl.Entry.Hint != "" {
			para(&b, "to do", cl.Entry.Hint, width, 3)
		}
		if j.LogView != "" {
			for k, part := range chop(j.LogView, width-jobLabel, 6) {
				label := ""
				if k == 0 {
					label = "LogView"
				}
				line(&b, label, part, width)
			}
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// line writes a job's line: the label, then text, cut to width.
func line(b *strings.Builder, label, text string, width int) {
	fmt.Fprintf(b, "  %-*s%s\n", jobLabel-2, label, cell(text, width-jobLabel))
}

// para writes text under label, wrapped to width, in at most lines lines.
func para(b *strings.Builder, label, text string, width, lines int) {
	for k, l := range wrap(text, width-jobLabel, lines) {
		if k > 0 {
			label = ""
		}
		line(b, label, l, width)
	}
}

func writeCodes(w io.Writer, r *Report, minSeverity, width int) error {
	codes := r.Codes(minSeverity)
	folded := r.Folded(minSeverity)
	if len(codes) == 0 && len(folded) == 0 {
		return nil
	}
	multi := len(r.Files) > 1
	_, failures := r.Failures()
	type row struct{ sev, code, count, fail, first, title, hint string }
	rows := []row{{"SEV", "CODE", "COUNT", "FAIL", "FIRST", "TITLE", "HINT"}}
	for _, s := range codes {
		t := row{strconv.Itoa(s.Class.Severity), s.Class.Code.String(), strconv.FormatInt(s.Count, 10),
			strconv.FormatInt(failures[s.Class.Code], 10), cell(where(s.First, multi), 24), s.Class.Title(), ""}
		if s.Class.Entry == nil {
			t.title = "(undocumented)"
		} else {
			t.hint = s.Class.Entry.Hint
		}
		rows = append(rows, t)
	}
	for _, f := range folded {
		rows = append(rows, row{strconv.Itoa(f.Class.Severity), "other", strconv.FormatInt(f.Count, 10), "", "",
			fmt.Sprintf("(%s/%s codes past the first %d undocumented)", f.Class.Family.Name, f.Class.Module.Name, MaxUndocumentedCodes), ""})
	}
	// SEV, CODE and COUNT take what they need, FIRST what is left of 24
	// columns after 14 for the title; the title and the hint share the
	// rest, and the hint goes when it would be too narrow to read.
	widest := func(col func(row) string) int {
		n := 0
		for _, t := range rows {
			n = max(n, columns(col(t)))
		}
		return n
	}
	avail := width - widest(func(t row) string { return t.sev }) - widest(func(t row) string { return t.code }) -
		widest(func(t row) string { return t.count }) - widest(func(t row) string { return t.fail }) - 4*2
	// FIRST goes first when the terminal is too narrow for it and a title.
	firstWidth := min(widest(func(t row) string { return t.first }), avail-2-14)
	if firstWidth < 5 {
		firstWidth = -2 // no column, nor the space after it
	}
	for i := range rows {
		rows[i].first = cell(rows[i].first, firstWidth)
	}
	rest := avail - firstWidth - 2
	titleWidth := min(max(rest/2, 12), 40, rest)
	hintWidth := rest - titleWidth - 2
	if hintWidth < 8 {
		titleWidth, hintWidth = rest, 0
	}
	// Columns are padded by display width (text/tabwriter counts runes,
	// and a file name in CJK would push the columns after it).
	table := make([][]string, len(rows))
	for i, t := range rows {
		r := []string{t.sev, t.code, t.count, t.fail}
		if firstWidth > 0 {
			r = append(r, t.first)
		}
		r = append(r, cell(t.title, titleWidth))
		if hintWidth > 0 {
			r = append(r, cell(t.hint, hintWidth))
		}
		table[i] = r
	}
	widths := make([]int, len(table[0]))
	for _, r := range table {
		for j, c := range r {
			widths[j] = max(widths[j], columns(c))
		}
	}
	var b strings.Builder
	for _, r := range table {
		for j, c := range r {
			b.WriteString(c)
			if j < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-columns(c)+2))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func where(p Position, withFile bool) string {
	if withFile {
		return p.File + ":" + strconv.FormatInt(p.Line, 10)
	}
	return strconv.FormatInt(p.Line, 10)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printable turns control characters (tabs included, which would break
// the columns) into spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
}

// cell makes s fit a table cell width columns wide, cut with "…".
func cell(s string, width int) string {
	s = printable(s)
	switch {
	case width <= 0:
		return ""
	case columns(s) <= width:
		return s
	case width == 1:
		return "…"
	}
	return prefix(s, width-1) + "…"
}

// wrap breaks s into lines of at most width columns at spaces (a word
// longer than a line is cut), and keeps at most lines of them, the last
// cut with "…" if text is left.
func wrap(s string, width, lines int) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(printable(s)) {
		switch {
		case cur == "":
			cur = word
		case columns(cur)+1+columns(word) <= width:
			cur += " " + word
		default:
			out = append(out, cur)
			cur = word
		}
		for columns(cur) > width {
			head := prefix(cur, width)
			out = append(out, head)
			cur = cur[len(head):]
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	if lines > 0 && len(out) > lines {
		out = append(out[:lines-1], prefix(out[lines-1], width-1)+"…")
	}
	return out
}

// chop cuts s into pieces of width columns, at most n of them (a link is
// cut where it must be, not at spaces: it has none).
func chop(s string, width, n int) []string {
	var out []string
	for s != "" && len(out) < n {
		head := prefix(s, width)
		out = append(out, head)
		s = s[len(head):]
	}
	if s != "" {
		out[len(out)-1] = prefix(out[len(out)-1], width-1) + "…"
	}
	return out
}

// prefix returns the longest start of s at most n columns wide, and at
// least one rune, so that cutting s into prefixes ends.
func prefix(s string, n int) string {
	w := 0
	for i, r := range s {
		w += runeColumns(r)
		if w > n && i > 0 {
			return s[:i]
		}
	}
	return s
}

// columns returns how many terminal columns s takes.
func columns(s string) int {
	w := 0
	for _, r := range s {
		w += runeColumns(r)
	}
	return w
}

// runeColumns returns the columns a terminal gives r: two for the wide
// characters of East Asian scripts (CJK, Hangul, full-width forms), one
// for the rest.
func runeColumns(r rune) int {
	switch {
	case r < 0x1100:
		return 1
	case r <= 0x115f, 0x2e80 <= r && r <= 0xa4cf && r != 0x303f, 0xac00 <= r && r <= 0xd7a3,
		0xf900 <= r && r <= 0xfaff, 0xfe30 <= r && r <= 0xfe4f, 0xff00 <= r && r <= 0xff60,
		0xffe0 <= r && r <= 0xffe6, 0x20000 <= r && r <= 0x3fffd:
		return 2
	}
	return 1
}
