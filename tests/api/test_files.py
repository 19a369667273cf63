"""Intake downloads: only through the authenticated route, scope re-checked, always an inert attachment."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from models import Contact, SessionKind
from portal_app.api.files import file_routes
from portal_app.services import document_requests, identity, intake, sessions
from portal_app.services.sessions import COOKIE_NAME
from tests.factories import make_tenant

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture()
def world(committed_engine, storage_dir):
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        req = document_requests.create_document_request(s, a.team_lead, a.account.id, title="W-9")
        up = intake.submit_document(
            s, a.contact, req.id, filename="../../tax form.pdf", data=PDF, idempotency_key=uuid.uuid4().hex
        )

        def contact_token(actor):
            issued = identity.start_contact_session(
                s, s.get(Contact, actor.contact_id), actor.account_id, via="test"
            )
            s.commit()
            return issued.token

        def staff_token(actor):
            issued = sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
            )
            s.commit()
            return issued.token

        tokens = {
            "owner_contact": contact_token(a.contact),
            "other_account_contact": contact_token(a.other_contact),
            "billing_only_contact": contact_token(a.billing_contact),
            "finance": staff_token(a.finance),
            "other_workspace_owner": staff_token(b.owner),
        }
    return up.id, tokens


@pytest.fixture()
def client():
    return TestClient(Starlette(routes=file_routes()))


def get(client, intake_id, token=None):
    client.cookies.clear()
    if token:
        client.cookies.set(COOKIE_NAME, token)
    return client.get(f"/files/intake/{intake_id}")


@pytest.mark.parametrize("who", ["owner_contact", "finance"])
def test_allowed_download_is_an_inert_attachment(world, client, who):
    intake_id, tokens = world
    resp = get(client, intake_id, tokens[who])
    assert resp.status_code == 200 and resp.content == PDF
    assert resp.headers["content-type"].startswith("application/pdf")
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert ".." not in resp.headers["content-disposition"] and "/" not in resp.headers["content-disposition"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in resp.headers["cache-control"]


@pytest.mark.parametrize("other", ["pref=a b", 'consent={"x":1}', "weird=a,b;c", "=no-name; flag"])
def test_session_is_read_next_to_unusual_cookies(world, client, other):
    """The HTTP routes and the event socket read the Cookie header with the same lenient parser."""
    intake_id, tokens = world
    client.cookies.clear()
    header = f"{other}; {COOKIE_NAME}={tokens['owner_contact']}"
    resp = client.get(f"/files/intake/{intake_id}", headers={"cookie": header})
    assert resp.status_code == 200 and resp.content == PDF


@pytest.mark.parametrize(
    "who", [None, "garbage", "other_account_contact", "billing_only_contact", "other_workspace_owner"]
)
def test_everyone_else_gets_the_same_not_found(world, client, who):
    intake_id, tokens = world
    token = tokens.get(who, who)
    resp = get(client, intake_id, token)
    missing = get(client, intake_id + 10_000, tokens["finance"])
    assert resp.status_code == missing.status_code == 404
    assert resp.text == missing.text
