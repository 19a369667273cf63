"""Document downloads and the reviewer's preview over HTTP (build_api(): the routes with the app's middleware).

Every route: the actor comes from the session cookie, the services re-check scope, and everyone who may not see
the record gets the same 404 as a record that does not exist.
"""

from __future__ import annotations

import io
import uuid
from datetime import date
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import Session
from starlette.testclient import TestClient

from models import Contact, IntakeFile, SessionKind
from portal_app import routes
from portal_app.api import build_api
from portal_app.services import estimates, identity, intake, invoices, sessions, snapshots
from portal_app.services.lines import LineInput
from portal_app.services.sessions import COOKIE_NAME
from tests.factories import make_account, make_contact, make_tenant

PERIOD = "start=2026-01-01&end=2026-06-30"


@pytest.fixture()
def world(committed_engine, storage_dir):
    with Session(committed_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        zoe = make_account(s, a.ws, name="Zoë Ångström", currency="JPY")
        zoe_contact = make_contact(s, zoe, operations=False, documents=False)
        s.commit()
        line = [{"description": "Work", "quantity": 1, "unit_price_minor": 12_345}]
        inv = invoices.create_invoice(s, a.finance, a.account.id, lines=line, internal_notes="SECRET-NOTE")
        inv = invoices.issue_invoice(s, a.finance, inv.id, issue_date=date(2026, 3, 2))
        draft = invoices.create_invoice(s, a.finance, a.account.id, lines=line)
        yen = invoices.create_invoice(s, a.finance, zoe.id, lines=line)
        yen = invoices.issue_invoice(s, a.finance, yen.id, issue_date=date(2026, 3, 2))
        est = estimates.create_estimate(
            s,
            a.team_lead,
            a.account.id,
            title="Plan",
            lines=[LineInput("Work", 1, 500, 0, unit_cost_minor=400)],
        )
        estimates.share_estimate(s, a.team_lead, est.id)
        est_draft = estimates.create_estimate(
            s, a.team_lead, a.account.id, title="Draft", lines=[LineInput("W")]
        )
        snap = snapshots.share_statement(
            s, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)
        )
        proof_pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        proof = intake.submit_payment_proof(
            s,
            a.billing_contact,
            inv.id,
            filename="../proof <1>.pdf",
            data=proof_pdf,
            claimed_amount_minor=100,
            idempotency_key=uuid.uuid4().hex,
        )
        other = intake.submit_payment_proof(
            s,
            a.billing_contact,
            inv.id,
            filename="page.pdf",
            data=proof_pdf,
            claimed_amount_minor=100,
            idempotency_key=uuid.uuid4().hex,
        )
        # A stored file whose sniffed type is not previewable (as if sniffed as HTML): the preview must refuse it.
        s.execute(sa.update(IntakeFile).where(IntakeFile.id == other.id).values(sniffed_type="text/html"))
        s.commit()

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
            "contact": contact_token(a.contact),
            "billing_contact": contact_token(a.billing_contact),
            "zoe_contact": contact_token(zoe_contact),
            "other_account_contact": contact_token(a.other_contact),
            "finance": staff_token(a.finance),
            "team_lead": staff_token(a.team_lead),
            "other_workspace_owner": staff_token(b.owner),
        }
        ids = {
            "invoice": inv.id,
            "number": inv.number,
            "draft": draft.id,
            "yen": yen.id,
            "yen_number": yen.number,
            "estimate": est.id,
            "estimate_draft": est_draft.id,
            "account": a.account.id,
            "zoe": zoe.id,
            "snapshot": snap.id,
            "proof": proof.id,
            "html": other.id,
        }
    return ids, tokens


@pytest.fixture()
def client():
    return TestClient(build_api())


def get(client, path, token=None):
    client.cookies.clear()
    if token:
        client.cookies.set(COOKIE_NAME, token)
    return client.get(path)


def urls(ids) -> dict[str, str]:
    return {
        "invoice_pdf": f"{routes.FILES_INVOICES}/{ids['invoice']}.pdf",
        "estimate_pdf": f"{routes.FILES_ESTIMATES}/{ids['estimate']}.pdf",
        "statement_pdf": f"{routes.FILES_STATEMENTS}/{ids['account']}.pdf?{PERIOD}",
        "statement_csv": f"{routes.FILES_STATEMENTS}/{ids['account']}.csv?{PERIOD}",
        "snapshot_pdf": f"{routes.FILES_SNAPSHOTS}/{ids['snapshot']}.pdf",
        "snapshot_csv": f"{routes.FILES_SNAPSHOTS}/{ids['snapshot']}.csv",
        "invoice_csv": f"{routes.FILES_INVOICES}.csv",
    }


def missing(ids) -> dict[str, str]:
    far = 10_000_000
    return {
        "invoice_pdf": f"{routes.FILES_INVOICES}/{far}.pdf",
        "estimate_pdf": f"{routes.FILES_ESTIMATES}/{far}.pdf",
        "statement_pdf": f"{routes.FILES_STATEMENTS}/{far}.pdf?{PERIOD}",
        "statement_csv": f"{routes.FILES_STATEMENTS}/{far}.csv?{PERIOD}",
        "snapshot_pdf": f"{routes.FILES_SNAPSHOTS}/{far}.pdf",
        "snapshot_csv": f"{routes.FILES_SNAPSHOTS}/{far}.csv",
        "invoice_csv": f"{routes.FILES_INVOICES}.csv",
    }


ALLOWED = [
    ("invoice_pdf", "billing_contact"),
    ("invoice_pdf", "team_lead"),
    ("estimate_pdf", "contact"),
    ("estimate_pdf", "team_lead"),
    ("statement_pdf", "billing_contact"),
    ("statement_pdf", "team_lead"),
    ("statement_csv", "billing_contact"),
    ("statement_csv", "finance"),
    ("snapshot_pdf", "billing_contact"),
    ("snapshot_pdf", "team_lead"),
    ("snapshot_csv", "contact"),
    ("snapshot_csv", "finance"),
    ("invoice_csv", "team_lead"),
]


def assert_attachment(resp, kind: str) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-disposition"].startswith("attachment; filename=")
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["cache-control"] == "private, no-store"
    if kind == "pdf":
        assert resp.headers["content-type"] == "application/pdf"
        assert resp.content.startswith(b"%PDF-")
    else:
        assert resp.headers["content-type"] == "text/csv; charset=utf-8"
        assert resp.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(("route", "who"), ALLOWED)
def test_allowed_downloads_are_attachments(world, client, route, who):
    ids, tokens = world
    resp = get(client, urls(ids)[route], tokens[who])
    assert_attachment(resp, route.rsplit("_", 1)[1])


DENIED = [
    *[(route, who) for route in ("invoice_pdf", "statement_pdf", "statement_csv", "snapshot_pdf", "snapshot_csv")
      for who in (None, "garbage", "other_account_contact", "other_workspace_owner", "zoe_contact")],
    *[("estimate_pdf", who) for who in (None, "garbage", "other_account_contact", "other_workspace_owner",
                                        "billing_contact")],
    *[("invoice_csv", who) for who in (None, "garbage", "contact", "billing_contact")],
]  # fmt: skip


@pytest.mark.parametrize(("route", "who"), DENIED)
def test_everyone_else_gets_the_same_not_found(world, client, route, who):
    ids, tokens = world
    resp = get(client, urls(ids)[route], tokens.get(who, who))
    absent = get(client, missing(ids)[route], tokens["finance"] if route != "invoice_csv" else None)
    assert resp.status_code == absent.status_code == 404
    assert resp.text == absent.text == "Not found."
    assert "attachment" not in resp.headers.get("content-disposition", "")


def test_another_workspace_staff_gets_no_invoice_list(world, client):
    ids, tokens = world
    resp = get(client, urls(ids)["invoice_csv"], tokens["other_workspace_owner"])
    assert resp.status_code == 200
    assert ids["number"].encode() not in resp.content  # their own (empty) list, never ours


def test_draft_invoice_pdf_is_not_found_for_a_contact(world, client):
    ids, tokens = world
    url = f"{routes.FILES_INVOICES}/{ids['draft']}.pdf"
    assert get(client, url, tokens["billing_contact"]).status_code == 404
    assert_attachment(get(client, url, tokens["finance"]), "pdf")
    est = f"{routes.FILES_ESTIMATES}/{ids['estimate_draft']}.pdf"
    assert get(client, est, tokens["contact"]).status_code == 404
    assert_attachment(get(client, est, tokens["team_lead"]), "pdf")


def test_invoice_pdf_content_and_unicode_filename(world, client):
    ids, tokens = world
    resp = get(client, f"{routes.FILES_INVOICES}/{ids['yen']}.pdf", tokens["zoe_contact"])
    assert_attachment(resp, "pdf")
    assert f'filename="{ids["yen_number"]}.pdf"' in resp.headers["content-disposition"]
    text = " ".join(PdfReader(io.BytesIO(resp.content)).pages[0].extract_text().split())
    assert "Zoë Ångström" in text and "¥12,345" in text
    statement = get(client, f"{routes.FILES_STATEMENTS}/{ids['zoe']}.csv?{PERIOD}", tokens["zoe_contact"])
    assert_attachment(statement, "csv")
    cd = statement.headers["content-disposition"]
    assert quote("Zoë-Ångström", safe="") in cd and 'filename="Zo_-_ngstr_m-statement' in cd
    assert "SECRET-NOTE" not in resp.text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "start=2026-01-01",
        "end=2026-06-30",
        "start=2026-13-01&end=2026-06-30",
        "start=2026-1-1&end=2026-06-30",
        "start=20260101&end=20260630",
        "start=2026-01-01T00:00&end=2026-06-30",
        "start=2026-06-30&end=2026-01-01",  # ends before it starts
        "start=2000-01-01&end=2026-06-30",  # longer than the service allows
    ],
)
@pytest.mark.parametrize("suffix", [".pdf", ".csv"])
def test_statement_dates_are_parsed_strictly(world, client, query, suffix):
    ids, tokens = world
    resp = get(
        client, f"{routes.FILES_STATEMENTS}/{ids['account']}{suffix}?{query}", tokens["billing_contact"]
    )
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("text/plain")
    assert resp.text and "Traceback" not in resp.text and "content-disposition" not in resp.headers


@pytest.mark.parametrize("query", ["status=bogus", "account=abc", "account=-1", "account=1e3"])
def test_invoice_list_filters_are_checked(world, client, query):
    _, tokens = world
    resp = get(client, f"{routes.FILES_INVOICES}.csv?{query}", tokens["finance"])
    assert resp.status_code == 400


def test_invoice_list_filters_apply(world, client):
    ids, tokens = world
    resp = get(
        client, f"{routes.FILES_INVOICES}.csv?status=draft&account={ids['account']}", tokens["finance"]
    )
    assert_attachment(resp, "csv")
    rows = resp.content.decode("utf-8-sig").strip().split("\r\n")
    assert len(rows) == 2 and ",Draft," in rows[1]


# -- preview ---------------------------------------------------------------------------------------------------


def preview(ids, key="proof"):
    return f"{routes.FILES_INTAKE}/{ids[key]}/preview"


def test_reviewer_preview_is_inline_and_locked_down(world, client):
    ids, tokens = world
    resp = get(client, preview(ids), tokens["finance"])
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-disposition"].startswith("inline;")
    assert "/" not in resp.headers["content-disposition"].split("filename*=")[0]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["cache-control"] == "private, no-store"
    csp = resp.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'") and "frame-ancestors" in csp and "script-src" not in csp
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    "who", [None, "garbage", "billing_contact", "other_workspace_owner", "other_account_contact"]
)
def test_preview_is_only_for_the_workspace_reviewers(world, client, who):
    ids, tokens = world
    resp = get(client, preview(ids), tokens.get(who, who))
    assert resp.status_code == 404 and resp.text == "Not found."


def test_preview_refuses_types_that_are_not_images_or_pdf(world, client):
    ids, tokens = world
    resp = get(client, preview(ids, "html"), tokens["finance"])
    assert resp.status_code == 404 and resp.text == "Not found."
    assert "text/html" not in resp.headers.get("content-type", "")
    # The attachment download of the same file still works for the reviewer.
    download = get(client, f"{routes.FILES_INTAKE}/{ids['html']}", tokens["finance"])
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")


def test_invoice_list_takes_the_overdue_and_due_soon_filters(world, client):
    # The list page's "Download CSV" keeps ?status=overdue / due_soon: both issued invoices are past due.
    ids, tokens = world
    resp = get(client, f"{routes.FILES_INVOICES}.csv?status=overdue", tokens["finance"])
    assert_attachment(resp, "csv")
    assert 'filename="invoices-overdue.csv"' in resp.headers["content-disposition"]
    rows = resp.content.decode("utf-8-sig").strip().split("\r\n")[1:]
    assert sorted(r.split(",")[0] for r in rows) == sorted([ids["number"], ids["yen_number"]])
    soon = get(client, f"{routes.FILES_INVOICES}.csv?status=due_soon", tokens["finance"])
    assert_attachment(soon, "csv")
    assert soon.content.decode("utf-8-sig").strip().split("\r\n")[1:] == []
