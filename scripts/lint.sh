#!/usr/bin/env bash
# make lint: ruff and mypy only (no tests).
. "$(dirname "$0")/common.sh"

ensure_venv
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
