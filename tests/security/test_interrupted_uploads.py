"""Abuse suite, uploads that never finish (issue 12; SECURITY.md 17): a body that stalls or is cut after its
first chunk, sent as raw ASGI messages to every upload route. Nothing is stored, no temp file is left behind and the
earlier uploads are untouched. The harness is in ``upload_support.py``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from portal_app.api.uploads import STALLED
from portal_app.settings import get_settings
from tests.aio import run_async
from tests.security import upload_support
from tests.security.upload_support import (
    PDF,
    ROUTES,
    World,
    assert_earlier_uploads_untouched,
    real_png,
    route_url,
    snapshot,
    upload_headers,
)

# The harness's fixtures: pytest finds a fixture by its name in the test module (the last two are autouse).
asgi, world = upload_support.asgi, upload_support.world
fresh_upload_limiter, system_tmp = upload_support.fresh_upload_limiter, upload_support.system_tmp

# -- a slow upload that never finishes ---------------------------------------------------------------------------


def _scope(w: World, route: str, name: str) -> dict[str, Any]:
    """The ASGI scope of an upload POST to ``route`` as the harness's signed-in actor would send it."""
    url = route_url(w, route)
    path, _, query = url.partition("?")
    headers = upload_headers(w, route, name)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("localhost", 8000),
        "client": ("127.0.0.1", 50_000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def _raw_post(app: Any, w: World, route: str, *, then: str) -> list[dict[str, Any]]:
    """POST the first chunk of a file, then stall forever and either let the app's own idle timeout answer
    (``then="wait"``) or give up first (``"stall"``: the task is cancelled, as when the server shuts down), or cut
    the connection (``"cut"``). Returns the ASGI messages the app sent."""
    scope = _scope(w, route, "slow.pdf")
    first = (real_png() if route == "logo" else PDF)[:40]
    sent: list[dict[str, Any]] = []

    async def go() -> None:
        stalled = asyncio.Event()
        calls = 0

        async def receive() -> dict[str, Any]:
            nonlocal calls
            calls += 1
            if calls == 1:
                return {"type": "http.request", "body": first, "more_body": True}
            if then == "cut":
                return {"type": "http.disconnect"}
            stalled.set()
            await asyncio.Event().wait()  # the rest never comes
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        task = asyncio.create_task(app(scope, receive, send))
        if then in ("cut", "wait"):
            await asyncio.wait_for(task, timeout=10)
            return
        await asyncio.wait_for(stalled.wait(), timeout=10)
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    run_async(go())
    return sent


@pytest.mark.parametrize("route", ROUTES)
def test_a_stalled_upload_stores_nothing_and_leaves_no_temp_file(asgi: Any, world: World, route: str) -> None:
    before = snapshot(world)
    sent = _raw_post(asgi, world, route, then="stall")
    assert not [m for m in sent if m["type"] == "http.response.start" and m["status"] == 200]
    after = snapshot(world)
    assert after == before and after.system_tmp == {}
    assert_earlier_uploads_untouched(asgi, world)


@pytest.mark.parametrize("route", ROUTES)
def test_the_app_stops_a_stalled_upload_itself(
    asgi: Any, world: World, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No body chunk within ``upload_idle_seconds``: the app answers 408 on its own (the client does not get to
    hold the connection and its buffer open), stores nothing and leaves no temp file."""
    monkeypatch.setattr(get_settings(), "upload_idle_seconds", 0.3)
    before = snapshot(world)
    sent = _raw_post(asgi, world, route, then="wait")
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 408
    assert json.loads(body) == {"ok": False, "message": STALLED, "field": "file"}
    after = snapshot(world)
    assert after == before and after.system_tmp == {}
    assert_earlier_uploads_untouched(asgi, world)


def test_an_upload_slower_than_the_total_time_is_stopped(
    asgi: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trickle (a chunk every 50 ms, never idle long) still ends at ``upload_total_seconds``."""
    monkeypatch.setattr(get_settings(), "upload_total_seconds", 0.5)
    scope = _scope(world, "proof", "trickle.pdf")
    sent: list[dict[str, Any]] = []
    before = snapshot(world)

    async def go() -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            return {"type": "http.request", "body": b"%", "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(asgi(scope, receive, send), timeout=10)

    run_async(go())
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    after = snapshot(world)
    assert after == before and after.system_tmp == {}


@pytest.mark.parametrize("route", ROUTES)
def test_a_cut_upload_is_refused_clearly_and_stores_nothing(asgi: Any, world: World, route: str) -> None:
    before = snapshot(world)
    sent = _raw_post(asgi, world, route, then="cut")
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 400
    assert body == b'{"ok":false,"message":"The upload was interrupted. Please try again.","field":"file"}'
    after = snapshot(world)
    assert after == before and after.system_tmp == {}
    assert_earlier_uploads_untouched(asgi, world)
