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
import hmac
import importlib.util
import json
import logging
import os
import re
import secrets
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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the app's origin ``base``: scheme, host and port exactly (a prefix is not enough:
    ``https://portal.example.com.evil.test`` and ``https://portal.example.com@evil.test`` are other sites)."""
    try:
        a, b = urlsplit(url), urlsplit(base)
        a_port = a.port or _DEFAULT_PORTS.get(a.scheme)
        b_port = b.port or _DEFAULT_PORTS.get(b.scheme)
    except ValueError:
        return False
    return (
        bool(b.hostname)
        and a.scheme == b.scheme
        and a.hostname == b.hostname
        and a_port == b_port
        and a.username is None
        and a.password is None
    )


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
        # Only the window's own pages (pages.py) carry this key: a web page the window shows cannot call the
        # methods that change the mode or the server.
        self.page_key = secrets.token_urlsafe(24)
        self.closing = threading.Event()
        self._retry = threading.Event()
        self._lock = threading.Lock()
        self._generation = 0  # each open() supersedes the ones before: their loops stop showing pages
        self._threads: list[threading.Thread] = []

    # -- what the window shows ---------------------------------------------------------------------------------

    def show_html(self, html: str, generation: int | None = None) -> None:
        if self.window is None or self.closing.is_set():
            return
        if generation is not None and generation != self._generation:
            return  # a newer open() owns the window now
        self.window.load_html(html)

    def in_background(self, work: Any, *args: Any) -> None:
        """Run ``work`` on a thread the window waits for when it closes (never on the GUI thread)."""
        thread = threading.Thread(target=work, args=args, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def open(self) -> None:
        """Show the chosen mode's workspace, or the choice when none is made yet (runs on a worker thread)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._retry.clear()
        if self.config.mode == "local":
            self._open_local(generation)
        elif self.config.mode == "connected" and self.config.server:
            self._open_connected(generation)
        else:
            self.show_html(pages.choose(self.config.server, key=self.page_key), generation)

    def _open_local(self, generation: int) -> None:
        with self._lock:
            backend = self.backend
            if backend is None or not backend.alive():
                backend = self.backend = LocalBackend(
                    data_dir=self.paths.data_dir,
                    work_dir=self.paths.data_dir / "app",
                    log_file=self.paths.log_file.with_name("local-app.log"),
                )
                starting = True
            else:
                starting = False
        if starting:
            try:
                self.base = backend.start(
                    progress=lambda step: self.show_html(pages.starting(step), generation)
                )
            except BackendError as exc:
                self.show_html(pages.failed(str(exc), key=self.page_key), generation)
                return
        elif not backend.url or not self.base:
            return  # another open() is starting it: that one shows the workspace
        if generation == self._generation:
            self.load(f"{self.base}/app")

    def _open_connected(self, generation: int) -> None:
        server = self.config.server
        while not self.closing.is_set() and generation == self._generation:
            status = server_status(server)
            if generation != self._generation:
                return
            if status.reachable:
                self.base = server
                self.load(f"{server}/app")
                return
            host = urlsplit(server).netloc or server
            self.show_html(
                pages.unreachable(host, status.reason, RETRY_SECONDS, key=self.page_key), generation
            )
            self._retry.wait(RETRY_SECONDS)
            self._retry.clear()

    def load(self, url: str) -> None:
        if self.window is not None and not self.closing.is_set():
            self.window.load_url(url)

    def on_app_page(self) -> bool:
        """Whether the window shows a page of the app's origin right now."""
        if self.window is None or not self.base:
            return False
        try:
            return same_origin(self.window.get_current_url() or "", self.base)
        except Exception:  # noqa: BLE001  between two loads: refuse
            return False

    def on_loaded(self) -> None:
        """After every full page load: join app pages to the window; a sign-in page in connected mode means the
        sign-in has to happen in the browser."""
        if not self.on_app_page():
            return  # one of the window's own pages (not joined)
        path = urlsplit(self.window.get_current_url() or "").path
        if self.config.mode == "connected" and path.startswith(("/auth/sign-in", "/dev-idp")):
            self.in_background(self.sign_in)
            return
        self.window.evaluate_js(pages.bridge(connected=self.config.mode == "connected"))

    def allow_navigation(self, url: str, *, redirect: bool) -> bool:
        """The window's navigation guard: only the app's origin (and the window's own pages) load in the window.
        A link elsewhere opens in the system browser; in connected mode a redirect away (to the identity provider)
        starts the sign-in in the browser instead."""
        scheme = urlsplit(url).scheme
        if scheme in ("data", "about", "file", "blob") or (self.base and same_origin(url, self.base)):
            return True
        if self.config.mode == "connected" and self.base and redirect:
            self.in_background(self.sign_in)
        elif scheme in ("http", "https", "mailto"):
            webbrowser.open(url)
        log.info("kept a page of another site out of the window")
        return False

    # -- connected mode's sign-in ------------------------------------------------------------------------------

    def sign_in(self) -> None:
        server = self.config.server
        with self._lock:
            if self.handoff is not None or not server:
                return  # one at a time
            handoff = self.handoff = LoopbackSignIn(server)
            generation = self._generation
        host = urlsplit(server).netloc
        try:
            try:
                address = handoff.start()
            except OSError as exc:
                raise HandoffError("The sign-in could not start on this computer.") from exc
            shown = "" if handoff.browser_opened else address
            self.show_html(pages.signing_in(host, key=self.page_key, address=shown), generation)
            handoff.wait(SIGN_IN_TIMEOUT)
            if generation == self._generation and self.config.server == server:
                self.load(handoff.redeem_url())
        except HandoffError as exc:
            if handoff.cancelled:
                return  # the person pressed Cancel: the window already went back
            self.show_html(pages.sign_in_failed(str(exc), key=self.page_key), generation)
        finally:
            handoff.close()
            with self._lock:
                if self.handoff is handoff:
                    self.handoff = None

    def cancel_sign_in(self) -> None:
        handoff = self.handoff
        if handoff is not None:
            handoff.cancel()
        if self.base:
            self.load(f"{self.base}/app")

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

    def stop(self, wait: float = 30.0) -> None:
        """The window is closing: stop the local app (even one still starting) and wait for the window's threads,
        so the next launch never finds this one's backend or migration still running."""
        self.closing.set()
        self._retry.set()
        with self._lock:
            self._generation += 1
            handoff, backend, threads = self.handoff, self.backend, list(self._threads)
        if handoff is not None:
            handoff.cancel()
        if backend is not None:
            backend.stop()
        for thread in threads:
            thread.join(wait)
        if backend is not None:
            backend.stop()  # one that a thread started while the first stop ran


class Bridge:
    """What page scripts may call (``window.pywebview.api``). Every argument comes from a page: checked here.

    The window's own pages pass the launch's key (``Desktop.page_key``) to the methods that change the mode or the
    server; the others answer only while the window shows a page of the app's origin (the navigation guard keeps
    other sites out of the window).
    """

    def __init__(self, desktop: Desktop) -> None:
        self._desktop = desktop

    def _own_page(self, key: object) -> bool:
        ok = isinstance(key, str) and hmac.compare_digest(key.encode(), self._desktop.page_key.encode())
        if not ok:
            log.warning("a page without the window's key called one of its own page's actions: refused")
        return ok

    def choose(self, key: str, mode: str, server: str) -> dict[str, str]:
        d = self._desktop
        if not self._own_page(key):
            return {"error": "Not allowed."}
        if mode == "local":
            d.config.mode = "local"
        elif mode == "connected":
            try:
                d.config.server = normalise_server(str(server))
            except ValueError as exc:
                d.show_html(pages.choose(str(server)[:300], str(exc), key=d.page_key))
                return {"error": str(exc)}
            d.config.mode = "connected"
        else:
            return {"error": "Unknown mode."}
        save(d.paths.config_file, d.config)
        d.in_background(d.open)
        return {}

    def change_mode(self, key: str) -> None:
        d = self._desktop
        if not self._own_page(key):
            return
        with d._lock:
            d._generation += 1  # loops of the mode left behind stop showing pages
            backend, d.backend = d.backend, None
        if backend is not None:
            d.in_background(backend.stop)
        d.config.mode = None
        d.base = ""
        save(d.paths.config_file, d.config)
        d._retry.set()
        d.show_html(pages.choose(d.config.server, key=d.page_key))

    def retry(self, key: str) -> None:
        d = self._desktop
        if not self._own_page(key):
            return
        if d.config.mode == "connected" and d.base:
            d.load(f"{d.base}/app")
        elif d.config.mode == "connected" and not d._retry.is_set() and d.handoff is None:
            d._retry.set()  # the waiting loop checks again now
        else:
            d.in_background(d.open)

    def cancel_sign_in(self, key: str) -> None:
        if self._own_page(key):
            self._desktop.cancel_sign_in()

    def sign_in_again(self, key: str) -> None:
        if self._own_page(key) and self._desktop.config.mode == "connected":
            self._desktop.in_background(self._desktop.sign_in)

    def sign_in(self) -> None:
        d = self._desktop
        if d.config.mode == "connected" and d.on_app_page():
            d.in_background(d.sign_in)

    def set_workspace(self, name: str) -> None:
        if self._desktop.on_app_page():
            self._desktop.set_title(str(name))

    def open_external(self, url: str) -> None:
        if self._desktop.on_app_page() and urlsplit(str(url)).scheme in ("http", "https", "mailto"):
            webbrowser.open(str(url))

    def activity_cursor(self) -> str:
        return self._desktop.cursor

    def activity(self, data: Any) -> int:
        """New follow-up tasks since the last look: one notification each (a summary beyond a few)."""
        if not isinstance(data, dict) or not self._desktop.on_app_page():
            return 0
        cursor = data.get("cursor")
        items = [i for i in data.get("items") or [] if isinstance(i, dict)]
        if isinstance(cursor, str) and cursor.isdigit() and len(cursor) <= 18:
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
        if not d.on_app_page():
            return ""
        try:
            data = base64.b64decode(str(content), validate=True)
        except (binascii.Error, ValueError):
            return ""
        name = download_name(str(disposition), str(href))
        chosen = save_dialog(d.window, name)
        if not chosen:
            return ""
        try:
            Path(chosen).write_bytes(data)
        except OSError as exc:
            log.warning("a download could not be saved: %s", exc.strerror)
            d.window.evaluate_js(f"alert({json.dumps('The file could not be saved: ' + str(exc.strerror))})")
            return ""
        log.info("download saved (%d bytes)", len(data))
        return chosen

    def download_failed(self, status: int) -> None:
        log.warning("a download failed (status %s)", status)
        if self._desktop.on_app_page():
            self._desktop.window.evaluate_js("alert('The file could not be downloaded. Try again.')")


def save_dialog(window: Any, name: str) -> str:
    """Ask where to save ``name`` with the operating system's save dialog; "" when cancelled."""
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


def guard_window(desktop: Desktop) -> None:
    """Install the navigation guard and refuse camera, microphone and the like, on pywebview's Qt page class
    (before the window exists: Qt looks the overrides up on the class)."""
    from qtpy.QtWebEngineCore import QWebEnginePage
    from webview.platforms import qt as qt_platform

    redirect = QWebEnginePage.NavigationType.NavigationTypeRedirect

    def accept_navigation(page: Any, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        if not is_main_frame:
            return True
        return desktop.allow_navigation(url.toString(), redirect=nav_type == redirect)

    def refuse_feature(page: Any, url: Any, feature: Any) -> None:
        page.setFeaturePermission(url, feature, QWebEnginePage.PermissionPolicy.PermissionDeniedByUser)

    page_class: Any = qt_platform.BrowserView.WebPage
    page_class.acceptNavigationRequest = accept_navigation
    page_class.onFeaturePermissionRequested = refuse_feature


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
    to_file = logging.FileHandler(
        paths.log_file, encoding="utf-8"
    )  # started from a menu, stderr goes nowhere
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(to_file)
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
            if args.local or args.server or args.choose:
                print("Close that window to start in another mode.")
            return 0
        print("Another Customer Portal window is starting; try again in a moment.", file=sys.stderr)
        return 1
    save(paths.config_file, config)
    if getattr(os, "geteuid", lambda: -1)() == 0 and "QTWEBENGINE_DISABLE_SANDBOX" not in os.environ:
        # The web engine's sandbox refuses to run as root (a container, say): it runs without it, and says so.
        log.warning("running as root: the web engine's sandbox is off")
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
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
    guard_window(desktop)
    window.events.loaded += desktop.on_loaded
    window.events.closing += desktop.remember_geometry
    window.events.maximized += lambda: setattr(desktop, "maximized", True)
    window.events.restored += lambda: setattr(desktop, "maximized", False)
    drive = _driver()

    def started(_: Any) -> None:
        desktop.in_background(desktop.open)
        if drive is not None:
            threading.Thread(target=_run_driver, args=(drive, desktop), daemon=True).start()

    def terminate(*_: Any) -> None:
        threading.Thread(target=window.destroy, daemon=True).start()

    signal.signal(signal.SIGTERM, terminate)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, terminate)  # the terminal it was started from closed
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
