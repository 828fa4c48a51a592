#!/usr/bin/env bash
# One run that compares the Go library with Django on this machine, on the same data and the
# same servers, and prints one table of Go/Django ratios (median and spread of every figure):
#
#   codec       Go BenchmarkPickle*/SignedCookie*/SessionData* (djangosession) vs CPython's
#               pickle and Django's signing / SessionStore.encode/decode (bench/django_bench.py);
#               BenchmarkPickleAuthRead (DecodeLazy + the 3 auth keys) vs pickle.loads + 3 lookups;
#               BenchmarkSessionDataAuthRead (LoadsDetail with LazyJSONSerializer + 3 Object.Gets,
#               the db/file engines' lazy read) vs SessionStore.decode + 3 lookups
#   store       Go BenchmarkStore / BenchmarkRaw (bench/storebench: Store load, save, AtomicSave,
#               load+modify+save over RedisCache, django-redis, pymemcache, pylibmc formats, and
#               the client's raw GET/SET of the same bytes, at 1 and 32 goroutines) vs Django's
#               cache SessionStore over redis-py, django-redis, pymemcache and pylibmc; for issue
#               #17 also authload (Load + the 3 auth keys), atomicmodsave and GET+GET+SET
#   throughput  bench/throughput (1/8/32/128 goroutines, ops/s, p50/p99) vs redis-benchmark
#               GET/SET (same payload, same concurrency) and raw go-redis/gomemcache loops
#   memory      bench/memory: RSS of 100,000 decoded sessions (and CPython's), heap after N
#               and 10N load+save iterations
#   db          Go BenchmarkDBStore (bench/storebench: the db engine's Store.Load and Save, next to
#               the raw SELECT/UPDATE plus DecodeSessionData/EncodeSessionData on the same
#               *sql.DB) vs Django's db SessionStore, on the same SQLite file and the same
#               PostgreSQL database (djangobridge_bench on the test servers' PostgreSQL)
#
# Placement (2+ cores): "one" pins the benchmark and the servers to CPU 0; "split" pins the
# servers to CPU 1 and the benchmark to CPU 0. Go and Django are always measured in the same
# placement, one after the other. The servers are dedicated instances started (and stopped) by
# this script: Redis 127.0.0.1:26379 and memcached 127.0.0.1:31211 (BENCH_REDIS_PORT,
# BENCH_MEMCACHED_PORT); the test servers of scripts/servers-start.sh are started or reused for
# the packages they install, and left alone.
#
# Usage: bench/run.sh [--quick] [--only codec,store,throughput,memory,db] [--placements one,split]
#                     [--python PATH]
#   --quick   fewer rounds, shorter phases, only the "split" placement: about 2 minutes
#             instead of 12–18
# Results: bench/results/<UTC time>/ (raw go test output, JSON, report.md); the table is printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

quick=0
only=codec,store,throughput,memory,db
placements=""
py="${DJANGOBRIDGE_VENVS:-$repo/compat_test/.venvs}/django-5.2/bin/python"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only=$2; shift ;;
    --placements) placements=$2; shift ;;
    --python) py=$2; shift ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
has() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }

[ -x "$py" ] || { echo "bench/run.sh: no python at $py (run compat_test/setup.sh)" >&2; exit 1; }
fixture="$repo/compat_test/fixtures/django-5.2/cache-redis.json"
[ -f "$fixture" ] || { echo "bench/run.sh: no $fixture (run compat_test/generate.sh)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench/run.sh: taskset (util-linux) is needed" >&2; exit 1; }

ncpu=$(nproc)
if [ -z "$placements" ]; then
  if [ "$ncpu" -lt 2 ]; then placements=one
  elif [ $quick = 1 ]; then placements=split
  else placements=one,split; fi
fi

if [ $quick = 1 ]; then
  count=3; codec_time=0.1s; store_time=0.05s; db_time=0.1s; py_repeat=3; py_min=0.05
  tp_dur=0.4s; tp_conc=1,8,32,128; rb_scale=10; mem_n=5000; mem_redis_n=300
else
  count=5; codec_time=0.3s; store_time=0.1s; db_time=0.3s; py_repeat=6; py_min=0.2
  tp_dur=2s; tp_conc=1,8,32,128; rb_scale=1; mem_n=20000; mem_redis_n=1000
fi

out="$repo/bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
bin="$repo/bench/results/bin"
mkdir -p "$out" "$bin"
log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }
log "results in ${out#"$repo"/}"

# --- servers --------------------------------------------------------------------------------
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rport=${BENCH_REDIS_PORT:-26379}
mport=${BENCH_MEMCACHED_PORT:-31211}
export DJANGOBRIDGE_BENCH_REDIS=127.0.0.1:$rport DJANGOBRIDGE_BENCH_MEMCACHED=127.0.0.1:$mport
if has store || has throughput || has memory || has db; then
  log "test servers (scripts/servers-start.sh: installs redis-server/memcached/postgresql if missing)"
  scripts/servers-start.sh >/dev/null
  for port in "$rport" "$mport"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "bench/run.sh: 127.0.0.1:$port is taken; set BENCH_REDIS_PORT / BENCH_MEMCACHED_PORT" >&2
      exit 1
    fi
  done
  log "dedicated servers: redis 127.0.0.1:$rport, memcached 127.0.0.1:$mport"
  redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$out" \
    --logfile "$out/redis.log" --daemonize no >/dev/null 2>&1 &
  pids+=($!)
  memcached -l 127.0.0.1 -p "$mport" -U 0 -m 512 -u root >"$out/memcached.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$rport" ping >/dev/null
fi

if has db; then
  # The test servers' PostgreSQL, a database of the benchmark's own; a SQLite file of this run.
  # shellcheck disable=SC1091
  pg_base=$(. .run/servers.env && echo "$DJANGOBRIDGE_POSTGRES")
  export DJANGOBRIDGE_BENCH_POSTGRES="${pg_base%/*}/djangobridge_bench"
  export DJANGOBRIDGE_BENCH_SQLITE="$out/bench.sqlite3"
  "$py" - "$pg_base" <<'PY'
import sys
from urllib.parse import unquote, urlsplit
try:
    import psycopg
except ImportError:
    import psycopg2 as psycopg
u = urlsplit(sys.argv[1])
c = psycopg.connect(host=u.hostname, port=u.port, user=unquote(u.username), password=unquote(u.password or ""),
                    dbname=u.path.lstrip("/"))
c.autocommit = True
cur = c.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = 'djangobridge_bench'")
if cur.fetchone() is None:
    cur.execute("CREATE DATABASE djangobridge_bench")
c.close()
PY
fi

# --- build ----------------------------------------------------------------------------------
log "build"
go test -c -o "$bin/pickle.test" ./pickle/
go test -c -o "$bin/signing.test" ./signing/
go test -c -o "$bin/storebench.test" ./bench/storebench/
go build -o "$bin/throughput" ./bench/throughput
go build -o "$bin/memory" ./bench/memory
payload=$("$py" -c 'import base64,json,sys
print(len(base64.b64decode(next(c for c in json.load(open(sys.argv[1]))["cases"] if c["name"]=="typical" and c["engine"]=="cache")["pickle_b64"])))' "$fixture")

# --- machine --------------------------------------------------------------------------------
{
  echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc $ncpu"
  echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "go $(go version | cut -d' ' -f3-)"
  echo "redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
  echo "memcached $(memcached -V | cut -d' ' -f2)"
  echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "quick $quick"
  echo "payload $payload"
} >"$out/machine.txt"

# --- runs -----------------------------------------------------------------------------------
pin_servers() { for p in "${pids[@]}"; do taskset -a -p -c "$1" "$p" >/dev/null; done; }

for pl in ${placements//,/ }; do
  case $pl in
    one) ccpu=0; scpu=0 ;;
    split) ccpu=0; scpu=1 ;;
    *) echo "bench/run.sh: unknown placement $pl" >&2; exit 2 ;;
  esac
  [ "$scpu" -lt "$ncpu" ] || { echo "bench/run.sh: placement $pl needs 2 CPUs" >&2; exit 1; }
  pin_servers "$scpu"
  d="$out/$pl"
  mkdir -p "$d"
  printf 'client_cpu %s\nserver_cpu %s\nload_before %s\n' "$ccpu" "$scpu" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$d/placement.txt"
  pin() { taskset -c "$ccpu" "$@"; }

  if has codec; then
    log "[$pl] codec: Go"
    # The codec benchmarks live with their packages: pickle (Pickle*) and signing (the rest).
    { (cd pickle && pin "$bin/pickle.test" -test.run '^$' -test.bench '^BenchmarkPickle(Decode|Encode|AuthRead)$' \
        -test.benchmem -test.count "$count" -test.benchtime "$codec_time") &&
      (cd signing && pin "$bin/signing.test" -test.run '^$' \
        -test.bench '^Benchmark(SignedCookie(Dumps|Loads)|SessionData(Encode|Decode|AuthRead)|SigningParts)$' \
        -test.benchmem -test.count "$count" -test.benchtime "$codec_time"); } >"$d/go-codec.txt" ||
      echo "bench/run.sh: [$pl] Go codec benchmarks failed; see $d/go-codec.txt" >&2
    log "[$pl] codec: Django"
    pin "$py" bench/django_bench.py --only codec --repeat "$py_repeat" --min-time "$py_min" \
      --redis "$DJANGOBRIDGE_BENCH_REDIS" --memcached "$DJANGOBRIDGE_BENCH_MEMCACHED" >"$d/django-codec.json"
  fi
  if has store; then
    log "[$pl] store: Go"
    (cd bench/storebench && pin "$bin/storebench.test" -test.run '^$' -test.bench '^BenchmarkStore$' \
      -test.benchmem -test.count "$count" -test.benchtime "$store_time") >"$d/go-store.txt" ||
      echo "bench/run.sh: [$pl] Go store benchmarks failed; see $d/go-store.txt" >&2
    log "[$pl] store: Django"
    pin "$py" bench/django_bench.py --only store --repeat "$py_repeat" --min-time "$py_min" \
      --redis "$DJANGOBRIDGE_BENCH_REDIS" --memcached "$DJANGOBRIDGE_BENCH_MEMCACHED" >"$d/django-store.json"
  fi
  if has db; then
    log "[$pl] db: Go"
    (cd bench/storebench && pin "$bin/storebench.test" -test.run '^$' -test.bench '^BenchmarkDBStore$' \
      -test.benchmem -test.count "$count" -test.benchtime "$db_time") >"$d/go-db.txt" ||
      echo "bench/run.sh: [$pl] Go db benchmarks failed; see $d/go-db.txt" >&2
    log "[$pl] db: Django"
    pin "$py" bench/django_bench.py --only db --repeat "$py_repeat" --min-time "$py_min" \
      --db-url "sqlite://$DJANGOBRIDGE_BENCH_SQLITE" --db-label sqlite >"$d/django-db-sqlite.json"
    pin "$py" bench/django_bench.py --only db --repeat "$py_repeat" --min-time "$py_min" \
      --db-url "$DJANGOBRIDGE_BENCH_POSTGRES" --db-label postgres >"$d/django-db-postgres.json"
  fi
  if has throughput; then
    log "[$pl] throughput: library and raw clients, $tp_dur per phase"
    pin "$bin/throughput" -redis "$DJANGOBRIDGE_BENCH_REDIS" -memcached "$DJANGOBRIDGE_BENCH_MEMCACHED" \
      -conc "$tp_conc" -dur "$tp_dur" -json "$d/throughput.json"
    log "[$pl] throughput: redis-benchmark GET/SET, $payload-byte values"
    for c in ${tp_conc//,/ }; do
      case $c in 1) n=30000 ;; 8) n=100000 ;; *) n=200000 ;; esac
      n=$((n / rb_scale))
      # Bounded: on a busy machine a run that would take longer is cut (its CSV is then missing).
      pin timeout 60 redis-benchmark -h 127.0.0.1 -p "$rport" --dbnum 5 -c "$c" -n "$n" -d "$payload" \
        -t set,get --csv >"$d/redis-benchmark-c$c.csv" || echo "redis-benchmark -c $c: cut after 60 s" >&2
    done
    redis-cli -p "$rport" -n 5 del key:__rand_int__ >/dev/null
  fi
  echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$d/placement.txt"
done

if has memory; then
  pl=${placements##*,}
  case $pl in one) ccpu=0; scpu=0 ;; *) ccpu=0; scpu=1 ;; esac
  pin_servers "$scpu"
  log "[$pl] memory: Go"
  taskset -c "$ccpu" "$bin/memory" -redis "$DJANGOBRIDGE_BENCH_REDIS" -n "$mem_n" -redis-n "$mem_redis_n" \
    -json "$out/memory.json"
  log "[$pl] memory: CPython"
  taskset -c "$ccpu" "$py" bench/django_bench.py --only memory >"$out/django-memory.json"
fi
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

"$py" bench/report.py "$out" | tee "$out/report.md"
