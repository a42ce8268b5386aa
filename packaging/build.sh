#!/usr/bin/env bash
# Builds odpswatch's .deb and .rpm packages for each platform of PLATFORMS
# into DIST (make package): stages the binary (static, as make release
# builds it), the unit with the package's path, the manual page and the
# completions made by the binary itself, the copyright and changelog, and
# the maintainer scripts, then runs nfpm (a tool of go.mod) on
# packaging/nfpm.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."

dist=${DIST:-dist}
platforms=${PLATFORMS:-linux/amd64 linux/arm64}
go=${GO:-go}
# The package's version: the tag's (v1.2.3 -> 1.2.3); else, after a tag,
# a development version that sorts after it (1.2.3+git20261206214001.c0b2388);
# before any tag, one that sorts before the first release
# (0.1.0~git20261206214001.c0b2388). The commit's time orders builds of a day.
stamp=git$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD)
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
	pkgversion=${tag#v}
elif tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
	pkgversion=${tag#v}+$stamp
else
	pkgversion=0.1.0~$stamp
fi
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$(git rev-parse HEAD) -X main.date=$(git log -1 --format=%cI)"
# Packaged files get the commit's time: two builds of a commit make the
# same packages.
export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)

mkdir -p "$dist"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# What does not depend on the platform, made by a binary for this machine.
CGO_ENABLED=0 "$go" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$stage/host-odpswatch" ./cmd/odpswatch
"$stage/host-odpswatch" man | gzip -9n > "$stage/odpswatch.1.gz"
"$stage/host-odpswatch" completion bash > "$stage/odpswatch.bash"
"$stage/host-odpswatch" completion zsh > "$stage/_odpswatch"
sed -e 's|/usr/local/bin/odpswatch|/usr/bin/odpswatch|g' \
	-e 's|scripts/install.sh overwrites it on upgrade|the package replaces it on upgrade|' \
	systemd/odpswatch.service > "$stage/odpswatch.service"
if grep -q /usr/local "$stage/odpswatch.service"; then
	echo "build.sh: the packaged unit still names /usr/local" >&2
	exit 1
fi
cat > "$stage/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: odpswatch
Source: https://github.com/odpswatch/odpswatch

Files: *
Copyright: 2026 odpswatch developers
License: Apache-2.0

License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in the file /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
gzip -9n < CHANGELOG.md > "$stage/changelog.gz"
# Debian's changelog of the package, one entry: the upstream one says what
# changed.
cat <<DEBCHANGELOG | gzip -9n > "$stage/changelog.Debian.gz"
odpswatch ($pkgversion-1) unstable; urgency=medium

  * Packaged from commit $(git rev-parse --short=12 HEAD); what changed is in
    /usr/share/doc/odpswatch/changelog.gz.

 -- odpswatch developers <odpswatch@users.noreply.github.com>  $(git log -1 --format=%cD)
DEBCHANGELOG
mkdir -p "$stage/deb" "$stage/rpm"
{ echo '#!/bin/sh'; cat packaging/users.sh; cat packaging/deb/postinst; } > "$stage/deb/postinst"
{ cat packaging/users.sh; cat packaging/rpm/post; } > "$stage/rpm/post"

for p in $platforms; do
	arch=${p#*/}
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch "$go" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$stage/odpswatch" ./cmd/odpswatch
	for packager in deb rpm; do
		# nfpm expands no variable in contents: they are written in.
		sed -e "s|\${STAGE}|$stage|g" -e "s|\${ARCH}|$arch|g" -e "s|\${VERSION}|$pkgversion|g" packaging/nfpm.yaml > "$stage/nfpm.yaml"
		"$go" tool nfpm package --config "$stage/nfpm.yaml" --packager "$packager" --target "$dist/"
	done
done
ls -l "$dist"/*.deb "$dist"/*.rpm
