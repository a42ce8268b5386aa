#!/usr/bin/env bash
# daemon.sh: `odpswatch run` against its performance bars: catch-up on a
# 1 GiB backlog (with the nxadm/tail baseline in the same run), following
# latency, and the idle cost of 1 000 followed files. See bench/daemon.md.
#
# Environment:
#   BENCH_FILE  backlog for the catch-up; generated if absent (default /tmp/odpswatch-bench/job-1g.log)
#   BENCH_SIZE  bytes to generate (default 1073741824)
#   ODPSWATCH_BIN  measure this odpswatch binary instead of building ./cmd/odpswatch
#               (e.g. one built from a commit while the working tree is mid-edit)
# Arguments are passed to the measuring program (bench/daemon), e.g.
#   bash bench/daemon.sh -only latency -samples 1000
#   bash bench/daemon.sh -catchup-runs 5 -nxtail-runs 2
#
# Exit status: 0 when every measurement was made and the counts agree
# (targets are reported, not enforced), 1 when a measurement could not be
# made or counts disagree, 2 when a prerequisite is missing or a flag is bad.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_FILE=${BENCH_FILE:-/tmp/odpswatch-bench/job-1g.log}
BENCH_SIZE=${BENCH_SIZE:-1073741824}

die() {
	echo "daemon.sh: $*" >&2
	exit 1
}
# shellcheck source=bench/lib.sh
. bench/lib.sh

[[ $BENCH_SIZE =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE must be a positive integer, got '$BENCH_SIZE'"
for tool in go getconf; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "daemon.sh: $tool not found in PATH" >&2
		exit 2
	}
done
[[ -d /proc/self ]] || {
	echo "daemon.sh: needs Linux's /proc" >&2
	exit 2
}
[[ -f bench/nxtail/main.go ]] || {
	echo "daemon.sh: bench/nxtail is missing: it is the nxadm/tail baseline" >&2
	exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-daemon.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"

build_odpswatch "$bin"
build_tools "$bin" genlog nxtail daemon
ensure_log "$bin/genlog" "$BENCH_FILE" "$BENCH_SIZE"

mkdir -p "$work/run"
rc=0
"$bin/daemon" -odpswatch "$bin/odpswatch" -nxtail "$bin/nxtail" -file "$BENCH_FILE" \
	-work "$work/run" -clk-tck "$(getconf CLK_TCK)" "$@" || rc=$?
if ((rc == 1)); then
	# Keep odpswatch's logs and configurations for a look.
	kept=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-daemon-failed.XXXXXX")
	cp -r "$work/run/." "$kept/" 2>/dev/null || true
	echo "daemon.sh: odpswatch's logs and configurations kept in $kept" >&2
fi
exit "$rc"
