"""CPython's side of `go run ./bench/memory -decode FILE`: unpickle one file and print, as
one JSON line, the peak resident memory (VmHWM) over the resident memory before reading it.
Usage: <venv>/bin/python bench/memory/pydecode.py FILE
"""
import json
import pickle
import sys


def kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


r0 = kib("VmRSS:")
with open(sys.argv[1], "rb") as f:
    data = f.read()
err = ""
try:
    v = pickle.loads(data)
except Exception as e:  # report, as the Go side does
    err = f"{type(e).__name__}: {e}"
print(json.dumps({"input_bytes": len(data), "peak_rss_kib": kib("VmHWM:") - r0, "error": err}))
