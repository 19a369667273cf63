"""The review queue page without a browser: who may see it, the queue oldest first, accept (with a corrected amount)
and reject, forged ids and other workspaces, and two reviewers deciding the same file.

Handlers are called directly with a router carrying the session cookie; data is committed and wiped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import (  # noqa: E402
    FollowUpTask,
    IntakeFile,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    TaskStatus,
)
from portal_app import routes  # noqa: E402
from portal_app.services import intake, invoices  # noqa: E402
from state.review import HeldItem, ReviewQueueState  # noqa: E402
from tests.factories import days, make_tenant  # noqa: E402
from tests.services.test_intake import PDF, doc_request, key, png  # noqa: E402
from tests.state.test_estimate_pages import call, page_state, staff_token  # noqa: E402

PATH = routes.STAFF_REVIEW


@pytest.fixture()
def db(committed_engine: sa.Engine, storage_dir: Path) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture()
def two(db: Session) -> tuple[Any, Any]:
    a, b = make_tenant(db), make_tenant(db)
    a.account.name, a.other_account.name = "Contoso Retail", "Fabrikam Foods"
    db.add_all([a.account, a.other_account])
    db.commit()
    return a, b


def _invoice(db: Session, t: Any, amount: int = 200_000) -> int:
    inv = invoices.create_invoice(
        db,
        t.finance,
        t.account.id,
        lines=[{"description": "Storefront", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}],
    )
    return invoices.issue_invoice(db, t.finance, inv.id, issue_date=days(0)).id


def _proof(
    db: Session, t: Any, invoice_id: int, *, amount: int = 150_000, name: str = "remittance-88.pdf"
) -> int:
    sent = intake.submit_payment_proof(
        db,
        t.billing_contact,
        invoice_id,
        filename=name,
        data=PDF,
        claimed_amount_minor=amount,
        claimed_paid_on=days(10),
        note="Paid by wire.",
        idempotency_key=key(),
    )
    db.rollback()  # end the read that built the answer: an open SQLite read would block the page's writes
    return sent.id


def _document(db: Session, t: Any) -> int:
    req = doc_request(db, t, account=t.other_account)
    sent = intake.submit_document(
        db, t.other_contact, req.id, filename="DPA signed.png", data=png(), idempotency_key=key()
    )
    db.rollback()
    return sent.id


def _age(db: Session, intake_id: int, minutes: int) -> None:
    row = db.get(IntakeFile, intake_id)
    assert row is not None
    row.created_at = row.created_at - timedelta(minutes=minutes)
    db.add(row)
    db.commit()


def _read(db: Session, query: Any) -> list[Any]:
    """Rows as plain tuples, in a read that ends at once (an open SQLite read would block the page's writes)."""
    db.rollback()
    try:
        return [tuple(r) if hasattr(r, "_mapping") else r for r in db.exec(query).all()]
    finally:
        db.rollback()


def _payments(db: Session, invoice_id: int) -> list[tuple[int, Any, int | None]]:
    return _read(
        db,
        select(Payment.amount_minor, Payment.received_on, Payment.intake_file_id).where(
            Payment.invoice_id == invoice_id
        ),
    )


def _status(db: Session, intake_id: int) -> IntakeStatus:
    return _read(db, select(IntakeFile.status).where(IntakeFile.id == intake_id))[0]


def _invoice_paid(db: Session, invoice_id: int) -> tuple[int, InvoiceStatus]:
    return _read(db, select(Invoice.amount_paid_minor, Invoice.status).where(Invoice.id == invoice_id))[0]


def _open_tasks(db: Session, intake_id: int) -> int:
    return _read(
        db,
        select(func.count())
        .select_from(FollowUpTask)
        .where(
            FollowUpTask.source_type == "intake_file",
            FollowUpTask.source_id == intake_id,
            FollowUpTask.status == TaskStatus.OPEN,
        ),
    )[0]


def _queue(db: Session, actor: Any) -> ReviewQueueState:
    state = page_state(ReviewQueueState, staff_token(db, actor), path=PATH)
    call(state, "load")
    return state


# -- who sees it ------------------------------------------------------------------------------------------------


def test_team_lead_gets_no_access_and_cannot_act(db: Session, two: Any) -> None:
    t, _ = two
    proof = _proof(db, t, _invoice(db, t))
    state = _queue(db, t.team_lead)
    assert state.gate == "no_access" and state.rows == [] and state.waiting == 0
    call(state, "open_review", proof)
    assert state.review_open is False
    # Even a state forged to hold the item gets nothing done: the actor is re-checked on the action.
    state.review_open, state._review_id = True, proof
    state._loaded = {proof: HeldItem(proof, True, "USD", None, "", 200_000, 150_000, days(10))}
    call(state, "reject", {"reason": "forged"})
    call(state, "accept", {"amount": "1.00", "received_on": days(10).isoformat()})
    assert _status(db, proof) is IntakeStatus.AWAITING_REVIEW

    signed_out = page_state(ReviewQueueState, None, path=PATH)
    call(signed_out, "load")
    assert signed_out.gate == "signed_out" and signed_out.rows == []


# -- the queue --------------------------------------------------------------------------------------------------


def test_finance_sees_the_queue_oldest_first(db: Session, two: Any) -> None:
    t, other = two
    inv = _invoice(db, t)
    proof = _proof(db, t, inv, name="remittance <88>.pdf")
    doc = _document(db, t)
    _age(db, proof, 30)
    _age(db, doc, 90)  # sent later, dated earlier: the oldest comes first
    _proof(db, other, _invoice(db, other))  # another workspace: never listed

    state = _queue(db, t.finance)
    assert state.gate == "ready" and [r.id for r in state.rows] == [doc, proof]
    assert state.waiting == 2 and state.waiting_label == "2 files wait for a decision."
    first, second = state.rows
    assert (
        first.kind_label == "Document" and first.account == "Fabrikam Foods" and first.record == "Signed W-9"
    )
    assert (
        first.record_href.startswith(routes.STAFF_DOCUMENTS + "/")
        and first.amount == ""
        and first.type_label == "PNG image"
    )
    assert first.preview_kind == "image" and first.preview_url.endswith(f"/files/intake/{doc}/preview")
    assert second.kind_label == "Payment proof" and second.account == "Contoso Retail"
    assert second.record_href == routes.record_url(routes.STAFF_INVOICES, inv)
    assert second.amount == "$1,500.00" and second.balance_due == "$2,000.00"
    assert second.file_name == "remittance <88>.pdf"  # the customer's words, as written
    assert second.type_label == "PDF" and second.preview_kind == "pdf" and second.size.endswith("bytes")
    assert second.download_url.endswith(f"/files/intake/{proof}")
    assert second.received == "30 minutes ago" and "UTC" in second.received_exact

    call(state, "choose_kind", "payment_proof")
    assert (
        [r.id for r in state.rows] == [proof] and state.waiting == 2 and state.kind_filter == "payment_proof"
    )
    call(state, "choose_kind", "everything")  # not a kind: ignored
    assert state.filters == {"kind": ""} and len(state.rows) == 2
    call(state, "set_filter", "workspace_id", str(other.ws.id))
    assert "workspace_id" not in state.filters


def test_empty_queue(db: Session, two: Any) -> None:
    t, _ = two
    state = _queue(db, t.owner)
    assert (
        state.gate == "ready" and state.rows == [] and state.waiting_label == "Nothing waits for a decision."
    )


# -- accept and reject ------------------------------------------------------------------------------------------


def test_accept_with_corrected_amount_records_one_payment_and_closes_the_task(db: Session, two: Any) -> None:
    t, _ = two
    inv = _invoice(db, t)
    proof = _proof(db, t, inv)
    state = _queue(db, t.finance)
    call(state, "open_review", str(proof))
    assert state.review_open and state.review.id == proof and state.review.file_name == "remittance-88.pdf"
    assert state.amount_text == "1,500.00" and state.received_text == days(10).isoformat()

    call(state, "accept", {"amount": "2,500.00", "received_on": days(11).isoformat()})
    assert "balance due" in state.errors["amount"] and _payments(db, inv) == []  # more than is due
    assert state.review_open and state.amount_text == "2,500.00"
    call(state, "accept", {"amount": "12.345", "received_on": "tomorrow"})
    assert set(state.errors) == {"amount", "received_on"} and _payments(db, inv) == []

    result = call(state, "accept", {"amount": "1,200.00", "received_on": days(11).isoformat()})
    assert "Payment accepted: " in str(
        result
    ) and "now has a balance of $800.00. The follow-up task is closed." in str(result)
    assert _payments(db, inv) == [(120_000, days(11), proof)]
    assert _status(db, proof) is IntakeStatus.ACCEPTED and _open_tasks(db, proof) == 0
    assert _invoice_paid(db, inv) == (120_000, InvoiceStatus.PARTIALLY_PAID)
    assert state.review_open is False and state.rows == [] and state.waiting == 0

    call(state, "accept", {"amount": "1,200.00", "received_on": days(11).isoformat()})  # a double click
    assert len(_payments(db, inv)) == 1


def test_reject_needs_a_reason_and_changes_nothing_without_one(db: Session, two: Any) -> None:
    t, _ = two
    inv = _invoice(db, t)
    proof = _proof(db, t, inv)
    state = _queue(db, t.finance)
    call(state, "open_review", proof)
    for form in ({"reason": "   "}, {}, {"reason": ["not", "text"]}):
        call(state, "reject", form)
        assert "reason" in state.errors and state.review_open
    assert _status(db, proof) is IntakeStatus.AWAITING_REVIEW and _open_tasks(db, proof) == 1

    result = call(state, "reject", {"reason": "The amount on the receipt does not match."})
    assert "Proof rejected. The contact will see your reason and can send a new one." in str(result)
    assert _status(db, proof) is IntakeStatus.REJECTED and _open_tasks(db, proof) == 0
    assert _payments(db, inv) == [] and state.rows == []


def test_accepting_a_document_fulfils_it(db: Session, two: Any) -> None:
    t, _ = two
    doc = _document(db, t)
    state = _queue(db, t.manager)
    call(state, "open_review", doc)
    result = call(state, "accept", {})
    assert "Document accepted" in str(result) and _status(db, doc) is IntakeStatus.ACCEPTED


# -- forged ids, other workspaces, two reviewers ----------------------------------------------------------------


def test_forged_ids_and_other_workspaces_change_nothing(db: Session, two: Any) -> None:
    t, other = two
    mine = _proof(db, t, _invoice(db, t))
    state = _queue(db, t.finance)
    theirs_invoice = _invoice(db, other)
    theirs = _proof(db, other, theirs_invoice)
    later = _proof(db, t, _invoice(db, t))  # same workspace, but not among the rows this page loaded

    for forged in (theirs, later, "abc", -1, 10**12, None, {"id": mine}):
        call(state, "open_review", forged)
        assert state.review_open is False
        call(state, "accept", {"amount": "1.00", "received_on": days(10).isoformat()})
        call(state, "reject", {"reason": "forged"})
    assert {_status(db, i) for i in (mine, theirs, later)} == {IntakeStatus.AWAITING_REVIEW}

    # A backend var pointing at another workspace's file (it can only get there by a bug): the service scopes
    # it again and answers Not found; nothing changes and the page reloads.
    state.review_open, state._review_id = True, theirs
    state._loaded = {
        **state._loaded,
        theirs: HeldItem(theirs, True, "USD", theirs_invoice, "X", 200_000, 1, None),
    }
    result = call(state, "accept", {"amount": "1.00", "received_on": days(10).isoformat()})
    assert "Not found" in str(result)
    assert _status(db, theirs) is IntakeStatus.AWAITING_REVIEW and _payments(db, theirs_invoice) == []


def test_two_reviewers_accepting_at_once_record_one_payment(db: Session, two: Any) -> None:
    t, _ = two
    inv = _invoice(db, t)
    proof = _proof(db, t, inv)
    first, second = _queue(db, t.finance), _queue(db, t.manager)
    call(first, "open_review", proof)
    call(second, "open_review", proof)
    call(first, "accept", {"amount": "1,500.00", "received_on": days(10).isoformat()})
    result = call(second, "accept", {"amount": "1,500.00", "received_on": days(10).isoformat()})
    assert "This file was already accepted. The queue has been reloaded." in str(result)
    assert second.review_open is False and second.rows == []
    assert len(_payments(db, inv)) == 1

    again = _proof(db, t, inv, amount=10_000)
    call(first, "load")
    call(second, "load")
    call(first, "open_review", again)
    call(second, "open_review", again)
    call(first, "reject", {"reason": "Blurry."})
    result = call(second, "accept", {"amount": "100.00", "received_on": days(10).isoformat()})
    assert "already rejected" in str(result) and len(_payments(db, inv)) == 1
