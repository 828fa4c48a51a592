#!/bin/sh
# Compare djangosession's signing and session formats with Django's own (signing.dumps/loads as
# the signed_cookies backend calls them, SessionStore.encode/decode). This is now the "codec"
# part of bench/run.sh (the Go benchmarks of djangosession/bench_signing_test.go against
# bench/django_bench.py, with the pickle comparison alongside); this script runs just that part.
#
# Usage: bench/signing_compare.sh [python]   (default: the django-5.2 compat venv's python)
exec "$(dirname "$0")/run.sh" --only codec ${1:+--python "$1"}
