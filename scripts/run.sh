#!/usr/bin/env bash
# make run / make dev: set up, migrate and seed the embedded database, then start Reflex.
#   scripts/run.sh prod   -> compiled frontend and backend on one port, http://localhost:3000
#   scripts/run.sh dev    -> hot reload: Vite on :3000, backend on :8000
#   scripts/run.sh workers -> as prod, with PORTAL_WORKERS (default 2) backend workers sharing Redis and PostgreSQL
# Further arguments go to `reflex run` (for example --frontend-port 3001 --backend-port 8001).
. "$(dirname "$0")/common.sh"

mode="${1:-prod}"
shift || true
case "$mode" in
    prod | dev) ;;
    workers)
        # Several workers need one place for the Reflex state (Redis) and one database every worker writes to
        # (PostgreSQL: SQLite takes one writer at a time). Periodic jobs and per-client limits are shared then.
        [ -n "${REFLEX_REDIS_URL:-}" ] || die "workers mode needs REFLEX_REDIS_URL (for example redis://127.0.0.1:6379/0)"
        case "${PORTAL_DATABASE_URL:-}" in
            postgresql*) ;;
            *) die "workers mode needs PORTAL_DATABASE_URL=postgresql+psycopg://user@host:5432/dbname" ;;
        esac
        export GRANIAN_WORKERS="${PORTAL_WORKERS:-2}"
        log "Starting $GRANIAN_WORKERS backend workers (state in Redis, data in PostgreSQL)"
        mode=prod
        ;;
    *) die "unknown mode '$mode' (use prod, dev or workers)" ;;
esac
ensure_venv
ensure_js_toolchain
ensure_var_dir
manage migrate
manage seed

# Loopback only by default: with the built-in development identity provider anyone who can reach the port can
# sign in as anyone. Set BIND_HOST=0.0.0.0 to listen on all interfaces (behind a real identity provider).
host="${BIND_HOST:-127.0.0.1}"
if [ "$mode" = prod ]; then
    # Where Reflex keeps each open tab's state (README, "Where the state lives"): Redis when REFLEX_REDIS_URL is set
    # (Reflex switches by itself), otherwise memory: one worker, and the disk manager costs ~2.7x its CPU.
    if [ -z "${REFLEX_REDIS_URL:-}" ]; then
        export REFLEX_STATE_MANAGER_MODE="${REFLEX_STATE_MANAGER_MODE:-memory}"
    fi
    exec "$VENV/bin/reflex" run --env prod --backend-host "$host" "$@"
fi

# Hot reload restarts the backend when the app's source changes, and only then: the Python packages, the static
# files and the Reflex configuration. Left to itself Reflex watches every entry of the project root, var/
# included, where the running app writes its SQLite database: each new worker's first query touched
# var/portal.db-wal and -shm, which restarted the backend again, in a loop.
if [ -z "${REFLEX_HOT_RELOAD_OVERRIDE_PATHS:-}" ]; then
    watched=()
    for entry in portal_app models state components assets rxconfig.py; do
        [ -e "$entry" ] && watched+=("$ROOT/$entry")
    done
    # Paths in REFLEX_HOT_RELOAD_INCLUDE_PATHS (colon-separated) are still watched too, as with plain `reflex run`.
    REFLEX_HOT_RELOAD_OVERRIDE_PATHS="$(IFS=:; echo "${watched[*]}")"
    REFLEX_HOT_RELOAD_OVERRIDE_PATHS+="${REFLEX_HOT_RELOAD_INCLUDE_PATHS:+:$REFLEX_HOT_RELOAD_INCLUDE_PATHS}"
    export REFLEX_HOT_RELOAD_OVERRIDE_PATHS
fi
shown="${REFLEX_HOT_RELOAD_OVERRIDE_PATHS//"$ROOT/"/}"
log "Hot reload restarts the backend when one of these changes: ${shown//:/ }"
# At info level the server names the file behind every reload ("Changes detected ... Modified: <path>").
export REFLEX_LOGLEVEL="${REFLEX_LOGLEVEL:-info}"
exec "$VENV/bin/reflex" run --backend-host "$host" "$@"
