"""The desktop application's real window under a virtual display (Debian's ``xvfb``; ``.ci/run`` installs it).

``python -m portal_app.desktop --local`` starts its own backend on a free loopback port with its data in a
temporary home, and opens the window. A driver inside it (``desktop_driver.py``) signs in through the built-in
development identity provider, opens the task list, checks that a second launch brings the window to the front,
takes a screenshot, and closes the window. The test then checks that the backend stopped and the single-instance
lock was given back. Skipped, saying so, only when no display server can be started.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portal_app.demo import STAFF
from portal_app.desktop.instance import SingleInstance
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.server import RunningApp

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("desktop_driver.py")
FAKE_BROWSER = Path(__file__).with_name("fake_browser.py")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An X display: a fresh Xvfb when it is installed, else the one this session has, else skip."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if os.environ.get("DISPLAY"):
            yield os.environ["DISPLAY"]
            return
        pytest.skip(
            "no display server: Xvfb is not installed (apt-get install -y xvfb) and DISPLAY is not set"
        )
    read, write = os.pipe()
    proc = subprocess.Popen(  # noqa: S603  Debian's Xvfb, fixed arguments
        [xvfb, "-displayfd", str(write), "-screen", "0", "1440x960x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as ready:
        number = ready.readline().strip()  # Xvfb writes its display number once it accepts clients
    if not number:
        proc.kill()
        pytest.skip("no display server: Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _env(display: str, home: Path, email: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        DISPLAY=display,
        PORTAL_DESKTOP_HOME=str(home),
        PORTAL_DESKTOP_DRIVER=str(DRIVER),
        PORTAL_DESKTOP_SMOKE_OUT=str(home / "smoke.json"),
        PORTAL_DESKTOP_SMOKE_EMAIL=email,
        QTWEBENGINE_DISABLE_SANDBOX="1",  # root in a container: Chromium's sandbox cannot start
    )
    env.pop("WAYLAND_DISPLAY", None)
    return env


LEAD = next(email for email, _, role in STAFF if role.value == "team_lead")


def test_the_window_signs_in_opens_the_task_list_and_closes_cleanly(display: str) -> None:
    home = Path(tempfile.mkdtemp(prefix="portal-desktop-"))
    out = home / "smoke.json"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "desktop-window.png"
    env = _env(display, home, LEAD)
    env["PORTAL_DESKTOP_SMOKE_SHOT"] = str(shot)
    try:
        run = subprocess.run(  # noqa: S603  the desktop application, fixed arguments
            [sys.executable, "-m", "portal_app.desktop", "--local"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        log = run.stdout[-3000:] + run.stderr[-6000:]
        (ARTIFACTS / "desktop-window.log").write_text(log)
        assert run.returncode == 0, log
        assert out.exists(), f"the driver wrote nothing:\n{log}"
        seen = json.loads(out.read_text())
        assert seen["mode"] == "local" and seen["base"].startswith("http://localhost:")
        assert seen["submitted"] is True
        assert "Tasks" in " ".join(seen["headings"]), seen
        assert seen["workspace"] and seen["title"] == f"{seen['workspace']} — Customer Portal", seen
        assert seen["second_launch"]["rc"] == 0, seen
        assert "brought to the front" in seen["second_launch"]["stdout"], seen
        assert "window closed" in run.stderr
        # Closing the window stopped the local app and gave the instance back.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{seen['backend_port']}/api/health", timeout=2)
        again = SingleInstance(home / "runtime")
        assert again.acquire(lambda _: None)
        again.release()
        # The mode is remembered, and the data lives in the user's data directory.
        assert json.loads((home / "config" / "desktop.json").read_text())["mode"] == "local"
        assert (home / "data" / "portal.db").exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_connected_mode_signs_in_through_the_system_browser_and_a_loopback_redirect(
    display: str, app_server: RunningApp
) -> None:
    """``--server``: the gate's sign-in link opens the system browser (a stand-in that signs in at the development
    provider); the server hands a one-time code to the desktop's loopback address; the window redeems it with its
    PKCE verifier and shows the workspace. The browser's own session never reaches the window."""
    home = Path(tempfile.mkdtemp(prefix="portal-desktop-"))
    browser_log = home / "browser.json"
    env = _env(display, home, LEAD)
    env.update(
        BROWSER=f"{sys.executable} {FAKE_BROWSER} %s",
        FAKE_BROWSER_EMAIL=LEAD,
        FAKE_BROWSER_LOG=str(browser_log),
    )
    try:
        run = subprocess.run(  # noqa: S603  the desktop application, fixed arguments
            [sys.executable, "-m", "portal_app.desktop", "--server", app_server.base_url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        log = run.stdout[-3000:] + run.stderr[-6000:]
        (ARTIFACTS / "desktop-connected.log").write_text(log)
        said = browser_log.read_text() if browser_log.exists() else "(the browser wrote nothing)"
        assert run.returncode == 0 and (home / "smoke.json").exists(), f"{log}\nbrowser: {said}"
        seen = json.loads((home / "smoke.json").read_text())
        browser = json.loads(said)
        assert browser["start"] == "/auth/desktop" and browser["provider_page"].startswith("/dev-idp")
        assert browser["final_host"] == "127.0.0.1" and browser["final_path"] == "/callback", browser
        assert browser["status"] == 200 and "signed in" in browser["said"], browser
        assert "/auth/desktop/finish" in browser["redirects"] and browser["consent"] is True, browser
        assert seen["clicked"] and seen["after_sign_in"].startswith("/app"), seen
        assert seen["workspace"] and "Tasks" in " ".join(seen["headings"]), seen
        assert json.loads((home / "config" / "desktop.json").read_text())["server"] == app_server.base_url
        assert not (home / "data" / "portal.db").exists()  # connected mode keeps no data here
    finally:
        shutil.rmtree(home, ignore_errors=True)
