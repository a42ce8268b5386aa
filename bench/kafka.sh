#!/usr/bin/env bash
# kafka.sh: one odpswatch consuming, scanning, classifying and committing a
# Kafka topic of 130-byte log messages (1 % with codes) from a broker on
# loopback, against `kcat -C -e -q` reading the same topic to /dev/null in
# the same run. See bench/kafka.md.
#
# Environment (or the same as flags: -runs N, -messages N, -partitions LIST):
#   BENCH_RUNS        timed runs of each tool, round-robin (default 3)
#   BENCH_MESSAGES    messages in the topic (default 5000000)
#   BENCH_PARTITIONS  partitions of the topic; a comma-separated list runs
#                     the whole measurement once per count (default 12)
#   BENCH_TIMEOUT     seconds one run of a tool may take (default 120)
#   ODPSWATCH_BIN     measure this odpswatch binary instead of building ./cmd/odpswatch
#
# Exit status: 0 when every run was made and odpswatch's counts were exact
# (the targets, 1 M msgs/s and 1.5x kcat, are reported, not enforced), 1 when a run failed
# or a count was wrong, 2 when a prerequisite is missing or a flag is bad.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_MESSAGES=${BENCH_MESSAGES:-5000000}
BENCH_PARTITIONS=${BENCH_PARTITIONS:-12}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
readonly MESSAGE_BYTES=130 CODE_EVERY=100 TOPIC=odps-logs SOURCE=kafka
readonly TARGET_MSGS=1000000 TARGET_RATIO=1.5

die() {
	echo "kafka.sh: $*" >&2
	exit 1
}
# shellcheck source=bench/lib.sh
. bench/lib.sh
usage() {
	echo "kafka.sh: $*" >&2
	echo "usage: bash bench/kafka.sh [-runs N] [-messages N] [-partitions P[,P...]]" >&2
	exit 2
}

while (($# > 0)); do
	case $1 in
	-runs | --runs) BENCH_RUNS=${2:-} ;;
	-messages | --messages) BENCH_MESSAGES=${2:-} ;;
	-partitions | --partitions) BENCH_PARTITIONS=${2:-} ;;
	-h | --help) usage "measures odpswatch's Kafka source against kcat" ;;
	*) usage "unknown argument '$1'" ;;
	esac
	(($# >= 2)) || usage "$1 needs a value"
	shift 2
done
[[ $BENCH_RUNS =~ ^[1-9][0-9]*$ ]] || usage "BENCH_RUNS must be a positive integer, got '$BENCH_RUNS'"
[[ $BENCH_MESSAGES =~ ^[1-9][0-9]*$ ]] && ((BENCH_MESSAGES <= 100000000)) ||
	usage "BENCH_MESSAGES must be an integer from 1 to 100000000, got '$BENCH_MESSAGES'"
[[ $BENCH_PARTITIONS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
	usage "BENCH_PARTITIONS must be a positive integer or a comma-separated list of them, got '$BENCH_PARTITIONS'"
[[ $BENCH_TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage "BENCH_TIMEOUT must be a positive number of seconds, got '$BENCH_TIMEOUT'"

# Prerequisites. Nothing is installed from here.
if ! command -v kcat >/dev/null 2>&1; then
	echo "kafka.sh: kcat is missing (the baseline; Debian's kcat 1.7); install it with:" >&2
	echo "  apt-get install -y kcat" >&2
	exit 2
fi
for tool in go timeout awk python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "kafka.sh: $tool not found in PATH" >&2
		exit 2
	}
done
[[ -d /proc/self ]] || {
	echo "kafka.sh: needs Linux's /proc" >&2
	exit 2
}
clk_tck=$(getconf CLK_TCK)

work=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-kafka.XXXXXX")
declare -A running=() # the processes started in the background and not yet reaped

# stop PID: SIGTERM, then SIGKILL if it is still there after 10 s; then
# reap it, and forget it (its PID may be reused).
stop() {
	local pid=$1 i
	[[ -n ${running[$pid]:-} ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "running[$pid]"
}
cleanup() {
	local pid
	for pid in "${!running[@]}"; do
		stop "$pid"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bin=$work/bin
mkdir -p "$bin"
build_odpswatch "$bin"
build_tools "$bin" kafkabroker

# cpu_ticks PID: utime+stime of a running process, in clock ticks. The
# command name (field 2) may hold spaces: count fields after its ')'.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat") || return 1
	stat=${stat##*) }
	read -r -a f <<<"$stat"
	echo $((f[11] + f[12]))
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Results, one line per run: partitions run tool seconds ... (see report).
results=$work/results
: >"$results"
failed=0

echo "machine: $(nproc) CPUs; $(go version | cut -d' ' -f3); kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "topic: $BENCH_MESSAGES messages of $MESSAGE_BYTES bytes, one in $CODE_EVERY with a code; $BENCH_RUNS runs per tool, round-robin"

IFS=, read -r -a partition_counts <<<"$BENCH_PARTITIONS"
for parts in "${partition_counts[@]}"; do
	echo
	echo "== $parts partition(s): loading the broker" >&2
	"$bin/kafkabroker" -topic "$TOPIC" -partitions "$parts" -messages "$BENCH_MESSAGES" \
		-bytes "$MESSAGE_BYTES" -code-every "$CODE_EVERY" >"$work/broker.out" 2>"$work/broker.err" &
	broker=$!
	running[$broker]=1
	ready=
	deadline=$((SECONDS + BENCH_TIMEOUT))
	while ((SECONDS < deadline)); do
		ready=$(grep -m1 '^ready ' "$work/broker.out" || true)
		[[ -n $ready ]] && break
		kill -0 "$broker" 2>/dev/null || die "the broker exited before it was ready: $(cat "$work/broker.err")"
		sleep 0.1
	done
	[[ -n $ready ]] || die "the broker was not loaded within ${BENCH_TIMEOUT}s: $(cat "$work/broker.err")"
	declare -A kv=()
	for pair in ${ready#ready }; do
		kv[${pair%%=*}]=${pair#*=}
	done
	addr=${kv[addr]} bytes=${kv[bytes]} codes=${kv[code_messages]}
	echo "$parts partition(s): broker $addr loaded in ${kv[load_seconds]} s: ${kv[messages]} messages, $bytes bytes, $codes with a code"

	# kcat prints nothing to compare with, so check once, untimed, that it
	# reads every message (one '.' each).
	n=$(timeout -k 5 "$BENCH_TIMEOUT" kcat -C -b "$addr" -t "$TOPIC" -o beginning -e -q -f '.' | wc -c) ||
		die "kcat failed reading $TOPIC from $addr"
	((n == BENCH_MESSAGES)) || die "kcat read $n messages, want $BENCH_MESSAGES"

	for ((run = 1; run <= BENCH_RUNS; run++)); do
		# kcat, to /dev/null. bash's time gives its user and system CPU.
		b0=$(cpu_ticks "$broker")
		rc=0
		TIMEFORMAT='%3R %3U %3S'
		{ time timeout -k 5 "$BENCH_TIMEOUT" kcat -C -b "$addr" -t "$TOPIC" -o beginning -e -q \
			>/dev/null 2>"$work/kcat.err"; } 2>"$work/kcat.time" || rc=$?
		b1=$(cpu_ticks "$broker")
		((rc == 0)) || die "kcat failed (exit status $rc): $(cat "$work/kcat.err")"
		read -r wall user sys <"$work/kcat.time"
		echo "$parts $run kcat $wall - - $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }') $(((b1 - b0) * 1000 / clk_tck)) -" >>"$results"

		# odpswatch, with a fresh consumer group, from process start until
		# every message is counted and committed.
		port=$(free_port)
		group=odpswatch-bench-$$-$parts-$run
		cat >"$work/odpswatch.yml" <<EOF
sources:
  - name: $SOURCE
    type: kafka
    brokers: [$addr]
    topics: [$TOPIC]
    group_id: $group
    start_at: earliest
EOF
		log=$work/odpswatch-$parts-$run.log
		b0=$(cpu_ticks "$broker")
		t0=$(date +%s%N)
		"$bin/odpswatch" run --config.file="$work/odpswatch.yml" --web.listen-address="127.0.0.1:$port" >"$log" 2>&1 &
		ow=$!
		running[$ow]=1
		rc=0
		"$bin/kafkabroker" wait -broker "$addr" -topic "$TOPIC" -group "$group" \
			-metrics "http://127.0.0.1:$port/metrics" -source "$SOURCE" -pid "$ow" \
			-messages "$BENCH_MESSAGES" -codes "$codes" -timeout "${BENCH_TIMEOUT}s" >"$work/wait.out" || rc=$?
		ticks=$(cpu_ticks "$ow" || echo 0)
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ow/status" 2>/dev/null || echo 0)
		b1=$(cpu_ticks "$broker")
		stop "$ow"
		if ((rc != 0)); then
			kept=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-kafka-failed.XXXXXX")
			cp "$log" "$work/odpswatch.yml" "$kept/"
			echo "kafka.sh: odpswatch run $run ($parts partitions) failed; its log and configuration are kept in $kept" >&2
			failed=1
			continue
		fi
		declare -A w=()
		for pair in $(<"$work/wait.out"); do
			[[ $pair == *=* ]] && w[${pair%%=*}]=${pair#*=}
		done
		e2e=$(awk -v a="$t0" -v b="${w[committed_ns]}" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
		counted=$(awk -v a="$t0" -v b="${w[counted_ns]}" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
		steady=$(awk -v a="${w[first_ns]}" -v b="${w[counted_ns]}" -v n="$BENCH_MESSAGES" -v f="${w[first_lines]}" \
			'BEGIN { if (b > a && n > f) printf "%.0f", (n - f) / ((b - a) / 1e9); else print "-" }')
		echo "$parts $run odpswatch $e2e $counted $steady $(awk -v t="$ticks" -v h="$clk_tck" 'BEGIN { printf "%.3f", t / h }') $(((b1 - b0) * 1000 / clk_tck)) $((hwm / 1024))" >>"$results"
	done
	stop "$broker"
done

# The report: one row per run and tool, then the ratios and the target.
echo
awk -v n="$BENCH_MESSAGES" -v size="$MESSAGE_BYTES" -v target="$TARGET_MSGS" -v target_ratio="$TARGET_RATIO" '
function rate(s) { return n / s }
{
	p = $1; r = $2; tool = $3
	key = p SUBSEP r
	if (tool == "kcat") { ks[key] = $4; kcpu[key] = $7; kb[key] = $8 }
	else { os[key] = $4; oc[key] = $5; ost[key] = $6; ocpu[key] = $7; ob[key] = $8; orss[key] = $9 }
	if (!(p in seenp)) { seenp[p] = 1; plist[++np] = p }
	if (r > maxr[p]) maxr[p] = r
}
END {
	printf "%-5s %-4s %-10s %8s %10s %7s %10s %10s %7s %8s %7s %8s\n", "parts", "run", "tool", "seconds", "msgs/s", "MB/s", "counted/s", "steady/s", "cpu s", "broker s", "RSS MiB", "ow/kcat"
	for (i = 1; i <= np; i++) {
		p = plist[i]
		for (r = 1; r <= maxr[p]; r++) {
			key = p SUBSEP r
			if (key in ks)
				printf "%-5s %-4s %-10s %8.3f %10.0f %7.1f %10s %10s %7.2f %8.2f %7s\n", p, r, "kcat", ks[key], rate(ks[key]), rate(ks[key]) * size / 1e6, "-", "-", kcpu[key], kb[key] / 1000, "-"
			if (key in os) {
				ratio = (key in ks) ? sprintf("%.2fx", ks[key] / os[key]) : "-"
				printf "%-5s %-4s %-10s %8.3f %10.0f %7.1f %10.0f %10s %7.2f %8.2f %7s %8s\n", p, r, "odpswatch", os[key], rate(os[key]), rate(os[key]) * size / 1e6, rate(oc[key]), ost[key], ocpu[key], ob[key] / 1000, orss[key], ratio
				if (!(p in best) || os[key] < best[p]) best[p] = os[key]
				if (!(p in worst) || os[key] > worst[p]) worst[p] = os[key]
				if (!(p in bestk) || ks[key] < bestk[p]) bestk[p] = ks[key]
			}
		}
	}
	print ""
	print "odpswatch: seconds and msgs/s are end to end, the headline: from its process start until every"
	print "message is counted and its offset committed (commit_interval 1s: commits go at whole seconds after"
	print "the group is joined). counted/s: from process start until every message is counted, without waiting"
	print "for the commit. steady/s: messages counted between the first scrape that saw a line and the one that"
	print "saw them all, so without start-up and joining the group. ow/kcat: end-to-end msgs/s over kcat'\''s"
	print "in the same run. cpu s: the tool'\''s user+system CPU; broker s: the broker'\''s during the run."
	print ""
	print "target: odpswatch end to end >= " target " msgs/s and >= " target_ratio "x kcat'\''s best (best run per partition count)"
	for (i = 1; i <= np; i++) {
		p = plist[i]
		if (!(p in best)) { printf "  %s partition(s): no odpswatch run succeeded\n", p; continue }
		printf "  %s partition(s): %.0f msgs/s (worst %.0f), %.2fx kcat'\''s best %.0f msgs/s   %s\n", p, rate(best[p]), rate(worst[p]), bestk[p] / best[p], rate(bestk[p]), (rate(best[p]) >= target && bestk[p] / best[p] >= target_ratio ? "ok" : "BELOW TARGET")
	}
}' "$results"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
