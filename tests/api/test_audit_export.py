"""``GET /files/audit.csv`` over HTTP: the actor from the session cookie, the page's filters, the finance reviewer's
payment-only scope, the same 404 for everyone who may not read the log, formula cells made inert, and keyset
batches that neither skip nor repeat a row."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from models import AuditEvent, Contact, SessionKind
from portal_app import routes
from portal_app.api import build_api
from portal_app.services import audit_log, estimates, identity, invoices, sessions
from portal_app.services.lines import LineInput
from portal_app.services.sessions import COOKIE_NAME
from tests.factories import make_account, make_tenant

EVIL = '=HYPERLINK("http://evil.test","x")'
LINE = [{"description": "Work", "quantity": 1, "unit_price_minor": 10_000}]


@pytest.fixture()
def world(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        evil = make_account(s, a.ws, name=EVIL)
        b.account.name = "Other Company"
        s.add(b.account)
        s.commit()
        for account in (a.account, evil):
            inv = invoices.create_invoice(s, a.finance, account.id, lines=LINE)
            invoices.issue_invoice(s, a.finance, inv.id)
        for i in range(3):
            est = estimates.create_estimate(
                s, a.team_lead, a.account.id, title=f"Job {i}", lines=[LineInput("W")]
            )
            estimates.share_estimate(s, a.team_lead, est.id)
        est_b = estimates.create_estimate(
            s, b.team_lead, b.account.id, title="Theirs", lines=[LineInput("W")]
        )
        estimates.share_estimate(s, b.team_lead, est_b.id)

        def staff_token(actor):
            issued = sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
            )
            s.commit()
            return issued.token

        contact = identity.start_contact_session(
            s, s.get(Contact, a.contact.contact_id), a.contact.account_id, via="test"
        )
        s.commit()
        tokens = {
            "owner": staff_token(a.owner),
            "manager": staff_token(a.manager),
            "finance": staff_token(a.finance),
            "team_lead": staff_token(a.team_lead),
            "other_owner": staff_token(b.owner),
            "contact": contact.token,
        }
        seqs = [
            e.seq
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.workspace_id == a.ws.id).order_by(AuditEvent.seq.desc())
            )
        ]
        return {"tokens": tokens, "seqs": seqs, "account": a.account.id, "evil": evil.id}


@pytest.fixture()
def client():
    return TestClient(build_api())


def get(client, token=None, **query):
    client.cookies.clear()
    if token:
        client.cookies.set(COOKIE_NAME, token)
    return client.get(routes.url_for(routes.FILES_AUDIT_CSV, **query))


def test_the_header_names_the_action_in_words_and_its_code():
    assert audit_log.CSV_HEADER[3:5] == ("Action", "Action code")


def rows(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert resp.headers["content-disposition"].startswith('attachment; filename="audit-log.csv"')
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["cache-control"] == "private, no-store"
    assert resp.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0] == list(audit_log.CSV_HEADER)
    return table[1:]


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_owner_and_manager_get_every_entry_of_their_workspace(world, client, who):
    body = rows(get(client, world["tokens"][who]))
    assert [int(r[0]) for r in body] == world["seqs"]
    assert not any("Other Company" in c or "Theirs" in c for r in body for c in r)
    assert all(len(r[8]) == 64 and r[1].endswith("Z") for r in body)


def test_the_other_workspace_gets_its_own_entries_only(world, client):
    body = rows(get(client, world["tokens"]["other_owner"]))
    assert body and all(EVIL not in c for r in body for c in r)
    assert rows(get(client, world["tokens"]["other_owner"], account=world["account"])) == []


def test_filters_narrow_the_export(world, client):
    tokens = world["tokens"]
    invoices_only = rows(get(client, tokens["owner"], action="group:invoices"))
    assert invoices_only and {r[4] for r in invoices_only} == {"invoice.created", "invoice.issued"}
    assert {r[3] for r in invoices_only} == {"Invoice created", "Invoice issued"}  # the action in words
    one_account = rows(get(client, tokens["owner"], account=world["evil"]))
    assert {r[4] for r in one_account} == {"invoice.created", "invoice.issued"} and len(one_account) == 2
    shared = rows(get(client, tokens["owner"], action="estimate.shared"))
    assert len(shared) == 3


def test_finance_gets_payment_entries_only_and_cannot_widen_it(world, client):
    tokens = world["tokens"]
    body = rows(get(client, tokens["finance"]))
    assert len(body) == 4 and {r[4] for r in body} == {"invoice.created", "invoice.issued"}
    assert rows(get(client, tokens["finance"], action="group:estimates")) == []
    assert rows(get(client, tokens["finance"], action="estimate.shared")) == []


@pytest.mark.parametrize("who", [None, "garbage", "team_lead", "contact"])
def test_everyone_else_gets_the_same_not_found(world, client, who):
    token = world["tokens"].get(who, "not-a-session") if who else None
    resp = get(client, token)
    assert resp.status_code == 404 and resp.text == "Not found."
    assert resp.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "query",
    [{"record": "estimate"}, {"account": "-4"}, {"since": "yesterday"}, {"action": "DROP TABLE"}],
)
def test_unreadable_filters_are_a_plain_400(world, client, query):
    resp = get(client, world["tokens"]["owner"], **query)
    assert resp.status_code == 400 and resp.headers["x-content-type-options"] == "nosniff"


def test_formula_cells_are_inert(world, client):
    body = rows(get(client, world["tokens"]["owner"], account=world["evil"]))
    assert all(r[7] == "'" + EVIL for r in body)
    assert not any(c.startswith(("=", "+", "-", "@")) for r in body for c in r)


def test_batches_neither_skip_nor_repeat_and_the_cap_is_said(world, client, monkeypatch):
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 2)
    body = rows(get(client, world["tokens"]["owner"]))
    assert [int(r[0]) for r in body] == world["seqs"]
    monkeypatch.setattr(audit_log, "EXPORT_MAX", 3)
    capped = rows(get(client, world["tokens"]["owner"]))
    assert [int(r[0]) for r in capped[:3]] == world["seqs"][:3]
    assert len(capped) == 4 and "stops at 3 entries" in capped[3][5]
    assert capped[3][:5] == ["", "", "", "", ""] and len(capped[3]) == len(audit_log.CSV_HEADER)
