"""The desktop window's smoke run, inside the real window (``PORTAL_DESKTOP_DRIVER`` names this file).

Runs on a worker thread of ``python -m portal_app.desktop`` once the window shows: waits for the workspace, signs
in through the built-in development identity provider, opens the task list, tries a second launch (which must
bring this window to the front and exit), takes a screenshot of the screen, then closes the window. What it saw
goes to the JSON file ``PORTAL_DESKTOP_SMOKE_OUT`` names; the test asserts on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = float(os.environ.get("PORTAL_DESKTOP_SMOKE_TIMEOUT", "900"))


def _until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # noqa: BLE001  the page may be between loads
            last = repr(exc)
        else:
            if last:
                return last
        time.sleep(0.25)
    raise TimeoutError(f"{what}: still {last!r} after {timeout:.0f} s")


def _path(desktop: Any) -> str:
    return urlsplit(desktop.window.get_current_url() or "").path.rstrip("/") or "/"


def _headings(window: Any) -> Any:
    return window.evaluate_js(
        "Array.from(document.querySelectorAll('h1')).map(function(h){return h.textContent.trim();})"
        ".filter(function(t){return t;})"
    )


def _connected(desktop: Any) -> None:
    """Connected mode: the gate's sign-in link goes to the system browser (the test's stand-in); the session comes
    back through the loopback hand-off and the window redeems it."""
    out: dict[str, Any] = {"mode": desktop.config.mode}
    window = desktop.window
    _until("the workspace", lambda: desktop.base and _path(desktop).startswith("/app"), 120)
    out["base"] = desktop.base
    # The gate's sign-in link, or the gate's own redirect to sign-in: either way the window sends the sign-in to
    # the system browser (whichever the page does first).
    out["clicked"] = _until(
        "the gate's sign-in link, or a sign-in under way",
        lambda: (
            desktop.workspace
            or desktop.handoff is not None
            or window.evaluate_js(
                "(function(){var a=document.querySelector('a[href*=\"/auth/sign-in\"]');"
                "if(!a){return false;}a.click();return true;})()"
            )
        ),
    )
    out["workspace"] = _until("the signed-in workspace", lambda: desktop.workspace, 120)
    out["after_sign_in"] = _path(desktop)
    desktop.load(f"{desktop.base}/app/tasks")
    _until("the task list", lambda: _path(desktop) == "/app/tasks")
    out["headings"] = _until("the task list's heading", lambda: _headings(window))
    out["title"] = window.title
    Path(os.environ["PORTAL_DESKTOP_SMOKE_OUT"]).write_text(json.dumps(out))
    window.destroy()


def drive(desktop: Any) -> None:
    if desktop.config.mode == "connected":
        _connected(desktop)
        return
    out: dict[str, Any] = {}
    window = desktop.window
    email = os.environ["PORTAL_DESKTOP_SMOKE_EMAIL"]
    started = time.monotonic()
    _until("the workspace", lambda: desktop.base and _path(desktop).startswith("/app"), TIMEOUT)
    out["start_seconds"] = round(time.monotonic() - started, 1)
    out["base"] = desktop.base
    out["mode"] = desktop.config.mode
    # Signed out: the staff gate. Sign in as the demo person through the development provider, in the window.
    desktop.load(f"{desktop.base}/auth/sign-in?as=staff&next=/app/tasks")
    _until("the development sign-in page", lambda: _path(desktop).startswith("/dev-idp"))
    submitted = _until(
        "the demo person's button",
        lambda: window.evaluate_js(
            "(function(){var f=Array.from(document.querySelectorAll('form')).find(function(f){"
            f"var i=f.querySelector('input[name=email]');return i&&i.value==={json.dumps(email)};}});"
            "if(!f){return false;}f.submit();return true;})()"
        ),
    )
    out["submitted"] = submitted
    _until("the task list", lambda: _path(desktop) == "/app/tasks")
    out["headings"] = _until("the task list's heading", lambda: _headings(window))
    out["workspace"] = _until("the window's title", lambda: desktop.workspace, 30)
    out["title"] = window.title
    # A second launch brings this window to the front and exits.
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_DESKTOP_DRIVER"}
    second = subprocess.run(  # noqa: S603  the same program, fixed arguments
        [sys.executable, "-m", "portal_app.desktop"], env=env, capture_output=True, text=True, timeout=60
    )
    out["second_launch"] = {"rc": second.returncode, "stdout": second.stdout.strip()}
    shot = os.environ.get("PORTAL_DESKTOP_SMOKE_SHOT")
    if shot and shutil.which("import"):
        time.sleep(1.0)  # the page's last paint
        crop = f"{window.width}x{window.height}+{window.x}+{window.y}"  # the window, not the whole screen
        subprocess.run(  # noqa: S603  ImageMagick's import, fixed arguments
            ["import", "-window", "root", "-crop", crop, "+repage", shot],  # noqa: S607
            check=False,
            timeout=30,
        )
        out["screenshot"] = shot if Path(shot).exists() else ""
    out["backend_port"] = desktop.backend.port if desktop.backend is not None else 0
    Path(os.environ["PORTAL_DESKTOP_SMOKE_OUT"]).write_text(json.dumps(out))
    window.destroy()
