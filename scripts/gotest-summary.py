#!/usr/bin/env python3
"""Summarises `go test -json` (read on stdin) the way a person reading CI wants it.

Prints each package's own result line as `go test` does (ok / FAIL / no test files), the whole
output of every failed test, then:
  - how many live subtests ran per Django version (subtests named after a version id, e.g.
    "django-5.2", "5.2/redis"),
  - which tests were skipped and why (under -short: the live tests left out),
  - a closing line "N passed, N failed, N skipped" counting every test and subtest.
Exit status: 1 if any test or package failed, else 0 (the caller also checks go test's status).
"""
import json
import re
import sys
from collections import OrderedDict, defaultdict

GO_PROGRESS = re.compile(r"^go: (downloading|finding|extracting) ")
VERSION = re.compile(r"(?:^|/)(?:django-)?(3\.2|4\.2|5\.2|6\.0|6\.1)(?:/|$)")

outputs = defaultdict(list)          # (pkg, test) -> output lines
results = OrderedDict()              # (pkg, test) -> action
skip_reason = {}
build_failed = []
for raw in sys.stdin:
    raw = raw.rstrip("\n")
    try:
        ev = json.loads(raw)
    except ValueError:
        print(raw)
        # The go command's progress notes on a cold module cache ("go: downloading m v1.2.3",
        # "go: finding module for package ...", "go: extracting ...") are not failures; build
        # errors and anything else go test prints outside JSON are.
        if not GO_PROGRESS.match(raw):
            build_failed.append(raw)
        continue
    pkg, test, action = ev.get("Package", ""), ev.get("Test"), ev.get("Action")
    if action == "output":
        line = ev.get("Output", "")
        if test:
            outputs[(pkg, test)].append(line)
        elif line.strip() and line.strip() not in ("PASS", "FAIL") and not line.startswith(("=== ", "--- ")):
            # The package's result line (ok / FAIL / no test files) and what TestMain printed.
            print(line, end="")
        continue
    if test and action in ("pass", "fail", "skip"):
        results[(pkg, test)] = action
    if action == "build-fail":
        build_failed.append(pkg)

passed = sum(1 for a in results.values() if a == "pass")
failed = sum(1 for a in results.values() if a == "fail")
skipped = sum(1 for a in results.values() if a == "skip")

for (pkg, test), action in results.items():
    if action == "fail" and "/" not in test:
        print(f"\n--- FAIL {pkg} {test}")
        print("".join(outputs[(pkg, test)]), end="")
        # Subtests' output is attached to their own names.
        for (p2, t2), a2 in results.items():
            if p2 == pkg and t2.startswith(test + "/") and a2 == "fail":
                print("".join(outputs[(p2, t2)]), end="")

# Lines a test marks for the record (the fault tests' FAULT-SUMMARY counts) are shown even when
# the test passed.
marked = [l.strip() for (pkg, test), lines in outputs.items() for l in lines if "FAULT-SUMMARY" in l]
if marked:
    print("\nfault test figures:")
    for l in marked:
        print("  " + l)

per_version = defaultdict(int)
for (pkg, test), action in results.items():
    if action != "pass":
        continue
    m = VERSION.search(test)
    if m:
        per_version[m.group(1)] += 1
if per_version:
    parts = " ".join(f"{v}={per_version[v]}" for v in sorted(per_version))
    print(f"\ntests passed per Django version (fixture and live subtests): {parts}")

top_skips = [(pkg, test) for (pkg, test), a in results.items() if a == "skip" and "/" not in test]
if top_skips:
    print(f"\nskipped tests ({len(top_skips)}):")
    for pkg, test in top_skips:
        why = ""
        for line in outputs[(pkg, test)]:
            s = line.strip()
            if s and not s.startswith(("=== ", "--- SKIP")):
                why = s
        short = pkg.replace("github.com/djangobridge/bridge/", "") or "."
        print(f"  {short}.{test}: {why}")

print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or build_failed else 0)
