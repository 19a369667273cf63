"""Payment proof upload over HTTP: the contact re-resolved from the cookie, the size limit enforced while reading,
the type from the content, and nothing paid or stored by a refused (or any) upload.

Requests go through the app's own Starlette app (``build_api()``, security middleware included) with the CORS
middleware Reflex adds to it at start-up (``App._add_cors``, from rxconfig.py's allowed origins), driven by
``httpx.ASGITransport`` so that a streamed body reaches the route chunk by chunk.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Contact, IntakeFile, IntakeStatus, Invoice, InvoiceStatus, Payment, SessionKind
from portal_app import routes
from portal_app.api import build_api, uploads
from portal_app.services import identity, invoices, sessions
from portal_app.services.lines import LineInput
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
EVIL_ORIGIN = "https://evil.example"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
LINES = [LineInput("Consulting", quantity=2, unit_price_minor=50_000, tax_rate_bp=0)]


@pytest.fixture(autouse=True)
def _fresh_upload_limiter() -> Iterator[None]:
    uploads.upload_clients.clear()
    yield
    uploads.upload_clients.clear()


@pytest.fixture(scope="module")
def asgi() -> Any:
    """Our Starlette app with the CORS middleware Reflex puts around it (origins from rxconfig.py)."""
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
        inv = invoices.create_invoice(s, a.finance, a.account.id, lines=LINES)
        invoices.issue_invoice(s, a.finance, inv.id)
        other = invoices.create_invoice(s, a.finance, a.other_account.id, lines=LINES)
        invoices.issue_invoice(s, a.finance, other.id)

        def contact_token(actor: Any) -> str:
            issued = identity.start_contact_session(
                s, s.get(Contact, actor.contact_id), actor.account_id, via="test"
            )
            s.commit()
            return issued.token

        def staff_token(actor: Any) -> str:
            issued = sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
            )
            s.commit()
            return issued.token

        return {
            "invoice": inv.id,
            "other_invoice": other.id,
            "storage": storage_dir,
            "engine": committed_engine,
            "billing": contact_token(a.billing_contact),
            "other_account": contact_token(a.other_contact),
            "other_workspace": contact_token(b.contact),
            "finance": staff_token(a.finance),
            "owner": staff_token(a.owner),
        }


def stored_files(storage: Path) -> set[Path]:
    return {p for p in storage.rglob("*") if p.is_file()}


def intake_rows(engine: sa.Engine) -> list[IntakeFile]:
    with Session(engine) as s:
        return list(s.exec(select(IntakeFile)).all())


def invoice_paid(engine: sa.Engine, invoice_id: int) -> tuple[int, int]:
    with Session(engine) as s:
        inv = s.get(Invoice, invoice_id)
        assert inv is not None
        payments = s.scalar(sa.select(sa.func.count()).select_from(Payment)) or 0
        return inv.amount_paid_minor, int(payments)


def post(
    asgi: Any,
    invoice_id: int,
    *,
    token: str | None = None,
    body: Any = PDF,
    name: str = "receipt.pdf",
    key: str | None = None,
    amount: str = "25000",
    paid_on: str = "2026-01-05",
    reference: str = "TR-42 Zoë",
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> httpx.Response:
    sent = {
        "x-portal-upload": "1",
        "x-file-name": quote(name),
        "x-idempotency-key": key or uuid.uuid4().hex,
        "origin": OWN_ORIGIN,
        "content-type": "application/octet-stream",
    }
    sent.update(headers or {})
    for header in drop:
        sent.pop(header, None)
    url = routes.url_for(
        f"{routes.FILES_UPLOAD_PROOF}/{invoice_id}", amount=amount, paid_on=paid_on, reference=reference
    )

    async def go() -> httpx.Response:
        cookies = {COOKIE_NAME: token} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000", cookies=cookies
        ) as client:
            return await client.post(url, content=body, headers=sent)

    return asyncio.run(go())


# -- accepted --------------------------------------------------------------------------------------------------


def test_accepted_proof_is_queued_for_review_and_pays_nothing(asgi: Any, world: dict[str, Any]) -> None:
    before = stored_files(world["storage"])
    paid_before = invoice_paid(world["engine"], world["invoice"])
    resp = post(asgi, world["invoice"], token=world["billing"], name="../../bank receipt.pdf")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["ok"] is True and isinstance(answer["id"], int)
    assert "under review" in answer["message"]
    assert resp.headers["cache-control"] == "no-store"
    rows = intake_rows(world["engine"])
    assert len(rows) == 1
    row = rows[0]
    assert row.id == answer["id"] and row.invoice_id == world["invoice"]
    assert row.status is IntakeStatus.AWAITING_REVIEW
    assert row.claimed_amount_minor == 25_000 and str(row.claimed_paid_on) == "2026-01-05"
    assert row.original_name == "bank receipt.pdf" and row.sniffed_type == "application/pdf"
    assert row.claimed_reference == "TR-42 Zoë" and row.note == ""
    assert len(stored_files(world["storage"]) - before) == 1
    # The balance changes only when a reviewer accepts it.
    assert invoice_paid(world["engine"], world["invoice"]) == paid_before


def test_a_retry_with_the_same_key_stores_once(asgi: Any, world: dict[str, Any]) -> None:
    before = stored_files(world["storage"])
    key = uuid.uuid4().hex
    first = post(asgi, world["invoice"], token=world["billing"], key=key)
    second = post(asgi, world["invoice"], token=world["billing"], key=key)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert len(intake_rows(world["engine"])) == 1
    assert len(stored_files(world["storage"]) - before) == 1


# -- size ------------------------------------------------------------------------------------------------------


def test_one_byte_over_the_limit_is_413_and_nothing_is_stored(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = len(PDF) + 100
    monkeypatch.setattr(get_settings(), "upload_max_bytes", limit)
    before = stored_files(world["storage"])
    at_limit = PDF + b"\n" * (limit - len(PDF))
    over = at_limit + b"\n"
    resp = post(asgi, world["invoice"], token=world["billing"], body=over)
    assert resp.status_code == 413
    assert resp.json()["ok"] is False and resp.json()["field"] == "file"
    assert "too large" in resp.json()["message"]
    assert intake_rows(world["engine"]) == [] and stored_files(world["storage"]) == before
    # Exactly at the limit is fine.
    assert post(asgi, world["invoice"], token=world["billing"], body=at_limit).status_code == 200


def test_a_streamed_body_past_the_limit_is_refused_without_reading_the_rest(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = 1024
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 4 * chunk)
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: chunked, as a lying client might send
        yield PDF + b"\n" * (chunk - len(PDF))
        for _ in range(999):
            sent.append(chunk)
            yield b"\n" * chunk

    before = stored_files(world["storage"])
    resp = post(asgi, world["invoice"], token=world["billing"], body=body())
    assert resp.status_code == 413 and resp.json()["field"] == "file"
    assert len(sent) <= 5  # stopped at the limit, not after a gigabyte
    assert intake_rows(world["engine"]) == [] and stored_files(world["storage"]) == before


def test_declared_length_over_the_limit_is_refused_before_reading(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 100)
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(1)
        yield b"x" * 10

    resp = post(
        asgi, world["invoice"], token=world["billing"], body=body(), headers={"content-length": "101"}
    )
    assert resp.status_code == 413
    assert read == []


# -- content ---------------------------------------------------------------------------------------------------


def test_html_renamed_pdf_is_refused_with_a_clear_message(asgi: Any, world: dict[str, Any]) -> None:
    before = stored_files(world["storage"])
    resp = post(asgi, world["invoice"], token=world["billing"], body=HTML_AS_PDF, name="receipt.pdf")
    assert resp.status_code == 400
    answer = resp.json()
    assert answer == {"ok": False, "field": "file", "message": answer["message"]}
    assert "Web pages" in answer["message"] and "not accepted" in answer["message"]
    assert intake_rows(world["engine"]) == [] and stored_files(world["storage"]) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "12.50"}, "amount"),
        ({"amount": "999999999"}, "amount"),  # more than the balance
        ({"paid_on": "yesterday"}, "paid_on"),
        ({"paid_on": "2999-01-01"}, "paid_on"),
        ({"reference": "x" * 201}, "reference"),
    ],
)
def test_bad_fields_are_refused_with_their_field(
    asgi: Any, world: dict[str, Any], query: dict[str, str], field: str
) -> None:
    before = stored_files(world["storage"])
    resp = post(asgi, world["invoice"], token=world["billing"], **query)
    assert resp.status_code == 400
    assert resp.json()["ok"] is False and resp.json()["field"] == field
    assert intake_rows(world["engine"]) == [] and stored_files(world["storage"]) == before


# -- who may upload --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "other_account", "other_workspace", "finance", "owner"])
def test_no_session_other_account_and_staff_get_not_found(
    asgi: Any, world: dict[str, Any], who: str | None
) -> None:
    before = stored_files(world["storage"])
    resp = post(asgi, world["invoice"], token=world[who] if who else None)
    assert resp.status_code == 404
    assert resp.json() == {"ok": False, "field": "", "message": "Not found."}
    assert intake_rows(world["engine"]) == [] and stored_files(world["storage"]) == before


def test_an_invoice_of_another_account_is_not_found(asgi: Any, world: dict[str, Any]) -> None:
    for target in (world["other_invoice"], world["invoice"] + 10_000):
        resp = post(asgi, target, token=world["billing"])
        assert resp.status_code == 404
    assert intake_rows(world["engine"]) == []


def test_missing_upload_header_is_refused(asgi: Any, world: dict[str, Any]) -> None:
    resp = post(asgi, world["invoice"], token=world["billing"], drop=("x-portal-upload",))
    assert resp.status_code == 403 and resp.json()["ok"] is False
    resp = post(asgi, world["invoice"], token=world["billing"], headers={"x-portal-upload": "yes"})
    assert resp.status_code == 403
    assert intake_rows(world["engine"]) == []


def test_foreign_origin_is_refused(asgi: Any, world: dict[str, Any]) -> None:
    resp = post(asgi, world["invoice"], token=world["billing"], headers={"origin": EVIL_ORIGIN})
    assert resp.status_code == 403
    assert "access-control-allow-origin" not in resp.headers
    assert intake_rows(world["engine"]) == []
    # No Origin at all (a same-origin request from some browsers, or a script without cookies of ours) is fine.
    assert post(asgi, world["invoice"], token=world["billing"], drop=("origin",)).status_code == 200


def _preflight(asgi: Any, origin: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000"
        ) as client:
            return await client.options(
                f"{routes.FILES_UPLOAD_PROOF}/1",
                headers={
                    "origin": origin,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "x-portal-upload,x-file-name,x-idempotency-key,content-type",
                },
            )

    return asyncio.run(go())


def test_preflight_from_the_dev_frontend_is_granted_with_credentials(asgi: Any) -> None:
    resp = _preflight(asgi, OWN_ORIGIN)
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == OWN_ORIGIN
    assert resp.headers["access-control-allow-credentials"] == "true"
    allowed = resp.headers["access-control-allow-headers"].lower()
    assert "x-portal-upload" in allowed and "x-idempotency-key" in allowed and "x-file-name" in allowed


def test_preflight_from_a_foreign_origin_is_refused(asgi: Any) -> None:
    resp = _preflight(asgi, EVIL_ORIGIN)
    assert resp.status_code >= 400
    assert "access-control-allow-origin" not in resp.headers


def test_uploads_are_rate_limited_per_client(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads.upload_clients, "limit", 2)
    codes = [post(asgi, world["invoice"], token=world["billing"], amount="1").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert len(intake_rows(world["engine"])) == 2


def test_a_paid_invoice_takes_no_proof(asgi: Any, world: dict[str, Any]) -> None:
    with Session(world["engine"]) as s:
        inv = s.exec(select(Invoice).where(col(Invoice.id) == world["invoice"])).one()
        inv.status = InvoiceStatus.PAID
        inv.amount_paid_minor = inv.total_minor
        s.add(inv)
        s.commit()
    resp = post(asgi, world["invoice"], token=world["billing"])
    assert resp.status_code == 409 and "already paid" in resp.json()["message"]
    assert intake_rows(world["engine"]) == []
