#!/usr/bin/env bash
# Regenerates compat_test/fixtures/django-<id>/ for every supported Django version (or the ids
# given as arguments) by running gen_fixtures.py in each venv made by setup.sh. Versions run one
# after another: they share Redis db 1, which the generator flushes. Needs the test servers
# (scripts/servers-start.sh). Output is byte-identical from run to run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENVS="${DJANGOBRIDGE_VENVS:-$HERE/.venvs}"
ids=("$@")
[ ${#ids[@]} -eq 0 ] && ids=(3.2 4.2 5.2 6.0 6.1)
if [ -f "$HERE/../.run/servers.env" ] && [ -z "${DJANGOBRIDGE_REDIS:-}" ]; then
  # shellcheck disable=SC1091
  . "$HERE/../.run/servers.env"
fi
: "${DJANGOBRIDGE_REDIS:?start the servers with scripts/servers-start.sh and source .run/servers.env}"
: "${DJANGOBRIDGE_MEMCACHED:?start the servers with scripts/servers-start.sh and source .run/servers.env}"
for id in "${ids[@]}"; do
  py="$VENVS/django-$id/bin/python"
  [ -x "$py" ] || { echo "generate: $py missing; run compat_test/setup.sh" >&2; exit 1; }
  PYTHONHASHSEED=0 TZ=UTC PYTHONDONTWRITEBYTECODE=1 "$py" "$HERE/gen_fixtures.py"
done
