package classify

import (
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// headWord is the part of a module name before any '-', '/', ' ' or '(',
// lowercased: "Web-Authentication" and "Web" agree, "CLIENT" and
// "CLIENT/SDK" agree.
func headWord(s string) string {
	if i := strings.IndexAny(s, "-/ ("); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// followsRanges reports whether a catalog row agrees with its family's
// ranges, and if not, why.
func followsRanges(e *Entry) (bool, string) {
	byRange, ok := familyOf(e.Code.Family()).moduleByRange(e.Code.Module())
	switch {
	case !ok:
		return false, "digits outside the family's documented ranges"
	case e.Module != "" && headWord(e.Module) != headWord(byRange.Name):
		return false, "documented module " + e.Module + ", range says " + byRange.Name
	}
	return true, ""
}

func TestCatalogFollowsRanges(t *testing.T) {
	if n := len(Catalog()); n != 246 {
		t.Fatalf("catalog has %d codes, want 246: the 245 documented and ODPS-1830001 from logs", n)
	}
	for _, e := range Catalog() {
		ok, why := followsRanges(e)
		_, listed := moduleExceptions[e.Code.String()]
		switch {
		case !ok && !listed:
			t.Errorf("%s: %s, and it is not listed in moduleExceptions", e.Code, why)
		case ok && listed:
			t.Errorf("%s is listed in moduleExceptions but follows its family's ranges", e.Code)
		}
		sevOK := e.DocSeverity < 0 || e.DocSeverity == e.Code.Severity()
		_, sevListed := severityExceptions[e.Code.String()]
		switch {
		case !sevOK && !sevListed:
			t.Errorf("%s: documented severity %d, digit %d, and it is not listed in severityExceptions", e.Code, e.DocSeverity, e.Code.Severity())
		case sevOK && sevListed:
			t.Errorf("%s is listed in severityExceptions but its documented severity agrees with its digit", e.Code)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		code                    string
		family, module, title   string
		severity                int
		documented, knownFamily bool
	}{
		{"ODPS-0130071", "sql", "parser", "Semantic analysis exception", 1, true, true},
		{"ODPS-0420095", "api", "worker", "Access Denied", 5, true, true},
		{"ODPS-0410042", "api", "web", "Invalid signature value", 2, true, true},
		{"ODPS-0010000", "common", "system_error", "System internal error", 0, true, true},
		{"ODPS-0110999", "sql", "meta", "Critical! Internal error happened in commit operation and rollback failed, possible breach of atomicity", 9, true, true},
		{"ODPS-0424145", "api", "worker", "Delete instance conflict", 5, true, true},
		{"ODPS-1228011", "algotask", "xmodel", "Model not found", 1, true, true},
		{"ODPS-1202005", "algotask", "algotask", "Algo Job Failed", 5, true, true},
		{"ODPS-0740001", "mapreduce", "unknown", "Too many local-run maps", 1, true, true},
		{"ODPS-1850001", "session", "unsupported_feature", "Unsupported feature in session mode", 1, true, true},
		{"ODPS-1830001", "session", "resource", "Resource not enough", 1, true, true},
		// The documentation says "Not applicable"; the digits still classify it.
		{"ODPS-1800001", "session", "generic", "Session exception", 1, true, true},
		// Undocumented codes: as far as the digits go.
		{"ODPS-0130999", "sql", "parser", "", 9, false, true},
		{"ODPS-1850002", "session", "unsupported_feature", "", 2, false, true},
		{"ODPS-0030001", "common", "no_permission", "", 1, false, true},
		{"ODPS-0450003", "api", "message_service", "", 3, false, true},
		{"ODPS-0290005", "pl", "unknown", "", 5, false, true},
		{"ODPS-0640005", "unknown", "unknown", "", 5, false, false},
		{"ODPS-9999999", "unknown", "unknown", "", 9, false, false},
		{"ODPS-0000000", "common", "unknown", "", 0, false, true},
	} {
		c, err := scan.ParseCode(tc.code)
		if err != nil {
			t.Fatal(err)
		}
		cl := Classify(c)
		if cl.Code != c || cl.Family.Label != tc.family || cl.Module.Label != tc.module || cl.Title() != tc.title ||
			cl.Severity != tc.severity || (cl.Entry != nil) != tc.documented || cl.Family.Known() != tc.knownFamily {
			t.Errorf("Classify(%s) = family %q module %q title %q severity %d documented %v known family %v;\nwant %q %q %q %d %v %v",
				tc.code, cl.Family.Label, cl.Module.Label, cl.Title(), cl.Severity, cl.Entry != nil, cl.Family.Known(),
				tc.family, tc.module, tc.title, tc.severity, tc.documented, tc.knownFamily)
		}
	}
}

func TestClassifyEveryCatalogRow(t *testing.T) {
	for _, e := range Catalog() {
		cl := Classify(e.Code)
		if cl.Entry != e {
			t.Errorf("%s: Classify did not return its catalog entry", e.Code)
		}
		if cl.Family.ID != e.Code.Family() || !cl.Family.Known() {
			t.Errorf("%s: family %d (%s), want the documented family %d", e.Code, cl.Family.ID, cl.Family.Name, e.Code.Family())
		}
		// The documented module, where there is one, is what the code is
		// classified in: by its range, which names it (the same first
		// word), or, for an exception to the ranges, by the documented
		// name itself. (Rows without a documented module are classified by
		// range alone: TestClassify checks examples against the table.)
		_, exception := moduleExceptions[e.Code.String()]
		switch {
		case e.Module == "":
		case exception && (cl.Module.Name != e.Module || cl.Module.Label != labelOf(e.Module)):
			t.Errorf("%s: module %v, want the documented %q", e.Code, cl.Module, e.Module)
		case headWord(cl.Module.Name) != headWord(e.Module):
			t.Errorf("%s: module %v, documented as %q", e.Code, cl.Module, e.Module)
		}
		if e.Hint == "" || strings.ContainsAny(e.Hint+e.Title+e.Note, "\t\n") {
			t.Errorf("%s: empty hint or a tab or newline in a text", e.Code)
		}
	}
}

// TestLabelsAreBounded checks that every label value Classify can produce is
// a plain identifier and that there are few of them: they become Prometheus
// label values.
func TestLabelsAreBounded(t *testing.T) {
	labels := map[string]bool{}
	for c := scan.Code(0); c <= scan.MaxCode; c += 7 { // a stride that meets every MM, CCCC digit and X
		cl := Classify(c)
		labels["family="+cl.Family.Label] = true
		labels["module="+cl.Module.Label] = true
	}
	for _, e := range Catalog() {
		cl := Classify(e.Code)
		labels["family="+cl.Family.Label] = true
		labels["module="+cl.Module.Label] = true
	}
	for l := range labels {
		v := l[strings.IndexByte(l, '=')+1:]
		if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("label %s is not a lowercase identifier", l)
		}
	}
	if len(labels) > 64 {
		t.Errorf("%d distinct family and module labels, want at most 64", len(labels))
	}
}

func TestClassifyAllocatesNothing(t *testing.T) {
	line := []byte("FAILED: ODPS-0010000:System internal error - SQL Runtime Internal Error: ODPS-0123031:Partition exception - x\n")
	dst := make([]scan.Match, 0, 8)
	var sink int
	n := testing.AllocsPerRun(100, func() {
		dst = scan.Scan(dst[:0], line)
		for _, m := range dst {
			cl := Classify(m.Code)
			sink += cl.Severity + len(cl.Title()) + len(cl.Module.Label) + len(cl.Family.Label)
		}
		cl := Classify(1234567) // undocumented
		sink += len(cl.Family.Label)
	})
	if n != 0 {
		t.Errorf("scan plus classify allocated %v times per line, want 0", n)
	}
	if sink == 0 {
		t.Fatal("nothing classified")
	}
}

// TestResourceNotEnough checks the MCQA resource code real logs carry and no
// error table lists: it must say where it comes from and what to do.
func TestResourceNotEnough(t *testing.T) {
	e, ok := Lookup(1830001)
	if !ok {
		t.Fatal("ODPS-1830001 is not in the catalog")
	}
	if e.Provenance != "log" || !strings.Contains(e.Note, "logs") {
		t.Errorf("ODPS-1830001: provenance %q, note %q; want log, and a note naming where it comes from", e.Provenance, e.Note)
	}
	for _, want := range []string{"offline", "retry later", "quota"} {
		if !strings.Contains(e.Hint, want) {
			t.Errorf("ODPS-1830001: hint %q lacks %q", e.Hint, want)
		}
	}
}

// TestAlsoTitled checks that a code known under two titles keeps the
// documented one as its Title and names the other.
func TestAlsoTitled(t *testing.T) {
	e, _ := Lookup(720231)
	if e == nil || e.Title != "Job input not set" || !strings.Contains(e.Note, "No input table found") {
		t.Errorf("ODPS-0720231: %+v; want title Job input not set and a note naming No input table found", e)
	}
}

// TestNotApplicable checks that the documentation's "Not applicable" is
// kept as such, not as a module or severity, and that the digits still
// classify the code.
func TestNotApplicable(t *testing.T) {
	for _, e := range Catalog() {
		na := e.Code == 1800001
		if e.ModuleNotApplicable != na || e.SeverityNotApplicable != na {
			t.Errorf("%s: module not applicable %v, severity not applicable %v; want %v for both",
				e.Code, e.ModuleNotApplicable, e.SeverityNotApplicable, na)
		}
		if na && (e.Module != "" || e.DocSeverity != -1) {
			t.Errorf("%s: module %q, documented severity %d; want none", e.Code, e.Module, e.DocSeverity)
		}
	}
	entries, err := parseCatalog(catalogColumns + "\nODPS-1800001\tNot applicable\tNot applicable\t\t\t\t\th\n")
	if err != nil || !entries[0].ModuleNotApplicable || !entries[0].SeverityNotApplicable || entries[0].module.Label != "generic" {
		t.Errorf("parseCatalog of a Not applicable row: %+v, %v", entries, err)
	}
}

// TestHintCoversBothCauses checks the hint of a code whose documented cause
// and real message differ: ODPS-0130151 is documented as an illegal data
// type, but often says "Too many instance count(1046), exceeds threshold
// limit 500".
func TestHintCoversBothCauses(t *testing.T) {
	e, _ := Lookup(130151)
	for _, want := range []string{"odps.sql.type.system.odps2", "Too many instance count", "partitions"} {
		if e == nil || !strings.Contains(e.Hint, want) {
			t.Errorf("ODPS-0130151: hint lacks %q", want)
		}
	}
}

func TestParseCatalogErrors(t *testing.T) {
	const head = catalogColumns + "\n"
	for _, tc := range []struct{ name, data, want string }{
		{"header", "code\tmodule\n", "header must be"},
		{"columns", head + "ODPS-0130071\tPARSER\t1\n", "line 2: 3 columns, want 8"},
		{"code", head + "ODPS-013007\t\t\t\t\t\t\thint\n", "line 2: not an ODPS error code"},
		{"duplicate", head + "ODPS-0130071\t\t\t\t\t\t\th\nODPS-0130071\t\t\t\t\t\t\th\n", "line 3: ODPS-0130071 already on line 2"},
		{"severity", head + "ODPS-0130071\t\tx\t\t\t\t\thint\n", `doc_severity "x" is not a digit`},
		{"status", head + "ODPS-0130071\t\t1\t\t404|5xx\t\t\thint\n", `http_status "404|5xx"`},
		{"hint", head + "ODPS-0130071\t\t1\t\t\t\t\t\n", "ODPS-0130071 has no hint"},
	} {
		_, err := parseCatalog(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestFamilyByLabel(t *testing.T) {
	for _, s := range []string{"sql", "SQL", "mapreduce", "MapReduce", "pai_server", "PAI Server"} {
		if _, ok := FamilyByLabel(s); !ok {
			t.Errorf("FamilyByLabel(%q) found nothing", s)
		}
	}
	if f, ok := FamilyByLabel("nope"); ok {
		t.Errorf("FamilyByLabel(nope) = %v", f)
	}
}
