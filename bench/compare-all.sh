#!/usr/bin/env bash
# compare-all.sh: a short version of each comparison issue 20 asks for, one
# after the other, then their target lines together:
#   1. odpswatch scan against grep, ripgrep (both modes) and zcat | grep
#      (bench/compare.sh, its 1 GiB log, one gzip and two side by side);
#   2. the Kafka source against kcat (bench/kafka.sh: 12 partitions, 2 M
#      messages, one run each);
#   3. the daemon's catch-up of the 1 GiB log from process start
#      (bench/daemon.sh -only catchup, two runs, without the nxadm/tail
#      baseline, which takes 40 s).
# Each script checks its counts and exits non-zero on a disagreement; the
# targets are reported, never enforced. Environment: as each script's
# (BENCH_FILE, BENCH_SIZE, ODPSWATCH_BIN, ...); BENCH_RUNS is left to
# compare.sh's default.
#
# Exit status: 0 when every comparison ran with its counts right; else the
# first failing script's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-compare-all.XXXXXX")
trap 'rm -rf "$out"' EXIT

run() { # NAME SCRIPT ARGS...: runs a script, its output shown and kept
	local name=$1
	shift
	echo "=== $name: $*"
	local rc=0
	"$@" 2>&1 | tee "$out/$name.log" || rc=${PIPESTATUS[0]}
	if ((rc != 0)); then
		echo "compare-all.sh: $name failed with exit status $rc" >&2
		exit "$rc"
	fi
}

run scan bash bench/compare.sh
run kafka env BENCH_RUNS=1 BENCH_MESSAGES=2000000 BENCH_PARTITIONS=12 bash bench/kafka.sh
run daemon bash bench/daemon.sh -only catchup -catchup-runs 2 -nxtail-runs 0 -workers 0

echo
echo "=== the targets of issue 20, from the runs above"
grep -E '^  (odpswatch/grep|odpswatch/rg|gzip: |two gzips|odpswatch RSS)' "$out/scan.log" || true
grep -E 'partition\(s\):.*kcat' "$out/kafka.log" || true
grep -E 'MB/s from process start' "$out/daemon.log" || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
