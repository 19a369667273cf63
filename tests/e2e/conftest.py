"""Browser tests against the real app: ``reflex run --env prod`` in a subprocess, Debian's Chromium via Playwright.

One app per test session (its own temporary SQLite database, migrated and seeded with the demo data). Chromium
comes from the system (``/usr/bin/chromium``); Playwright's own browser download is never used.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.server import RunningApp, start

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Reflex answers events over a websocket; give a page a little longer than Playwright's default to settle.
TIMEOUT_MS = 20_000
# Assertions wait as long as actions do: on a busy 2-core machine a toast can take longer than Playwright's 5 s.
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _need_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def app_server() -> Iterator[RunningApp]:
    _need_browser()
    workdir = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
    try:
        app = start(workdir)
        try:
            yield app
        finally:
            app.stop()
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                shutil.copyfile(app.log_path, ARTIFACTS / "e2e-reflex.log")
    finally:
        # The private project copy holds a whole frontend build (node_modules): do not leave it behind.
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _need_browser()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def new_page(browser: Browser, app_server: RunningApp) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (separate cookie jars: separate people)."""
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=app_server.base_url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/ (scrolled to the top so the sticky header stays put)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    return path


APP_URL = re.compile(r".*/app/?$")
PORTAL_URL = re.compile(r".*/portal/?$")
