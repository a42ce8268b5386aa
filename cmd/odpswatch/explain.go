package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

func runExplain(e env, args []string) int {
	fs := newFlags(e, "explain", "explain CODE...\n\nPrints what the code format and the catalog say of each code: ODPS-MMCCCCX or its 7 digits.")
	codes, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(codes) == 0 {
		return failUsage(e, "explain: name a code, e.g. odpswatch explain ODPS-0130071")
	}
	status := exitOK
	for i, arg := range codes {
		c, err := scan.ParseCode(strings.TrimSpace(arg))
		if err != nil {
			fmt.Fprintf(e.stderr, "odpswatch explain: %v\n", err)
			status = exitFailure
			continue
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		explain(e, classify.Classify(c))
	}
	return status
}

func explain(e env, cl classify.Class) {
	c := cl.Code
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("code", c.String())
	fam := fmt.Sprintf("%02d %s", c.Family(), cl.Family.Name)
	if !cl.Family.Known() {
		fam = fmt.Sprintf("%02d (not a documented family)", c.Family())
	}
	row("family", fam+"  [label "+cl.Family.Label+"]")
	mod := fmt.Sprintf("%04d %s", c.Module(), cl.ModuleName())
	if cl.Module == classify.UnknownModule && cl.ModuleName() == cl.Module.Name {
		mod = fmt.Sprintf("%04d (outside the family's documented module ranges)", c.Module())
	}
	mod += "  [label " + cl.Module.Label + "]"
	// A "Not applicable" in the documentation's table is shown beside what
	// the digits say, not instead of it: the digits are what is counted.
	const notApplicable = "; the documentation's table says not applicable"
	en := cl.Entry
	if en != nil && en.ModuleNotApplicable {
		mod += notApplicable
	}
	row("module", mod)
	sev := fmt.Sprintf("%d (the trailing digit; 1 lowest to 5 highest on the API page, 0-9 seen)", cl.Severity)
	switch {
	case en != nil && en.SeverityNotApplicable:
		sev += notApplicable
	case en != nil && en.DocSeverity >= 0 && en.DocSeverity != cl.Severity:
		sev += fmt.Sprintf("; the documentation's table says %d", en.DocSeverity)
	}
	row("severity", sev)
	if en == nil {
		row("catalog", "not documented: only what the digits say is known")
		return
	}
	title := en.Title
	if title == "" {
		title = "(none documented)"
	}
	row("title", title)
	if en.HTTPStatus != "" {
		row("http status", strings.ReplaceAll(en.HTTPStatus, "|", " or "))
	}
	row("what to do", en.Hint)
	if en.Note != "" {
		row("note", en.Note)
	}
	row("source", en.Provenance)
}

func runCodes(e env, args []string) int {
	fs := newFlags(e, "codes", "codes [flags]\n\nLists the documented codes, filtered by family and severity.")
	family := fs.String("family", "", "only this family: its label, name or two digits (e.g. sql, SQL, 01)")
	minSeverity := fs.Int("min-severity", 0, "only codes of this severity (0-9) or above")
	severity := fs.Int("severity", -1, "only codes of exactly this severity (0-9)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(rest) > 0 {
		return failUsage(e, "codes: unexpected argument %q", rest[0])
	}
	if *minSeverity < 0 || *minSeverity > 9 || *severity < -1 || *severity > 9 {
		return failUsage(e, "codes: severities go from 0 to 9")
	}
	famID := -1
	if *family != "" {
		if f, ok := classify.FamilyByLabel(*family); ok {
			famID = f.ID
		} else if n, err := fmt.Sscanf(*family, "%02d", &famID); err != nil || n != 1 || len(*family) != 2 {
			var names []string
			for _, f := range classify.Families() {
				names = append(names, f.Label)
			}
			return failUsage(e, "codes: --family %q: want two digits or one of %s", *family, strings.Join(names, ", "))
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSEV\tFAMILY/MODULE\tTITLE\tHTTP")
	n := 0
	for _, en := range classify.Catalog() {
		cl := classify.Classify(en.Code)
		if (famID >= 0 && en.Code.Family() != famID) || cl.Severity < *minSeverity || (*severity >= 0 && cl.Severity != *severity) {
			continue
		}
		n++
		fmt.Fprintf(tw, "%s\t%d\t%s/%s\t%s\t%s\n", en.Code, cl.Severity, cl.Family.Name, cl.ModuleName(), en.Title, en.HTTPStatus)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\n%d codes\n", n)
	return exitOK
}
