#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it: makes the per-Django virtualenvs
# (compat_test/setup.sh), starts Redis and memcached on loopback (scripts/servers-start.sh), runs
# every Go test with the race detector and the live tests on, across every Django version, then
# stops the servers it started. Extra arguments go to `go test` (e.g. -run TestX).
set -euo pipefail
cd "$(dirname "$0")/.."

bash compat_test/setup.sh
started_here=0
if [ ! -f .run/redis.pid ] || ! kill -0 "$(cat .run/redis.pid)" 2>/dev/null; then started_here=1; fi
eval "$(bash scripts/servers-start.sh)"
if [ "$started_here" = 1 ] && [ -z "${KEEP_SERVERS:-}" ]; then
  trap 'bash scripts/servers-stop.sh' EXIT
fi

export DJANGOBRIDGE_VENVS=${DJANGOBRIDGE_VENVS:-$PWD/compat_test/.venvs}
go test -race -count=1 -timeout 30m "$@" ./...
