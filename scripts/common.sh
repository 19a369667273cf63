# Shared set-up for the Makefile targets. Source it: `. scripts/common.sh`, then call the functions you need.
# Idempotent and fast when nothing changed: the venv is reinstalled only when pyproject.toml changes, and the
# JavaScript toolchain is installed only when no suitable bun/node is found.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
BUN_VERSION="1.4.4"       # Reflex 0.10 needs bun >= 1.4.4 ...
NODE_MIN_VERSION="22.22"  # ... or Node >= 22.22.
BUN_TOOLS_DIR="$ROOT/tools/bun"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true when dotted version A >= B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Nothing at run time phones home.
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=0
if command -v npm >/dev/null 2>&1 && [ -z "${NPM_CONFIG_REGISTRY:-}" ]; then
    # Setting it makes Reflex skip its registry probe; the value is whatever npm is configured with here.
    NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null || true)"
    [ -n "$NPM_CONFIG_REGISTRY" ] && export NPM_CONFIG_REGISTRY || unset NPM_CONFIG_REGISTRY
fi

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ ! -x "$PY" ]; then
        local python
        python="$(find_python)" || die "Python 3.11 or newer is required (found: $(python3 --version 2>&1 || echo none)). Install it or set PYTHON=/path/to/python3.11."
        log "Creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV"
    fi
    "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
        die ".venv uses Python $("$PY" -c 'import platform; print(platform.python_version())'); 3.11+ is required. Remove .venv and retry."

    local stamp="$VENV/.installed-pyproject.sha256" want have=""
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" != "$have" ]; then
        log "Installing Python dependencies (pyproject.toml changed)"
        "$PY" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
        echo "$want" >"$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

ensure_js_toolchain() {
    local bun_bin="$BUN_TOOLS_DIR/node_modules/.bin"
    if [ -x "$bun_bin/bun" ]; then
        export PATH="$bun_bin:$PATH"
    fi
    if command -v bun >/dev/null 2>&1 && version_ge "$(bun --version 2>/dev/null || echo 0)" "$BUN_VERSION"; then
        return 0
    fi
    if command -v node >/dev/null 2>&1 && version_ge "$(node --version 2>/dev/null | sed 's/^v//')" "$NODE_MIN_VERSION"; then
        # No bun: make Reflex use npm with this Node instead of downloading bun from the internet.
        export REFLEX_USE_NPM=1
        return 0
    fi
    command -v npm >/dev/null 2>&1 ||
        die "Reflex needs bun >= $BUN_VERSION or Node.js >= $NODE_MIN_VERSION on PATH; neither was found, nor npm to install bun."
    log "Installing bun $BUN_VERSION into tools/bun (no suitable bun or Node.js on PATH)"
    mkdir -p "$BUN_TOOLS_DIR"
    npm install --prefix "$BUN_TOOLS_DIR" --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >&2
    export PATH="$bun_bin:$PATH"
    version_ge "$(bun --version 2>/dev/null || echo 0)" "$BUN_VERSION" || die "bun installation in tools/bun failed"
}

# Where the app keeps its embedded SQLite database and private files by default.
ensure_var_dir() { mkdir -p "$ROOT/var"; }

# manage COMMAND: run `python -m portal_app.manage COMMAND` once that module exists.
manage() {
    if [ -f "$ROOT/portal_app/manage.py" ]; then
        log "portal_app.manage $*"
        "$PY" -m portal_app.manage "$@"
    else
        log "skipping 'manage $*': portal_app/manage.py does not exist yet"
    fi
}
