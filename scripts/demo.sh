#!/usr/bin/env bash
# The quick-start demo: a Django app on its default settings and a Go service share one login
# over HTTP.
#
#   scripts/demo.sh                      # SESSION_ENGINE db on SQLite, CSRF in the csrftoken cookie
#   scripts/demo.sh --engine cached_db   # or cache (Redis), file, signed_cookies
#   scripts/demo.sh --csrf-use-sessions  # CSRF_USE_SESSIONS = True
#
# On a fresh machine it makes the Django 5.2 venv (compat_test/setup.sh 5.2; the first run takes
# a minute or two); for the cache and cached_db engines it also starts the test servers on
# loopback (scripts/servers-start.sh). Then it starts:
#   - the Django project of compat_test/djproject (Django 5.2, runserver on 127.0.0.1, a fresh
#     SQLite database with the user alice/wonderland, the chosen SESSION_ENGINE);
#   - the Go service of cmd/demo (djangosession middleware, auth, csrf, messages), reading the
#     same SQLite database (sessions and auth_user);
# and drives both over HTTP like a browser (cmd/demo drive): log in with Django's form, ask Go
# who is logged in, let Go store a value and flash a message, see them on Django's page, log out
# from Go, see Django treat the user as logged out. Every step is printed; the script exits
# non-zero if one fails, and stops everything it started (servers only if it started them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/djangobridge-demo.XXXXXX")
PIDS=()
STARTED_SERVERS=0

cleanup() {
  local code=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$STARTED_SERVERS" = 1 ]; then
    scripts/servers-stop.sh || true
  fi
  if [ "$code" != 0 ]; then
    for f in "$TMP"/*.log; do
      [ -f "$f" ] || continue
      echo "--- last lines of $(basename "$f"):" >&2
      tail -n 15 "$f" >&2
    done
  fi
  rm -rf "$TMP"
  exit "$code"
}
ENGINE=db
CSRF_USE_SESSIONS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) ENGINE=${2:?--engine needs db, cached_db, cache, file or signed_cookies}; shift 2 ;;
    --engine=*) ENGINE=${1#--engine=}; shift ;;
    --csrf-use-sessions) CSRF_USE_SESSIONS=1; shift ;;
    *) echo "demo: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$ENGINE" in db|cached_db|cache|file|signed_cookies) ;; *) echo "demo: --engine $ENGINE: want db, cached_db, cache, file or signed_cookies" >&2; exit 2 ;; esac

trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*"; }

if [ -z "${DJANGOBRIDGE_SKIP_SETUP:-}" ]; then
  say "Django 5.2 venv (compat_test/setup.sh 5.2)"
  timeout 1800 bash compat_test/setup.sh 5.2
fi
PY="${DJANGOBRIDGE_VENVS:-$ROOT/compat_test/.venvs}/django-5.2/bin/python"
[ -x "$PY" ] || { echo "demo: $PY missing after compat_test/setup.sh" >&2; exit 1; }

if [ "$ENGINE" != cache ] && [ "$ENGINE" != cached_db ]; then
  say "SESSION_ENGINE $ENGINE: no server needed"
elif [ -n "${DJANGOBRIDGE_REDIS:-}" ] && [ -n "${DJANGOBRIDGE_SKIP_SETUP:-}" ]; then
  # docker-compose: the servers are the stack's own services.
  say "Redis at $DJANGOBRIDGE_REDIS (given by the environment)"
else
  say "Redis, memcached, PostgreSQL and MariaDB on loopback (scripts/servers-start.sh)"
  if ! { [ -f .run/redis.pid ] && kill -0 "$(cat .run/redis.pid)" 2>/dev/null; }; then
    STARTED_SERVERS=1
  fi
  timeout 300 scripts/servers-start.sh
  # shellcheck disable=SC1091
  source .run/servers.env
fi

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
DJANGO_PORT=$(free_port)
GO_PORT=$(free_port)
SECRET="demo-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
export DJANGO_SETTINGS_MODULE=djproject.settings
export DJANGOBRIDGE_SECRET_KEY="$SECRET"
export DJANGOBRIDGE_SESSION_ENGINE=$ENGINE
export DJANGOBRIDGE_SESSION_CACHE_ALIAS=redis
export DJANGOBRIDGE_CSRF_USE_SESSIONS=$CSRF_USE_SESSIONS
export DJANGOBRIDGE_MESSAGE_STORAGE=fallback # Django's default MESSAGE_STORAGE
export DJANGOBRIDGE_REDIS_DB=3
export DJANGOBRIDGE_SESSION_FILE_PATH="$TMP/sessions"
mkdir -p "$DJANGOBRIDGE_SESSION_FILE_PATH"
export DJANGOBRIDGE_SQLITE="$TMP/db.sqlite3"
MANAGE=(timeout 120 "$PY" compat_test/djproject/manage.py)

say "Django 5.2 (SESSION_ENGINE $ENGINE, CSRF_USE_SESSIONS=$CSRF_USE_SESSIONS): migrate (seeds alice) and runserver on 127.0.0.1:$DJANGO_PORT"
"${MANAGE[@]}" migrate -v 0
"$PY" compat_test/djproject/manage.py runserver "127.0.0.1:$DJANGO_PORT" --noreload >"$TMP/django.log" 2>&1 &
PIDS+=($!)

say "Go service (cmd/demo serve) on 127.0.0.1:$GO_PORT"
timeout 600 go build -o "$TMP/demo" ./cmd/demo
GO_ARGS=(-listen "127.0.0.1:$GO_PORT" -engine "$ENGINE" -db "$DJANGOBRIDGE_SQLITE" -django-version 5.2
  -file-path "$DJANGOBRIDGE_SESSION_FILE_PATH")
[ "$CSRF_USE_SESSIONS" = 1 ] && GO_ARGS+=(-csrf-use-sessions)
case "$ENGINE" in cache|cached_db) GO_ARGS+=(-redis "redis://$DJANGOBRIDGE_REDIS/3") ;; esac
DJANGO_SECRET_KEY="$SECRET" "$TMP/demo" serve "${GO_ARGS[@]}" 2>"$TMP/go.log" &
PIDS+=($!)

wait_http() { # name port
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "demo: $1 does not answer on 127.0.0.1:$2" >&2
  return 1
}
wait_http Django "$DJANGO_PORT"
wait_http "the Go service" "$GO_PORT"

say "Driving both over HTTP (cmd/demo drive)"
timeout 60 "$TMP/demo" drive -django "http://127.0.0.1:$DJANGO_PORT" -go "http://127.0.0.1:$GO_PORT" \
  -username alice -password wonderland -engine "$ENGINE"
