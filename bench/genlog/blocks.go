package main

// The error blocks, one form each as real logs print them: odpscmd's
// console, a Java stack trace, a PyODPS traceback, CJK, XML and JSON.

var consoleCodes = []int{cSemantic, cSemantic, cSemantic, cParse, cParse, cTableNotFound, cTableNotFound,
	cAuthFailed, cCartesian, cPruning, cIllegalCast, cOverflow, cDDLTask}

// consoleFailed: `FAILED: ODPS-0130071:[1,8] Semantic analysis exception - ...`.
func (g *gen) consoleFailed() {
	i := g.pick1(consoleCodes)
	g.s("FAILED: ")
	g.code(i)
	switch i {
	case cSemantic, cParse, cTableNotFound, cCartesian:
		g.s(":[")
		g.num(1 + g.r.IntN(40))
		g.s(",")
		g.num(1 + g.r.IntN(80))
		g.s("] ")
	case cDDLTask:
		// The dash can lack spaces: "Failed to run ddltask-Schema evolution ...".
		g.s(": ")
		g.s(codes[i].desc)
		g.s("-")
		g.expand(g.pick(codes[i].ctx))
		g.end()
		return
	case cAuthFailed:
		g.s(":")
	default:
		g.s(": ")
	}
	g.desc(i)
	g.end()
}

func (g *gen) pick1(list []int) int { return list[g.r.IntN(len(list))] }

var javaCodes = []int{cAccessDenied, cAccessDenied, cNoProject, cNoPartition, cCredentials, cDeleteConflict, cMRTableName}

// javaBlock: an ERROR line, an OdpsException with the code, frames, and a
// Caused by repeating the code after Message=.
func (g *gen) javaBlock() {
	i := g.pick1(javaCodes)
	g.logPrefix("ERROR")
	g.expand("Job {p}.{t}_daily failed at step 2 of 5, instance {i}")
	g.end()
	g.s("com.aliyun.odps.OdpsException: ")
	g.code(i)
	g.s(": ")
	g.desc(i)
	g.end()
	g.frames(2 + g.r.IntN(4))
	g.s("Caused by: com.aliyun.odps.rest.RestException: RequestId=")
	g.randFrom(hexUp, 24)
	g.s(",Code=NoPermission,Message=")
	g.code(i)
	g.s(": ")
	g.desc(i)
	g.end()
	g.frames(2 + g.r.IntN(3))
	g.s("\t... ")
	g.num(8 + g.r.IntN(20))
	g.s(" more")
	g.end()
}

var nestedInner = []int{cPartition, cFuxi, cFuxi, cScript, cCritical, cIllegalCast}

// nested: `ODPS-0010000:System internal error - ...: ODPS-0123031:...`.
func (g *gen) nested() {
	inner := g.pick1(nestedInner)
	if g.r.IntN(2) == 0 {
		g.s("FAILED: ")
	} else {
		g.logPrefix("ERROR")
		g.expand("Instance {i} failed: ")
	}
	g.code(cSystem)
	g.s(":")
	g.desc(cSystem)
	g.code(inner)
	g.s(":")
	g.desc(inner)
	g.end()
}

var pyCodes = []int{cSemantic, cParse, cTableNotFound, cAuthFailed, cSession, cIllegalCast}

// pythonBlock: a pyodps traceback printing the code in a header and again in
// the message.
func (g *gen) pythonBlock() {
	i := g.pick1(pyCodes)
	g.s("Traceback (most recent call last):")
	g.end()
	for _, f := range pyFrames[:2+2*g.r.IntN(3)] {
		g.s(f)
		g.end()
	}
	g.s("odps.errors.ODPSError: ")
	g.code(i)
	g.s(": InstanceId: ")
	g.instanceID()
	g.end()
	g.code(i)
	if i == cSemantic || i == cParse {
		g.s(":[1,8] ")
	} else {
		g.s(":")
	}
	g.desc(i)
	g.end()
}

var cjkCodes = []int{cParse, cSemantic, cFuxi, cAccessDenied, cNoPartition, cSession}

// cjk: CJK text right before the code, no space.
func (g *gen) cjk() {
	i := g.pick1(cjkCodes)
	g.logPrefix("INFO ")
	g.expand("钉钉告警: 任务 {p}.{t} 第")
	g.num(1 + g.r.IntN(3))
	g.s("次重试仍然失败，")
	g.s(g.pick(cjkPrefixes))
	g.code(i)
	g.s(":")
	g.desc(i)
	g.end()
}

var xmlCodes = []int{cNoProject, cAccessDenied, cNoPartition, cCredentials, cDeleteConflict}

// xml: a REST error body with the code inside CDATA.
func (g *gen) xml() {
	i := g.pick1(xmlCodes)
	g.logPrefix("DEBUG")
	g.s(`response body: <?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchObject</Code><Message><![CDATA[`)
	g.code(i)
	g.s(": ")
	g.desc(i)
	g.s(`]]></Message><RequestId>`)
	g.randFrom(hexUp, 24)
	g.s(`</RequestId><HostId>service.cn-hangzhou.maxcompute.aliyun.com</HostId></Error>`)
	g.end()
}

var jsonCodes = []int{cFuxi, cAuthFailed, cSession, cConnection, cTableNotFound}

// jsonLine: a structured log line with the code quoted and followed by an
// escaped \n inside a string.
func (g *gen) jsonLine() {
	i := g.pick1(jsonCodes)
	g.s(`{"level":"error","ts":"`)
	g.ts()
	g.expand(`","task":"{t}_sync","project":"{p}","code":"`)
	g.code(i)
	g.s(`","msg":"instance failed with `)
	g.code(i)
	g.s(`\n`)
	g.desc(i)
	g.s(`\nsee logview","retry":`)
	g.num(g.r.IntN(4))
	g.s("}")
	g.end()
}

// retryEOL: the same code at the end of consecutive WARN lines.
func (g *gen) retryEOL() {
	n := 2 + g.r.IntN(2)
	for k := range n {
		g.logPrefix("WARN ")
		g.expand("Instance {i} task status FAILED, retry ")
		g.num(k + 1)
		g.s(" of 3, error code ")
		g.code(cConnection)
		g.end()
	}
}

// misc: backticks, quotes, " - " after the code, MR and session errors.
func (g *gen) misc() {
	switch g.r.IntN(4) {
	case 0:
		g.expand("[alert] job {p}.{t}_daily failed with `")
		g.code(cTableNotFound)
		g.s("` (Table not found), owner: data_eng, retries left: 0")
	case 1:
		g.logPrefix("ERROR")
		g.expand(`metric odps_job_failed{project="{p}",error_code="`)
		g.code(cNoPartition)
		g.s(`"} 1 seen while reading partition ds={d}`)
	case 2:
		g.s(`Exception in thread "main" com.aliyun.odps.OdpsException: `)
		g.code(cMRTableName)
		g.s(" - ")
		g.desc(cMRTableName)
	default:
		g.logPrefix("ERROR")
		g.s("SQLExecutor fallback failed: ")
		g.code(cSession)
		g.s(": ")
		g.desc(cSession)
	}
	g.end()
}
