#!/usr/bin/env bash
# make run / make dev: set up, migrate and seed the embedded database, then start Reflex.
#   scripts/run.sh prod   -> compiled frontend and backend on one port, http://localhost:3000
#   scripts/run.sh dev    -> hot reload: Vite on :3000, backend on :8000
. "$(dirname "$0")/common.sh"

mode="${1:-prod}"
ensure_venv
ensure_js_toolchain
ensure_var_dir
manage migrate
manage seed

# Loopback only by default: with the built-in development identity provider anyone who can reach the port can
# sign in as anyone. Set BIND_HOST=0.0.0.0 to listen on all interfaces (behind a real identity provider).
host="${BIND_HOST:-127.0.0.1}"
case "$mode" in
    prod) exec "$VENV/bin/reflex" run --env prod --backend-host "$host" ;;
    dev) exec "$VENV/bin/reflex" run --backend-host "$host" ;;
    *) die "unknown mode '$mode' (use prod or dev)" ;;
esac
