# Shared set-up for the Makefile targets. Source it: `. scripts/common.sh`, then call the functions you need.
# Idempotent and fast when nothing changed: the venv is reinstalled only when pyproject.toml or requirements.lock
# changes, and the JavaScript toolchain is installed only when no suitable bun/node is found.
#
# PORTAL_VENV=/path/to/venv runs the commands with an existing virtual environment as it is (nothing is installed
# into it); by default they use and maintain .venv in the project root.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${PORTAL_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
# What Qt's web engine (the desktop window) loads from a Debian or Ubuntu system; .ci/run installs these.
DESKTOP_APT_PACKAGES="libnss3 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-xinerama0 libxkbfile1 \
libxcomposite1 libxdamage1 libxrandr2 libxtst6 libegl1 libgl1 libgl1-mesa-dri libgbm1 libasound2 libfontconfig1 \
fonts-dejavu-core libdbus-1-3"
BUN_VERSION="1.4.4"       # Reflex 0.10 needs bun >= 1.4.4 ...
NODE_MIN_VERSION="22.22"  # ... or Node >= 22.22.
BUN_TOOLS_DIR="$ROOT/tools/bun"
# The whole Python dependency tree, pinned (scripts/lock.sh writes it); installs use it as pip constraints.
LOCK_FILE="$ROOT/requirements.lock"

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

# create_venv: make sure the virtual environment exists and runs Python 3.11+ (installs nothing).
create_venv() {
    if [ ! -x "$PY" ]; then
        [ -z "${PORTAL_VENV:-}" ] || die "PORTAL_VENV=$PORTAL_VENV is not a virtual environment (no bin/python)"
        local python
        python="$(find_python)" || die "Python 3.11 or newer is required (found: $(python3 --version 2>&1 || echo none)). Install it or set PYTHON=/path/to/python3.11."
        log "Creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV"
    fi
    "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
        die "$VENV uses Python $("$PY" -c 'import platform; print(platform.python_version())'); 3.11+ is required. Remove it and retry."
}

# deps_hash: what the installed environment must match, i.e. pyproject.toml and the lock file.
deps_hash() { cat pyproject.toml "$LOCK_FILE" 2>/dev/null | sha256sum | cut -d' ' -f1; }
DEPS_STAMP="$VENV/.installed-deps.sha256"

# install_deps: install the project (editable) with its dev extra, every version from the lock.
install_deps() {
    local constraints=()
    if [ -f "$LOCK_FILE" ]; then
        constraints=(-c "$LOCK_FILE")
    else
        log "WARNING: $(basename "$LOCK_FILE") is missing: installing unpinned versions (make lock writes it)"
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check ${constraints[@]+"${constraints[@]}"} -e '.[dev]'
}

ensure_venv() {
    create_venv
    if [ -z "${PORTAL_VENV:-}" ]; then
        local want have=""
        want="$(deps_hash)"
        [ -f "$DEPS_STAMP" ] && have="$(cat "$DEPS_STAMP")"
        if [ "$want" != "$have" ]; then
            log "Installing Python dependencies from $(basename "$LOCK_FILE") (it or pyproject.toml changed)"
            install_deps
            echo "$want" >"$DEPS_STAMP"
            rm -f "$VENV/.installed-pyproject.sha256" # the stamp's former name
        fi
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
