#!/usr/bin/env bash
# Creates one virtualenv per supported Django version (compat_test/FORMAT.md), or for the ids
# given as arguments (compat_test/setup.sh 5.2):
#   $DJANGOBRIDGE_VENVS/django-<id>   (default: compat_test/.venvs/django-<id>)
# with the pinned pyenv interpreter, installing compat_test/requirements/django-<id>.txt.
# Idempotent: a venv whose stamp matches its interpreter and requirements file is left alone,
# so a rerun with nothing changed takes well under a second. Quiet unless something is done.
# Installs Debian's build dependencies when missing: libmemcached-dev and zlib1g-dev (pylibmc
# compiles against them), libmariadb-dev, pkg-config and gcc (mysqlclient compiles against
# MariaDB's client library, found through pkg-config). The PostgreSQL drivers are binary wheels.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENVS="${DJANGOBRIDGE_VENVS:-$HERE/.venvs}"
mkdir -p "$VENVS"

# id python (must match the table in FORMAT.md)
VERSIONS=(
  "3.2 3.10.13"
  "4.2 3.11.7"
  "5.2 3.12.1"
  "6.0 3.13.0"
  "6.1 3.13.0"
)

if command -v pyenv >/dev/null 2>&1; then
  PYENV_ROOT_DIR="$(pyenv root)"
else
  PYENV_ROOT_DIR="${PYENV_ROOT:-/root/.pyenv}"
fi

stamp_of() { # id python -> the stamp text a finished venv carries
  printf 'python=%s\n' "$2"
  sha256sum "$HERE/requirements/django-$1.txt" | cut -d' ' -f1
}

# Arguments, if any, name the ids to set up (e.g. `setup.sh 5.2` for the demo); default: all.
wanted=("$@")
for w in "${wanted[@]}"; do
  printf '%s\n' "${VERSIONS[@]}" | grep -q "^$w " || { echo "setup: unknown Django id $w" >&2; exit 2; }
done

pending=()
for entry in "${VERSIONS[@]}"; do
  read -r id py <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$id"; then
    continue
  fi
  dir="$VENVS/django-$id"
  if [ -f "$dir/.djangobridge-stamp" ] && [ -x "$dir/bin/python" ] &&
    [ "$(cat "$dir/.djangobridge-stamp")" = "$(stamp_of "$id" "$py")" ]; then
    continue
  fi
  pending+=("$entry")
done
[ ${#pending[@]} -eq 0 ] && exit 0

# pylibmc builds from source against libmemcached, mysqlclient against libmariadb (pkg-config).
missing=()
for pkg in libmemcached-dev zlib1g-dev libmariadb-dev pkg-config gcc; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build() { # id python
  local id=$1 py=$2 dir="$VENVS/django-$1" log="$VENVS/django-$1.setup.log"
  local interp="$PYENV_ROOT_DIR/versions/$py/bin/python"
  if [ ! -x "$interp" ]; then
    echo "setup: $interp not found (install it with: pyenv install $py)" >&2
    return 1
  fi
  rm -rf "$dir"
  "$interp" -m venv "$dir"
  if ! "$dir/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -r "$HERE/requirements/django-$id.txt" >"$log" 2>&1; then
    echo "setup: pip install for django-$id failed; see $log" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  stamp_of "$id" "$py" >"$dir/.djangobridge-stamp"
  rm -f "$log"
  echo "setup: django-$id ready ($dir)" >&2
}

# Two at a time: the machine has 2 cores and is shared.
pids=()
fail=0
for entry in "${pending[@]}"; do
  read -r id py <<<"$entry"
  build "$id" "$py" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || fail=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
