#!/usr/bin/env bash
# Stops exactly the servers scripts/servers-start.sh started (the PIDs in .run/*.pid). The data
# of PostgreSQL and MariaDB stays in .run/ for the next start; `rm -rf .run` forgets it.
set -u
cd "$(dirname "$0")/.."
for name in redis redis-replica memcached1 memcached2 postgres mariadb; do
  f=.run/$name.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  # PostgreSQL's SIGTERM waits for every client to disconnect; SIGINT is its fast shutdown.
  sig=TERM
  [ "$name" = postgres ] && sig=INT
  if kill -0 "$pid" 2>/dev/null; then
    kill -s "$sig" "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
