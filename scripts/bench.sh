#!/usr/bin/env bash
# make bench: the benchmarks, one after the other; each prints its figures and writes them to bench/results.json.
# Extra arguments go to bench/run.py (the service-call cases at two sizes).
. "$(dirname "$0")/common.sh"

ensure_venv
"$PY" bench/run.py "$@"
log "Every page's data load at 1, 10 and 100 workspaces (bench/pages.py)"
"$PY" bench/pages.py
log "Frontend weight and first paint of /, /portal and /app (bench/frontend_weight.py; builds the frontend)"
"$PY" bench/frontend_weight.py
