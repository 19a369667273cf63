"""The app shell over HTTP, without a browser or a frontend build: health, security headers, CORS, /_upload.

Builds the real ASGI app (``app()`` with ``__REFLEX_SKIP_COMPILE=1``), runs its lifespan and talks to it
through ``httpx.ASGITransport``. Needs no database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal_app.settings import Environment, Settings

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
EVIL_ORIGIN = "https://evil.example"

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


@contextlib.asynccontextmanager
async def lifespan(asgi_app: Any) -> AsyncIterator[None]:
    """Drive the ASGI lifespan protocol (startup before the requests, shutdown after)."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.create_task(asgi_app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    started = await asyncio.wait_for(from_app.get(), timeout=30)
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(from_app.get(), timeout=30)
        await asyncio.wait_for(task, timeout=30)


async def _exchange(asgi_app: Any) -> dict[str, httpx.Response]:
    async with (
        lifespan(asgi_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app), base_url=OWN_ORIGIN) as client,
    ):
        return {
            "health": await client.get("/api/health"),
            "health_head": await client.head("/api/health"),
            "ping": await client.get("/ping"),
            "upload_file": await client.get("/_upload/x.pdf"),
            "upload_nested": await client.get("/_upload/some/dir/x.pdf"),
            "evil_get": await client.get("/ping", headers={"origin": EVIL_ORIGIN}),
            "evil_health": await client.get("/api/health", headers={"origin": EVIL_ORIGIN}),
            "evil_preflight": await client.options(
                "/ping",
                headers={
                    "origin": EVIL_ORIGIN,
                    "access-control-request-method": "GET",
                    "access-control-request-headers": "content-type",
                },
            ),
            "own_get": await client.get("/ping", headers={"origin": OWN_ORIGIN}),
        }


@pytest.fixture(scope="module")
def responses() -> dict[str, httpx.Response]:
    """Build the app once (an App instance can be turned into an ASGI app only once) and collect responses."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("__REFLEX_SKIP_COMPILE", "1")
        mp.setenv("REFLEX_TELEMETRY_ENABLED", "false")
        # Reflex reads rxconfig.py from the working directory.
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        from portal_app.portal_app import app

        asgi_app = app()
        return asyncio.run(_exchange(asgi_app))


def test_health_is_ok(responses: dict[str, httpx.Response]) -> None:
    response = responses["health"]
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert responses["health_head"].status_code == 200


@pytest.mark.parametrize("name", ["health", "ping", "upload_file"])
def test_security_headers_on_every_response(responses: dict[str, httpx.Response], name: str) -> None:
    # "ping" is Reflex's own route: the middleware wraps Reflex, not only our routes.
    headers = responses[name].headers
    for header, value in SECURITY_HEADERS.items():
        assert headers.get(header) == value, header
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "strict-transport-security" not in headers  # dev settings: no HSTS


@pytest.mark.parametrize("name", ["upload_file", "upload_nested"])
def test_reflex_upload_folder_is_not_served(responses: dict[str, httpx.Response], name: str) -> None:
    assert responses[name].status_code == 404


@pytest.mark.parametrize("name", ["evil_get", "evil_health", "evil_preflight"])
def test_foreign_origin_gets_no_cors_grant(responses: dict[str, httpx.Response], name: str) -> None:
    assert "access-control-allow-origin" not in responses[name].headers
    if name == "evil_preflight":
        assert responses[name].status_code >= 400


def test_own_origin_is_allowed(responses: dict[str, httpx.Response]) -> None:
    assert responses["own_get"].headers.get("access-control-allow-origin") == OWN_ORIGIN


def test_hsts_only_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    import portal_app.api as api

    prod = Settings(
        env=Environment.PROD,
        session_secret="x" * 40,
        oidc_issuer="https://issuer.invalid",
        oidc_client_id="cid",
        oidc_client_secret="c" * 40,
        public_base_url="https://portal.invalid",
    )
    monkeypatch.setattr(api, "get_settings", lambda: prod)
    headers = dict(api.security_headers())
    assert headers[b"strict-transport-security"].startswith(b"max-age=")
    assert b"connect-src 'self' wss://portal.invalid" in headers[b"content-security-policy"]

    dev = Settings(env=Environment.DEV)
    monkeypatch.setattr(api, "get_settings", lambda: dev)
    assert b"strict-transport-security" not in dict(api.security_headers())


def test_build_api_returns_a_new_app_each_call() -> None:
    from portal_app.api import build_api

    assert build_api() is not build_api()
