#!/usr/bin/env bash
# make bench: run the benchmarks once they exist.
. "$(dirname "$0")/common.sh"

if [ ! -f "$ROOT/bench/run.py" ]; then
    echo "No benchmarks exist yet (bench/run.py is missing)."
    exit 0
fi
ensure_venv
exec "$PY" bench/run.py "$@"
