# lib.sh: steps the bench scripts share; sourced by compare.sh, daemon.sh
# and kafka.sh, which define die (print and exit) before sourcing it.

# build_odpswatch DIR: odpswatch into DIR, built from ./cmd/odpswatch as
# the release is (static, CGO_ENABLED=0: no dynamic loader at start), or
# copied from $ODPSWATCH_BIN when that is set (to measure a given binary).
build_odpswatch() {
	echo "building into $1" >&2
	if [[ -n ${ODPSWATCH_BIN:-} ]]; then
		[[ -x $ODPSWATCH_BIN ]] || die "ODPSWATCH_BIN=$ODPSWATCH_BIN is not an executable"
		cp "$ODPSWATCH_BIN" "$1/odpswatch"
		echo "measuring $ODPSWATCH_BIN ($("$1/odpswatch" version 2>&1 | head -1))" >&2
	else
		CGO_ENABLED=0 go build -o "$1/odpswatch" ./cmd/odpswatch || die "cannot build ./cmd/odpswatch"
	fi
}

# build_tools DIR NAME...: the programs ./bench/NAME into DIR.
build_tools() {
	local dir=$1 name
	shift
	for name; do
		go build -o "$dir/$name" "./bench/$name" || die "cannot build ./bench/$name"
	done
}

# ensure_log GENLOG FILE SIZE: generates FILE of SIZE bytes with GENLOG
# unless it exists. Written aside and renamed, so that an interrupted run
# leaves no short file to be reused next time.
ensure_log() {
	local genlog=$1 file=$2 size=$3
	[[ -f $file ]] && return 0
	mkdir -p "$(dirname "$file")"
	echo "generating $size bytes into $file" >&2
	"$genlog" -size "$size" -o "$file.tmp.$$" || {
		rm -f "$file.tmp.$$"
		die "cannot generate $file"
	}
	mv "$file.tmp.$$" "$file"
}
