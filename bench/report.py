"""Summarise one bench/run.sh result directory as Markdown tables (printed on stdout).

Every figure is the median of its samples (go test -count runs; timeit repeats) with its spread
written as "±x%": half the range (max - min) over the median. A ratio is the ratio of the
medians, with its range in brackets: worst case (slowest Go sample against fastest Django
sample) to best case.

Usage: python bench/report.py bench/results/<time>
"""

import json
import os
import re
import statistics
import sys

LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")


def go_results(path):
    """name -> {"ns": [...], "B": [...], "allocs": [...], "pyobjects": [...]}"""
    res = {}
    if not os.path.exists(path):
        return res
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            name = m.group(1)[len("Benchmark"):]
            fields = m.group(3).split()
            r = res.setdefault(name, {})
            for val, unit in zip(fields[::2], fields[1::2]):
                key = {"ns/op": "ns", "B/op": "B", "allocs/op": "allocs"}.get(unit, unit)
                r.setdefault(key, []).append(float(val))
    return res


def py_results(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    return {k: {"ns": v["samples_ns"]} for k, v in d["results"].items()}


def med(xs):
    return statistics.median(xs)


def spread(xs):
    m = med(xs)
    return 0.0 if m == 0 else (max(xs) - min(xs)) / 2 / m * 100


def fig(xs, unit="ns"):
    if not xs:
        return "—"
    m = med(xs)
    if unit == "ns" and m >= 100_000:
        s = f"{m / 1000:,.0f} µs"
    elif unit == "ns" and m >= 10_000:
        s = f"{m / 1000:,.1f} µs"
    elif unit == "ns":
        s = f"{m:,.0f} ns"
    else:
        s = f"{m:,.0f}"
    return f"{s} ±{spread(xs):.0f}%"


def ratio(slow, fast):
    """How many times faster `fast` is than `slow` (medians), with the range."""
    if not slow or not fast:
        return None, "—"
    r = med(slow) / med(fast)
    lo, hi = min(slow) / max(fast), max(slow) / min(fast)
    return r, f"{r:.2f}x [{lo:.2f}–{hi:.2f}]"


def overhead(store, raw):
    """Store time over raw time, in percent (medians), with the range."""
    if not store or not raw:
        return None, "—"
    o = (med(store) / med(raw) - 1) * 100
    lo = (min(store) / max(raw) - 1) * 100
    hi = (max(store) / min(raw) - 1) * 100
    return o, f"{o:+.0f}% [{lo:+.0f}…{hi:+.0f}]"


def overhead_table(go, pairs, title, headers):
    """Prints a table of Store figures over their raw counterparts (pairs of sub-benchmark
    names), per backend, session and goroutine count, against the +5% target."""
    rows = []
    for be in ("redis", "django-redis", "pymemcache", "pylibmc"):
        for size in ("typical", "typical_10k"):
            for g_ in ("g1", "g32"):
                cells = []
                for op, raw in pairs:
                    s = go.get(f"Store/{be}/{size}/{op}/{g_}", {}).get("ns")
                    r = go.get(f"Store/{be}/{size}/{raw}/{g_}", {}).get("ns")
                    o, os_ = overhead(s, r)
                    cells.append(f"{os_} {'' if o is None else ('✓' if o <= 5 else '✗')}")
                if any(c.strip() != "—" for c in cells):
                    rows.append((f"{be} {size} {g_}", *cells))
    if rows:
        print(title)
        print("| backend, session, goroutines | " + " | ".join(headers) + " |")
        print("|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()


def db_table(go, py):
    """The db engine: Go's Store against the raw query plus codec on the same *sql.DB, paired call
    by call (target: within +5%), and against Django's db SessionStore on the same database
    (speed-up = Django / Go on means, as timeit measures Django; target: above 1)."""
    rows = []
    for db in ("sqlite", "postgres"):
        for size in ("typical", "typical_10k"):
            for op in ("load", "save"):
                g = go.get(f"DBStore/{db}/{size}/{op}", {})
                c = py.get(f"DBStore/{db}/{size}/{op}", {}).get("ns")
                if not g and not c:
                    continue
                pr = g.get("store/raw")
                over = "—"
                if pr:
                    o = (med(pr) - 1) * 100
                    over = f"{o:+.1f}% [{(min(pr) - 1) * 100:+.1f}…{(max(pr) - 1) * 100:+.1f}] {'✓' if o <= 5 else '✗'}"
                sr, srs = ratio(c, g.get("store-mean-ns/op"))
                rows.append((f"{db} {size} {op}", fig(g.get("store-ns/op")), fig(g.get("raw-ns/op")), over,
                             fig(g.get("store-mean-ns/op")), fig(c), f"{srs} {'' if sr is None else ('✓' if sr > 1 else '✗')}"))
    if not rows:
        return
    print("### db engine: Go Store vs the raw query + codec, and vs Django, same database\n")
    print("load = `Store.Load` / `SessionStore(key).load()`; raw = the same SELECT of session_data on the same "
          "`*sql.DB`, then `DecodeSessionData`; save = set one key on a loaded session and save (Go: one UPDATE; "
          "Django: UPDATE inside `transaction.atomic`); raw = `EncodeSessionData` + the same UPDATE. Store and raw "
          "run alternately, call by call: the overhead is the median of the per-call ratios (range over the "
          "-count runs). Django's figure is timeit's mean, compared with Go's mean. PostgreSQL is the test "
          "servers' (not pinned); SQLite is a file of the run.\n")
    print("| database, session, operation | Go Store (median call) | raw + codec (median call) | "
          "Store over raw (target ≤ +5%) | Go Store (mean) | Django (mean) | speed-up over Django (target > 1) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


BACKENDS = ("redis", "django-redis", "pymemcache", "pylibmc")


def times(go_fig, ref):
    """Go time over the reference time (medians), for an "at most" target: returns the ratio and
    its text with the [worst–best] range (worst: slowest Go sample over fastest reference)."""
    if not go_fig or not ref:
        return None, "—"
    r = med(go_fig) / med(ref)
    return r, f"{r:.2f} [{max(go_fig) / min(ref):.2f}–{min(go_fig) / max(ref):.2f}]"


def speedup(ref, go_fig):
    """Reference time over Go time, for an "at least" target, with the [worst–best] range."""
    if not go_fig or not ref:
        return None, "—"
    r = med(ref) / med(go_fig)
    return r, f"{r:.2f}x [{min(ref) / max(go_fig):.2f}–{max(ref) / min(go_fig):.2f}]"


def load_baseline():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


STORED = re.compile(r"stored session after the save benchmarks: (\S+) (\d+) -> (\d+) bytes")


def stored_sizes(path):
    """backend/size -> (fixture bytes, largest stored bytes after the save benchmarks)."""
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for m in STORED.finditer(f.read()):
                n, after = int(m.group(2)), int(m.group(3))
                out[m.group(1)] = (n, max(after, out.get(m.group(1), (0, 0))[1]))
    return out


def issue17_table(go, py, placement, baseline, stored):
    """The targets of issue #17 ("pay only for what a request reads"), each as Go figure,
    reference figure, ratio [worst–best], target and verdict."""
    rows = []

    def row(target, case, g, ref, rtext, r, goal, ok):
        rows.append((target, case, g, ref, rtext, goal, "—" if r is None else ("met" if ok(r) else "**missed**")))

    # 1. Store.Load within 10% of a raw GET of the same bytes.
    for be in BACKENDS:
        for size in ("typical", "typical_10k"):
            for g_ in ("g1", "g32"):
                s = go.get(f"Store/{be}/{size}/load/{g_}", {}).get("ns")
                r_ = go.get(f"Store/{be}/{size}/rawget/{g_}", {}).get("ns")
                if s or r_:
                    r, rt = times(s, r_)
                    row("1. Load / raw GET", f"{be} {size} {g_}", fig(s), fig(r_), rt, r, "≤ 1.10",
                        lambda x: x <= 1.10)
    # 2. DecodeLazy + 3 Gets vs CPython pickle.loads + 3 lookups; 10k over typical.
    g10 = go.get("PickleAuthRead/typical_10k", {}).get("ns")
    gty = go.get("PickleAuthRead/typical", {}).get("ns")
    c10 = py.get("PickleAuthRead/typical_10k", {}).get("ns")
    if g10 or c10:
        r, rt = speedup(c10, g10)
        row("2. auth read: CPython / Go", "typical_10k (DecodeLazy + 3 Get vs pickle.loads + 3 lookups)",
            fig(g10), fig(c10), rt, r, "≥ 10x", lambda x: x >= 10)
    if g10 or gty:
        r, rt = times(g10, gty)
        row("2. auth read: typical_10k / typical", "Go DecodeLazy + 3 Get", fig(g10), fig(gty), rt, r, "≤ 1.20",
            lambda x: x <= 1.20)
    # 3. Load + modify + save of typical_10k: against Django, and against the raw round trips.
    for be in BACKENDS:
        g = go.get(f"Store/{be}/typical_10k/modsave/g1", {}).get("ns")
        c = py.get(f"Store/{be}/typical_10k/modsave", {}).get("ns")
        if g or c:
            r, rt = speedup(c, g)
            row("3. load+modify+save: Django / Go", f"{be} typical_10k g1", fig(g), fig(c), rt, r, "≥ 3x",
                lambda x: x >= 3)
    for op, raw, label in (("atomicmodsave", "rawgetset", "3. AtomicSave load+modify+save / raw GET+SET"),
                           ("modsave", "rawget+getset", "3. load+modify+save / raw GET+GET+SET")):
        for be in BACKENDS:
            for g_ in ("g1", "g32"):
                s = go.get(f"Store/{be}/typical_10k/{op}/{g_}", {}).get("ns")
                r_ = go.get(f"Store/{be}/typical_10k/{raw}/{g_}", {}).get("ns")
                if s or r_:
                    r, rt = times(s, r_)
                    row(label, f"{be} typical_10k {g_}", fig(s), fig(r_), rt, r, "≤ 1.20", lambda x: x <= 1.20)
    # 4. Allocations of a load that reads the auth keys: independent of the session's size.
    a10 = go.get("PickleAuthRead/typical_10k", {}).get("allocs")
    aty = go.get("PickleAuthRead/typical", {}).get("allocs")
    cases = [("codec: DecodeLazy + 3 Get", a10, aty)]
    for be in BACKENDS:
        cases.append((f"{be} g1: Store.Load + 3 Session.String",
                      go.get(f"Store/{be}/typical_10k/authload/g1", {}).get("allocs"),
                      go.get(f"Store/{be}/typical/authload/g1", {}).get("allocs")))
    for case, big, small in cases:
        if big or small:
            r = med(big) / med(small) if big and small else None
            row("4. allocs/op: typical_10k vs typical", case, f"{med(big):.0f}" if big else "—",
                f"{med(small):.0f}" if small else "—", "—" if r is None else f"{r:.2f}", r, "equal (1.00)",
                lambda x: abs(x - 1) < 1e-9)
    # 5. Full decode no slower than before #17, as a speed-up over CPython in the same run.
    base = baseline.get("PickleDecode", {}).get(placement, {})
    for size in ("typical", "typical_10k"):
        g = go.get(f"PickleDecode/{size}", {}).get("ns")
        c = py.get(f"PickleDecode/{size}", {}).get("ns")
        b = base.get(size)
        if not (g and c):
            continue
        now, _ = speedup(c, g)
        if b:
            prev = b["speedup"]
            r = now / prev
            rt = f"{r:.3f} [{min(c) / max(g) / prev:.2f}–{max(c) / min(g) / prev:.2f}]"
            row("5. full decode speed-up over CPython: now / before #17", f"PickleDecode/{size}",
                f"{now:.2f}x", f"{prev:.2f}x (run {baseline.get('run')})", rt, r, "≥ 1.00", lambda x: x >= 1)
    if not rows:
        return
    print("### Issue #17 targets: pay only for what a request reads\n")
    print("Ratios of medians with their [worst–best] range (worst: the slowest Go sample against the fastest "
          "reference sample). Go runs here as in the tables above (pinned, GOMAXPROCS=1). Load = "
          "`Store.Load` then `Len`; auth read = the three keys `django.contrib.auth` reads "
          "(`_auth_user_id`, `_auth_user_backend`, `_auth_user_hash`); load+modify+save = `Store.Load`, "
          "`Set`, `Save` (Django's save: GET before SET; with `AtomicSave`: one SET XX / replace). "
          "Target 5 compares this run's Go/CPython speed-up with the one recorded before the lazy loads "
          "(`bench/baseline.json`); its range is this run's.\n")
    print("| target | case | Go | reference | ratio [worst–best] | target | |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    if stored:
        print("Stored session after the save benchmarks (`Save` appends the changed items to the stored pickle "
              "until it would be about twice a whole encode, then encodes whole; the raw GET/SET move the "
              "fixture's bytes): " + "; ".join(f"{k} {n:,} → {a:,} bytes" for k, (n, a) in sorted(stored.items()))
              + ".\n")


def verdict(value, target, higher_is_better=True):
    if value is None:
        return "—"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "**missed**"


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                out[k] = v
    return out


def main():
    d = sys.argv[1]
    machine = read_kv(os.path.join(d, "machine.txt"))
    placements = [p for p in ("one", "split") if os.path.isdir(os.path.join(d, p))]
    baseline = load_baseline()
    meta = {}
    for p in placements:
        for f in ("django-codec.json", "django-store.json"):
            path = os.path.join(d, p, f)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    meta = json.load(fh)["meta"]
    print(f"# djangobridge benchmark run {os.path.basename(d)}\n")
    print(f"- machine: {machine.get('nproc')} CPUs, {machine.get('cpu')}; {machine.get('go')}; "
          f"Redis {machine.get('redis')}, memcached {machine.get('memcached')}")
    if meta:
        print(f"- Python {meta.get('python')}, Django {meta.get('django')}, redis-py {meta.get('redis')}, "
              f"django-redis {meta.get('django-redis')}, pymemcache {meta.get('pymemcache')}, "
              f"pylibmc {meta.get('pylibmc')}")
    print(f"- load average (1/5/15 min) at start {machine.get('load_start')}, at end {machine.get('load_end')}"
          f"{'; --quick run' if machine.get('quick') == '1' else ''}")
    print("- figures: median ±half-range of the samples; ratios: ratio of medians [worst–best]")
    print("- placements: **one** = benchmark and servers on CPU 0; **split** = benchmark on CPU 0, "
          "servers on CPU 1\n")

    for p in placements:
        pd = os.path.join(d, p)
        pinfo = read_kv(os.path.join(pd, "placement.txt"))
        go = {**go_results(os.path.join(pd, "go-codec.txt")), **go_results(os.path.join(pd, "go-store.txt")),
              **go_results(os.path.join(pd, "go-db.txt"))}
        py = {**py_results(os.path.join(pd, "django-codec.json")), **py_results(os.path.join(pd, "django-store.json")),
              **py_results(os.path.join(pd, "django-db-sqlite.json")),
              **py_results(os.path.join(pd, "django-db-postgres.json"))}
        print(f"## Placement: {p}\n")
        print(f"client CPU {pinfo.get('client_cpu')}, server CPU {pinfo.get('server_cpu')}; load average "
              f"before {pinfo.get('load_before', '?')}, after {pinfo.get('load_after', '?')}\n")

        rows = []
        for op, target in (("PickleDecode", 2), ("PickleEncode", 2), ("SignedCookieDumps", 5),
                           ("SignedCookieLoads", 5), ("SessionDataEncode", 5), ("SessionDataDecode", 5)):
            for size in ("typical", "typical_10k"):
                name = f"{op}/{size}"
                g, c = go.get(name, {}), py.get(name, {})
                if not g and not c:
                    continue
                r, rs = ratio(c.get("ns"), g.get("ns"))
                rows.append((name, fig(g.get("ns")), fig(c.get("ns")), rs,
                             f"{med(g['allocs']):.0f}" if g.get("allocs") else "—",
                             f"≥{target}x", verdict(r, target)))
        # Informational (no target): the db/file engines' lazy JSON read of the three auth keys.
        for size in ("typical", "typical_10k"):
            name = f"SessionDataAuthRead/{size}"
            g, c = go.get(name, {}), py.get(name, {})
            if not g and not c:
                continue
            _, rs = ratio(c.get("ns"), g.get("ns"))
            rows.append((f"{name} (decode + 3 auth keys; Go lazy JSON)", fig(g.get("ns")), fig(c.get("ns")), rs,
                         f"{med(g['allocs']):.0f}" if g.get("allocs") else "—", "—", "informational"))
        if rows:
            print("### Codec: Go vs CPython pickle / Django signing (speed-up = Django time / Go time)\n")
            print("| operation | Go | CPython/Django | speed-up | Go allocs/op | target | |")
            print("|---|---|---|---|---|---|---|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print()
            for size in ("typical", "typical_10k"):
                g = go.get(f"PickleDecode/{size}", {})
                if g.get("allocs") and g.get("pyobjects"):
                    a, n = med(g["allocs"]), med(g["pyobjects"])
                    print(f"- allocations per decode, {size}: {a:.0f} for {n:.0f} Python objects "
                          f"(target ≤ {n + 2:.0f}: {verdict(a, n + 2, higher_is_better=False)})")
            print()
            parts = []
            for part in ("JSONDumps", "JSONLoads", "Compress", "Decompress"):
                for size in ("typical", "typical_10k"):
                    name = f"SigningParts/{part}/{size}"
                    g, c = go.get(name, {}), py.get(name, {})
                    if g or c:
                        parts.append((name, fig(g.get("ns")), fig(c.get("ns")), ratio(c.get("ns"), g.get("ns"))[1]))
            if parts:
                print("#### Inside signing: the parts, Go vs the C code Django calls\n")
                print("`json` (C accelerator) and `zlib` (C) on the bytes `signing.dumps`/`loads` hand them. "
                      "The compressor must reproduce zlib's bytes exactly (Django's strings are compared "
                      "byte for byte), so it runs zlib's algorithm.\n")
                print("| part | Go | CPython (C) | speed-up |")
                print("|---|---|---|---|")
                for row in parts:
                    print("| " + " | ".join(row) + " |")
                print()
                for op, part in (("SignedCookieDumps", "Compress"), ("SignedCookieLoads", "Decompress"),
                                 ("SessionDataEncode", "Compress"), ("SessionDataDecode", "Decompress")):
                    for size in ("typical", "typical_10k"):
                        total = py.get(f"{op}/{size}", {}).get("ns")
                        cz = py.get(f"SigningParts/{part}/{size}", {}).get("ns")
                        gz = go.get(f"SigningParts/{part}/{size}", {}).get("ns")
                        if total and cz and gz:
                            print(f"- {op}/{size}: Django {med(total) / 1000:,.1f} µs, of which C zlib "
                                  f"{part.lower()} {med(cz) / 1000:,.1f} µs. Ceiling for any port whose "
                                  f"zlib step runs at C zlib's speed and everything else costs nothing: "
                                  f"{med(total) / med(cz):.1f}x; with this Go {part.lower()} "
                                  f"({med(gz) / 1000:,.1f} µs): {med(total) / med(gz):.1f}x.")
                print()

        rows = []
        for be in ("redis", "django-redis", "pymemcache", "pylibmc"):
            for size in ("typical", "typical_10k"):
                for op in ("load", "authload", "save", "modsave"):
                    g = go.get(f"Store/{be}/{size}/{op}/g1", {})
                    c = py.get(f"Store/{be}/{size}/{op}", {})
                    if not g and not c:
                        continue
                    _, rs = ratio(c.get("ns"), g.get("ns"))
                    rows.append((f"{be} {size} {op}", fig(g.get("ns")), fig(c.get("ns")), rs,
                                 f"{med(g['B']):,.0f} B, {med(g['allocs']):.0f}" if g.get("B") else "—"))
        if rows:
            print("### Store: Go vs Django's cache SessionStore, one caller (speed-up = Django / Go)\n")
            print("load = `SessionStore(key).load()` / `Store.Load`; authload = load and read the three auth "
                  "keys (`s[k]` / `Session.String`); save = set one key on a loaded session "
                  "and `save()` (GET + SET); modsave = load + set + save.\n")
            print("| backend, session, operation | Go | Django | speed-up | Go B/op, allocs/op |")
            print("|---|---|---|---|---|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print()

        overhead_table(go, (("load", "rawget"), ("save", "rawgetset"), ("atomicsave", "rawset")),
                       "### Store vs the raw client on the same bytes (Go; target: within +5%)\n\n"
                       "Store time over the raw client's time for the same round trips, measured next to each other "
                       "on the same client (negative: the Store figure came out faster, i.e. noise).\n",
                       ("Load vs GET", "Save vs GET+SET", "AtomicSave vs SET"))
        overhead_table(go, (("load", "rawget+decode"), ("save", "rawget+encode+set"), ("atomicsave", "encode+rawset")),
                       "### The Store's own cost: over the raw client plus the codec on the same bytes (Go)\n\n"
                       "The same comparison with the pickle work added to the raw side (`UnmarshalPickle` after "
                       "the GET; `MarshalPickle` before the SET): what remains is the Store itself (cache key, "
                       "session bookkeeping, the adapter's framing). Where the table above misses +5% and this "
                       "one does not, the difference is the codec.\n",
                       ("Load vs GET+decode", "Save vs GET+encode+SET", "AtomicSave vs encode+SET"))

        db_table(go, py)
        issue17_table(go, py, p, baseline, stored_sizes(os.path.join(pd, "go-store.txt")))

        tp_path = os.path.join(pd, "throughput.json")
        if os.path.exists(tp_path):
            with open(tp_path, encoding="utf-8") as f:
                tp = json.load(f)
            rb = {}
            for fn in os.listdir(pd):
                m = re.match(r"redis-benchmark-c(\d+)\.csv$", fn)
                if not m:
                    continue
                with open(os.path.join(pd, fn), encoding="utf-8") as f:
                    lines = [ln.strip().replace('"', "").split(",") for ln in f if ln.strip()]
                hdr = lines[0]
                for ln in lines[1:]:
                    rb[(ln[0], int(m.group(1)))] = dict(zip(hdr, ln))
            print(f"### Throughput ({machine.get('payload')}-byte session, distinct session per goroutine)\n")
            print("| server | goroutines | Store.Load ops/s (p50/p99 µs) | raw GET | redis-benchmark GET | "
                  "Load / redis-benchmark GET | Save ops/s | AtomicSave | raw SET | redis-benchmark SET |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            by = {(r["backend"], r["op"], r["conc"]): r for r in tp}

            def cell(r):
                return "—" if not r else f"{r['ops_per_s']:,.0f} ({r['p50_us']:.0f}/{r['p99_us']:.0f})"

            def rbcell(r):
                return "—" if not r else (f"{float(r['rps']):,.0f} ({float(r['p50_latency_ms']) * 1000:.0f}/"
                                          f"{float(r['p99_latency_ms']) * 1000:.0f})")
            for be in ("redis", "memcached"):
                for conc in sorted({r["conc"] for r in tp}):
                    load = by.get((be, "load", conc))
                    rg = rb.get(("GET", conc)) if be == "redis" else None
                    rs = rb.get(("SET", conc)) if be == "redis" else None
                    frac = "—"
                    if load and rg:
                        x = load["ops_per_s"] / float(rg["rps"]) * 100
                        frac = f"{x:.0f}%" + (f" ({verdict(x, 70)})" if conc == 32 else "")
                    elif load and by.get((be, "raw-get", conc)):
                        frac = f"{load['ops_per_s'] / by[(be, 'raw-get', conc)]['ops_per_s'] * 100:.0f}% of raw GET"
                    print(f"| {be} | {conc} | {cell(load)} | {cell(by.get((be, 'raw-get', conc)))} | {rbcell(rg)} | "
                          f"{frac} | {cell(by.get((be, 'save', conc)))} | {cell(by.get((be, 'atomicsave', conc)))} | "
                          f"{cell(by.get((be, 'raw-set', conc)))} | {rbcell(rs)} |")
            print()

    mem = os.path.join(d, "memory.json")
    if os.path.exists(mem):
        with open(mem, encoding="utf-8") as f:
            m = json.load(f)
        pym = {}
        if os.path.exists(os.path.join(d, "django-memory.json")):
            with open(os.path.join(d, "django-memory.json"), encoding="utf-8") as f:
                pym = json.load(f).get("memory", {})
        h = m["held"]
        print("## Memory\n")
        print(f"- {h['sessions']:,} decoded `typical` sessions ({h['pickle_bytes']} pickle bytes each) held by "
              f"one process: Go RSS +{(h['rss_after_kib'] - h['rss_before_kib']) / 1024:.0f} MiB "
              f"({h['rss_bytes_per_session']:.0f} B/session; live heap {h['heap_bytes_per_session']:.0f} B/session)"
              + (f"; CPython `pickle.loads` RSS +{(pym['rss_after_kib'] - pym['rss_before_kib']) / 1024:.0f} MiB "
                 f"({pym['bytes_per_session']:.0f} B/session)" if pym else ""))
        for lp in m["loops"]:
            grow = lp["heap_after_10n"] - lp["heap_after_n"]
            print(f"- Load+Set+Save loop over {lp['cache']} cache: live heap {lp['heap_after_n']:,} B after "
                  f"{lp['n']:,} iterations, {lp['heap_after_10n']:,} B after {10 * lp['n']:,} ({grow:+,} B); "
                  f"goroutines {lp['goroutines_after_n']} → {lp['goroutines_after_10n']}")
        print()


if __name__ == "__main__":
    main()
