package classify

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// catalogTSV is every code MaxCompute documents, one per line, with our own
// one-line hint. Columns: code, module, doc_severity, title, http_status,
// provenance, note, hint.
//
//go:embed catalog.tsv
var catalogTSV string

// Entry is what the catalog says of one documented code.
type Entry struct {
	Code scan.Code
	// Title is the documented general description; empty where the
	// documentation gives none.
	Title string
	// Module is the module the documentation names, which may be finer than
	// the family's range (e.g. "Web-Authentication" in range "Web"); empty
	// where it names none or says "Not applicable".
	Module string
	// DocSeverity is the severity the documentation's table gives, or -1
	// where it gives none or says "Not applicable".
	// It can differ from the trailing digit, which is the severity odpswatch
	// uses (see odps-codes.md); both are shown where they differ.
	DocSeverity int
	// ModuleNotApplicable and SeverityNotApplicable are set where the
	// documentation's table says "Not applicable" for the module or the
	// severity (ODPS-1800001). That is what the documentation says, not a
	// module or a severity: the digits still give both, and the trailing
	// digit is still the severity counted, so explain shows the two side by
	// side.
	ModuleNotApplicable, SeverityNotApplicable bool
	// HTTPStatus is the documented HTTP status, several joined by "|"
	// (e.g. "404|500"); empty where none is documented.
	HTTPStatus string
	// Provenance says where the row comes from: doc, doc-historic, seed,
	// sdk, doc-sample, or log (seen in real logs, in no error table).
	Provenance string
	// Note is a remark on the row (missing title, conflicting documents).
	Note string
	// Hint is what an operator should do or check first, in one line.
	Hint string

	// module is the module Classify reports for this code.
	module Module
}

const catalogColumns = "code\tmodule\tdoc_severity\ttitle\thttp_status\tprovenance\tnote\thint"

// notApplicable is how the catalog writes the documentation's "Not
// applicable" in the module and doc_severity columns.
const notApplicable = "Not applicable"

// parseCatalog reads the catalog's TSV. Every row must be well-formed: the
// catalog is part of the binary, so an error here is a build error.
func parseCatalog(data string) ([]Entry, error) {
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if len(lines) == 0 || lines[0] != catalogColumns {
		return nil, fmt.Errorf("cannot parse catalog: header must be %q", catalogColumns)
	}
	entries := make([]Entry, 0, len(lines)-1)
	seen := make(map[scan.Code]int, len(lines))
	for i, line := range lines[1:] {
		lineNo := i + 2
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("cannot parse catalog line %d: %d columns, want 8", lineNo, len(f))
		}
		code, err := scan.ParseCode(f[0])
		if err != nil {
			return nil, fmt.Errorf("cannot parse catalog line %d: %w", lineNo, err)
		}
		if prev, dup := seen[code]; dup {
			return nil, fmt.Errorf("cannot parse catalog line %d: %s already on line %d", lineNo, code, prev)
		}
		seen[code] = lineNo
		e := Entry{Code: code, Module: f[1], DocSeverity: -1, Title: f[3], HTTPStatus: f[4], Provenance: f[5], Note: f[6], Hint: f[7]}
		if e.Module == notApplicable {
			e.Module, e.ModuleNotApplicable = "", true
		}
		if f[2] == notApplicable {
			e.SeverityNotApplicable = true
		} else if f[2] != "" {
			if e.DocSeverity, err = strconv.Atoi(f[2]); err != nil || e.DocSeverity < 0 || e.DocSeverity > 9 {
				return nil, fmt.Errorf("cannot parse catalog line %d: doc_severity %q is not a digit or %q", lineNo, f[2], notApplicable)
			}
		}
		for _, s := range strings.Split(e.HTTPStatus, "|") {
			if n, err := strconv.Atoi(s); e.HTTPStatus != "" && (err != nil || n < 100 || n > 599) {
				return nil, fmt.Errorf("cannot parse catalog line %d: http_status %q is not a status or statuses joined by |", lineNo, e.HTTPStatus)
			}
		}
		if e.Hint == "" {
			return nil, fmt.Errorf("cannot parse catalog line %d: %s has no hint", lineNo, code)
		}
		e.module = moduleOf(e)
		entries = append(entries, e)
	}
	return entries, nil
}

// moduleOf decides the module Classify reports for a catalog entry: the
// family's range, except for the codes listed in moduleExceptions, whose
// documented module wins.
func moduleOf(e Entry) Module {
	byRange, _ := familyOf(e.Code.Family()).moduleByRange(e.Code.Module())
	if _, ok := moduleExceptions[e.Code.String()]; ok && e.Module != "" {
		return Module{Name: e.Module, Label: labelOf(e.Module)}
	}
	return byRange
}

// labelOf turns a documented name into a label value: lowercase letters and
// digits, other runs of characters folded to one '_'.
func labelOf(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		} else {
			under = true
		}
	}
	return b.String()
}

var (
	catalog = func() []Entry {
		entries, err := parseCatalog(catalogTSV)
		if err != nil {
			panic("BUG: embedded catalog: " + err.Error())
		}
		return entries
	}()
	byCode = func() map[scan.Code]*Entry {
		m := make(map[scan.Code]*Entry, len(catalog))
		for i := range catalog {
			m[catalog[i].Code] = &catalog[i]
		}
		return m
	}()
)

// Lookup returns the catalog entry of a code. It allocates nothing.
func Lookup(c scan.Code) (*Entry, bool) {
	e, ok := byCode[c]
	return e, ok
}

// Catalog returns every documented code, in code order. The entries are
// shared: callers must not modify them.
func Catalog() []*Entry {
	out := make([]*Entry, len(catalog))
	for i := range catalog {
		out[i] = &catalog[i]
	}
	return out
}
