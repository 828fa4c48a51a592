#!/bin/sh
# Copy every distinct Django-made pickle of compat_test/fixtures/django-*/cache-*.json into the
# seed corpus of FuzzPickleDecode (testdata/fuzz/FuzzPickleDecode/fixture-<sha256 prefix>), in
# the Go fuzzing corpus format. Run from anywhere after compat_test/generate.sh; the Django and
# Python versions of each fixture are in its directory's meta.json. Crashers the fuzzer finds
# (other file names in that directory) are left alone.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$here/fuzz/FuzzPickleDecode"
mkdir -p "$out"
rm -f "$out"/fixture-*
python3 - "$repo/compat_test/fixtures" "$out" <<'PY'
import base64, glob, hashlib, json, os, sys
src, out = sys.argv[1], sys.argv[2]
seen = set()
for path in sorted(glob.glob(os.path.join(src, "django-*", "cache-*.json"))):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for case in cases:
        data = base64.b64decode(case["pickle_b64"])
        digest = hashlib.sha256(data).hexdigest()[:16]
        if digest in seen or len(data) > 64 * 1024:
            continue
        seen.add(digest)
        lit = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02x" % c for c in data)
        with open(os.path.join(out, "fixture-" + digest), "w", encoding="ascii") as f:
            f.write('go test fuzz v1\n[]byte("%s")\n' % lit)
print(len(seen), "fixture pickles in", out)
PY
