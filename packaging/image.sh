#!/usr/bin/env bash
# Builds the sidecar image (packaging/Containerfile) with buildah, offline,
# for this machine's architecture, as odpswatch:$VERSION, and checks it:
# the binary runs (from the mounted image: no container runtime needed),
# the config in it is valid, it runs as a non-root user, it holds nothing
# else. Storage is vfs, which works inside an unprivileged container too.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
tag=odpswatch:${version}
bah() { buildah --storage-driver vfs "$@"; }
fail() { echo "image: $*" >&2; exit 1; }
command -v buildah >/dev/null || fail "buildah not found: install Debian's buildah"

ctx=$(mktemp -d)
ctr=
cleanup() {
	[ -z "$ctr" ] || { bah umount "$ctr" >/dev/null 2>&1 || true; bah rm "$ctr" >/dev/null 2>&1 || true; }
	rm -rf "$ctx"
}
trap cleanup EXIT
CGO_ENABLED=0 "$go" build -trimpath -buildvcs=false \
	-ldflags "-s -w -buildid= -X main.version=$version -X main.commit=$(git rev-parse HEAD) -X main.date=$(git log -1 --format=%cI)" \
	-o "$ctx/odpswatch" ./cmd/odpswatch
cp configs/sidecar.yaml "$ctx/sidecar.yaml"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt" || fail "no /etc/ssl/certs/ca-certificates.crt: install Debian's ca-certificates"
bah bud --quiet -f packaging/Containerfile -t "$tag" "$ctx" >/dev/null

echo "--- checking $tag"
[ "$(bah inspect --format '{{.OCIv1.Config.User}}' "$tag")" = 65532:65532 ] || fail "not run as 65532:65532"
[ "$(bah inspect --format '{{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Cmd}}' "$tag")" = \
	'[/usr/bin/odpswatch] [run --config.file=/etc/odpswatch/odpswatch.yaml]' ] || fail "entrypoint or command"
ctr=$(bah from "$tag")
mnt=$(bah mount "$ctr")
files=$(cd "$mnt" && find . -type f | sort | tr '\n' ' ')
[ "$files" = "./etc/odpswatch/odpswatch.yaml ./etc/ssl/certs/ca-certificates.crt ./usr/bin/odpswatch " ] || fail "the image holds: $files"
"$mnt/usr/bin/odpswatch" version
"$mnt/usr/bin/odpswatch" check-config "$mnt/etc/odpswatch/odpswatch.yaml"
echo "image: $tag built and checked (image $(bah images --quiet "$tag"))"
