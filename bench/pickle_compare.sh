#!/bin/sh
# Compare djangosession's pickle codec with CPython's C pickle on the same bytes. This is now
# the "codec" part of bench/run.sh (BenchmarkPickleDecode/Encode of djangosession against
# pickle.loads / pickle.dumps(v, 5) in bench/django_bench.py, on the "typical" and
# "typical_10k" sessions Django 5.2's RedisCache wrote, with the signing and session_data
# comparisons alongside); this script runs just that part.
#
# Usage: bench/pickle_compare.sh [python]   (default: the django-5.2 compat venv's python)
exec "$(dirname "$0")/run.sh" --only codec ${1:+--python "$1"}
