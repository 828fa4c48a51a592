#!/usr/bin/env bash
# Starts the test servers on loopback, on fixed non-default ports:
#   Redis primary 127.0.0.1:16379, Redis replica 127.0.0.1:16380 (replicaof the primary),
#   memcached 127.0.0.1:21211 and 127.0.0.1:21212,
#   PostgreSQL 127.0.0.1:15432 and MariaDB 127.0.0.1:13306 (Django's db and cached_db engines).
# The ports can be moved with REDIS_PORT, REDIS_REPLICA_PORT, MEMCACHED_PORT, MEMCACHED2_PORT,
# POSTGRES_PORT and MYSQL_PORT.
# Installs redis-server, memcached, postgresql and mariadb-server from Debian's packages when
# missing, without letting apt start Debian's own instances. PostgreSQL and MariaDB keep their data
# in .run/postgres and .run/mariadb (made on the first run, reused afterwards) and their unix
# sockets in .run/; as root, PostgreSQL runs as the `postgres` system user. Both get a role
# `djangobridge` (password `djangobridge`; PostgreSQL: LOGIN CREATEDB; MariaDB: all privileges on
# the databases `djangobridge%`, which it may create) and a database `djangobridge`.
# Writes each PID to .run/<name>.pid; scripts/servers-stop.sh stops exactly those PIDs. Prints the
# environment the Go live tests read (also written to .run/servers.env).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$PWD/.run"
mkdir -p "$RUN"

pg_bin() { # the newest installed PostgreSQL server's bin directory, or nothing
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/postgres" ]; then echo "$d"; fi
}
mariadbd_bin() { # the MariaDB server binary, or nothing
  local b
  for b in mariadbd /usr/sbin/mariadbd mysqld /usr/sbin/mysqld; do
    if command -v "$b" 2>/dev/null; then return 0; fi
  done
}

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v memcached >/dev/null || need+=(memcached)
[ -n "$(pg_bin)" ] || need+=(postgresql)
[ -n "$(mariadbd_bin)" ] || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "servers: installing ${need[*]}" >&2
  # Debian's maintainer scripts would start their own PostgreSQL (5432) and MariaDB (3306): a
  # policy-rc.d answering 101 tells invoke-rc.d to start nothing during the install.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  if [ -n "$policy" ]; then
    rm -f "$policy"
    trap - EXIT
  fi
fi

REDIS_PORT=${REDIS_PORT:-16379}
REDIS_REPLICA_PORT=${REDIS_REPLICA_PORT:-16380}
MEMCACHED_PORT=${MEMCACHED_PORT:-21211}
MEMCACHED2_PORT=${MEMCACHED2_PORT:-21212}
POSTGRES_PORT=${POSTGRES_PORT:-15432}
MYSQL_PORT=${MYSQL_PORT:-13306}

# A PID file names a live server only if that process is one of ours (after a reboot the PID may
# belong to something else).
is_server() { # pid
  case "$(cat "/proc/$1/comm" 2>/dev/null)" in
    redis-server | memcached | postgres | mariadbd | mysqld) return 0 ;;
  esac
  return 1
}
alive() { [ -f "$RUN/$1.pid" ] && is_server "$(cat "$RUN/$1.pid")"; }

start_redis() { # name port [replicaof-port]
  local name=$1 port=$2 extra=()
  alive "$name" && return 0
  [ $# -ge 3 ] && extra=(--replicaof 127.0.0.1 "$3")
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "$RUN" --dbfilename "$name.rdb" --logfile "$RUN/$name.log" \
    --daemonize no --repl-diskless-sync-delay 0 "${extra[@]}" >/dev/null 2>&1 &
  echo $! >"$RUN/$name.pid"
}
start_memcached() { # name port
  local name=$1 port=$2
  alive "$name" && return 0
  memcached -l 127.0.0.1 -p "$port" -U 0 -m 256 -u root >"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# PostgreSQL refuses to run as root. As root it runs as the `postgres` system user, which must
# own its data and socket directories and be able to reach them; when it cannot reach .run/ (a
# checkout under /root, mode 700), they live in /var/tmp/djangobridge-<hash of this checkout>/ and
# .run/postgres and .run/postgres.sock are symlinks to them.
PG_BIN=$(pg_bin)
PG_DATA="$RUN/postgres"
PG_SOCK="$RUN/postgres.sock"
as_pg() { # run as postgres, from / (the checkout's directory may be closed to that user)
  if [ "$(id -u)" = 0 ]; then (cd / && exec runuser -u postgres -- "$@"); else "$@"; fi
}
start_postgres() { # port
  local port=$1 pid launcher
  if [ "$(id -u)" = 0 ] && [ ! -L "$PG_DATA" ] && ! runuser -u postgres -- test -x "$RUN"; then
    local alt
    alt="/var/tmp/djangobridge-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)"
    mkdir -p "$alt/postgres" "$alt/postgres.sock"
    rm -rf "$PG_DATA" "$PG_SOCK"
    ln -s "$alt/postgres" "$PG_DATA"
    ln -s "$alt/postgres.sock" "$PG_SOCK"
  fi
  [ -L "$PG_DATA" ] && PG_DATA=$(readlink -f "$PG_DATA")
  [ -L "$PG_SOCK" ] && PG_SOCK=$(readlink -f "$PG_SOCK")
  alive postgres && return 0
  mkdir -p "$PG_DATA" "$PG_SOCK"
  if [ -s "$PG_DATA/postmaster.pid" ]; then
    pid=$(head -n 1 "$PG_DATA/postmaster.pid")
    if is_server "$pid"; then # running, its PID file lost: adopt it
      echo "$pid" >"$RUN/postgres.pid"
      return 0
    fi
    rm -f "$PG_DATA/postmaster.pid" # stale (a kill -9 or a reboot)
  fi
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DATA" "$PG_SOCK"; fi
  chmod 700 "$PG_DATA"
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --locale=C \
      --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$RUN/postgres.init.log" 2>&1 ||
      { echo "servers: initdb failed; see $RUN/postgres.init.log" >&2; return 1; }
  fi
  # Loopback only, the socket in .run/, no durability (test data).
  as_pg "$PG_BIN/postgres" -D "$PG_DATA" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$PG_SOCK" -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=200 >"$RUN/postgres.log" 2>&1 &
  launcher=$!
  # The PID kept is the postmaster's own (runuser stays in between as its parent).
  for _ in $(seq 1 300); do
    if [ -s "$PG_DATA/postmaster.pid" ]; then
      pid=$(head -n 1 "$PG_DATA/postmaster.pid")
      if is_server "$pid"; then
        echo "$pid" >"$RUN/postgres.pid"
        return 0
      fi
    fi
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  echo "servers: PostgreSQL did not start; see $RUN/postgres.log" >&2
  return 1
}

MARIADB_SOCK="$RUN/mariadb.sock"
mariadb_sql() {
  "$(command -v mariadb || command -v mysql)" --no-defaults --protocol=socket \
    --socket="$MARIADB_SOCK" -uroot "$@"
}
start_mariadb() { # port
  local port=$1 data="$RUN/mariadb" user=()
  [ "$(id -u)" = 0 ] && user=(--user=root)
  alive mariadb && return 0
  if [ ! -d "$data/mysql" ]; then
    rm -rf "$data"
    "$(command -v mariadb-install-db || command -v mysql_install_db)" --no-defaults \
      --datadir="$data" "${user[@]}" --auth-root-authentication-method=socket \
      --skip-test-db >"$RUN/mariadb.init.log" 2>&1 ||
      { echo "servers: mariadb-install-db failed; see $RUN/mariadb.init.log" >&2; return 1; }
  fi
  "$(mariadbd_bin)" --no-defaults --datadir="$data" "${user[@]}" --bind-address=127.0.0.1 \
    --port="$port" --socket="$MARIADB_SOCK" --pid-file="$RUN/mariadb.server.pid" \
    --log-error="$RUN/mariadb.log" --skip-name-resolve --skip-log-bin \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=128M \
    --max-connections=200 >/dev/null 2>&1 &
  echo $! >"$RUN/mariadb.pid"
}

start_redis redis "$REDIS_PORT"
start_redis redis-replica "$REDIS_REPLICA_PORT" "$REDIS_PORT"
start_memcached memcached1 "$MEMCACHED_PORT"
start_memcached memcached2 "$MEMCACHED2_PORT"
start_postgres "$POSTGRES_PORT"
start_mariadb "$MYSQL_PORT"

# Wait until every server answers (at most 10 s each; 30 s for the databases).
wait_port() { # port probe expected
  local port=$1 probe=$2 want=$3 out
  for _ in $(seq 1 100); do
    out=$( (exec 3<>/dev/tcp/127.0.0.1/"$port" && printf '%b' "$probe" >&3 && timeout 1 head -n 1 <&3) 2>/dev/null || true)
    case "$out" in *"$want"*) return 0 ;; esac
    sleep 0.1
  done
  echo "servers: nothing answers on 127.0.0.1:$port; see $RUN/*.log" >&2
  return 1
}
wait_port "$REDIS_PORT" 'PING\r\n' PONG
wait_port "$REDIS_REPLICA_PORT" 'PING\r\n' PONG
wait_port "$MEMCACHED_PORT" 'version\r\n' VERSION
wait_port "$MEMCACHED2_PORT" 'version\r\n' VERSION
for _ in $(seq 1 300); do
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" && break
  sleep 0.1
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" ||
  { echo "servers: PostgreSQL does not answer on 127.0.0.1:$POSTGRES_PORT; see $RUN/postgres.log" >&2; exit 1; }
for _ in $(seq 1 300); do
  mariadb_sql -e 'SELECT 1' >/dev/null 2>&1 && break
  alive mariadb || break
  sleep 0.1
done
mariadb_sql -e 'SELECT 1' >/dev/null 2>&1 ||
  { echo "servers: MariaDB does not answer on $MARIADB_SOCK; see $RUN/mariadb.log" >&2; exit 1; }

# The role and database the tests use, over the unix sockets (PostgreSQL's superuser by peer
# auth, MariaDB's root by unix_socket auth). Idempotent, so a rerun on existing data is fast.
as_pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$POSTGRES_PORT" -U postgres -d postgres \
  -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
SELECT 'CREATE ROLE djangobridge' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'djangobridge')
\gexec
ALTER ROLE djangobridge LOGIN CREATEDB PASSWORD 'djangobridge';
SELECT 'CREATE DATABASE djangobridge OWNER djangobridge' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'djangobridge')
\gexec
SQL
mariadb_sql <<'SQL'
CREATE USER IF NOT EXISTS 'djangobridge'@'127.0.0.1' IDENTIFIED BY 'djangobridge';
CREATE USER IF NOT EXISTS 'djangobridge'@'localhost' IDENTIFIED BY 'djangobridge';
GRANT ALL PRIVILEGES ON `djangobridge%`.* TO 'djangobridge'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `djangobridge%`.* TO 'djangobridge'@'localhost';
CREATE DATABASE IF NOT EXISTS djangobridge CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
# Both answer the tests' role over TCP.
PGPASSWORD=djangobridge "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U djangobridge \
  -d djangobridge -qAt -c 'SELECT 1' >/dev/null ||
  { echo "servers: PostgreSQL refuses djangobridge on 127.0.0.1:$POSTGRES_PORT" >&2; exit 1; }
MYSQL_PWD=djangobridge "$(command -v mariadb || command -v mysql)" --no-defaults --protocol=tcp \
  -h 127.0.0.1 -P "$MYSQL_PORT" -u djangobridge -D djangobridge -e 'SELECT 1' >/dev/null ||
  { echo "servers: MariaDB refuses djangobridge on 127.0.0.1:$MYSQL_PORT" >&2; exit 1; }

# The replica must have finished its first sync before tests read from it.
for _ in $(seq 1 100); do
  if redis-cli -p "$REDIS_REPLICA_PORT" info replication 2>/dev/null | grep -q 'master_link_status:up'; then break; fi
  sleep 0.1
done

cat >"$RUN/servers.env" <<ENV
export DJANGOBRIDGE_REDIS=127.0.0.1:$REDIS_PORT
export DJANGOBRIDGE_REDIS_REPLICA=127.0.0.1:$REDIS_REPLICA_PORT
export DJANGOBRIDGE_MEMCACHED=127.0.0.1:$MEMCACHED_PORT,127.0.0.1:$MEMCACHED2_PORT
export DJANGOBRIDGE_POSTGRES=postgres://djangobridge:djangobridge@127.0.0.1:$POSTGRES_PORT/djangobridge
export DJANGOBRIDGE_MYSQL=mysql://djangobridge:djangobridge@127.0.0.1:$MYSQL_PORT/djangobridge
ENV
cat "$RUN/servers.env"
