#!/usr/bin/env bash
# compare.sh: throughput of `odpswatch scan` against grep, ripgrep (with its
# default mmap and with --no-mmap) and the Go regexp baseline on one
# generated MaxCompute log in the page cache, and on its gzip against
# zcat | grep.
#
# Environment:
#   BENCH_FILE  log to scan; generated if absent (default /tmp/odpswatch-bench/job-1g.log)
#   BENCH_SIZE  bytes to generate (default 1073741824)
#   BENCH_RUNS  timed runs per tool, best kept (default 3)
#   ODPSWATCH_BIN  measure this odpswatch binary instead of building ./cmd/odpswatch
#
# Exit status: 0 when all tools agree (targets are reported, not enforced),
# 1 when they disagree or a tool fails, 2 when a prerequisite is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_FILE=${BENCH_FILE:-/tmp/odpswatch-bench/job-1g.log}
BENCH_SIZE=${BENCH_SIZE:-1073741824}
BENCH_RUNS=${BENCH_RUNS:-3}

die() {
	echo "compare.sh: $*" >&2
	exit 1
}
# shellcheck source=bench/lib.sh
. bench/lib.sh

[[ $BENCH_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$BENCH_RUNS'"
[[ $BENCH_SIZE =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE must be a positive integer, got '$BENCH_SIZE'"

# Prerequisites. Nothing is installed from here.
missing=()
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
/usr/bin/time --version 2>&1 | grep -q 'GNU Time' || missing+=(time)
if ((${#missing[@]} > 0)); then
	echo "compare.sh: missing ${missing[*]} (rg and GNU /usr/bin/time are required); install with:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	exit 2
fi
for tool in go python3 grep; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "compare.sh: $tool not found in PATH" >&2
		exit 2
	}
done

work=$(mktemp -d "${TMPDIR:-/tmp}/odpswatch-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"

build_odpswatch "$bin"
build_tools "$bin" genlog rebaseline readfloor
ensure_log "$bin/genlog" "$BENCH_FILE" "$BENCH_SIZE"
file_bytes=$(stat -c %s "$BENCH_FILE")
if ((file_bytes < BENCH_SIZE)); then
	echo "compare.sh: note: existing $BENCH_FILE has $file_bytes bytes, less than BENCH_SIZE=$BENCH_SIZE; using it as is" >&2
fi

# A user ripgrep config could change what rg counts.
unset RIPGREP_CONFIG_PATH

# The gzip of the log, beside it (made once, like the log).
BENCH_GZ=$BENCH_FILE.gz
if [[ ! -s $BENCH_GZ || $BENCH_GZ -ot $BENCH_FILE ]]; then
	echo "compressing $BENCH_FILE" >&2
	gzip -c -6 "$BENCH_FILE" >"$BENCH_GZ.tmp" && mv "$BENCH_GZ.tmp" "$BENCH_GZ"
fi
gz_bytes=$(stat -c %s "$BENCH_GZ")

echo "warming the page cache" >&2
cat "$BENCH_FILE" "$BENCH_GZ" >/dev/null

# The tools, in table order. Each writes its stdout to $work/NAME.out.
tools=(odpswatch grep rg rg-nommap regexp odpswatch-gz zcat-grep odpswatch-gz2 zcat-grep2)
declare -A cmd_text best_ns
cmd_text[odpswatch]="odpswatch scan --format json FILE"
cmd_text[grep]="grep -c ODPS- FILE"
cmd_text[rg]="rg -c ODPS- FILE"
cmd_text[rg-nommap]="rg -c --no-mmap ODPS- FILE"
cmd_text[regexp]="rebaseline FILE"
cmd_text[odpswatch-gz]="odpswatch scan --format json FILE.gz"
cmd_text[zcat-grep]="zcat FILE.gz | grep -c ODPS-"
cmd_text[odpswatch-gz2]="odpswatch scan --format json FILE.gz FILE.gz (two gzip files, side by side)"
cmd_text[zcat-grep2]="zcat FILE.gz FILE.gz | grep -c ODPS-"

run_tool() {
	case $1 in
	odpswatch) "$bin/odpswatch" scan --format json "$BENCH_FILE" ;;
	grep) grep -c ODPS- "$BENCH_FILE" ;;
	rg) rg -c ODPS- "$BENCH_FILE" ;;
	rg-nommap) rg -c --no-mmap ODPS- "$BENCH_FILE" ;;
	regexp) "$bin/rebaseline" "$BENCH_FILE" ;;
	odpswatch-gz) "$bin/odpswatch" scan --format json "$BENCH_GZ" ;;
	zcat-grep) zcat "$BENCH_GZ" | grep -c ODPS- ;;
	odpswatch-gz2) "$bin/odpswatch" scan --format json "$BENCH_GZ" "$BENCH_GZ" ;;
	zcat-grep2) zcat "$BENCH_GZ" "$BENCH_GZ" | grep -c ODPS- ;;
	esac
}

seconds() { # nanoseconds -> "S.mmm"
	printf '%d.%03d' $(($1 / 1000000000)) $(($1 % 1000000000 / 1000000))
}

# Round-robin, so a slow spell on a shared machine hurts every tool alike.
for ((run = 1; run <= BENCH_RUNS; run++)); do
	for name in "${tools[@]}"; do
		rc=0
		t0=$(date +%s%N)
		run_tool "$name" >"$work/$name.out" || rc=$?
		t1=$(date +%s%N)
		# grep and rg exit 1 when no line matches: a count of 0, not a failure.
		if ((rc != 0)) && ! [[ $rc == 1 && ($name == grep || $name == rg* || $name == zcat-grep*) ]]; then
			die "$name failed with exit status $rc: ${cmd_text[$name]}"
		fi
		ns=$((t1 - t0))
		if [[ -z ${best_ns[$name]:-} ]] || ((ns < best_ns[$name])); then
			best_ns[$name]=$ns
		fi
		echo "run $run/$BENCH_RUNS  $(printf '%-9s' "$name") $(seconds "$ns") s" >&2
	done
done

# Counts. grep and rg print a bare number for one file (rg prints nothing
# when there is no match).
grep_count=$(tr -d '[:space:]' <"$work/grep.out")
rg_count=$(tr -d '[:space:]' <"$work/rg.out")
rg_count=${rg_count:-0}
rgn_count=$(tr -d '[:space:]' <"$work/rg-nommap.out")
rgn_count=${rgn_count:-0}
zg_count=$(tr -d '[:space:]' <"$work/zcat-grep.out")
zg2_count=$(tr -d '[:space:]' <"$work/zcat-grep2.out")
[[ $grep_count =~ ^[0-9]+$ ]] || die "cannot read grep's count from: $(head -c 200 "$work/grep.out")"
[[ $rg_count =~ ^[0-9]+$ ]] || die "cannot read rg's count from: $(head -c 200 "$work/rg.out")"
[[ $rgn_count =~ ^[0-9]+$ ]] || die "cannot read rg --no-mmap's count from: $(head -c 200 "$work/rg-nommap.out")"
[[ $zg_count =~ ^[0-9]+$ ]] || die "cannot read zcat | grep's count from: $(head -c 200 "$work/zcat-grep.out")"
[[ $zg2_count =~ ^[0-9]+$ ]] || die "cannot read zcat | grep's count of two files from: $(head -c 200 "$work/zcat-grep2.out")"

# json_counts FILE NAME: prints "bytes lines matches matched_lines" from a
# JSON object (or the last such object of a JSON-lines stream).
json_counts() {
	python3 - "$1" "$2" <<'EOF'
import json, sys

path, name = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
keys = ("bytes", "lines", "matches", "matched_lines")
try:
    docs = [json.loads(text)]
except ValueError:
    docs = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            try:
                docs.append(json.loads(line))
            except ValueError:
                pass
objs = [d for d in docs if isinstance(d, dict) and all(k in d for k in keys)]
if not objs:
    sys.exit(f"compare.sh: {name} printed no JSON object with fields {', '.join(keys)}; output starts: {text[:300]!r}")
d = objs[-1]
for k in keys:
    if not isinstance(d[k], int) or isinstance(d[k], bool):
        sys.exit(f"compare.sh: {name}: field {k} is {d[k]!r}, want an integer")
print(*(d[k] for k in keys))
EOF
}
ow=$(json_counts "$work/odpswatch.out" odpswatch) || exit 1
gz=$(json_counts "$work/odpswatch-gz.out" odpswatch-gz) || exit 1
read -r _ _ gz_matches gz_matched <<<"$gz"
gz2=$(json_counts "$work/odpswatch-gz2.out" odpswatch-gz2) || exit 1
read -r _ _ gz2_matches gz2_matched <<<"$gz2"
re=$(json_counts "$work/regexp.out" rebaseline) || exit 1
read -r ow_bytes ow_lines ow_matches ow_matched <<<"$ow"
read -r re_bytes re_lines re_matches re_matched <<<"$re"

echo
echo "file: $BENCH_FILE ($file_bytes bytes; its gzip $gz_bytes bytes)"
echo "machine: $(nproc) CPUs; $(go version | cut -d' ' -f3); $(grep --version | head -1); $(rg --version | head -1)"
echo "timing: best of $BENCH_RUNS wall-clock runs each, page cache warm, LC_ALL=${LC_ALL:-} LANG=${LANG:-}"
echo
printf '%-10s %14s %10s %14s\n' tool matched_lines matches lines
printf '%-10s %14s %10s %14s\n' odpswatch "$ow_matched" "$ow_matches" "$ow_lines"
printf '%-10s %14s %10s %14s\n' regexp "$re_matched" "$re_matches" "$re_lines"
printf '%-10s %14s %10s %14s\n' grep "$grep_count" - -
printf '%-10s %14s %10s %14s\n' rg "$rg_count" - -
printf '%-10s %14s %10s %14s\n' rg-nommap "$rgn_count" - -
printf '%-10s %14s %10s %14s\n' gz "$gz_matched" "$gz_matches" -
printf '%-10s %14s %10s %14s\n' zcat-grep "$zg_count" - -
printf '%-10s %14s %10s %14s\n' gz2 "$gz2_matched" "$gz2_matches" -
printf '%-10s %14s %10s %14s\n' zcat-grep2 "$zg2_count" - -

disagree=()
for other in "grep:$grep_count" "rg:$rg_count" "rg-nommap:$rgn_count" "regexp:$re_matched" "odpswatch-gz:$gz_matched" "zcat-grep:$zg_count"; do
	if [[ ${other#*:} != "$ow_matched" ]]; then
		disagree+=("matching lines: odpswatch $ow_matched, ${other%%:*} ${other#*:}")
	fi
done
for other in "odpswatch-gz2:$gz2_matched" "zcat-grep2:$zg2_count"; do
	if [[ ${other#*:} != "$((2 * ow_matched))" ]]; then
		disagree+=("matching lines of the file twice: odpswatch $((2 * ow_matched)), ${other%%:*} ${other#*:}")
	fi
done
if [[ $ow_matches != "$re_matches" ]]; then
	disagree+=("matches: odpswatch $ow_matches, regexp $re_matches")
fi
if ((${#disagree[@]} > 0)); then
	echo >&2
	echo "compare.sh: FAIL: the tools disagree:" >&2
	printf '  %s\n' "${disagree[@]}" >&2
	exit 1
fi
echo "counts agree"
# Not part of the pass/fail rule, but worth seeing.
for pair in "odpswatch bytes:$ow_bytes" "regexp bytes:$re_bytes"; do
	[[ ${pair#*:} == "$file_bytes" ]] || echo "warning: ${pair%%:*} ${pair#*:} != file size $file_bytes"
done
[[ $ow_lines == "$re_lines" ]] || echo "warning: lines differ: odpswatch $ow_lines, regexp $re_lines"

# Peak RSS of one more odpswatch run.
/usr/bin/time -f %M -o "$work/rss" "$bin/odpswatch" scan --format json "$BENCH_FILE" >/dev/null ||
	die "odpswatch failed under /usr/bin/time"
rss_kib=$(tail -n 1 "$work/rss")
[[ $rss_kib =~ ^[0-9]+$ ]] || die "cannot read peak RSS from /usr/bin/time: $(cat "$work/rss")"

# The floor on this machine: reading the file with pread and nothing else
# (bench/readfloor), by one reader and by two side by side, and starting
# a process: odpswatch's and rg's on an empty file, best of 9.
floor1=$("$bin/readfloor" -readers 1 "$BENCH_FILE") || die "readfloor failed"
floor2=$("$bin/readfloor" -readers 2 "$BENCH_FILE") || die "readfloor failed"
: >"$work/empty.log"
start_ns() {
	local best=0 t0 t1 i
	for ((i = 0; i < 9; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		if ((best == 0 || t1 - t0 < best)); then best=$((t1 - t0)); fi
	done
	echo "$best"
}
ow_start=$(start_ns "$bin/odpswatch" scan --format json "$work/empty.log")
rg_start=$(start_ns rg -c --no-mmap ODPS- "$work/empty.log")

echo
args=("$file_bytes" "$rss_kib" "$floor1" "$floor2" "$ow_start" "$rg_start")
for name in "${tools[@]}"; do
	args+=("$name" "${best_ns[$name]}" "${cmd_text[$name]}")
done
python3 - "${args[@]}" <<'EOF'
import sys

size, rss_kib = int(sys.argv[1]), int(sys.argv[2])
floor1, floor2 = sys.argv[3], sys.argv[4]
ow_start, rg_start = int(sys.argv[5]) / 1e9, int(sys.argv[6]) / 1e9
rest = sys.argv[7:]
names = tuple(rest[0::3])
ns = dict(zip(names, map(int, rest[1::3])))
cmds = dict(zip(names, rest[2::3]))
sec = {n: ns[n] / 1e9 for n in names}
# The tools whose name ends in 2 read the file twice.
mbps = {n: size * (2 if n.endswith("2") else 1) / 1e6 / sec[n] for n in names}

print(f"{'tool':<10} {'best s':>8} {'MB/s':>9} {'odpswatch/tool':>15}  command")
for n in names:
    ratio = mbps["odpswatch"] / mbps[n]
    print(f"{n:<10} {sec[n]:>8.3f} {mbps[n]:>9.0f} {ratio:>14.2f}x  {cmds[n]}")
print()

def mark(ok):
    return "ok" if ok else "BELOW TARGET"

g = mbps["odpswatch"] / mbps["grep"]
r = mbps["odpswatch"] / max(mbps["rg"], mbps["rg-nommap"])
z = sec["zcat-grep"] / sec["odpswatch-gz"]
z2 = sec["zcat-grep2"] / sec["odpswatch-gz2"]
rss_mib = rss_kib / 1024
print("targets (the gzip's ratio is of times, on the same log)")
print(f"  odpswatch/grep             {g:6.2f}x     want >= 2.0x    {mark(g >= 2.0)}")
print(f"  odpswatch/rg's best mode   {r:6.2f}x     want >= 1.2x    {mark(r >= 1.2)}")
print(f"  gzip: odpswatch/zcat|grep  {z:6.2f}x     want >= 2.0x    {mark(z >= 2.0)}")
print(f"  two gzips side by side     {z2:6.2f}x     want >= 2.0x    {mark(z2 >= 2.0)}")
print(f"  odpswatch RSS              {rss_mib:6.1f} MiB  want <= 64 MiB  {mark(rss_kib <= 64 * 1024)}")

# What no scan of this file can go below here: its process start and
# reading the file (two readers side by side, the better of the two).
def floor_s(line):
    return float(line.split("best ")[1].split(" s")[0])
read_s = min(floor_s(floor1), floor_s(floor2))
best_rg = min(sec["rg"], sec["rg-nommap"])
print()
print("the floor on this machine (bench/readfloor: pread into page-aligned buffers, nothing else)")
print(f"  {floor1}")
print(f"  {floor2}")
print(f"  start-up on an empty file, best of 9: odpswatch {ow_start:.3f} s, rg {rg_start:.3f} s")
print(f"  odpswatch start + reading: {ow_start + read_s:.3f} s, at most {best_rg / (ow_start + read_s):.2f}x rg's best mode ({best_rg:.3f} s)")
EOF
