package classify

import "strings"

// Family is a product family, the MM of ODPS-MMCCCCX.
type Family struct {
	ID int
	// Name is how people write the family, e.g. "SQL".
	Name string
	// Label is the Prometheus label value: lowercase, stable, e.g. "sql".
	// Families outside the tables of odps-codes.md get "unknown".
	Label string
	// modules maps the first digit of CCCC to a module; families without
	// documented ranges have none.
	modules [10]Module
}

// Module is a module inside a family.
type Module struct {
	// Name is how the documentation writes the module, e.g. "PARSER".
	Name string
	// Label is the Prometheus label value, e.g. "parser"; "unknown" when the
	// code's digits fall outside its family's documented ranges.
	Label string
}

// UnknownModule is the module of a code outside its family's ranges.
var UnknownModule = Module{Name: "unknown", Label: "unknown"}

func m(name, label string) Module { return Module{Name: name, Label: label} }

// families holds odps-codes.md's family table. Most families document their
// modules by the thousands digit of CCCC; Common (00) does it by CCCC's
// first digit as well, and Session (18) by the third digit of the whole code,
// which is the same digit.
var families = [100]*Family{
	0: {ID: 0, Name: "Common", Label: "common", modules: [10]Module{
		1: m("System error", "system_error"),
		2: m("Invalid user request", "invalid_request"),
		3: m("No permission", "no_permission"),
	}},
	1: {ID: 1, Name: "SQL", Label: "sql", modules: [10]Module{
		1: m("META", "meta"), 2: m("PROCESSOR", "processor"), 3: m("PARSER", "parser"), 4: m("PLANNER", "planner"),
	}},
	2: {ID: 2, Name: "PL", Label: "pl"},
	3: {ID: 3, Name: "Tunnel", Label: "tunnel"},
	4: {ID: 4, Name: "API", Label: "api", modules: [10]Module{
		1: m("Web", "web"), 2: m("Worker", "worker"), 3: m("Scheduler", "scheduler"), 4: m("Executor", "executor"),
		5: m("Message Service", "message_service"),
	}},
	5: {ID: 5, Name: "Xlib", Label: "xlib", modules: [10]Module{
		1: m("CLIENT/SDK", "client"), 2: m("TASK", "task"), 3: m("MPI", "mpi"), 4: m("ALGORITHM", "algorithm"),
	}},
	7: {ID: 7, Name: "MapReduce", Label: "mapreduce", modules: [10]Module{
		1: m("META", "meta"), 2: m("PARSER", "parser"), 3: m("INTERNAL", "internal"),
	}},
	8:  {ID: 8, Name: "SDK", Label: "sdk"},
	9:  {ID: 9, Name: "Streaming", Label: "streaming"},
	10: {ID: 10, Name: "Replication", Label: "replication"},
	11: {ID: 11, Name: "xFlow", Label: "xflow"},
	// Declared ranges; real AlgoTask codes break them, and the catalog's
	// documented modules take precedence for those (see exceptions.go).
	12: {ID: 12, Name: "AlgoTask", Label: "algotask", modules: [10]Module{
		1: m("System", "system"), 2: m("Job", "job"),
	}},
	13: {ID: 13, Name: "PAI Server", Label: "pai_server"},
	14: {ID: 14, Name: "Galaxy", Label: "galaxy"},
	18: {ID: 18, Name: "Session", Label: "session", modules: [10]Module{
		0: m("generic", "generic"), 1: m("retry", "retry"), 2: m("access denied", "access_denied"),
		3: m("resource", "resource"), 4: m("unavailable", "unavailable"),
		5: m("unsupported feature", "unsupported_feature"), 6: m("timeout", "timeout"),
	}},
}

// unknownFamilies holds a Family for every MM outside the table, so that
// classifying an unknown code needs no allocation.
var unknownFamilies = func() (u [100]Family) {
	for id := range u {
		u[id] = Family{ID: id, Name: "unknown", Label: "unknown"}
	}
	return u
}()

func familyOf(id int) *Family {
	if f := families[id]; f != nil {
		return f
	}
	return &unknownFamilies[id]
}

// Known reports whether the family is in the documented table.
func (f *Family) Known() bool { return families[f.ID] == f }

// Families returns the documented families in order of their MM.
func Families() []*Family {
	var out []*Family
	for _, f := range families {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// FamilyByLabel returns the family with the given label or name (any case).
func FamilyByLabel(s string) (*Family, bool) {
	for _, f := range families {
		if f != nil && (strings.EqualFold(f.Label, s) || strings.EqualFold(f.Name, s)) {
			return f, true
		}
	}
	return nil, false
}

// moduleByRange returns the module the family's ranges give CCCC.
func (f *Family) moduleByRange(cccc int) (Module, bool) {
	md := f.modules[cccc/1000]
	if md.Label == "" {
		return UnknownModule, false
	}
	return md, true
}
