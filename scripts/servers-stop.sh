#!/usr/bin/env bash
# Stops exactly the servers scripts/servers-start.sh started (the PIDs in .run/*.pid).
set -u
cd "$(dirname "$0")/.."
for f in .run/redis.pid .run/redis-replica.pid .run/memcached1.pid .run/memcached2.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
