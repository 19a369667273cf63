#!/usr/bin/env bash
# make clean: remove build output and caches (keeps .venv, tools/ and var/ data; `clean all` removes those too).
. "$(dirname "$0")/common.sh"

rm -rf .web .states .mypy_cache .ruff_cache .pytest_cache test-artifacts
find . -path ./.venv -prune -o -path ./tools -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
if [ "${1:-}" = "all" ]; then
    rm -rf .venv tools
fi
