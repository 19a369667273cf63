#!/usr/bin/env bash
# make test: set up, lint, type-check, then run the whole pytest suite (extra arguments go to pytest).
. "$(dirname "$0")/common.sh"

ensure_venv
ensure_js_toolchain
log "ruff check"
"$VENV/bin/ruff" check .
log "ruff format --check"
"$VENV/bin/ruff" format --check .
log "mypy"
"$VENV/bin/mypy"
log "pytest"
exec "$PY" -m pytest "$@"
