"""Abuse suite, uploads that never finish (issue 12; SECURITY.md 17): a body that stalls or is cut after its
first chunk, sent as raw ASGI messages to every upload route. Nothing is stored, no temp file is left behind and the
earlier uploads are untouched. The harness is in ``upload_support.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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


def _raw_post(app: Any, w: World, route: str, *, then: str) -> list[dict[str, Any]]:
    """POST the first chunk of a file, then either stall forever (the server gives up: the task is cancelled, as
    on a timeout or shutdown) or cut the connection. Returns the ASGI messages the app sent."""
    url = route_url(w, route)
    path, _, query = url.partition("?")
    headers = upload_headers(w, route, "slow.pdf")
    scope = {
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
        if then == "cut":
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
