#!/usr/bin/env bash
# Stops exactly the servers scripts/servers-start.sh started (the PIDs in .run/*.pid): signals
# them all, then waits for each (up to 10 s, then SIGKILL). The data of PostgreSQL and MariaDB
# stays in .run/ for the next start; `rm -rf .run` forgets it.
set -u
cd "$(dirname "$0")/.."
names=(redis redis-replica memcached1 memcached2 postgres mariadb)
for name in "${names[@]}"; do
  f=.run/$name.pid
  [ -f "$f" ] || continue
  # PostgreSQL's SIGTERM waits for every client to disconnect; SIGINT is its fast shutdown.
  sig=TERM
  [ "$name" = postgres ] && sig=INT
  pid=$(cat "$f")
  # Only a process that is one of ours (after a reboot the PID may belong to something else).
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
    redis-server | memcached | postgres | mariadbd | mysqld) kill -s "$sig" "$pid" 2>/dev/null ;;
    *) rm -f "$f" ;;
  esac
done
for name in "${names[@]}"; do
  f=.run/$name.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
