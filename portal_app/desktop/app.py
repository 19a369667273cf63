"""The desktop application: the staff workspace in a native window (``make desktop``, ``python -m portal_app.desktop``).

Two modes, chosen on the first start (or with ``--local`` / ``--server URL``) and remembered:

- **local**: the app's own backend on a free loopback port with embedded defaults, its data under the user's data
  directory (``backend.py``); closing the window stops it.
- **connected**: the window shows a hosted instance. Sign-in runs in the system browser and comes back through a
  loopback redirect with PKCE and state (``handoff.py``, RFC 8252); the desktop keeps no secret.

One instance per user: a second launch brings the running window to the front (``instance.py``). The window's size
and position are remembered; its title names the workspace; new follow-up tasks become operating-system
notifications; files the app offers for download are saved through the operating system's save dialog.

pywebview draws the window with Qt's web engine (PyQt6 from the package registry). Everything that does not need
the window lives in the modules beside this one and is tested on its own.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import importlib.util
import json
import logging
import os
import re
import signal
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from portal_app.desktop import notify, pages
from portal_app.desktop.backend import BackendError, LocalBackend
from portal_app.desktop.config import DesktopConfig, Geometry, Paths, load, normalise_server, save
from portal_app.desktop.handoff import HandoffError, LoopbackSignIn
from portal_app.desktop.instance import SingleInstance
from portal_app.desktop.ports import server_status

log = logging.getLogger("portal_app.desktop")

APP_TITLE = "Customer Portal"
RETRY_SECONDS = 10
SIGN_IN_TIMEOUT = 600.0  # seconds the window waits for the browser's sign-in
MAX_NOTIFICATIONS = 3  # at once; more become one summary
_FILENAME = re.compile(r"filename\*=UTF-8''([^;]+)|filename=\"([^\"]*)\"", re.IGNORECASE)


def has_display() -> bool:
    """A window needs a display server (X11 or Wayland on Linux; always there on macOS and Windows)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def window_toolkit_missing() -> str:
    """What is missing to draw a window ("" when nothing), in words for the terminal."""
    for module in ("webview", "qtpy", "PyQt6.QtWebEngineWidgets"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} is not installed: run `make desktop`, which installs it."
    return ""


def download_name(disposition: str, href: str) -> str:
    """The file name a download offers (RFC 6266, UTF-8 form first), else the URL's last part; never a path."""
    name = ""
    for utf8, plain in _FILENAME.findall(disposition or ""):
        if utf8:
            name = unquote(utf8)
            break
        name = name or plain
    if not name:
        name = unquote(urlsplit(href).path.rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f/\\:]", "_", name).strip(" .")
    return name[:180] or "download"


class Desktop:
    """One window and what it shows; the methods of ``Bridge`` are its only entry points from page scripts."""

    def __init__(self, paths: Paths, config: DesktopConfig) -> None:
        self.paths = paths
        self.config = config
        self.window: Any = None
        self.base = ""  # the app's origin the window shows
        self.backend: LocalBackend | None = None
        self.handoff: LoopbackSignIn | None = None
        self.cursor = ""
        self.workspace = ""
        self.maximized = config.geometry.maximized
        self.closing = threading.Event()
        self._retry = threading.Event()
        self._lock = threading.Lock()

    # -- what the window shows ---------------------------------------------------------------------------------

    def show_html(self, html: str) -> None:
        if self.window is not None and not self.closing.is_set():
            self.window.load_html(html)

    def open(self) -> None:
        """Show the chosen mode's workspace, or the choice when none is made yet (runs on a worker thread)."""
        self._retry.clear()
        if self.config.mode == "local":
            self._open_local()
        elif self.config.mode == "connected" and self.config.server:
            self._open_connected()
        else:
            self.show_html(pages.choose(self.config.server))

    def _open_local(self) -> None:
        if self.backend is None or not self.backend.alive():
            self.backend = LocalBackend(
                data_dir=self.paths.data_dir,
                work_dir=self.paths.data_dir / "app",
                log_file=self.paths.log_file.with_name("local-app.log"),
            )
            try:
                self.base = self.backend.start(progress=lambda step: self.show_html(pages.starting(step)))
            except BackendError as exc:
                if not self.closing.is_set():
                    self.show_html(pages.failed(str(exc)))
                return
        self.load(f"{self.base}/app")

    def _open_connected(self) -> None:
        server = self.config.server
        while not self.closing.is_set():
            status = server_status(server)
            if status.reachable:
                self.base = server
                self.load(f"{server}/app")
                return
            self.show_html(pages.unreachable(urlsplit(server).netloc or server, status.reason, RETRY_SECONDS))
            self._retry.wait(RETRY_SECONDS)
            self._retry.clear()

    def load(self, url: str) -> None:
        if self.window is not None and not self.closing.is_set():
            self.window.load_url(url)

    def on_loaded(self) -> None:
        """After every full page load: join app pages to the window; a sign-in page in connected mode means the
        sign-in has to happen in the browser."""
        if self.window is None or not self.base:
            return
        url = self.window.get_current_url() or ""
        if not url.startswith(self.base):
            return  # one of the window's own pages, or a page of another site (not joined)
        path = urlsplit(url).path
        if self.config.mode == "connected" and path.startswith(("/auth/sign-in", "/dev-idp")):
            threading.Thread(target=self.sign_in, daemon=True).start()
            return
        self.window.evaluate_js(pages.bridge(connected=self.config.mode == "connected"))

    # -- connected mode's sign-in ------------------------------------------------------------------------------

    def sign_in(self) -> None:
        with self._lock:
            if self.handoff is not None:
                return  # one at a time
            self.handoff = LoopbackSignIn(self.config.server)
        handoff = self.handoff
        try:
            handoff.start()
            self.show_html(pages.signing_in(urlsplit(self.config.server).netloc))
            handoff.wait(SIGN_IN_TIMEOUT)
            self.load(handoff.redeem_url())
        except HandoffError as exc:
            if not self.closing.is_set():
                self.show_html(
                    pages.message(
                        "Sign-in did not finish",
                        str(exc),
                        actions='<button type="button" onclick="window.pywebview.api.retry()">Start again</button>',
                    )
                )
        finally:
            with self._lock:
                self.handoff = None

    # -- remembered settings -----------------------------------------------------------------------------------

    def remember_geometry(self) -> None:
        window = self.window
        if window is None:
            return
        try:
            if self.maximized:  # keep the size it had before, to come back to when it is restored
                previous = self.config.geometry
                self.config.geometry = Geometry.clamped(
                    x=previous.x, y=previous.y, width=previous.width, height=previous.height, maximized=True
                )
            else:
                self.config.geometry = Geometry.clamped(
                    x=int(window.x), y=int(window.y), width=int(window.width), height=int(window.height)
                )
        except (TypeError, ValueError):
            return
        save(self.paths.config_file, self.config)

    def set_title(self, workspace: str) -> None:
        self.workspace = workspace.strip()[:120]
        title = f"{self.workspace} — {APP_TITLE}" if self.workspace else APP_TITLE
        if self.window is not None:
            self.window.set_title(title)

    def stop(self) -> None:
        """The window is closing: remember where it was, stop the local app, give up the instance."""
        self.closing.set()
        self._retry.set()
        if self.handoff is not None:
            self.handoff.cancel()
        if self.backend is not None:
            self.backend.stop()


class Bridge:
    """What page scripts may call (``window.pywebview.api``). Every argument comes from a page: checked here."""

    def __init__(self, desktop: Desktop) -> None:
        self._desktop = desktop

    def choose(self, mode: str, server: str) -> dict[str, str]:
        d = self._desktop
        if mode == "local":
            d.config.mode = "local"
        elif mode == "connected":
            try:
                d.config.server = normalise_server(str(server))
            except ValueError as exc:
                d.show_html(pages.choose(str(server)[:300], str(exc)))
                return {"error": str(exc)}
            d.config.mode = "connected"
        else:
            return {"error": "Unknown mode."}
        save(d.paths.config_file, d.config)
        threading.Thread(target=d.open, daemon=True).start()
        return {}

    def change_mode(self) -> None:
        d = self._desktop
        if d.backend is not None:
            d.backend.stop()
            d.backend = None
        d.config.mode = None
        d.base = ""
        save(d.paths.config_file, d.config)
        d._retry.set()
        d.show_html(pages.choose(d.config.server))

    def retry(self) -> None:
        d = self._desktop
        d._retry.set()
        if d.config.mode != "connected" or not d.base:
            threading.Thread(target=d.open, daemon=True).start()
        else:
            d.load(f"{d.base}/app")

    def sign_in(self) -> None:
        if self._desktop.config.mode == "connected":
            threading.Thread(target=self._desktop.sign_in, daemon=True).start()

    def cancel_sign_in(self) -> None:
        d = self._desktop
        if d.handoff is not None:
            d.handoff.cancel()
        d.load(f"{d.base}/app")

    def set_workspace(self, name: str) -> None:
        self._desktop.set_title(str(name))

    def open_external(self, url: str) -> None:
        if urlsplit(str(url)).scheme in ("http", "https", "mailto"):
            webbrowser.open(str(url))

    def activity_cursor(self) -> str:
        return self._desktop.cursor

    def activity(self, data: Any) -> int:
        """New follow-up tasks since the last look: one notification each (a summary beyond a few)."""
        if not isinstance(data, dict):
            return 0
        cursor = data.get("cursor")
        items = [i for i in data.get("items") or [] if isinstance(i, dict)]
        if isinstance(cursor, str) and len(cursor) <= 40:
            self._desktop.cursor = cursor
        if len(items) > MAX_NOTIFICATIONS:
            notify.notify(f"{len(items)} new follow-up tasks", "Open the task list in the Customer Portal.")
        else:
            for item in items:
                notify.notify(str(item.get("title") or "Customer Portal"), str(item.get("body") or ""))
        return len(items)

    def save_file(self, disposition: str, href: str, content: str) -> str:
        """Save a download through the operating system's save dialog; returns the path, "" when cancelled."""
        d = self._desktop
        try:
            data = base64.b64decode(str(content), validate=True)
        except (binascii.Error, ValueError):
            return ""
        name = download_name(str(disposition), str(href))
        chosen = save_dialog(d.window, name)
        if not chosen:
            return ""
        Path(chosen).write_bytes(data)
        log.info("download saved (%d bytes)", len(data))
        return chosen

    def download_failed(self, status: int) -> None:
        log.warning("a download failed (status %s)", status)


def save_dialog(window: Any, name: str) -> str:
    """Ask where to save ``name``; "" when cancelled. Tests set PORTAL_DESKTOP_SAVE_DIR to answer without asking."""
    answer_dir = os.environ.get("PORTAL_DESKTOP_SAVE_DIR")
    if answer_dir:
        return str(Path(answer_dir) / name)
    import webview

    downloads = Path.home() / "Downloads"
    chosen = window.create_file_dialog(
        webview.FileDialog.SAVE,
        directory=str(downloads if downloads.is_dir() else Path.home()),
        save_filename=name,
    )
    if not chosen:
        return ""
    return str(chosen[0] if isinstance(chosen, (list, tuple)) else chosen)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m portal_app.desktop", description=__doc__.split("\n\n")[0]
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--local", action="store_true", help="run the app on this computer (remembered)")
    mode.add_argument("--server", metavar="URL", help="show the hosted instance at URL (remembered)")
    mode.add_argument("--choose", action="store_true", help="forget the mode and ask again")
    return parser.parse_args(argv)


def _driver() -> Any:
    """The smoke test's script (PORTAL_DESKTOP_DRIVER: a file defining ``drive(desktop)``), run once the window
    shows; None normally."""
    path = os.environ.get("PORTAL_DESKTOP_DRIVER")
    if not path:
        return None
    spec = importlib.util.spec_from_file_location("portal_desktop_driver", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.drive


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths = Paths.default()
    paths.ensure()
    config = load(paths.config_file)
    if args.local:
        config.mode = "local"
    elif args.server:
        try:
            config.server = normalise_server(args.server)
        except ValueError as exc:
            print(f"--server: {exc}", file=sys.stderr)
            return 2
        config.mode = "connected"
    elif args.choose:
        config.mode = None
    missing = window_toolkit_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 3
    if not has_display():
        print("No display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set).", file=sys.stderr)
        return 3

    desktop = Desktop(paths, config)
    instance = SingleInstance(paths.runtime_dir)

    def on_message(command: str) -> None:
        window = desktop.window
        if window is None:
            return
        if command == "focus":
            window.restore()
            window.show()
            window.on_top = True
            window.on_top = False

    if not instance.acquire(on_message):
        if instance.send("focus"):
            print("The Customer Portal is already open: its window was brought to the front.")
            return 0
        print("Another Customer Portal window is starting; try again in a moment.", file=sys.stderr)
        return 1
    save(paths.config_file, config)
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1" if os.geteuid() == 0 else "")
    if not os.environ["QTWEBENGINE_DISABLE_SANDBOX"]:
        del os.environ["QTWEBENGINE_DISABLE_SANDBOX"]
    import webview

    geometry = config.geometry
    window = webview.create_window(
        APP_TITLE,
        html=pages.starting("Opening…"),
        js_api=Bridge(desktop),
        width=geometry.width,
        height=geometry.height,
        x=geometry.x,
        y=geometry.y,
        min_size=(640, 480),
        maximized=geometry.maximized,
        text_select=True,
    )
    assert window is not None
    desktop.window = window
    window.events.loaded += desktop.on_loaded
    window.events.closing += desktop.remember_geometry
    window.events.maximized += lambda: setattr(desktop, "maximized", True)
    window.events.restored += lambda: setattr(desktop, "maximized", False)
    drive = _driver()

    def started(_: Any) -> None:
        desktop.open()
        if drive is not None:
            threading.Thread(target=_run_driver, args=(drive, desktop), daemon=True).start()

    def terminate(*_: Any) -> None:
        threading.Thread(target=window.destroy, daemon=True).start()

    signal.signal(signal.SIGTERM, terminate)
    try:
        webview.start(
            started,
            (window,),
            gui="qt",
            private_mode=False,
            storage_path=str(paths.profile_dir),
        )
    finally:
        desktop.stop()
        instance.release()
    log.info("window closed")
    return 0


def _run_driver(drive: Any, desktop: Desktop) -> None:
    try:
        drive(desktop)
    except Exception:  # noqa: BLE001  the test reads the outcome from what the driver wrote
        log.exception("the driver failed")
        print(json.dumps({"driver": "failed"}), flush=True)
        desktop.window.destroy()
