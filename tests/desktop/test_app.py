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

    def __init__(self) -> None:
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


@pytest.fixture()
def desktop(tmp_path: Path) -> Desktop:
    paths = Paths.under(tmp_path).ensure()
    d = Desktop(paths, DesktopConfig())
    d.window = FakeWindow()
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
    monkeypatch.setenv("PORTAL_DESKTOP_SAVE_DIR", str(target))
    data = b"%PDF-1.7 statement"
    path = Bridge(desktop).save_file(
        'attachment; filename="statement.pdf"', "/x", base64.b64encode(data).decode()
    )
    assert path == str(target / "statement.pdf")
    assert (target / "statement.pdf").read_bytes() == data


def test_save_file_refuses_what_is_not_base64_and_a_cancelled_dialog_saves_nothing(
    desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DESKTOP_SAVE_DIR", str(tmp_path))
    assert Bridge(desktop).save_file('attachment; filename="a.csv"', "/x", "not base64!!") == ""
    assert not (tmp_path / "a.csv").exists()
    monkeypatch.delenv("PORTAL_DESKTOP_SAVE_DIR")
    monkeypatch.setattr(app, "save_dialog", lambda window, name: "")
    assert (
        Bridge(desktop).save_file('attachment; filename="b.csv"', "/x", base64.b64encode(b"x").decode()) == ""
    )


def test_activity_notifies_each_new_task_and_keeps_the_cursor(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(app.notify, "notify", lambda title, body, **_: sent.append((title, body)) or True)
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


@pytest.mark.parametrize("data", [None, "x", [], {"cursor": 5, "items": "no"}, {"cursor": "9" * 41}])
def test_activity_ignores_what_is_not_the_feed(desktop: Desktop, data: Any) -> None:
    assert Bridge(desktop).activity(data) == 0
    assert desktop.cursor == ""


def test_choosing_a_mode_is_checked_and_remembered(desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(Desktop, "open", lambda self: opened.append(str(self.config.mode)))
    bridge = Bridge(desktop)
    answer = bridge.choose("connected", "ftp://portal.example.com")
    assert answer["error"]
    assert desktop.config.mode is None and "ftp://portal.example.com" in desktop.window.html[-1]
    assert bridge.choose("root", "") == {"error": "Unknown mode."}
    assert bridge.choose("connected", "HTTPS://Portal.Example.com/") == {}
    saved = load(desktop.paths.config_file)
    assert saved.mode == "connected" and saved.server == "https://portal.example.com"


def test_the_title_names_the_workspace(desktop: Desktop) -> None:
    Bridge(desktop).set_workspace("  Northwind Traders ")
    Bridge(desktop).set_workspace("")
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


def test_the_windows_pages_escape_what_they_show() -> None:
    html = pages.choose('"><script>alert(1)</script>', "<b>bad</b>")
    assert "<script>alert(1)" not in html and "&lt;b&gt;bad" in html
    assert "<script>" not in pages.unreachable("<x>", "<y>", 10)
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
    sync_project(source, target)
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert copied == ["portal_app/x.py", "rxconfig.py"]
