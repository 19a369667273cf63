"""Requested documents over HTTP (``POST /files/uploads/document/{item_id}``): the same guards as payment proof
(upload header, own origin, size while streaming, contact from the cookie, rate limit), the item scoped to the
contact's account, closed requests refused clearly, and nothing stored by any refusal."""

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
from sqlmodel import Session, select

from models import Contact, DocumentRequest, DocumentRequestStatus, IntakeFile, IntakeStatus, SessionKind
from portal_app import routes
from portal_app.api import uploads
from portal_app.services import document_requests, identity, intake, sessions
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.api.test_uploads import EVIL_ORIGIN, HTML_AS_PDF, OWN_ORIGIN, PDF, ROOT, stored_files
from tests.factories import make_tenant


@pytest.fixture(scope="module")
def asgi() -> Any:
    """Our Starlette app with the CORS middleware Reflex puts around it (as in ``test_uploads.py``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        from reflex.app import App

        from portal_app.api import build_api

        api = build_api()
        App._add_cors(api)
        return api


@pytest.fixture(autouse=True)
def _fresh_upload_limiter() -> Iterator[None]:
    uploads.upload_clients.clear()
    yield
    uploads.upload_clients.clear()


@pytest.fixture()
def world(committed_engine: sa.Engine, storage_dir: Path) -> dict[str, Any]:
    """Two workspaces; on A a three-item request for account A, one for A's other account, a cancelled one."""
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        lead = a.team_lead
        mine = document_requests.create_document_request(
            s, lead, a.account.id, title="Onboarding", items=["W-9", "Insurance", "Bank letter"]
        )
        theirs = document_requests.create_document_request(
            s, lead, a.other_account.id, title="Theirs", items=["X"]
        )
        gone = document_requests.create_document_request(s, lead, a.account.id, title="Old", items=["Y"])
        document_requests.cancel_document_request(s, lead, gone.id)

        def item_ids(request_id: int) -> list[int]:
            return [i.id for i in document_requests.get_document_request_detail(s, lead, request_id).items]

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
            "engine": committed_engine,
            "storage": storage_dir,
            "request": mine.id,
            "items": item_ids(mine.id),
            "other_item": item_ids(theirs.id)[0],
            "cancelled_item": item_ids(gone.id)[0],
            "finance_actor": a.finance,
            "contact": contact_token(a.contact),
            "billing": contact_token(a.billing_contact),
            "other_account": contact_token(a.other_contact),
            "other_workspace": contact_token(b.contact),
            "owner": staff_token(a.owner),
            "finance": staff_token(a.finance),
        }


def post(
    app: Any,
    item_id: int,
    *,
    token: str | None = None,
    body: Any = PDF,
    name: str = "w9.pdf",
    key: str | None = None,
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
    url = f"{routes.FILES_UPLOAD_DOCUMENT}/{item_id}"

    async def go() -> httpx.Response:
        cookies = {COOKIE_NAME: token} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000", cookies=cookies
        ) as client:
            return await client.post(url, content=body, headers=sent)

    return asyncio.run(go())


def rows(engine: sa.Engine) -> list[IntakeFile]:
    with Session(engine) as s:
        return list(s.exec(select(IntakeFile)).all())


def request_status(engine: sa.Engine, request_id: int) -> DocumentRequestStatus:
    with Session(engine) as s:
        row = s.get(DocumentRequest, request_id)
        assert row is not None
        return row.status


# -- accepted --------------------------------------------------------------------------------------------------


def test_a_file_for_an_item_is_queued_for_review(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    before = stored_files(world["storage"])
    resp = post(asgi, world["items"][1], token=token, name="../insurance 2026.pdf")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["ok"] is True and "Insurance" in answer["message"]
    assert resp.headers["cache-control"] == "no-store"
    [row] = rows(world["engine"])
    assert row.id == answer["id"]
    assert (row.document_request_id, row.document_request_item_id) == (world["request"], world["items"][1])
    assert row.status is IntakeStatus.AWAITING_REVIEW and row.original_name == "insurance 2026.pdf"
    assert len(stored_files(world["storage"]) - before) == 1
    assert request_status(world["engine"], world["request"]) is DocumentRequestStatus.SUBMITTED
    # Several files for one item, one after another, each with its own key.
    again = post(asgi, world["items"][1], token=token, name="page 2.pdf")
    assert again.status_code == 200 and len(rows(world["engine"])) == 2


def test_a_retry_with_the_same_key_stores_once(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    key = uuid.uuid4().hex
    first = post(asgi, world["items"][0], token=token, key=key)
    second = post(asgi, world["items"][0], token=token, key=key)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and len(rows(world["engine"])) == 1


# -- refused: who and what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("contact", "other_item"),  # another account's item
        (None, "item"),  # no session
        ("billing", "item"),  # a contact without the documents permission
        ("other_workspace", "item"),  # a contact of another workspace
        ("owner", "item"),  # staff session
        ("finance", "item"),
        ("contact", "missing"),
    ],
)
def test_not_theirs_is_404_and_nothing_is_read_or_stored(
    asgi: Any,
    world: dict[str, Any],
    who: str | None,
    which: str,
) -> None:
    token = world["contact"] if who == "contact" else world[who] if who else None
    item = {"other_item": world["other_item"], "item": world["items"][0], "missing": 999_999}[which]
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(1)
        yield PDF

    before = stored_files(world["storage"])
    resp = post(asgi, item, token=token, body=body())
    assert resp.status_code == 404
    assert resp.json() == {"ok": False, "field": "", "message": "Not found."}
    assert read == []  # refused before the body was read
    assert rows(world["engine"]) == [] and stored_files(world["storage"]) == before


def test_a_cancelled_request_is_refused_clearly(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    resp = post(asgi, world["cancelled_item"], token=token)
    assert resp.status_code == 409
    assert resp.json()["ok"] is False and "cancelled" in resp.json()["message"]
    assert rows(world["engine"]) == []


def test_an_accepted_item_is_refused(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    first = post(asgi, world["items"][0], token=token)
    with Session(world["engine"]) as s:
        intake.review_intake(s, world["finance_actor"], first.json()["id"], accept=True)
    resp = post(asgi, world["items"][0], token=token)
    assert resp.status_code == 409 and "already accepted" in resp.json()["message"]
    assert len(rows(world["engine"])) == 1


# -- refused: the guards ---------------------------------------------------------------------------------------


def test_without_the_upload_header_or_from_another_origin(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    assert post(asgi, world["items"][0], token=token, drop=("x-portal-upload",)).status_code == 403
    foreign = post(asgi, world["items"][0], token=token, headers={"origin": EVIL_ORIGIN})
    assert foreign.status_code == 403 and "own page" in foreign.json()["message"]
    assert rows(world["engine"]) == []


def test_over_the_limit_is_413_and_nothing_is_stored(
    asgi: Any,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = world["contact"]
    limit = len(PDF) + 50
    monkeypatch.setattr(get_settings(), "upload_max_bytes", limit)
    before = stored_files(world["storage"])
    over = PDF + b"\n" * (limit - len(PDF) + 1)
    resp = post(asgi, world["items"][0], token=token, body=over)
    assert (
        resp.status_code == 413 and resp.json()["field"] == "file" and "too large" in resp.json()["message"]
    )

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length
        yield over

    resp = post(asgi, world["items"][0], token=token, body=streamed())
    assert resp.status_code == 413
    assert rows(world["engine"]) == [] and stored_files(world["storage"]) == before


def test_html_renamed_pdf_is_refused(asgi: Any, world: dict[str, Any]) -> None:
    token = world["contact"]
    before = stored_files(world["storage"])
    resp = post(asgi, world["items"][0], token=token, body=HTML_AS_PDF, name="w9.pdf")
    assert resp.status_code == 400
    answer = resp.json()
    assert answer["field"] == "file" and "not accepted" in answer["message"]
    assert rows(world["engine"]) == [] and stored_files(world["storage"]) == before
    assert request_status(world["engine"], world["request"]) is DocumentRequestStatus.OPEN


def test_the_client_rate_limit_applies(
    asgi: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads.upload_clients, "limit", 2)
    codes = [post(asgi, world["items"][i], token=world["contact"]).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert len(rows(world["engine"])) == 2
