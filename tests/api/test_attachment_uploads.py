"""A file attached to a contact's message over HTTP: quarantined intake linked to the message, the same checks as
payment proof (own origin, upload header, size while reading, type from content), only the contact's own message
of their own account's thread, one file per message, and nothing else changed."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import Contact, FollowUpTask, IntakeFile, IntakeKind, IntakeStatus, SessionKind
from portal_app import routes
from portal_app.api import build_api, uploads
from portal_app.services import identity, intake, messages, sessions
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.factories import make_contact, make_tenant

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def _fresh_upload_limiter() -> Any:
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


def _key() -> str:
    return uuid.uuid4().hex


@pytest.fixture()
def world(committed_engine: sa.Engine, storage_dir: Path) -> dict[str, Any]:
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        colleague = make_contact(s, a.account)
        s.commit()
        thread = messages.portal_start_thread(
            s, a.contact, subject="Q", body="See file", idempotency_key=_key()
        )
        first = messages.portal_get_thread_messages(s, a.contact, thread.id).items[0]
        team = messages.post_staff_message(s, a.team_lead, thread.id, body="Got it")
        other = messages.portal_start_thread(
            s, a.other_contact, subject="O", body="x", idempotency_key=_key()
        )
        other_msg = messages.portal_get_thread_messages(s, a.other_contact, other.id).items[0]

        def contact_token(actor: Any) -> str:
            issued = identity.start_contact_session(
                s, s.get(Contact, actor.contact_id), actor.account_id, via="t"
            )
            s.commit()
            return issued.token

        staff = sessions.create_session(
            s, kind=SessionKind.STAFF, user_id=a.owner.user_id, workspace_id=a.owner.workspace_id
        )
        s.commit()
        return {
            "engine": committed_engine,
            "storage": storage_dir,
            "thread": thread.id,
            "message": first.id,
            "team_message": team.id,
            "other_thread": other.id,
            "other_message": other_msg.id,
            "contact": contact_token(a.contact),
            "colleague": contact_token(colleague),
            "other_account": contact_token(a.other_contact),
            "other_workspace": contact_token(b.contact),
            "staff": staff.token,
            "owner": a.owner,
            "contact_actor": a.contact,
        }


def post(
    asgi: Any,
    thread_id: int,
    message_id: Any,
    *,
    token: str | None,
    body: bytes = PDF,
    name: str = "photo of <b>damage<b>.pdf",
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {
        "x-portal-upload": "1",
        "x-file-name": quote(name),
        "x-idempotency-key": key or _key(),
        "origin": OWN_ORIGIN,
        "content-type": "application/octet-stream",
    }
    sent.update(headers or {})
    url = routes.url_for(f"{routes.FILES_UPLOAD_ATTACHMENT}/{thread_id}", message_id=message_id)

    async def go() -> httpx.Response:
        cookies = {COOKIE_NAME: token} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000", cookies=cookies
        ) as client:
            return await client.post(url, content=body, headers=sent)

    return asyncio.run(go())


def rows(engine: sa.Engine) -> list[IntakeFile]:
    with Session(engine) as s:
        return list(s.exec(select(IntakeFile)).all())


def files(storage: Path) -> set[Path]:
    return {p for p in storage.rglob("*") if p.is_file()}


def test_an_attachment_is_quarantined_and_linked_to_the_message(asgi: Any, world: dict[str, Any]) -> None:
    before = files(world["storage"])
    resp = post(asgi, world["thread"], world["message"], token=world["contact"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is True and resp.headers["cache-control"] == "no-store"
    [row] = rows(world["engine"])
    assert row.kind is IntakeKind.ATTACHMENT and row.message_id == world["message"]
    assert row.status is IntakeStatus.AWAITING_REVIEW and row.original_name == "photo of <b>damage<b>.pdf"
    assert row.invoice_id is None and row.document_request_id is None
    assert len(files(world["storage"]) - before) == 1
    with Session(world["engine"]) as s:
        # It waits in the review queue with a follow-up task, like any upload.
        assert [i.id for i in intake.review_queue(s, world["owner"]).items] == [row.id]
        assert (
            s.exec(select(FollowUpTask).where(FollowUpTask.source_type == "intake_file")).one().source_id
            == row.id
        )
        # The thread shows it: name and state, to staff and to the contact.
        staff_view = messages.read_thread(s, world["owner"], world["thread"])
        [file] = staff_view.messages[0].attachments
        assert file.id == row.id and file.original_name == row.original_name
        portal_view = messages.portal_read_thread(s, world["contact_actor"], world["thread"])
        assert portal_view.messages[0].attachments[0].status is IntakeStatus.AWAITING_REVIEW

    # Staff download it through the authenticated intake route, as an attachment.
    async def download() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi),
            base_url="http://localhost:8000",
            cookies={COOKIE_NAME: world["staff"]},
        ) as client:
            return await client.get(routes.file_url(routes.FILES_INTAKE, row.id))

    got = asyncio.run(download())
    assert got.status_code == 200 and got.content == PDF
    assert (
        got.headers["content-disposition"].startswith("attachment")
        and got.headers["x-content-type-options"] == "nosniff"
    )


def test_a_retry_stores_once_and_a_second_file_is_refused(asgi: Any, world: dict[str, Any]) -> None:
    key = _key()
    first = post(asgi, world["thread"], world["message"], token=world["contact"], key=key)
    again = post(asgi, world["thread"], world["message"], token=world["contact"], key=key)
    assert first.status_code == again.status_code == 200 and first.json()["id"] == again.json()["id"]
    second = post(asgi, world["thread"], world["message"], token=world["contact"])
    assert second.status_code == 409 and second.json()["field"] == "file"
    assert len(rows(world["engine"])) == 1


@pytest.mark.parametrize(
    "who,thread,message",
    [
        (None, "thread", "message"),  # signed out
        ("staff", "thread", "message"),  # not a contact
        ("colleague", "thread", "message"),  # same account, someone else's message
        ("contact", "thread", "team_message"),  # the team's message
        ("contact", "other_thread", "other_message"),  # another account's thread
        ("contact", "thread", "other_message"),  # a message of another thread
        ("other_account", "thread", "message"),
        ("other_workspace", "thread", "message"),
    ],
)
def test_only_the_contacts_own_message_takes_a_file(
    asgi: Any, world: dict[str, Any], who: str | None, thread: str, message: str
) -> None:
    before = files(world["storage"])
    token = world[who] if who else None
    resp = post(asgi, world[thread], world[message], token=token)
    assert resp.status_code == 404 and resp.json()["ok"] is False
    assert rows(world["engine"]) == [] and files(world["storage"]) == before


def test_malformed_or_foreign_requests_are_refused(
    asgi: Any, world: dict[str, Any], monkeypatch: Any
) -> None:
    t, m, tok = world["thread"], world["message"], world["contact"]
    assert post(asgi, t, "abc", token=tok).status_code == 404
    assert post(asgi, t, m, token=tok, headers={"origin": "https://evil.example"}).status_code == 403
    assert post(asgi, t, m, token=tok, headers={"x-portal-upload": "0"}).status_code == 403
    html = post(asgi, t, m, token=tok, body=HTML_AS_PDF)
    assert html.status_code == 400 and html.json()["field"] == "file"
    monkeypatch.setattr(get_settings(), "upload_max_bytes", len(PDF) - 1)
    big = post(asgi, t, m, token=tok)
    assert big.status_code == 413 and "too large" in big.json()["message"]
    assert rows(world["engine"]) == []
