"""Contact invoice pages: what is due first, forged and foreign ids, the billing permission, and the payment
proof form (field checks on the server, the upload started for the loaded invoice only, the answer shown inertly).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import Contact, IntakeFile, Payment  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.services import identity, intake, invoices  # noqa: E402
from portal_app.services.lines import LineInput  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.portal_invoices import PortalInvoicesState, PortalInvoiceState  # noqa: E402
from tests.factories import Tenant, make_contact, make_tenant  # noqa: E402

S = TypeVar("S", bound=rx.State)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
LINES = [LineInput("Consulting", quantity=2, unit_price_minor=50_000, tax_rate_bp=0)]  # $1,000.00
DETAIL = routes.record_pattern(routes.PORTAL_INVOICES)


@pytest.fixture()
def db(committed_engine: sa.Engine, storage_dir: Any) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def token_for(db: Session, actor: Any) -> str:
    issued = identity.start_contact_session(
        db, db.get(Contact, actor.contact_id), actor.account_id, via="test"
    )
    db.commit()
    return issued.token


def tab(cls: type[S], token: str | None, pattern: str, record_id: Any = None) -> S:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    route(state, pattern, record_id, token)
    return state  # type: ignore[return-value]


def route(state: rx.State, pattern: str, record_id: Any, token: str | None) -> None:
    """Point the tab's router data at ``record_id`` (what a forged client sends with its next event)."""
    query = {"id": str(record_id)} if record_id is not None else {}
    path = pattern.replace("[id]", str(record_id)) if record_id is not None else pattern
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"{COOKIE_NAME}={token}" if token else ""},
            "pathname": pattern,
            "asPath": path,
            "query": query,
            "token": "t",
        }
    )
    current: Any = state
    while current is not None:
        current.router = router
        current = current.parent_state


def call(state: rx.State, handler: str, *args: Any) -> Any:
    return getattr(type(state), handler).fn(state, *args)


def issued(
    db: Session, t: Tenant, *, due_in: int | None = 30, account: Any = None, issue_in: int = -40
) -> int:
    inv = invoices.create_invoice(db, t.finance, (account or t.account).id, lines=LINES)
    today = invoices.today()
    invoices.issue_invoice(
        db,
        t.finance,
        inv.id,
        issue_date=today + timedelta(days=issue_in),
        due_date=today + timedelta(days=due_in) if due_in is not None else None,
    )
    db.rollback()  # end the read transaction: SQLite would keep the page's own writes waiting on it
    return inv.id


def invoice_tab(db: Session, actor: Any, invoice_id: Any) -> PortalInvoiceState:
    state = tab(PortalInvoiceState, token_for(db, actor), DETAIL, invoice_id)
    call(state, "load")
    return state


def count(db: Session, model: Any) -> int:
    db.rollback()
    return int(db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


FORM = {"amount": "250.00", "paid_on": "", "reference": "TR-42"}


def form(**kw: str) -> dict[str, str]:
    return {**FORM, "paid_on": invoices.today().isoformat(), **kw}


# -- the list ------------------------------------------------------------------------------------------------------


def test_list_puts_due_and_overdue_first_then_the_rest_newest_first(db: Session) -> None:
    t = make_tenant(db)
    paid_old = issued(db, t, issue_in=-90)
    invoices.record_payment(
        db, t.finance, paid_old, amount_minor=100_000, currency="USD", received_on=invoices.today()
    )
    void_new = issued(db, t, issue_in=-1)
    invoices.void_invoice(db, t.finance, void_new, reason="Sent twice")
    due_later = issued(db, t, due_in=20)
    overdue = issued(db, t, due_in=-5)
    partly = issued(db, t, due_in=3)
    invoices.record_payment(
        db, t.finance, partly, amount_minor=40_000, currency="USD", received_on=invoices.today()
    )
    draft = invoices.create_invoice(db, t.finance, t.account.id, lines=LINES)
    issued(db, t, account=t.other_account, due_in=-30)  # another account's overdue invoice

    state = tab(PortalInvoicesState, token_for(db, t.billing_contact), routes.PORTAL_INVOICES)
    call(state, "load")
    assert state.gate == "ready"
    numbers = {
        inv_id: invoices.get_invoice(db, t.finance, inv_id).number
        for inv_id in (paid_old, void_new, due_later, overdue, partly, draft.id)
    }
    hrefs = [r.href for r in state.rows]
    expected_ids = [overdue, partly, due_later, void_new, paid_old]
    assert hrefs == [routes.record_url(routes.PORTAL_INVOICES, i) for i in expected_ids]
    assert numbers[draft.id] not in [r.number for r in state.rows]
    first = state.rows[0]
    assert first.status == "Overdue" and first.color == "red" and first.when == "overdue by 5 days"
    assert first.balance == "$1,000.00"
    assert state.rows[1].balance == "$600.00" and state.rows[1].status == "Partially paid"
    assert state.rows[-1].balance == "—"


def test_list_needs_billing(db: Session) -> None:
    t = make_tenant(db)
    issued(db, t)
    no_billing = make_contact(db, t.account, billing=False)
    db.commit()
    state = tab(PortalInvoicesState, token_for(db, no_billing), routes.PORTAL_INVOICES)
    call(state, "load")
    assert state.gate == "not_found" and state.rows == []


# -- the detail: who sees what ---------------------------------------------------------------------------------


def test_detail_shows_lines_totals_payments_and_the_pdf(db: Session) -> None:
    t = make_tenant(db)
    inv_id = issued(db, t, due_in=10)
    invoices.record_payment(
        db,
        t.finance,
        inv_id,
        amount_minor=25_000,
        currency="USD",
        received_on=invoices.today(),
        reference="R1",
    )
    state = invoice_tab(db, t.billing_contact, inv_id)
    assert state.gate == "ready"
    assert state.total == "$1,000.00" and state.paid == "$250.00" and state.balance == "$750.00"
    assert [ln.description for ln in state.lines] == ["Consulting"]
    assert [(p.amount, p.reference) for p in state.payments] == [("$250.00", "R1")]
    assert state.pdf_href.endswith(f"{routes.FILES_INVOICES}/{inv_id}.pdf")
    assert state.can_send_proof and state.closed_note == ""


@pytest.mark.parametrize("forged", ["abc", "-1", "0", "99999999", "1.5", ""])
def test_forged_ids_are_not_found(db: Session, forged: str) -> None:
    t = make_tenant(db)
    issued(db, t)
    state = invoice_tab(db, t.billing_contact, forged)
    assert state.gate == "not_found" and state.number == "" and state.lines == [] and state.pdf_href == ""


def test_another_accounts_invoice_and_a_draft_are_not_found(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    mine = issued(db, t)
    theirs = issued(db, t, account=t.other_account)
    foreign = issued(db, other)
    draft = invoices.create_invoice(db, t.finance, t.account.id, lines=LINES)
    for target in (theirs, foreign, draft.id):
        state = invoice_tab(db, t.billing_contact, target)
        assert state.gate == "not_found" and state.total == "" and state.proofs == []
    assert invoice_tab(db, t.billing_contact, mine).gate == "ready"


def test_contact_without_billing_gets_not_found(db: Session) -> None:
    t = make_tenant(db)
    inv_id = issued(db, t)
    no_billing = make_contact(db, t.account, billing=False)
    db.commit()
    state = invoice_tab(db, no_billing, inv_id)
    assert state.gate == "not_found" and state.total == ""
    # Its handlers refuse too: nothing is started for it.
    assert call(state, "send_proof", form()) is None


def test_paid_or_void_invoice_hides_the_form(db: Session) -> None:
    t = make_tenant(db)
    paid = issued(db, t)
    invoices.record_payment(
        db, t.finance, paid, amount_minor=100_000, currency="USD", received_on=invoices.today()
    )
    void = issued(db, t)
    invoices.void_invoice(db, t.finance, void, reason="Wrong customer")
    for inv_id, word in ((paid, "paid"), (void, "void")):
        state = invoice_tab(db, t.billing_contact, inv_id)
        assert state.gate == "ready" and not state.can_send_proof and word in state.closed_note
        assert call(state, "send_proof", form()) is not None  # a toast, no upload
        assert state.submitting is False


# -- sending proof ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": ""}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1,000.01"}, "amount"),  # more than the balance
        ({"paid_on": ""}, "paid_on"),
        ({"paid_on": "31/12/2026"}, "paid_on"),
        ({"paid_on": "2999-01-01"}, "paid_on"),
        ({"reference": "x" * 201}, "reference"),
    ],
)
def test_send_refuses_bad_fields_with_field_errors(db: Session, fields: dict[str, str], field: str) -> None:
    t = make_tenant(db)
    state = invoice_tab(db, t.billing_contact, issued(db, t))
    result = call(state, "send_proof", form(**fields))
    assert result is None  # no upload started
    assert field in state.errors and state.errors[field]
    assert state.submitting is False


def test_send_refuses_junk_payloads(db: Session) -> None:
    t = make_tenant(db)
    state = invoice_tab(db, t.billing_contact, issued(db, t))
    for junk in (None, "amount=5", ["250"], {"amount": ["250"], "paid_on": {"x": 1}}):
        assert call(state, "send_proof", junk) is None
        assert "amount" in state.errors


def test_send_starts_the_upload_for_the_loaded_invoice_only(db: Session) -> None:
    t = make_tenant(db)
    token = token_for(db, t.billing_contact)
    mine = issued(db, t)
    other_of_mine = issued(db, t)
    theirs = issued(db, t, account=t.other_account)
    state = tab(PortalInvoiceState, token, DETAIL, mine)
    call(state, "load")
    key = state._form_key
    # A forged client points the route at other invoices before sending: the loaded one is used.
    for forged in (theirs, other_of_mine):
        route(state, DETAIL, forged, token)
        result = call(state, "send_proof", form(amount="1,000.00"))
        script = str(result)
        assert routes.file_url(routes.FILES_UPLOAD_PROOF, mine) in script
        assert f"{routes.FILES_UPLOAD_PROOF}/{forged}" not in script
        assert json.dumps(key) in script and '"amount": 100000' in script and '"reference": "TR-42"' in script
        assert state.submitting is True and state.errors == {}
    assert count(db, IntakeFile) == 0  # the state stores nothing itself: the route does


def test_proof_sent_with_forged_payloads_does_nothing_harmful(db: Session) -> None:
    t = make_tenant(db)
    inv_id = issued(db, t)
    state = invoice_tab(db, t.billing_contact, inv_id)
    key = state._form_key
    for junk in (None, "ok", 1, [], {"ok": "yes", "message": "x"}, {"ok": True}, {"message": "hi"}):
        state.submitting = True
        call(state, "proof_sent", junk)
        assert state.submitting is False and state.errors == {} and state._form_key == key
    # A failure is shown as text under a known field only, bounded.
    evil = "<img src=x onerror=alert(1)>" + "y" * 2000
    call(state, "proof_sent", {"ok": False, "field": "workspace_id", "message": evil})
    assert set(state.errors) == {"file"} and state.errors["file"].startswith("<img src=x")
    assert len(state.errors["file"]) <= 500
    state.errors = {}
    call(state, "proof_sent", {"ok": False, "field": "amount", "message": "Too much."})
    assert state.errors == {"amount": "Too much."}
    # A forged success creates nothing and pays nothing: it only resets the form.
    before = invoices.get_invoice(db, t.finance, inv_id).amount_paid_minor
    db.rollback()
    events = call(state, "proof_sent", {"ok": True, "message": "sent", "id": 12345})
    assert state._form_key != key and state.errors == {}
    assert "will review it; your balance changes once they accept it" in str(events)
    assert count(db, IntakeFile) == 0 and count(db, Payment) == 0
    assert invoices.get_invoice(db, t.finance, inv_id).amount_paid_minor == before


def test_proofs_show_their_state_and_reason_and_a_new_one_can_follow_a_rejection(db: Session) -> None:
    t = make_tenant(db)
    inv_id = issued(db, t)
    first = intake.submit_payment_proof(
        db,
        t.billing_contact,
        inv_id,
        filename="first.pdf",
        data=PDF,
        claimed_amount_minor=100_000,
        idempotency_key=uuid.uuid4().hex,
    )
    reason = "The transfer <b>isn't</b> on our statement yet — please send the bank's confirmation."
    intake.review_intake(db, t.finance, first.id, accept=False, reason=reason)
    intake.submit_payment_proof(
        db,
        t.billing_contact,
        inv_id,
        filename="second.pdf",
        data=PDF,
        claimed_amount_minor=100_000,
        idempotency_key=uuid.uuid4().hex,
    )
    state = invoice_tab(db, t.billing_contact, inv_id)
    assert [(p.name, p.state) for p in state.proofs] == [
        ("second.pdf", "Under review"),
        ("first.pdf", "Not accepted"),
    ]
    assert state.proofs[1].reason == reason and state.proofs[0].reason == ""
    assert state.proof_waiting and state.can_send_proof
    assert state.balance == "$1,000.00"  # nothing paid until accepted
    # Another contact of another account sees none of them, whatever id it sends.
    assert invoice_tab(db, t.other_contact, inv_id).proofs == []


def test_reload_proofs_keeps_to_the_loaded_invoice(db: Session) -> None:
    t = make_tenant(db)
    token = token_for(db, t.billing_contact)
    mine, other = issued(db, t), issued(db, t)
    intake.submit_payment_proof(
        db,
        t.billing_contact,
        mine,
        filename="mine.pdf",
        data=PDF,
        claimed_amount_minor=5,
        idempotency_key=uuid.uuid4().hex,
    )
    db.rollback()
    state = tab(PortalInvoiceState, token, DETAIL, mine)
    call(state, "load")
    assert state.gate == "ready" and [p.name for p in state.proofs] == ["mine.pdf"]
    route(state, DETAIL, other, token)  # a forged route: the proofs stay those of the loaded invoice
    call(state, "reload_proofs")
    assert state.gate == "ready" and [p.name for p in state.proofs] == ["mine.pdf"]
