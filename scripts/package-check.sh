#!/usr/bin/env bash
# Checks the packages make package built in DIST: their contents against
# the expected lists, lintian on each .deb (no error, no warning: fixed or
# justified in packaging/lintian-overrides), and, as root, the amd64 .deb
# installed on this machine (CI's is thrown away): the binary, the config,
# the unit, the user; then removed (config and state kept) and purged
# (both gone). Not root: the install is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${DIST:-dist}
fail() { echo "package-check: $*" >&2; exit 1; }

debs=("$dist"/odpswatch_*.deb)
rpms=("$dist"/odpswatch-*.rpm)
[ -e "${debs[0]}" ] || fail "no .deb in $dist: run make package first"
[ -e "${rpms[0]}" ] || fail "no .rpm in $dist: run make package first"

common="/usr/bin/odpswatch
/etc/odpswatch/odpswatch.yaml
/usr/lib/sysusers.d/odpswatch.conf
/usr/share/bash-completion/completions/odpswatch
/usr/share/man/man1/odpswatch.1.gz
/usr/share/odpswatch/examples/sidecar.yaml
/usr/share/odpswatch/grafana/odpswatch.json
/usr/share/odpswatch/prometheus/odpswatch.rules.yml
/var/lib/odpswatch"
want_deb=$(printf '%s\n' "$common" /lib/systemd/system/odpswatch.service /usr/share/zsh/vendor-completions/_odpswatch \
	/usr/share/doc/odpswatch/copyright /usr/share/doc/odpswatch/changelog.gz /usr/share/doc/odpswatch/changelog.Debian.gz \
	/usr/share/lintian/overrides/odpswatch | sort)
want_rpm=$(printf '%s\n' "$common" /usr/lib/systemd/system/odpswatch.service /usr/share/zsh/site-functions/_odpswatch \
	/usr/share/licenses/odpswatch/LICENSE /etc/odpswatch /usr/share/odpswatch /usr/share/odpswatch/prometheus \
	/usr/share/odpswatch/grafana /usr/share/odpswatch/examples | sort)

for deb in "${debs[@]}"; do
	# Files and the state directory (directories the package only holds
	# files in are left out).
	got=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^$' |
		while read -r p; do
			if printf '%s\n' "$want_deb" | grep -qx "$p"; then echo "$p"; elif ! printf '%s\n' "$want_deb" | grep -q "^$p/"; then echo "$p"; fi
		done | sort)
	[ "$got" = "$want_deb" ] || fail "$deb holds:
$got
want:
$want_deb"
	[ "$(dpkg-deb -f "$deb" Package)" = odpswatch ] || fail "$deb: package name"
	[ "$(dpkg-deb -I "$deb" conffiles)" = /etc/odpswatch/odpswatch.yaml ] || fail "$deb: conffiles: $(dpkg-deb -I "$deb" conffiles)"
	echo "--- lintian $deb"
	out=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
	[ -z "$out" ] || fail "lintian on $deb:
$out"
	echo "$deb: contents as expected, lintian clean"
done
for rpm in "${rpms[@]}"; do
	got=$(rpm -qlp "$rpm" 2>/dev/null | sort)
	[ "$got" = "$want_rpm" ] || fail "$rpm holds:
$got
want:
$want_rpm"
	[ "$(rpm -qp --configfiles "$rpm" 2>/dev/null)" = /etc/odpswatch/odpswatch.yaml ] || fail "$rpm: the config is not its one config file"
	[[ $(rpm -qp --scripts "$rpm" 2>/dev/null) == *'systemctl enable odpswatch.service'* ]] || fail "$rpm: %post does not enable the unit"
	echo "$rpm: contents as expected"
done

if [ "$(id -u)" != 0 ]; then
	echo "package-check: not root: the .deb is not installed (CI runs this as root on a throwaway machine)"
	exit 0
fi
deb=$(ls -t "$dist"/odpswatch_*_amd64.deb | head -1)
if dpkg -s odpswatch >/dev/null 2>&1; then
	fail "a package odpswatch is installed already: this check installs and purges its own"
fi
echo "--- dpkg -i $deb"
trap 'dpkg -P odpswatch >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb"
odpswatch version
odpswatch check-config /etc/odpswatch/odpswatch.yaml
systemd-analyze verify /lib/systemd/system/odpswatch.service
getent passwd odpswatch >/dev/null || fail "no user odpswatch"
getent group odpslog >/dev/null || fail "no group odpslog"
[ "$(stat -c '%U:%G %a' /etc/odpswatch/odpswatch.yaml)" = "root:odpswatch 640" ] ||
	fail "config owned $(stat -c '%U:%G %a' /etc/odpswatch/odpswatch.yaml), want root:odpswatch 640"
[ -L /etc/systemd/system/multi-user.target.wants/odpswatch.service ] || fail "the unit is not enabled"
if [ -d /run/systemd/system ] && systemctl is-active --quiet odpswatch.service; then
	fail "the unit was started on install"
fi
man -w odpswatch >/dev/null || fail "man finds no odpswatch page"
bash -c 'source /usr/share/bash-completion/completions/odpswatch && complete -p odpswatch' >/dev/null || fail "bash completion"

# An administrator's config and the state survive an upgrade and removal.
echo "# edited by the administrator" >> /etc/odpswatch/odpswatch.yaml
touch /var/lib/odpswatch/positions.json
echo "--- dpkg -i again (an upgrade to the same version)"
dpkg -i --force-confold "$deb"
grep -q "edited by the administrator" /etc/odpswatch/odpswatch.yaml || fail "the upgrade replaced the config"
echo "--- dpkg -r"
dpkg -r odpswatch
[ ! -e /usr/bin/odpswatch ] || fail "dpkg -r left the binary"
grep -q "edited by the administrator" /etc/odpswatch/odpswatch.yaml || fail "dpkg -r removed the config"
[ -e /var/lib/odpswatch/positions.json ] || fail "dpkg -r removed the state"
# Found by review: postinst failed when the administrator had deleted the
# config (dpkg does not bring a deleted conffile back).
echo "--- the config deleted, then dpkg -i"
rm /etc/odpswatch/odpswatch.yaml
dpkg -i "$deb" || fail "dpkg -i with the config deleted failed"
[ ! -e /etc/odpswatch/odpswatch.yaml ] || fail "the deleted config came back"
echo "--- dpkg -P"
dpkg -P odpswatch
[ ! -e /etc/odpswatch ] || fail "dpkg -P left /etc/odpswatch"
[ ! -e /var/lib/odpswatch ] || fail "dpkg -P left /var/lib/odpswatch"
[ ! -e /etc/systemd/system/multi-user.target.wants/odpswatch.service ] || fail "dpkg -P left the unit enabled"
trap - EXIT
echo "package-check: the .deb installs, upgrades, removes and purges as it should"
