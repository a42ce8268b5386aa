// Package classify tells what an ODPS error code means: its family (MM), its
// module (by the family's CCCC ranges), its severity (the trailing digit X),
// and, for the codes MaxCompute documents, the catalog entry with the title,
// HTTP status and a hint of what to do. The catalog is embedded in the binary.
//
// Classification is a pure function of the code: it reads only tables built
// at start-up, allocates nothing and is safe for concurrent use. A code the
// tables do not know is classified as far as its digits allow, with the rest
// "unknown".
package classify

import "github.com/odpswatch/odpswatch/internal/scan"

// Class is what odpswatch knows of a code.
type Class struct {
	Code   scan.Code
	Family *Family
	Module Module
	// Severity is the trailing digit of the code (0 to 9).
	Severity int
	// Entry is the catalog entry, nil for an undocumented code.
	Entry *Entry
}

// Classify classifies a code. It allocates nothing.
func Classify(c scan.Code) Class {
	f := familyOf(c.Family())
	cl := Class{Code: c, Family: f, Severity: c.Severity()}
	if e, ok := byCode[c]; ok {
		cl.Entry, cl.Module = e, e.module
	} else {
		cl.Module, _ = f.moduleByRange(c.Module())
	}
	return cl
}

// Title returns the catalog title, or "" for an undocumented code.
func (c Class) Title() string {
	if c.Entry == nil {
		return ""
	}
	return c.Entry.Title
}

// ModuleName returns the finest module name known: the documented one where
// the catalog has it, else the range's.
func (c Class) ModuleName() string {
	if c.Entry != nil && c.Entry.Module != "" {
		return c.Entry.Module
	}
	return c.Module.Name
}
