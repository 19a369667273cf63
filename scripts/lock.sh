#!/usr/bin/env bash
# make lock: pin the whole Python dependency tree into requirements.lock (commit the result).
#   scripts/lock.sh            keep the versions installed in .venv; add or drop what pyproject.toml now asks for
#   scripts/lock.sh --upgrade  move every dependency to the newest version pyproject.toml allows
# Installs pyproject.toml's dependencies into .venv without the old lock (so a changed pin there takes effect),
# checks them with `pip check`, then writes the version of every package the project needs (not the project
# itself). make run and make test then install exactly these versions.
. "$(dirname "$0")/common.sh"

[ -z "${PORTAL_VENV:-}" ] || die "make lock installs into .venv; unset PORTAL_VENV"
upgrade=()
case "${1:-}" in
    "") ;;
    --upgrade) upgrade=(--upgrade --upgrade-strategy eager) ;;
    *) die "usage: scripts/lock.sh [--upgrade]" ;;
esac

create_venv
log "Installing pyproject.toml's dependencies into .venv${upgrade[*]:+ (upgrading)}"
"$PY" -m pip install --quiet --disable-pip-version-check ${upgrade[@]+"${upgrade[@]}"} -e '.[dev]'
log "pip check"
"$PY" -m pip check
"$PY" scripts/lock.py >"$LOCK_FILE.tmp" || {
    rm -f "$LOCK_FILE.tmp"
    die "could not list the installed dependency tree"
}
mv "$LOCK_FILE.tmp" "$LOCK_FILE"
deps_hash >"$DEPS_STAMP" # .venv now holds exactly what the lock says
log "Wrote $(basename "$LOCK_FILE"): $(grep -c '==' "$LOCK_FILE") packages"
