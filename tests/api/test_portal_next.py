"""A mail's deep link for a signed-out contact: the page's gate → portal sign-in with ``next`` → the magic link
carries it → after the POST the contact lands on that page. Only plain ``/portal`` paths survive, at every step."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import OutboxMail
from portal_app import routes
from portal_app.services import portal_access
from state.portal_invoices import PortalInvoiceState
from state.portal_sign_in import PortalSignInState
from tests.api.test_portal_links import MAGIC_RE, contact_email, get, http, post_confirm
from tests.factories import make_tenant
from tests.state.test_page_states import call, page_state


@pytest.fixture(autouse=True)
def _fresh_client_limiter() -> Iterator[None]:
    portal_access.client_limiter.clear()
    yield
    portal_access.client_limiter.clear()


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as s:
        yield s


FORGED = [
    "//evil.test/portal",
    "https://evil.test/portal",
    "/portal/../app/settings",
    "/portal/invoices/7?x=1",
    "/portal/invoices/7#x",
    "/portal\\evil",
    "/portal//evil.test",
    "/app/tasks",
    "/portalx",
    "/portal/sign-in",
    "/portal/" + "a" * 300,
    "/portal/invoices/7\r\nSet-Cookie: x=1",
    "",
    None,
    7,
]


@pytest.mark.parametrize("value", FORGED)
def test_only_plain_portal_paths_are_kept(value):
    assert routes.portal_next(value) == ""
    assert routes.portal_sign_in_url(value) == routes.PORTAL_SIGN_IN


def test_portal_paths_are_kept():
    for ok in ("/portal", "/portal/invoices/7", "/portal/documents", "/portal/messages/12"):
        assert routes.portal_next(ok) == ok
    assert routes.portal_sign_in_url("/portal/invoices/7") == "/portal/sign-in?next=%2Fportal%2Finvoices%2F7"
    assert routes.portal_sign_in_url("/portal") == routes.PORTAL_SIGN_IN


def test_the_gate_of_a_record_page_signs_in_back_to_it(db):
    make_tenant(db)
    state = page_state(PortalInvoiceState, None, path="/portal/invoices/7")
    call(state, "load")
    assert state.gate == "signed_out"
    assert state.sign_in_href == "/portal/sign-in?next=%2Fportal%2Finvoices%2F7"


def test_the_sign_in_page_keeps_a_valid_next_and_drops_a_forged_one(db):
    state = page_state(PortalSignInState, None, path="/portal/sign-in?next=%2Fportal%2Finvoices%2F7")
    call(state, "load")
    assert state.next_path == "/portal/invoices/7"
    assert "as=contact" in state.google_href and "next=%2Fportal%2Finvoices%2F7" in state.google_href
    forged = page_state(
        PortalSignInState, None, path="/portal/sign-in?next=" + quote("//evil.test/x", safe="")
    )
    call(forged, "load")
    assert (
        forged.next_path == "" and "next=%2Fportal" in forged.google_href and "evil" not in forged.google_href
    )


def _request_link_from_the_page(email: str, next_query: str) -> None:
    state = page_state(PortalSignInState, None, path=f"/portal/sign-in?next={quote(next_query, safe='')}")
    call(state, "load")
    state.next_path = next_query  # a forged client may set the var too: it is checked again
    state.email = email

    async def run() -> None:
        await call(state, "request_link")

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=60)


def _link(db: Session, email: str) -> str:
    mail = db.exec(
        select(OutboxMail).where(OutboxMail.to_email == email).order_by(OutboxMail.id.desc())
    ).first()
    db.commit()
    return mail.body_text


def test_the_magic_link_comes_back_to_the_page(db):
    t = make_tenant(db)
    email = contact_email(db, t.contact.contact_id)
    _request_link_from_the_page(email, "/portal/invoices/7")
    body = _link(db, email)
    assert "/auth/magic/" in body and "?next=%2Fportal%2Finvoices%2F7" in body
    token = MAGIC_RE.search(body).group(1)
    path = f"/auth/magic/{token}?next=%2Fportal%2Finvoices%2F7"
    page, done = http(get(path), post_confirm(path))
    assert f'action="/auth/magic/{token}?next=%2Fportal%2Finvoices%2F7"' in page.text
    assert done.status_code == 303 and done.headers["location"] == "/portal/invoices/7"


@pytest.mark.parametrize("forged", ["https://evil.test/", "//evil.test", "/app/settings", "/portal/../app"])
def test_a_forged_next_on_the_link_lands_on_the_portal_home(db, forged):
    t = make_tenant(db)
    email = contact_email(db, t.contact.contact_id)
    _request_link_from_the_page(email, forged)
    body = _link(db, email)
    assert "next=" not in body
    token = MAGIC_RE.search(body).group(1)
    path = f"/auth/magic/{token}?next={quote(forged, safe='')}"  # the forger edits the mailed link
    page, done = http(get(path), post_confirm(path))
    assert "evil" not in page.text and "next=" not in page.text
    assert done.status_code == 303 and done.headers["location"] == "/portal"


def test_request_magic_link_keeps_only_a_portal_next(db):
    t = make_tenant(db)
    email = contact_email(db, t.contact.contact_id)
    portal_access.request_magic_link(db, email, next_path="//evil.test")
    assert "next=" not in _link(db, email)
