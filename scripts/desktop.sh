#!/usr/bin/env bash
# make desktop: the staff workspace in a native window (python -m portal_app.desktop; see README "Desktop app").
#   make desktop                       the mode chosen before, or the choice on the first start
#   make desktop ARGS=--local          the app on this computer (its data under the user's data directory)
#   make desktop ARGS="--server URL"   a hosted instance (sign-in runs in the system browser)
# pywebview draws the window with Qt's web engine from PyQt6's wheels, which .venv gets from the package registry
# (pyproject.toml's "desktop" extra). On Linux, Qt also loads a few system libraries: this says which are missing.
. "$(dirname "$0")/common.sh"

ensure_venv
ensure_js_toolchain  # local mode builds and serves the app as make run does

if [ "$(uname -s)" = Linux ]; then
    missing=()
    for lib in libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-image.so.0 libxcb-render-util.so.0 \
        libxkbcommon-x11.so.0 libnss3.so libXcomposite.so.1 libXdamage.so.1 libXtst.so.6 libasound.so.2 libgbm.so.1; do
        found=""
        for dir in /usr/lib/*-linux-gnu /lib/*-linux-gnu /usr/lib64 /usr/lib /lib64 /lib; do
            [ -e "$dir/$lib" ] && found=1 && break
        done
        [ -n "$found" ] || missing+=("$lib")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "Qt's web engine needs system libraries that are missing: ${missing[*]}"
        log "On Debian or Ubuntu: sudo apt-get install -y $DESKTOP_APT_PACKAGES"
        exit 1
    fi
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
        die "no display: the desktop app needs a graphical session (DISPLAY or WAYLAND_DISPLAY)"
    fi
fi
[ "$(id -u)" != 0 ] || export QTWEBENGINE_DISABLE_SANDBOX="${QTWEBENGINE_DISABLE_SANDBOX:-1}"
# shellcheck disable=SC2086  # ARGS is split on purpose: make desktop ARGS="--server https://…"
exec "$PY" -m portal_app.desktop ${ARGS:-} "$@"
