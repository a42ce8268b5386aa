package classify

// moduleExceptions lists the catalog codes whose module does not follow
// their family's documented CCCC ranges, and why. For these the catalog's
// module (where it names one) is the module reported; otherwise the module
// is "unknown". A test checks that the list is complete and that every code
// on it really is an exception.
var moduleExceptions = map[string]string{
	"ODPS-0700001": "CCCC 0000 is below MapReduce's ranges (1000-3999); seen from the SDK (Error connecting server)",
	"ODPS-0740001": "CCCC 4000 is past MapReduce's ranges (1000-3999); a local-run code of the SDK",
	"ODPS-0740002": "CCCC 4000 is past MapReduce's ranges (1000-3999); a graph local-run code of the SDK",
	"ODPS-0903004": "Streaming (09) documents no module ranges; seen from the console client",
	"ODPS-1202005": "CCCC 0200 is outside AlgoTask's declared ranges; documented under AlgoTask",
	"ODPS-1210015": "documented under META, though the declared range 1000-1999 is System",
	"ODPS-1220031": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1220061": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1220081": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1224151": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1226011": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1227031": "documented under API, though the declared range 2000-2999 is Job",
	"ODPS-1228011": "documented under Xmodel, though the declared range 2000-2999 is Job",
	"ODPS-1228021": "documented under Xmodel, though the declared range 2000-2999 is Job",
	"ODPS-1228031": "documented under Xmodel, though the declared range 2000-2999 is Job",
	"ODPS-1229011": "documented under Xflow, though the declared range 2000-2999 is Job",
	"ODPS-1229021": "documented under Xflow, though the declared range 2000-2999 is Job",
	"ODPS-1229031": "documented under Xflow, though the declared range 2000-2999 is Job",
	"ODPS-1230153": "CCCC 3015 is outside AlgoTask's declared ranges (1000-2999); documented under System",
}

// severityExceptions lists the catalog codes whose documented severity
// differs from their trailing digit, and why. The digit stays the severity
// odpswatch reports (odps-codes.md, "Severity: the digit, not the table").
var severityExceptions = map[string]string{
	"ODPS-0110999": "the SQL table says 1; the digit and an older list say 9 (breach of atomicity)",
	"ODPS-0424145": "the API table says 1 (Delete instance conflict); the digit says 5",
}
