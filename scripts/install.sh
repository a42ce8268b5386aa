#!/usr/bin/env bash
# Installs odpswatch as a systemd service on a job host: the binary, the system
# user odpswatch, the log-reading group odpslog, the unit, and a default config
# (only when none exists). Safe to run again: every step checks first.
#
#   sudo scripts/install.sh                      build from this repo and install
#   sudo scripts/install.sh --binary PATH        install a prebuilt binary
#   sudo scripts/install.sh --grant-log-access /var/log/odps
#   scripts/install.sh --dry-run                 print what it would do
#   sudo scripts/install.sh --uninstall          remove unit and binary (keeps config, state, user)
#
# See systemd/README.md.
set -euo pipefail

readonly SERVICE=odpswatch.service
readonly USER_NAME=odpswatch
readonly LOG_GROUP=odpslog

prog=${0##*/}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$script_dir/.." && pwd)

usage() {
	cat <<EOF
usage: $prog [--dry-run] [--binary PATH] [--config FILE] [--grant-log-access DIR]... [--destdir DIR]
       $prog --uninstall [--dry-run] [--destdir DIR]

Installs odpswatch as a systemd service. Run as root.

  --binary PATH            install this binary instead of building ./cmd/odpswatch
                           (the build needs Go and this repository)
  --config FILE            the config to install when /etc/odpswatch/odpswatch.yaml
                           does not exist (default: configs/odpswatch.yaml of this repo);
                           an existing config is never overwritten
  --grant-log-access DIR   give group $LOG_GROUP read access to the logs under DIR with
                           ACLs, for the files there now and those created later
                           (needs setfacl from the acl package); repeatable
  --dry-run                print every action without doing it (no root needed)
  --uninstall              stop and disable the service, remove the unit and the binary;
                           keep the config, the state, the user and the group
  --destdir DIR            install under DIR instead of / (packaging, tests): no user or
                           group is created, no ownership set, systemctl is not run
  -h, --help               this help
EOF
}

dry_run=0
uninstall=0
binary=
config_src=$repo_dir/configs/odpswatch.yaml
destdir=
log_dirs=()

while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) dry_run=1 ;;
	--uninstall) uninstall=1 ;;
	--binary) [ $# -ge 2 ] || { usage >&2; exit 2; }; binary=$2; shift ;;
	--binary=*) binary=${1#*=} ;;
	--config) [ $# -ge 2 ] || { usage >&2; exit 2; }; config_src=$2; shift ;;
	--config=*) config_src=${1#*=} ;;
	--grant-log-access) [ $# -ge 2 ] || { usage >&2; exit 2; }; log_dirs+=("$2"); shift ;;
	--grant-log-access=*) log_dirs+=("${1#*=}") ;;
	--destdir) [ $# -ge 2 ] || { usage >&2; exit 2; }; destdir=$2; shift ;;
	--destdir=*) destdir=${1#*=} ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

if [ -n "$destdir" ]; then
	case $destdir in /*) ;; *) destdir=$(pwd)/$destdir ;; esac
	destdir=${destdir%/}
fi

readonly BIN=$destdir/usr/local/bin/odpswatch
readonly UNIT=$destdir/etc/systemd/system/$SERVICE
readonly CONF_DIR=$destdir/etc/odpswatch
readonly CONF=$CONF_DIR/odpswatch.yaml
readonly STATE_DIR=$destdir/var/lib/odpswatch

say() { printf '%s: %s\n' "$prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

# act runs a command, or only prints it under --dry-run.
act() {
	if [ "$dry_run" = 1 ]; then
		printf '[dry-run] would run:'
		printf ' %q' "$@"
		printf '\n'
	else
		printf '+'
		printf ' %q' "$@"
		printf '\n'
		"$@"
	fi
}

# ensure_dir DIR: creates DIR (0755) unless it exists; never touches an existing one.
ensure_dir() { [ -d "$1" ] || act install -d -m 0755 "$1"; }

# systemd_running: systemctl is usable (not in a container without systemd,
# not when installing into --destdir).
systemd_running() { [ -z "$destdir" ] && [ -d /run/systemd/system ]; }

if [ "$dry_run" = 0 ] && [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
	die "must be run as root (or with --dry-run)"
fi
[ "$dry_run" = 1 ] && say "dry run: nothing is changed"

# ---------------------------------------------------------------- uninstall
if [ "$uninstall" = 1 ]; then
	if systemd_running; then
		if systemctl cat "$SERVICE" >/dev/null 2>&1; then
			act systemctl disable --now "$SERVICE"
		fi
	else
		say "systemd is not running: not stopping or disabling $SERVICE"
	fi
	for f in "$UNIT" "$BIN"; do
		if [ -e "$f" ]; then
			act rm -f "$f"
		else
			say "$f: already absent"
		fi
	done
	if systemd_running; then
		act systemctl daemon-reload
		act systemctl reset-failed "$SERVICE" 2>/dev/null || true
	fi
	kept="$CONF_DIR (config), $STATE_DIR (state)"
	[ -d "$UNIT.d" ] && kept="$kept, $UNIT.d (drop-ins)"
	say "kept: $kept, user $USER_NAME, groups $USER_NAME and $LOG_GROUP"
	say "to remove them too: rm -r $CONF_DIR $STATE_DIR; userdel $USER_NAME; groupdel $LOG_GROUP"
	exit 0
fi

changed=0 # the binary or the unit changed: a running service needs a restart

# ------------------------------------------------------------ user and groups
if [ -n "$destdir" ]; then
	say "--destdir: not creating user $USER_NAME and groups $USER_NAME, $LOG_GROUP; on the target run:"
	say "  groupadd --system $LOG_GROUP; groupadd --system $USER_NAME"
	say "  useradd --system --gid $USER_NAME --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $USER_NAME"
else
	nologin=$(command -v nologin || true)
	for c in /usr/sbin/nologin /sbin/nologin /bin/false; do
		[ -n "$nologin" ] && break
		[ -x "$c" ] && nologin=$c
	done
	for g in "$LOG_GROUP" "$USER_NAME"; do
		if getent group "$g" >/dev/null; then
			say "group $g exists"
		else
			act groupadd --system "$g"
		fi
	done
	if getent passwd "$USER_NAME" >/dev/null; then
		say "user $USER_NAME exists"
	else
		act useradd --system --gid "$USER_NAME" --no-create-home --home-dir /nonexistent \
			--shell "$nologin" --comment "odpswatch daemon" "$USER_NAME"
	fi
fi

# ------------------------------------------------------------------- binary
# Written next to its destination, then renamed over it: a running daemon's
# executable is replaced atomically (writing into it would fail with ETXTBSY).
install_binary() { # install_binary SRC
	local src=$1 tmp
	if [ -e "$BIN" ] && cmp -s "$src" "$BIN"; then
		say "$BIN is up to date"
		return 0
	fi
	tmp=$(dirname "$BIN")/.odpswatch.new.$$
	act install -m 0755 "$src" "$tmp"
	act mv -f "$tmp" "$BIN"
	changed=1
}

ensure_dir "$(dirname "$BIN")"
if [ -n "$binary" ]; then
	if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
		die "--binary $binary: not an executable file"
	fi
	install_binary "$binary"
else
	grep -q '^module github.com/odpswatch/odpswatch$' "$repo_dir/go.mod" 2>/dev/null ||
		die "no --binary given and $repo_dir is not the odpswatch repository"
	command -v go >/dev/null ||
		die "no --binary given and go is not in PATH (sudo resets PATH: try 'make build' then --binary bin/odpswatch)"
	version=$(git -C "$repo_dir" describe --tags --always --dirty 2>/dev/null || echo devel)
	if [ "$dry_run" = 1 ]; then
		# Nothing is built in a dry run, so nothing can be compared either.
		say "in $repo_dir:"
		act go build -trimpath -ldflags "-X main.version=$version" -o "$BIN" ./cmd/odpswatch
		changed=1
	else
		build_dir=$(mktemp -d)
		trap 'rm -rf "$build_dir"' EXIT
		say "building ./cmd/odpswatch ($version)"
		(cd "$repo_dir" && act go build -trimpath -ldflags "-X main.version=$version" \
			-o "$build_dir/odpswatch" ./cmd/odpswatch)
		install_binary "$build_dir/odpswatch"
	fi
fi

# --------------------------------------------------------------------- unit
ensure_dir "$(dirname "$UNIT")"
if [ -e "$UNIT" ] && cmp -s "$repo_dir/systemd/$SERVICE" "$UNIT"; then
	say "$UNIT is up to date"
else
	act install -m 0644 "$repo_dir/systemd/$SERVICE" "$UNIT"
	changed=1
fi

# ------------------------------------------------------------------- config
# root:odpswatch 0640: the daemon reads it, nobody else does (it may hold
# credentials for Kafka or Alertmanager).
own=(-o root -g "$USER_NAME")
[ -n "$destdir" ] && own=()
if [ -d "$CONF_DIR" ]; then
	say "$CONF_DIR exists"
else
	act install -d -m 0750 "${own[@]}" "$CONF_DIR"
fi
have_config=1
if [ -e "$CONF" ]; then
	say "$CONF exists: keeping it (never overwritten)"
elif [ -f "$config_src" ]; then
	act install -m 0640 "${own[@]}" "$config_src" "$CONF"
else
	have_config=0
	warn "no config installed: $config_src does not exist; write $CONF before starting the service"
fi
if [ "$have_config" = 1 ] && [ "$dry_run" = 0 ] && [ -z "$destdir" ] && command -v runuser >/dev/null &&
	! runuser -u "$USER_NAME" -- test -r "$CONF"; then
	warn "$CONF is not readable by user $USER_NAME: the service will not start (chgrp $USER_NAME and chmod 0640 it)"
fi

# --------------------------------------------------------------- log access
for d in "${log_dirs[@]}"; do
	[ -d "$d" ] || die "--grant-log-access $d: not a directory"
	command -v setfacl >/dev/null || die "--grant-log-access needs setfacl: apt-get install acl (or dnf install acl)"
	# r on files, x on directories (X); the default ACL on every directory makes
	# files created there later readable by the group too.
	act setfacl -R -m "g:$LOG_GROUP:rX" "$d"
	act find "$d" -type d -exec setfacl -d -m "g:$LOG_GROUP:rX" {} +
done

# ------------------------------------------------------------------ systemd
if systemd_running; then
	was_active=0
	systemctl is-active --quiet "$SERVICE" && was_active=1
	act systemctl daemon-reload
	if [ "$have_config" = 1 ]; then
		act systemctl enable --now "$SERVICE"
		if [ "$was_active" = 1 ] && [ "$changed" = 1 ]; then
			act systemctl restart "$SERVICE"
		fi
		say "check it with: systemctl status $SERVICE; journalctl -u $SERVICE"
	else
		act systemctl enable "$SERVICE"
		warn "enabled but not started: write $CONF, then: systemctl start $SERVICE"
	fi
elif [ -n "$destdir" ]; then
	say "--destdir: not running systemctl; on the target run: systemctl daemon-reload && systemctl enable --now $SERVICE"
else
	say "systemd is not running here (no /run/systemd/system): not starting the service"
	say "on a systemd host this step runs: systemctl daemon-reload && systemctl enable --now $SERVICE"
fi
say "done"
