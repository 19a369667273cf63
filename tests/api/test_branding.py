"""The logo over HTTP: only owners and managers upload (through the shared upload checks), the stored file is a
re-encoded PNG, and the public route answers only for a workspace's current key, inline, as an image, cached."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session

from models import Contact, SessionKind, Workspace
from portal_app import routes
from portal_app.api import build_api, uploads
from portal_app.services import identity, sessions
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
SECRET = "EXIF-SECRET-4410"


def jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = SECRET
    out = io.BytesIO()
    Image.new("RGB", (1200, 300), (30, 60, 200)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(color: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 60), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_upload_limiter() -> Iterator[None]:
    uploads.upload_clients.clear()
    yield
    uploads.upload_clients.clear()


@pytest.fixture(scope="module")
def asgi() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        from reflex.app import App

        api = build_api()
        App._add_cors(api)
        return api


@pytest.fixture()
def world(committed_engine: sa.Engine, storage_dir: Path) -> dict[str, Any]:
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)

        def staff(actor: Any) -> str:
            issued = sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
            )
            s.commit()
            return issued.token

        issued = identity.start_contact_session(
            s, s.get(Contact, a.contact.contact_id), a.contact.account_id, via="test"
        )
        s.commit()
        return {
            "engine": committed_engine,
            "storage": storage_dir,
            "a": a.ws.id,
            "b": b.ws.id,
            "owner": staff(a.owner),
            "manager": staff(a.manager),
            "team_lead": staff(a.team_lead),
            "finance": staff(a.finance),
            "other_owner": staff(b.owner),
            "contact": issued.token,
        }


def logo_key(engine: sa.Engine, ws_id: int) -> str:
    with Session(engine) as s:
        ws = s.get(Workspace, ws_id)
        assert ws is not None
        return ws.logo_key


def stored_files(storage: Path) -> set[Path]:
    return {p for p in storage.rglob("*") if p.is_file()}


def request(asgi: Any, method: str, url: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        cookies = {COOKIE_NAME: token} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000", cookies=cookies
        ) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def upload(
    asgi: Any, body: bytes, *, token: str | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {
        "x-portal-upload": "1",
        "x-file-name": "logo.jpg",
        "origin": OWN_ORIGIN,
        "content-type": "application/octet-stream",
        **(headers or {}),
    }
    return request(asgi, "POST", routes.FILES_UPLOAD_LOGO, token=token, content=body, headers=sent)


def logo_path(key: str) -> str:
    return f"{routes.FILES_LOGO}/{key}.png"


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_owner_and_manager_upload_a_logo_served_publicly_as_a_plain_png(
    asgi: Any, world: dict[str, Any], who: str
) -> None:
    resp = upload(asgi, jpeg(), token=world[who])
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is True and "Logo saved" in resp.json()["message"]
    key = logo_key(world["engine"], world["a"])
    assert len(key) == 43 and logo_key(world["engine"], world["b"]) == ""
    served = request(asgi, "GET", logo_path(key))  # no cookie: public by design
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline")
    assert (
        served.headers["cache-control"] == "public, max-age=86400"
    )  # a removed logo leaves caches within a day
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.content.startswith(b"\x89PNG") and SECRET.encode() not in served.content
    assert Image.open(io.BytesIO(served.content)).size == (400, 100)
    head = request(asgi, "HEAD", logo_path(key))
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    ("who", "status"), [("team_lead", 403), ("finance", 403), ("contact", 404), (None, 404)]
)
def test_nobody_else_uploads_and_nothing_is_stored(
    asgi: Any, world: dict[str, Any], who: str | None, status: int
) -> None:
    before = stored_files(world["storage"])
    resp = upload(asgi, png(), token=world[who] if who else None)
    assert resp.status_code == status and resp.json()["ok"] is False
    assert stored_files(world["storage"]) == before
    assert logo_key(world["engine"], world["a"]) == ""


def test_the_shared_upload_checks_apply(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_files(world["storage"])
    foreign = upload(asgi, png(), token=world["owner"], headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403
    no_header = upload(asgi, png(), token=world["owner"], headers={"x-portal-upload": "0"})
    assert no_header.status_code == 403
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = upload(asgi, svg, token=world["owner"])
    assert refused.status_code == 400 and refused.json()["field"] == "file"
    assert "must be an image" in refused.json()["message"]
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 100)
    too_big = upload(asgi, png(), token=world["owner"])
    assert too_big.status_code == 413
    assert stored_files(world["storage"]) == before and logo_key(world["engine"], world["a"]) == ""


def test_only_the_current_key_answers(asgi: Any, world: dict[str, Any]) -> None:
    assert upload(asgi, png(), token=world["owner"]).status_code == 200
    first = logo_key(world["engine"], world["a"])
    assert upload(asgi, png((255, 0, 0)), token=world["owner"]).status_code == 200
    second = logo_key(world["engine"], world["a"])
    assert second != first
    assert request(asgi, "GET", logo_path(second)).status_code == 200
    for path in (
        logo_path(first),  # replaced: gone
        logo_path("A" * 43),  # never issued
        logo_path("short"),
        f"{routes.FILES_LOGO}/{second}.svg",
        f"{routes.FILES_LOGO}/{second}",
        f"{routes.FILES_LOGO}/..%2F..%2Fetc%2Fpasswd.png",
    ):
        resp = request(asgi, "GET", path)
        assert resp.status_code == 404, path
        assert b"PNG" not in resp.content
    # Workspace B's owner uploads its own; A's key keeps answering with A's image only.
    assert upload(asgi, png((0, 255, 0)), token=world["other_owner"]).status_code == 200
    key_b = logo_key(world["engine"], world["b"])
    a_img = Image.open(io.BytesIO(request(asgi, "GET", logo_path(second)).content)).convert("RGB")
    b_img = Image.open(io.BytesIO(request(asgi, "GET", logo_path(key_b)).content)).convert("RGB")
    assert a_img.getpixel((0, 0)) == (255, 0, 0) and b_img.getpixel((0, 0)) == (0, 255, 0)
