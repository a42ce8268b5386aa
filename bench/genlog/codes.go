package main

// The codes the generator writes, and the lines of text it draws from.

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
