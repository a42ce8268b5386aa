// Command genlog writes a deterministic, realistic MaxCompute job log for
// throughput benchmarks of the odpswatch scanner.
//
// The output mixes progress lines, log4j INFO/WARN lines, SQL text, Java and
// Python stack traces and job summaries with error blocks carrying ODPS error
// codes in the forms seen in real logs (see odps-codes.md). The same flags and
// seed always give the same bytes.
//
// Invariant, relied on by bench/compare.sh to cross-check the tools: the
// substring "ODPS-" occurs in the output only as part of a code matching
// `\bODPS-[0-9]{7}\b`. So `grep -c ODPS-` counts exactly the lines holding at
// least one code. Decoys avoid that substring (odps-0130071, ODPS_0410077).
//
// A one-line JSON summary (bytes, lines, matched_lines, matches,
// distinct_codes) goes to stderr.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// codeInfo is one code the generator uses, with the general description the
// code comes with and context descriptions to follow it. Context strings may
// hold placeholders expanded by (*gen).expand.
type codeInfo struct {
	code string
	desc string
	ctx  []string
}

// Indices into codes, so templates can say which codes they carry.
const (
	cSemantic = iota
	cParse
	cTableNotFound
	cAuthFailed
	cCartesian
	cPruning
	cIllegalCast
	cOverflow
	cDDLTask
	cSystem
	cPartition
	cFuxi
	cScript
	cCritical
	cAccessDenied
	cNoProject
	cNoPartition
	cCredentials
	cDeleteConflict
	cConnection
	cMRTableName
	cSession
	numCodes
)

// codes is a hard-coded subset of /work/shared/reference/catalog.tsv: the
// binary must not depend on the reference tree at run time.
var codes = [numCodes]codeInfo{
	cSemantic: {"ODPS-0130071", "Semantic analysis exception", []string{
		"column {c} cannot be resolved",
		"expect 2 PARTITIONS but got 1 for table {p}.{t}",
		"function or view 'to_chr' cannot be resolved",
		"the number of columns in select does not match the target table {p}.{t}",
	}},
	cParse: {"ODPS-0130161", "Parse exception", []string{
		"line 1:8 cannot recognize input near 'SELEC' 'user_id' ','",
		"invalid token ';' near 'GROUP BY'",
		"line 3:15 mismatched input 'FROM' expecting ) near '{c}'",
	}},
	cTableNotFound: {"ODPS-0130131", "Table not found", []string{
		"table {p}.{t} cannot be resolved",
		"table {p}.{t}_bak cannot be resolved",
	}},
	cAuthFailed: {"ODPS-0130013", "", []string{
		"Authorization Failed [4011], You don't exist in project {p}. Context ID:{u}",
		"Authorization Failed [4019], You have NO privilege 'odps:Select' on {acs:odps:*:projects/{p}/tables/{t}}. Context ID:{u}",
	}},
	cCartesian: {"ODPS-0130252", "Cartesian product is not allowed", []string{
		"cartesian product is not allowed without mapjoin",
	}},
	cPruning: {"ODPS-0130111", "Subquery partition pruning exception", []string{
		"error occurred when evaluating the partition pruning subquery of {p}.{t}",
	}},
	cIllegalCast: {"ODPS-0123091", "Illegal type cast", []string{
		"in function cast, value 'N/A' cannot be casted from String to Bigint",
		"in function cast, value '2026-13-01' cannot be casted from String to Datetime",
	}},
	cOverflow: {"ODPS-0121145", "Data overflow", []string{
		"decimal value overflow in column {c}, precision 18 scale 2",
	}},
	cDDLTask: {"ODPS-0110061", "Failed to run ddltask", []string{
		"Schema evolution DDL is not enabled in project {p}",
		"Modify DDL meta encounter exception : partition ds={d} already exists",
	}},
	cSystem: {"ODPS-0010000", "System internal error", []string{
		"fuxi job failed, caused by: ",
		"SQL Runtime Internal Error: ",
		"Executor has been killed, caused by: ",
	}},
	cPartition: {"ODPS-0123031", "Partition exception", []string{
		"invalid dynamic partition value: province=\\xe6\\xb5\\x99",
		"maximum 60000 partitions allowed, got 60112",
	}},
	cFuxi: {"ODPS-0123144", "Fuxi job failed", []string{
		"Job failed for unknown reason, cannot get jobstatus",
		"kInstanceMonitorTimeout(errCode:252) at Odps/{p}_{n}/M1 after 1800 seconds",
		"WorkerRestart errCode:252,errMsg:kInstanceMonitorTimeout, usually caused by bad udf performance.",
	}},
	cScript: {"ODPS-0123055", "User script exception", []string{
		"Traceback (most recent call last): File \"udf_parse_ua.py\", line 41, in evaluate ValueError: invalid literal for int()",
	}},
	cCritical: {"ODPS-0110999", "Critical! Internal error happened in commit operation and rollback failed, possible breach of atomicity", []string{
		"Rename directory failed for {p}.{t}/ds={d}",
	}},
	cAccessDenied: {"ODPS-0420095", "Access Denied", []string{
		"Authorization Failed [4093], You have NO privilege 'odps:CreateInstance' on {acs:odps:*:projects/{p}}. Context ID:{u}",
		"The task is not in release range: CUPID",
		"Project {p} is protected, data export to external storage is not allowed [4009,4019]",
	}},
	cNoProject: {"ODPS-0420111", "Not found the project", []string{
		"project {p}_dev does not exist",
	}},
	cNoPartition: {"ODPS-0422141", "Not found the partition", []string{
		"partition ds='{d}' of table {p}.{t} does not exist",
	}},
	cCredentials: {"ODPS-0410051", "Invalid credentials", []string{
		"accessKeyId not found: LTAI5tQ8xxxxxxxxxxxxxxxx",
		"The AccessKey used for this request has been disabled",
	}},
	cDeleteConflict: {"ODPS-0424145", "Delete instance conflict", []string{
		"instance {i} is running and cannot be deleted",
	}},
	cConnection: {"ODPS-0430055", "Internal Connection Error", []string{
		"connection to fuxi master reset by peer, please retry later",
	}},
	cMRTableName: {"ODPS-0720001", "Invalid table name format", []string{
		"{p}..{t} is not a valid table name",
	}},
	cSession: {"ODPS-1800001", "Session exception", []string{
		"session public.default_session is not running, status CLOSED",
		"Failed to attach session, queue is full for quota {q}",
	}},
}

var (
	projects = []string{"ds_prod_dw", "ds_prod_ods", "mkt_analytics", "risk_ctrl_prod", "ads_report", "tmp_sandbox_01", "bi_finance"}
	tables   = []string{"ods_user_log_di", "ods_order_di", "dwd_order_detail_di", "dws_user_action_1d", "ads_gmv_report_d",
		"dim_region_df", "ods_pay_flow_hi", "dwd_item_info_df", "dws_shop_sales_1d", "ods_app_event_hi"}
	columns = []string{"user_id", "order_id", "item_id", "region_code", "pay_amt", "gmv", "device_type", "channel_id", "shop_id", "event_time"}
	quotas  = []string{"default_batch", "etl_high_prio", "adhoc_interactive", "mkt_reserved"}
	threads = []string{"main", "pool-3-thread-7", "pool-3-thread-2", "SQLTask-worker-2", "odps-instance-poller", "http-nio-8080-exec-4", "Timer-0", "tunnel-upload-1"}
	classes = []string{"com.aliyun.odps.task.SQLTask", "com.aliyun.odps.Instance", "com.aliyun.odps.rest.RestClient",
		"com.aliyun.odps.tunnel.TableTunnel", "com.aliyun.odps.sqa.SQLExecutorImpl", "com.example.etl.DailyJobRunner",
		"com.example.etl.PartitionChecker"}

	infoMsgs = []string{
		"Instance {i} submitted to project {p}, priority 9, quota {q}, running cluster AY52C",
		"Query {i} status Running, waiting 5000 ms before next poll, elapsed {n} ms",
		"Create tunnel download session for {p}.{t} partition ds={d}, record count {n}",
		"Upload block {n} of session {u} finished, 67108864 bytes written, 12 blocks pending",
		"Table {p}.{t} partition ds={d},hh=08 has {n} records, lastDataModifiedTime {d} 09:58:11",
		"Submitting AnonymousSQLTask with settings odps.sql.type.system.odps2=true, odps.sql.decimal.odps2=true",
		"Instance {i} terminated, status SUCCESS, cost cpu 12.75 Core * Min, memory 40.21 GB * Min",
		"Partition check passed for {p}.{t}/ds={d}, upstream ready at {d} 03:12:44, lag {n} s",
		"Job {p}.{t}_daily scheduled, bizdate {d}, retry 0 of 3, timeout 7200 s, owner data_eng",
		"Waiting for {p}.{t} ds={d} to be ready, checked {n} times, next check in 60 s",
	}
	warnMsgs = []string{
		"Connect to service.cn-hangzhou.maxcompute.aliyun.com:80 failed, retry 1 of 3 after 1200 ms",
		"Instance {i} is slow: M1 has {n} instances, long tail detected on 3 of them",
		"Tunnel session {u} expires in 3600 s, renewing before upload of block {n}",
		"Query {i} fell back from session mode to offline job, reason: data size exceeds limit",
	}
	decoyMsgs = []string{
		"retryable codes loaded: odps-0130071, odps-0430055 (lowercase keys), ODPS_0410077 disabled by policy",
		"upstream returned errCode:252, ErrorCode: 152, see ticket DATAOPS-26819 ([4009,4019])",
		"rule ODPS_SQL_0130 skipped; legacy key ODPS 0123144 mapped to alert level P2, code family 01",
		"alert template uses placeholder odps-{code} and field odps_error_code=0130071 [1,8]",
	}
	sqlLines = []string{
		"INSERT OVERWRITE TABLE {p}.{t} PARTITION (ds='{d}')",
		"SELECT  a.user_id",
		"        ,a.region_code",
		"        ,SUM(a.pay_amt) AS pay_amt",
		"        ,COUNT(DISTINCT a.order_id) AS order_cnt",
		"        ,MAX(TO_CHAR(a.event_time, 'yyyy-mm-dd hh:mi:ss')) AS last_event_time",
		"FROM    {p}.{t} a",
		"LEFT JOIN {p}.dim_region_df b ON a.region_code = b.region_code AND b.ds = '{d}'",
		"WHERE   a.ds = '{d}' AND a.pay_status = 'SUCCESS' AND a.{c} IS NOT NULL",
		"GROUP BY a.user_id, a.region_code",
		"HAVING  SUM(a.pay_amt) > 0;",
		"SET odps.sql.mapper.split.size=256;",
		"SET odps.sql.reducer.instances=64;",
	}
	javaFrames = []string{
		"\tat com.aliyun.odps.rest.RestClient.handleErrorResponse(RestClient.java:398)",
		"\tat com.aliyun.odps.rest.RestClient.request(RestClient.java:325)",
		"\tat com.aliyun.odps.rest.RestClient.stringRequest(RestClient.java:267)",
		"\tat com.aliyun.odps.Instance.getTaskStatus(Instance.java:512)",
		"\tat com.aliyun.odps.Instance.waitForSuccess(Instance.java:688)",
		"\tat com.aliyun.odps.task.SQLTask.run(SQLTask.java:215)",
		"\tat com.aliyun.odps.tunnel.TableTunnel$UploadSession.commit(TableTunnel.java:441)",
		"\tat com.aliyun.odps.commons.transport.DefaultConnection.getResponse(DefaultConnection.java:143)",
		"\tat com.example.etl.DailyJobRunner.runStep(DailyJobRunner.java:87)",
		"\tat com.example.etl.DailyJobRunner.main(DailyJobRunner.java:41)",
		"\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
		"\tat java.base/java.lang.Thread.run(Thread.java:840)",
	}
	pyFrames = []string{
		"  File \"/home/admin/etl/run_daily.py\", line 88, in <module>",
		"    inst.wait_for_success()",
		"  File \"/usr/local/lib/python3.10/site-packages/odps/models/instance.py\", line 604, in wait_for_success",
		"    raise errors.parse_instance_error(task_result.result)",
		"  File \"/usr/local/lib/python3.10/site-packages/odps/core.py\", line 2071, in execute_sql",
		"    return inst.wait_for_success()",
	}
	cjkPrefixes = []string{"然后会报错", "报错信息：", "任务失败，错误码", "执行失败："}
	stageShapes = [][]string{
		{"M1", "R2_1"},
		{"M1", "M2", "J3_1_2", "R4_3"},
		{"M1", "M2", "M3", "J4_1_2_3", "R5_4"},
		{"M1_Stg1", "R2_1_Stg1", "R3_2_Stg1"},
		{"M1", "R2_1", "R3_2"},
	}
	frameForExc = []string{
		"java.net.SocketTimeoutException: Read timed out",
		"java.io.IOException: Connection reset by peer",
		"com.aliyun.odps.tunnel.TunnelException: RequestId=20261120100102abcdef, ErrorCode=NoSuchPartition, ErrorMessage=The specified partition does not exist",
	}
)

const (
	b64   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	lower = "abcdefghijklmnopqrstuvwxyz0123456789"
	hexUp = "0123456789ABCDEF"
	hexLo = "0123456789abcdef"
)

// stats describes what was written; the cross-check numbers for the tools.
type stats struct {
	Bytes         int64 `json:"bytes"`
	Lines         int64 `json:"lines"`
	MatchedLines  int64 `json:"matched_lines"`
	Matches       int64 `json:"matches"`
	DistinctCodes int   `json:"distinct_codes"`
}

type gen struct {
	r       *rand.Rand
	w       io.Writer
	size    int64
	density float64
	done    bool
	err     error

	line      []byte
	lineCodes int
	used      [numCodes]bool
	st        stats

	clock     int64 // unix milliseconds of the current line
	tsSec     int64
	tsText    []byte // "2006-01-02 15:04:05" of tsSec
	nextErrAt int64  // line number at which the next error block starts

	// job is the instance ID of the job the log is about; a job lasts
	// until line jobEnds, as in a real log, where one instance is named
	// again and again (polls, LogView, its error) until the next one.
	job     []byte
	jobEnds int64
}

// startTime is the wall clock of the first line; fixed so output is stable.
var startTime = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()

// generate writes log lines to w until the first line end at or after size
// bytes and returns what it wrote. seed selects the PRNG stream.
func generate(w io.Writer, size int64, density float64, seed uint64) (stats, error) {
	if density < 0 || density > 1 {
		return stats{}, fmt.Errorf("cannot generate log: density %v not in [0,1]", density)
	}
	g := &gen{
		r:       rand.New(rand.NewPCG(seed, 0x0d95_c0de)),
		w:       w,
		size:    size,
		density: density,
		done:    size <= 0,
		line:    make([]byte, 0, 4096),
		clock:   startTime,
		tsSec:   -1,
	}
	g.nextErrAt = g.gap(1)
	for !g.done {
		if g.density > 0 && g.st.Lines >= g.nextErrAt {
			start := g.st.Lines
			// Multi-line blocks hold lines without codes too; when they
			// leave the code-line count behind the target, use one-line
			// events to catch up.
			behind := g.density*float64(start)-float64(g.st.MatchedLines) > 2
			c := g.errorBlock(behind)
			g.nextErrAt = start + g.gap(c)
		} else {
			g.ordinary()
		}
	}
	for _, u := range g.used {
		if u {
			g.st.DistinctCodes++
		}
	}
	return g.st, g.err
}

// gap is the number of lines, counted from the start of an error block that
// put c code lines out, until the next error block: c/density on average,
// so the share of code lines tracks density.
func (g *gen) gap(c int) int64 {
	if g.density <= 0 {
		return 1 << 62
	}
	return int64(float64(c) / g.density * (0.5 + g.r.Float64()))
}

// end finishes the current line and writes it, unless the size is reached.
func (g *gen) end() {
	if g.done {
		g.line, g.lineCodes = g.line[:0], 0
		return
	}
	g.line = append(g.line, '\n')
	if _, err := g.w.Write(g.line); err != nil {
		g.err = fmt.Errorf("cannot write log line %d: %w", g.st.Lines+1, err)
		g.done = true
		return
	}
	g.st.Bytes += int64(len(g.line))
	g.st.Lines++
	if g.lineCodes > 0 {
		g.st.MatchedLines++
		g.st.Matches += int64(g.lineCodes)
	}
	if g.st.Bytes >= g.size {
		g.done = true
	}
	g.line, g.lineCodes = g.line[:0], 0
	g.clock += int64(g.r.IntN(8))
}

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

// ordinary writes one event without codes: one or a few lines.
func (g *gen) ordinary() {
	switch n := g.r.IntN(1000); {
	case n < 280:
		g.progress()
	case n < 840:
		g.logPrefix("INFO ")
		g.expand(g.pick(infoMsgs))
		g.end()
	case n < 860:
		g.warnTrace()
	case n < 890:
		for range 2 + g.r.IntN(6) {
			g.expand(g.pick(sqlLines))
			g.end()
		}
	case n < 900:
		g.summary()
	case n < 990:
		g.logPrefix("INFO ")
		g.s("Log view:")
		g.end()
		g.s("http://logview.odps.aliyun.com/logview/?h=http://service.cn-hangzhou.maxcompute.aliyun.com/api&p=")
		g.s(g.pick(projects))
		g.s("&i=")
		g.instanceID()
		g.s("&token=")
		g.randFrom(b64, 96)
		g.end()
	default:
		g.logPrefix("WARN ")
		g.s(g.pick(decoyMsgs))
		g.end()
	}
}

func (g *gen) progress() {
	g.ts()
	shape := stageShapes[g.r.IntN(len(stageShapes))]
	for i, st := range shape {
		if i == 0 {
			g.s(" ")
		} else {
			g.s("\t")
		}
		g.s(st)
		g.s("_job_0:")
		total := 1 + g.r.IntN(1500)
		term := g.r.IntN(total + 1)
		run := g.r.IntN(total - term + 1)
		g.num(run)
		g.s("/")
		g.num(term)
		g.s("/")
		g.num(total)
		g.s("[")
		g.num(term * 100 / total)
		g.s("%]")
	}
	g.end()
}

func (g *gen) frames(n int) {
	start := g.r.IntN(len(javaFrames))
	for k := range n {
		g.s(javaFrames[(start+k)%len(javaFrames)])
		g.end()
	}
}

func (g *gen) warnTrace() {
	g.logPrefix("WARN ")
	g.expand(g.pick(warnMsgs))
	g.end()
	if g.r.IntN(2) == 0 {
		g.s(g.pick(frameForExc))
		g.end()
		g.frames(3 + g.r.IntN(6))
	}
}

func (g *gen) summary() {
	g.s("Summary:")
	g.end()
	g.s("resource cost: cpu ")
	g.num(g.r.IntN(90))
	g.s(".")
	g.num(10 + g.r.IntN(90))
	g.s(" Core * Min, memory ")
	g.num(g.r.IntN(300))
	g.s(".")
	g.num(10 + g.r.IntN(90))
	g.s(" GB * Min")
	g.end()
	for _, dir := range []string{"inputs:", "outputs:"} {
		g.s(dir)
		g.end()
		g.expand("        {p}.{t}/ds={d}: {n} ({n} bytes)")
		g.end()
	}
	g.s("Job run time: ")
	g.num(g.r.IntN(3000))
	g.s(".000")
	g.end()
	g.s("Job run mode: fuxi job")
	g.end()
	g.s("M1:")
	g.end()
	g.expand("        instance count: {n}")
	g.end()
	g.s("        run time: 35.000")
	g.end()
	g.s("        instance time:")
	g.end()
	g.s("                min: 21.000, max: 33.000, avg: 27.833")
	g.end()
}

// errorBlock writes one error event and returns how many of its lines
// carry a code. oneLine asks for a one-line event, so that high densities
// can be reached.
func (g *gen) errorBlock(oneLine bool) int {
	before := g.st.MatchedLines
	kind := g.r.IntN(100)
	if oneLine {
		kind = 100 + g.r.IntN(5)
	}
	switch {
	case kind < 25, kind == 100:
		g.consoleFailed()
	case kind < 40:
		g.javaBlock()
	case kind < 50, kind == 101:
		g.nested()
	case kind < 60:
		g.pythonBlock()
	case kind < 68, kind == 102:
		g.cjk()
	case kind < 76, kind == 103:
		g.xml()
	case kind < 84, kind == 104:
		g.jsonLine()
	case kind < 92:
		g.retryEOL()
	default:
		g.misc()
	}
	if c := int(g.st.MatchedLines - before); c > 0 {
		return c
	}
	return 1 // the block was cut at the size limit
}

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

func main() {
	size := flag.Int64("size", 1<<30, "stop at the first line end at or after this many bytes")
	out := flag.String("o", "", "output path (default stdout)")
	density := flag.Float64("density", 0.01, "fraction of lines carrying codes, in [0,1]")
	seed := flag.Uint64("seed", 1, "PRNG seed; the same seed gives the same bytes")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "genlog: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(*size, *out, *density, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}

func run(size int64, out string, density float64, seed uint64) (err error) {
	f := os.Stdout
	if out != "" && out != "-" {
		f, err = os.Create(out)
		if err != nil {
			return fmt.Errorf("cannot create output: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("cannot close %s: %w", out, cerr)
			}
		}()
	}
	w := bufio.NewWriterSize(f, 4<<20)
	st, err := generate(w, size, density, seed)
	if ferr := w.Flush(); ferr != nil {
		err = errors.Join(err, fmt.Errorf("cannot flush output: %w", ferr))
	}
	if err != nil {
		return err
	}
	summary, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("cannot encode summary: %w", err)
	}
	fmt.Fprintln(os.Stderr, string(summary))
	return nil
}
