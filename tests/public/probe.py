"""Serve and exercise the public pages in a process whose database is unreachable; print what happened as JSON.

Run by tests/public/test_public_pages.py as ``python -m tests.public.probe`` with ``PORTAL_DATABASE_URL`` pointing
at a PostgreSQL port nothing listens on. Any table read would raise here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx

from tests.api.test_shell import lifespan
from tests.public.support import page_state, render_page, run_on_load


def _db_is_unreachable() -> str:
    from portal_app.db import get_engine

    try:
        with get_engine().connect():
            return ""
    except Exception as exc:  # noqa: BLE001  the point is that it fails
        return type(exc).__name__


async def _fetch(asgi_app: Any, paths: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    async with (
        lifespan(asgi_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app), base_url="http://localhost:3000"
        ) as client,
    ):
        for path in paths:
            response = await client.get(path)
            out[path] = {
                "status": response.status_code,
                "type": response.headers.get("content-type", ""),
                "body": response.text,
            }
    return out


def main() -> dict[str, Any]:
    from portal_app import routes
    from portal_app.portal_app import app
    from state.public_preview import PreviewState

    result: dict[str, Any] = {"db_error": _db_is_unreachable(), "pages": {}}
    for route in routes.PUBLIC_ROUTES:
        page = app._unevaluated_pages[route.strip("/") or "index"]
        rendered = render_page(app, route)
        states = run_on_load(app, route)
        result["pages"][route] = {
            "title": str(page.title),
            "description": str(page.description),
            "rendered_chars": len(json.dumps(rendered, default=str)),
            "states": [type(state).__name__ for state in states],
            "viewer_kind": [getattr(state, "viewer_kind", None) for state in states],
        }

    # The preview, opened from a connected-record link, then decided.
    preview = page_state(PreviewState, path=routes.preview_url("review"))
    PreviewState.load.fn(preview)
    PreviewState.accept_proof.fn(preview)
    result["preview"] = {
        "step": preview.step,
        "proof_status": preview.proof_status,
        "balance": PreviewState.invoice_balance.fget(preview),  # type: ignore[attr-defined]
        "audit": list(preview.audit),
    }

    result["http"] = asyncio.run(_fetch(app(), [routes.SITEMAP, routes.ROBOTS, routes.HEALTH]))
    return result


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
