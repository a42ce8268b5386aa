#!/usr/bin/env bash
# release-check: are release builds reproducible? Builds `make release`
# twice, from two clones of HEAD in different directories, each with a
# build cache of its own (so that nothing is reused), and compares the
# binaries byte for byte. Exit 0 when they are the same, 1 when they are
# not (the differing files are named), 2 when something is missing.
set -euo pipefail

root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
command -v go >/dev/null || { echo "release-check: go is not installed" >&2; exit 2; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

platforms=${PLATFORMS:-linux/amd64 linux/arm64}
for n in a b; do
  git clone -q "$root" "$work/src-$n"
  # A different path each time, and an empty build cache.
  (cd "$work/src-$n" && GOCACHE="$work/cache-$n" GOFLAGS=-modcacherw \
     make -s release PLATFORMS="$platforms" DIST="$work/dist-$n" >/dev/null)
done
if ! diff -r "$work/dist-a" "$work/dist-b"; then
  echo "release-check: two builds of $(git -C "$root" rev-parse --short HEAD) differ" >&2
  exit 1
fi
# The stamp: the version command names the commit the binary was built from.
bin=$(ls "$work/dist-a"/odpswatch-*-linux-amd64 2>/dev/null | head -1)
if [ -n "$bin" ] && [ "$(uname -m)" = x86_64 ]; then
  rev=$(git -C "$root" rev-parse HEAD)
  "$bin" version | grep -q "revision $rev" || { echo "release-check: $bin version does not name $rev: $("$bin" version)" >&2; exit 1; }
fi
echo "release-check: two builds of $(git -C "$root" rev-parse --short HEAD) are the same:"
cat "$work/dist-a/SHA256SUMS"
