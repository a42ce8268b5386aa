#!/usr/bin/env bash
# smallfiles.sh: odpswatch scan over 10,000 small log files (a directory of
# job logs, 4-5 KB each) against cat of the same files, in the same run;
# prints each tool's best wall time of RUNS and the ratio.
#
#   bash bench/smallfiles.sh            (RUNS=5 FILES=10000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "smallfiles.sh: $*" >&2; exit 1; }
source bench/lib.sh

runs=${RUNS:-5}
files=${FILES:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build_odpswatch "$work"
build_tools "$work" genlog
# 35 lines of about 130 bytes each per file, as many files as asked.
"$work/genlog" -size $((files * 35 * 150)) -o "$work/all.log"
mkdir "$work/logs"
split -l 35 -a 5 -d --additional-suffix=.log "$work/all.log" "$work/logs/job-"
ls "$work/logs" > "$work/all.list"
head -n "$files" "$work/all.list" > "$work/list"
n=$(wc -l < "$work/list")
bytes=$(cd "$work/logs" && xargs cat < "$work/list" | wc -c)
echo "$n files, $bytes bytes" >&2

best() { # best wall time, in ms, of $runs runs of "$@" (files as arguments)
	local b= t0 t1 ms
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		(cd "$work/logs" && xargs "$@" < "$work/list" > /dev/null)
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		[[ -z $b || $ms -lt $b ]] && b=$ms
	done
	echo "$b"
}
# xargs may split the list over several calls; both tools get the same.
cat_ms=$(best cat)
scan_ms=$(best "$work/odpswatch" scan --format prom --progress never)
echo "cat:            ${cat_ms} ms"
echo "odpswatch scan: ${scan_ms} ms"
awk -v s="$scan_ms" -v c="$cat_ms" 'BEGIN { printf "odpswatch scan / cat: %.2fx the time\n", s / (c > 0 ? c : 1) }'
