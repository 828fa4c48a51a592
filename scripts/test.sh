#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it: makes the per-Django virtualenvs
# (compat_test/setup.sh), starts Redis, memcached, PostgreSQL and MariaDB on loopback
# (scripts/servers-start.sh), runs every Go test with the race detector and the live tests on,
# across every Django version, then stops the servers it started. The summary at the end counts tests per Django version and lists
# every skipped test; the last line is "N passed, N failed, N skipped".
#
#   scripts/test.sh                 # everything (what CI runs)
#   scripts/test.sh --short         # no servers, no Python: unit and fixture tests only; lists
#                                   # the live tests it left out
#   scripts/test.sh -run TestX      # extra arguments go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

summary() { python3 scripts/gotest-summary.py; }

# Fill the module cache first, so that on a cold cache go test has nothing to download (its
# "go: downloading ..." notes would otherwise come between the JSON lines).
if ! out=$(go mod download 2>&1); then
  printf '%s\n' "$out" >&2
  echo "test.sh: go mod download failed" >&2
  exit 1
fi

if [ "${1:-}" = "--short" ]; then
  shift
  go test -short -count=1 -json "$@" ./... 2>&1 | summary
  exit
fi

bash compat_test/setup.sh
started_here=0
if [ ! -f .run/redis.pid ] || ! kill -0 "$(cat .run/redis.pid)" 2>/dev/null; then started_here=1; fi
eval "$(bash scripts/servers-start.sh)"
if [ "$started_here" = 1 ] && [ -z "${KEEP_SERVERS:-}" ]; then
  trap 'bash scripts/servers-stop.sh' EXIT
fi

export DJANGOBRIDGE_VENVS=${DJANGOBRIDGE_VENVS:-$PWD/compat_test/.venvs}
# The allocation tests skip themselves under -race (sync.Pool drops items at random there), so
# they run once more without it; the summary counts their second result.
{
  go test -race -count=1 -timeout 30m -json "$@" ./... 2>&1 || echo "go test exited non-zero"
  go test -count=1 -json -run 'Allocs$' ./pickle/ ./pyjson/ ./djangosession/ 2>&1 || echo "go test exited non-zero"
} | summary
