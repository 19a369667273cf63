"""The desktop window's glue without a window: what page scripts may call (``Bridge``), download names, the
window's own pages, the local backend's environment, and that the paths it uses are the app's routes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from portal_app import routes
from portal_app.desktop import app, handoff, pages
from portal_app.desktop.app import Bridge, Desktop, download_name
from portal_app.desktop.backend import backend_env, sync_project
from portal_app.desktop.config import DesktopConfig, Geometry, Paths, load


class FakeWindow:
    """What the glue calls on a pywebview window, recorded."""

    def __init__(self, url: str = "http://localhost:41234/app/tasks") -> None:
        self.url = url
        self.scripts: list[str] = []
        self.html: list[str] = []
        self.urls: list[str] = []
        self.titles: list[str] = []
        self.x, self.y, self.width, self.height = 40, 30, 1000, 700

    def load_html(self, html: str) -> None:
        self.html.append(html)

    def load_url(self, url: str) -> None:
        self.urls.append(url)

    def set_title(self, title: str) -> None:
        self.titles.append(title)

    def get_current_url(self) -> str:
        return self.url

    def evaluate_js(self, script: str) -> None:
        self.scripts.append(script)


@pytest.fixture()
def desktop(tmp_path: Path) -> Desktop:
    paths = Paths.under(tmp_path).ensure()
    d = Desktop(paths, DesktopConfig())
    d.window = FakeWindow()
    d.base = "http://localhost:41234"
    return d


def test_the_paths_the_desktop_uses_are_the_apps_routes() -> None:
    assert pages.ACTIVITY_PATH == routes.DESKTOP_ACTIVITY
    assert handoff.SIGN_IN_PATH == routes.DESKTOP_SIGN_IN
    assert handoff.REDEEM_PATH == routes.DESKTOP_REDEEM


@pytest.mark.parametrize(
    ("disposition", "href", "name"),
    [
        (
            "attachment; filename=\"statement.pdf\"; filename*=UTF-8''Stat%C3%A9ment.pdf",
            "/x",
            "Statément.pdf",
        ),
        ('attachment; filename="invoices.csv"', "/files/1", "invoices.csv"),
        ("", "http://localhost:3000/api/statements/7/pdf", "pdf"),
        ('attachment; filename="../../etc/passwd"', "/x", "_.._etc_passwd"),
        ("attachment; filename*=UTF-8''..%2F..%2Fsecret", "/x", "_.._secret"),
        ('attachment; filename="   "', "/", "download"),
    ],
)
def test_a_download_is_named_by_its_disposition_and_never_names_a_path(
    disposition: str, href: str, name: str
) -> None:
    assert download_name(disposition, href) == name
    assert "/" not in download_name(disposition, href)


def test_save_file_writes_what_the_page_sent_where_the_dialog_said(
    desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "saved"
    target.mkdir()
    asked: list[str] = []

    def dialog(window: Any, name: str) -> str:
        asked.append(name)
        return str(target / name)

    monkeypatch.setattr(app, "save_dialog", dialog)
    data = b"%PDF-1.7 statement"
    path = Bridge(desktop).save_file(
        'attachment; filename="statement.pdf"', "/x", base64.b64encode(data).decode()
    )
    assert path == str(target / "statement.pdf") and asked == ["statement.pdf"]
    assert (target / "statement.pdf").read_bytes() == data
    desktop.window.url = "https://evil.example/page"  # another site's page gets no dialog
    assert (
        Bridge(desktop).save_file('attachment; filename="x.pdf"', "/x", base64.b64encode(data).decode()) == ""
    )
    assert asked == ["statement.pdf"]


def test_save_file_refuses_what_is_not_base64_and_a_cancelled_dialog_saves_nothing(
    desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "save_dialog", lambda window, name: str(tmp_path / name))
    assert Bridge(desktop).save_file('attachment; filename="a.csv"', "/x", "not base64!!") == ""
    assert not (tmp_path / "a.csv").exists()
    monkeypatch.setattr(app, "save_dialog", lambda window, name: "")
    assert (
        Bridge(desktop).save_file('attachment; filename="b.csv"', "/x", base64.b64encode(b"x").decode()) == ""
    )


def test_activity_notifies_each_new_task_and_keeps_the_cursor(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, str]] = []

    def notify(title: str, body: str, **_: Any) -> bool:
        sent.append((title, body))
        return True

    monkeypatch.setattr(app.notify, "notify", notify)
    bridge = Bridge(desktop)
    assert bridge.activity({"cursor": "12", "items": []}) == 0
    assert bridge.activity_cursor() == "12"
    items = [{"id": 13, "title": "New follow-up task", "body": "Approve the fit-out · Contoso"}]
    assert bridge.activity({"cursor": "13", "items": items}) == 1
    assert sent == [("New follow-up task", "Approve the fit-out · Contoso")]
    assert bridge.activity_cursor() == "13"
    many = [{"title": f"Task {n}", "body": ""} for n in range(5)]
    bridge.activity({"cursor": "18", "items": many})
    assert sent[-1] == ("5 new follow-up tasks", "Open the task list in the Customer Portal.")


@pytest.mark.parametrize(
    "data", [None, "x", [], {"cursor": 5, "items": "no"}, {"cursor": "9" * 41}, {"cursor": "x1"}]
)
def test_activity_ignores_what_is_not_the_feed(desktop: Desktop, data: Any) -> None:
    assert Bridge(desktop).activity(data) == 0
    assert desktop.cursor == ""


def test_choosing_a_mode_is_checked_and_remembered(desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(Desktop, "open", lambda self: opened.append(str(self.config.mode)))
    bridge, key = Bridge(desktop), desktop.page_key
    answer = bridge.choose(key, "connected", "ftp://portal.example.com")
    assert answer["error"]
    assert desktop.config.mode is None and "ftp://portal.example.com" in desktop.window.html[-1]
    assert bridge.choose(key, "root", "") == {"error": "Unknown mode."}
    # A web page the window shows does not know the key: it cannot point the app at another server.
    assert bridge.choose("guess", "connected", "https://evil.example") == {"error": "Not allowed."}
    assert bridge.choose(None, "connected", "https://evil.example") == {"error": "Not allowed."}  # type: ignore[arg-type]
    assert not desktop.paths.config_file.exists()
    assert bridge.choose(key, "connected", "HTTPS://Portal.Example.com/") == {}
    saved = load(desktop.paths.config_file)
    assert saved.mode == "connected" and saved.server == "https://portal.example.com"


def test_the_title_names_the_workspace(desktop: Desktop) -> None:
    Bridge(desktop).set_workspace("  Northwind Traders ")
    Bridge(desktop).set_workspace("")
    desktop.window.url = "https://portal.example.com.evil.test/"
    Bridge(desktop).set_workspace("Your bank")
    assert desktop.window.titles == ["Northwind Traders — Customer Portal", "Customer Portal"]


def test_size_and_position_are_remembered_and_a_maximized_window_keeps_its_normal_size(
    desktop: Desktop,
) -> None:
    desktop.remember_geometry()
    assert load(desktop.paths.config_file).geometry == Geometry(x=40, y=30, width=1000, height=700)
    desktop.maximized = True
    desktop.window.width, desktop.window.height = 1920, 1080
    desktop.remember_geometry()
    assert load(desktop.paths.config_file).geometry == Geometry(
        x=40, y=30, width=1000, height=700, maximized=True
    )


def test_only_web_and_mail_links_go_to_the_system_browser(
    monkeypatch: pytest.MonkeyPatch, desktop: Desktop
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(app.webbrowser, "open", opened.append)
    bridge = Bridge(desktop)
    for url in (
        "https://example.com/help",
        "mailto:help@example.com",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ):
        bridge.open_external(url)
    assert opened == ["https://example.com/help", "mailto:help@example.com"]


def test_the_windows_pages_escape_what_they_show_and_carry_the_key() -> None:
    html = pages.choose('"><script>alert(1)</script>', "<b>bad</b>", key="k3y")
    assert "<script>alert(1)" not in html and "&lt;b&gt;bad" in html
    assert "choose(&quot;k3y&quot;, &#x27;local&#x27;, &#x27;&#x27;)" in html
    assert "<script>" not in pages.unreachable("<x>", "<y>", 10, key="k")
    assert "retry(&quot;k&quot;)" in pages.failed("no", key="k")
    shown = pages.signing_in(
        "portal.example.com", key="k", address="https://portal.example.com/auth/desktop?x=1"
    )
    assert 'value="https://portal.example.com/auth/desktop?x=1"' in shown
    script = pages.bridge(connected=True)
    assert "var connected = true;" in script and routes.DESKTOP_ACTIVITY in script
    assert "var connected = false;" in pages.bridge(connected=False)


def test_local_mode_runs_on_embedded_defaults_whatever_the_shell_says(tmp_path: Path) -> None:
    shell = {
        "PATH": "/usr/bin",
        "PORTAL_DATABASE_URL": "postgresql+psycopg://prod/db",
        "PORTAL_ENV": "prod",
        "REFLEX_REDIS_URL": "redis://prod",
        "PORTAL_DESKTOP_HOME": "/keep",
    }
    env = backend_env(tmp_path, 41234, shell)
    assert env["PORTAL_DATABASE_URL"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert env["PORTAL_ENV"] == "dev" and env["PORTAL_STORAGE_DIR"] == str(tmp_path / "files")
    assert env["PORTAL_PUBLIC_BASE_URL"] == "http://localhost:41234"
    assert "REFLEX_REDIS_URL" not in env and env["PORTAL_DESKTOP_HOME"] == "/keep"


def test_the_private_copy_leaves_build_output_and_local_settings_out(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "copy"
    for name in ("rxconfig.py", "portal_app/x.py", ".env", ".web/big.js", "var/portal.db", ".git/HEAD"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(json.dumps(name))
    # What an earlier launch left: a build to keep, and a migration the checkout has since removed.
    for name in (".web/build.js", "alembic/versions/0099_gone.py", "portal_app/gone.py"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text("old")
    sync_project(source, target)
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert copied == [".web/build.js", "portal_app/x.py", "rxconfig.py"]


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("http://localhost:41234/app", True),
        ("http://localhost:41234", True),
        ("http://localhost:4123/app", False),
        ("http://localhost:412345/app", False),
        ("https://localhost:41234/app", False),
        ("http://localhost:41234@evil.test/app", False),
        ("http://localhost.evil.test:41234/app", False),
        ("http://user:pw@localhost:41234/app", False),
        ("file:///etc/passwd", False),
    ],
)
def test_same_origin_is_scheme_host_and_port_exactly(url: str, same: bool) -> None:
    assert app.same_origin(url, "http://localhost:41234") is same


def test_https_default_ports_are_the_same_origin() -> None:
    assert app.same_origin("https://portal.example.com:443/app", "https://portal.example.com")
    assert not app.same_origin("https://portal.example.com.evil.test/app", "https://portal.example.com")


def test_the_navigation_guard_keeps_other_sites_out_of_the_window(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(app.webbrowser, "open", opened.append)
    started: list[str] = []
    monkeypatch.setattr(Desktop, "sign_in", lambda self: started.append("sign-in"))
    allow = desktop.allow_navigation
    assert allow("http://localhost:41234/app/tasks", redirect=False)
    assert allow("data:text/html,<p>own page</p>", redirect=False)
    assert not allow("https://evil.example/", redirect=False)
    assert opened == ["https://evil.example/"]
    desktop.config.mode = "connected"
    assert not allow(
        "https://accounts.google.com/o/oauth2/auth", redirect=True
    )  # sign-in goes to the browser
    for thread in desktop._threads:
        thread.join(5)
    assert started == ["sign-in"] and opened == ["https://evil.example/"]


def test_a_stale_open_loop_does_not_cover_a_newer_page(desktop: Desktop) -> None:
    desktop.show_html("<p>old</p>", generation=desktop._generation)
    Bridge(desktop).change_mode(desktop.page_key)  # a newer page: the choice
    desktop.show_html("<p>stale</p>", generation=desktop._generation - 1)
    assert desktop.window.html[-1] != "<p>stale</p>" and "How do you want to work?" in desktop.window.html[-1]
    before = len(desktop.window.html)
    Bridge(desktop).change_mode("not the key")
    assert len(desktop.window.html) == before


def test_only_the_bridges_own_methods_are_exposed() -> None:
    exposed = {name for name in dir(Bridge) if not name.startswith("_")}
    assert exposed == {
        "activity", "activity_cursor", "cancel_sign_in", "change_mode", "choose", "download_failed",
        "open_external", "retry", "save_file", "set_workspace", "sign_in", "sign_in_again",
    }  # fmt: skip


def test_a_backend_stopped_before_it_started_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_app.desktop import backend as backend_module

    local = backend_module.LocalBackend(
        data_dir=tmp_path / "data", work_dir=tmp_path / "app", log_file=tmp_path / "l"
    )
    monkeypatch.setattr(backend_module, "sync_project", lambda source, target: None)
    monkeypatch.setattr(backend_module.LocalBackend, "_run", lambda self, env, *args: local.stop())
    with pytest.raises(backend_module.BackendError, match="closed while the app was starting"):
        local.start()
    assert local.process is None
