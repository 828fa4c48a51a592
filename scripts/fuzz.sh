#!/usr/bin/env bash
# Runs every fuzz target of the module (every `func Fuzz...` in a _test.go file, found with
# `go test -list`) for a bounded time each: scripts/fuzz.sh [SECONDS] (default 10).
# A failure stops the script with the failing input written under the package's
# testdata/fuzz/<Name>/ (commit it: it becomes a seed). Prints one line per target:
#   fuzz <package> <Name> <seconds>s execs=<n> ok
# Longer runs of one target: go test -run '^$' -fuzz '^FuzzPickleDecode$' -fuzztime 10m ./djangosession/
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
case "$secs" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac

pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./compat_test/.venvs/' | xargs -n1 dirname | sort -u)
total=0
for dir in $pkgs; do
  for name in $(go test -list '^Fuzz' "$dir" | grep '^Fuzz' || true); do
    log=$(mktemp)
    if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$dir" >"$log" 2>&1; then
      cat "$log"; rm -f "$log"
      echo "fuzz $dir $name FAILED (the input is saved under $dir/testdata/fuzz/$name/)" >&2
      exit 1
    fi
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    rm -f "$log"
    echo "fuzz $dir $name ${secs}s execs=$execs ok"
    total=$((total + 1))
  done
done
echo "fuzz: $total targets, ${secs}s each, no failure"
