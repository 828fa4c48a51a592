#!/usr/bin/env bash
# Regenerates auth/testdata/hashers/django-<id>.json (password-hasher vectors) with each
# Django venv made by setup.sh (or the ids given as arguments). Needs no servers.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENVS="${DJANGOBRIDGE_VENVS:-$HERE/.venvs}"
ids=("$@")
[ ${#ids[@]} -eq 0 ] && ids=(3.2 4.2 5.2 6.0 6.1)
for id in "${ids[@]}"; do
  py="$VENVS/django-$id/bin/python"
  [ -x "$py" ] || { echo "gen_hashers: $py missing; run compat_test/setup.sh" >&2; exit 1; }
  PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$py" "$HERE/gen_hashers.py" "$HERE/../auth/testdata/hashers"
done
