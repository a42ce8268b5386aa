#!/usr/bin/env bash
# rotation.sh: the rotation workloads against odpswatch's file source and
# against github.com/nxadm/tail (bench/nxtail), in the same run; prints the
# ROTATION lines that bench/rotation.md's table comes from. The baseline is
# a test built only with -tags baseline: it measures another program, so it
# is not part of the suite.
#
#   bash bench/rotation.sh             (or: make bench-rotation)
set -euo pipefail
cd "$(dirname "$0")/.."
go test -tags baseline -count=1 -v -run 'TestRotationUnderLoad|TestNxadmTailBaseline' ./internal/filesource/ |
	grep ROTATION
