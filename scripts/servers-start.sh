#!/usr/bin/env bash
# Starts the test servers on loopback, on fixed non-default ports:
#   Redis primary 127.0.0.1:16379, Redis replica 127.0.0.1:16380 (replicaof the primary),
#   memcached 127.0.0.1:21211 and 127.0.0.1:21212.
# Installs redis-server and memcached from Debian's packages when missing. Writes each PID to
# .run/<name>.pid; scripts/servers-stop.sh stops exactly those PIDs. Prints the environment the
# Go live tests read (also written to .run/servers.env).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$PWD/.run"
mkdir -p "$RUN"

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v memcached >/dev/null || need+=(memcached)
if [ ${#need[@]} -gt 0 ]; then
  echo "servers: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

REDIS_PORT=${REDIS_PORT:-16379}
REDIS_REPLICA_PORT=${REDIS_REPLICA_PORT:-16380}
MEMCACHED_PORT=${MEMCACHED_PORT:-21211}
MEMCACHED2_PORT=${MEMCACHED2_PORT:-21212}

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

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

start_redis redis "$REDIS_PORT"
start_redis redis-replica "$REDIS_REPLICA_PORT" "$REDIS_PORT"
start_memcached memcached1 "$MEMCACHED_PORT"
start_memcached memcached2 "$MEMCACHED2_PORT"

# Wait until every server answers (at most 10 s each).
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
# The replica must have finished its first sync before tests read from it.
for _ in $(seq 1 100); do
  if redis-cli -p "$REDIS_REPLICA_PORT" info replication 2>/dev/null | grep -q 'master_link_status:up'; then break; fi
  sleep 0.1
done

cat >"$RUN/servers.env" <<ENV
export DJANGOBRIDGE_REDIS=127.0.0.1:$REDIS_PORT
export DJANGOBRIDGE_REDIS_REPLICA=127.0.0.1:$REDIS_REPLICA_PORT
export DJANGOBRIDGE_MEMCACHED=127.0.0.1:$MEMCACHED_PORT,127.0.0.1:$MEMCACHED2_PORT
ENV
cat "$RUN/servers.env"
