package main

import (
	"strconv"
	"time"
)

// codeLines carry one documented code each (internal/classify/catalog.tsv),
// in forms seen in MaxCompute job logs, and only one: the codes odpswatch
// should count are exactly the code messages. A message cut to its size
// keeps its code whole: every code ends within the first minMessageBytes
// bytes of the message (the test checks it).
var codeLines = []string{
	"ERROR [main] SQLTask - FAILED: ODPS-0420095: Access Denied - Authorization Failed [4019], You have NO privilege 'odps:Select' on {acs:odps:*:projects/ds_prod_dw/tables/ods_order_di}",
	"ERROR [main] SQLTask - FAILED: ODPS-0130071:[1,8] Semantic analysis exception - column user_idx cannot be resolved",
	"ERROR [main] SQLTask - FAILED: ODPS-0130131:[3,6] Table not found - table ds_prod_ods.ods_user_log_dx cannot be resolved",
	"WARN  [pool-2-thread-1] Instance - Message=ODPS-0123131:User defined function exception - Traceback (most recent call last)",
	"ERROR [main] OdpsException: ODPS-0010000:System internal error - SQL Runtime Internal Error: executor lost",
	"ERROR [main] SQLTask - FAILED: ODPS-0121145: Data overflow - decimal value overflow in column pay_amt, precision 18 scale 2",
	"ERROR [main] SQLTask - FAILED: ODPS-0130252:[1,1] Cartesian product is not allowed - without mapjoin hint",
	"ERROR [main] DdlTask - FAILED: ODPS-0110061: Failed to run ddltask - Modify DDL meta encounter exception",
}

// plainLines carry no code: no "ODPS-" at all (the test checks it).
var plainLines = []string{
	"INFO  [main] SQLTask - Instance 20261120100102123gxx4k8 running, M1_job_0:12/0/40[30%] R2_1_job_0:0/0/8[0%]",
	"INFO  [main] LogView - http://logview.odps.aliyun.com/logview/?h=http://service.cn-hangzhou.maxcompute.aliyun.com/api&p=ds_prod_dw",
	"INFO  [pool-3-thread-2] TunnelRecordReader - read 2048 records from ods_pay_flow_hi/ds=20261120 in 41 ms",
	"WARN  [pool-3-thread-7] RetryPolicy - request to fuxi master failed (errCode:252), retrying in 2000 ms, attempt 2 of 5",
	"INFO  [main] SQLTask - Job Queueing... instance 20261120100102123gxx4k8 waiting for quota etl_high_prio",
	"INFO  [main] Summary - resource cost: cpu 12.50 Core * Min, memory 25.00 GB * Min, input 1.20 GB, output 300.5 MB",
	"INFO  [main] SQLTask - M1_job_0:40/0/40[100%] J3_1_2_job_0:3/1/12[25%] R4_3_job_0:0/0/4[0%]",
	"WARN  [main] SessionManager - session public.default_session slow to attach, odps_0130071 seen in client cache",
}

// filler pads lines shorter than the message size: no code, no "ODPS-".
const filler = " | ctx: project=ds_prod_dw table=dws_user_action_1d partition=ds=20261120/hh=10 retries=0 region=cn-hangzhou"

// isCode reports whether message i carries a code: one message in every.
func isCode(i, every int) bool { return i%every == every/2 }

// codeMessages is how many of n messages carry a code, one in every.
func codeMessages(n, every int) int {
	c := n / every
	if n%every > every/2 {
		c++
	}
	return c
}

// message appends message i, of exactly size bytes, to dst: a timestamp
// (one second per 1 000 messages from base) and a plain line or, one in
// every, a code line, cut or padded to size. The same arguments always give
// the same bytes.
func message(dst []byte, i, size, every int, base time.Time) []byte {
	start := len(dst)
	dst = base.Add(time.Duration(i/1000)*time.Second).AppendFormat(dst, "2006-01-02 15:04:05")
	dst = append(dst, ',')
	ms := strconv.Itoa(1000 + i%1000)
	dst = append(dst, ms[1:]...)
	dst = append(dst, ' ')
	if isCode(i, every) {
		dst = append(dst, codeLines[(i/every)%len(codeLines)]...)
	} else {
		dst = append(dst, plainLines[i%len(plainLines)]...)
	}
	for len(dst)-start < size {
		dst = append(dst, filler...)
	}
	return dst[:start+size]
}
