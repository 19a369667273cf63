"""Amount bounds through the real services: too-large input is a ``ValidationFailed``, never a database error,
nothing stored changes, and the largest accepted amounts round-trip exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models import (
    Estimate,
    EstimateStatus,
    IntakeFile,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
)
from portal_app.services import estimates, intake, invoices
from portal_app.services.errors import ValidationFailed
from portal_app.services.lines import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_TAX_RATE_BP,
    MAX_TOTAL_MINOR,
    MAX_UNIT_AMOUNT_MINOR,
    LineInput,
)
from portal_app.services.statements import compute_statement
from tests.factories import days, make_tenant

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
OK = [LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000)]
HALF = MAX_TOTAL_MINOR // 2
# The largest document: 50 lines at the largest unit price and 100 % tax total exactly MAX_TOTAL_MINOR.
LARGEST = [
    LineInput(f"Line {i}", 1, MAX_UNIT_AMOUNT_MINOR, MAX_TAX_RATE_BP, MAX_UNIT_AMOUNT_MINOR)
    for i in range(HALF // MAX_UNIT_AMOUNT_MINOR)
]

# Each of these used to reach the database (or would overflow a BIGINT column) or is otherwise out of bounds.
TOO_LARGE = {
    # quantity × cost = 10^19 > 2^63 - 1: the estimate version's cost column overflowed.
    "line cost beyond 64 bits": [LineInput("x", MAX_QUANTITY, 1, 0, MAX_UNIT_AMOUNT_MINOR)],
    # every line fits 64 bits, their sum (10^21) does not.
    "document cost beyond 64 bits": [LineInput("x", MAX_QUANTITY, 1, 0, 5 * 10**12)] * MAX_LINES,
    "line total beyond 64 bits": [LineInput("x", MAX_QUANTITY, MAX_UNIT_AMOUNT_MINOR)],
    "document total above the bound": [*LARGEST, LineInput("one more", 1, 1)],
    "quantity beyond 64 bits": [LineInput("x", 2**63, 1)],
    "price beyond 64 bits": [LineInput("x", 1, 2**63)],
    "tax rate beyond 64 bits": [LineInput("x", 1, 1, 2**63)],
    "cost beyond 64 bits": [LineInput("x", 1, 1, 0, 2**63)],
    "boolean quantity": [LineInput("x", True, 1)],  # type: ignore[arg-type]
    "too many lines": [LineInput("x", 1, 1)] * (MAX_LINES + 1),
}
INVOICE_TOO_LARGE = {k: v for k, v in TOO_LARGE.items() if "cost" not in k}  # invoices carry no cost


def key() -> str:
    return uuid.uuid4().hex


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture()
def two(session: Session):
    a = make_tenant(session)
    b = make_tenant(session)
    session.commit()
    return a, b


# ----------------------------------------------------------------------------------------------------
# Estimates


@pytest.mark.parametrize("lines", TOO_LARGE.values(), ids=TOO_LARGE.keys())
def test_too_large_estimate_is_refused_before_the_database(session, two, lines):
    t, _ = two
    with pytest.raises(ValidationFailed):
        estimates.create_estimate(session, t.team_lead, t.account.id, title="Big", lines=lines)
    session.rollback()
    assert count(session, Estimate) == 0


def test_largest_estimate_round_trips_exactly(session, two):
    t, _ = two
    est = estimates.create_estimate(session, t.team_lead, t.account.id, title="Largest", lines=LARGEST)
    session.expire_all()
    stored = estimates.get_estimate(session, t.owner, est.id)
    assert stored.subtotal_minor == HALF and stored.tax_minor == HALF
    assert stored.total_minor == MAX_TOTAL_MINOR and stored.cost_minor == HALF
    assert {ln.total_minor for ln in stored.lines} == {MAX_UNIT_AMOUNT_MINOR}


@pytest.mark.parametrize("lines", TOO_LARGE.values(), ids=TOO_LARGE.keys())
def test_refused_estimate_edit_leaves_the_draft_as_it_was(session, two, lines):
    t, _ = two
    est = estimates.create_estimate(session, t.team_lead, t.account.id, title="Before", lines=OK)
    with pytest.raises(ValidationFailed):
        estimates.update_draft_estimate(
            session, t.team_lead, est.id, title="After", lines=lines, valid_until=None
        )
    # Even a caller that commits after the refusal stores nothing of the edit.
    session.commit()
    session.expire_all()
    assert estimates.get_estimate(session, t.owner, est.id) == est


def test_refused_reissue_keeps_the_shared_version(session, two):
    t, _ = two
    est = estimates.create_estimate(session, t.team_lead, t.account.id, title="Shared", lines=OK)
    shared = estimates.share_estimate(session, t.team_lead, est.id)
    with pytest.raises(ValidationFailed):
        estimates.reissue_estimate(
            session, t.team_lead, est.id, lines=TOO_LARGE["line cost beyond 64 bits"], valid_until=None
        )
    session.rollback()
    session.expire_all()
    after = estimates.get_estimate(session, t.owner, est.id)
    assert after == shared and after.status is EstimateStatus.SHARED and after.current_version == 1


# ----------------------------------------------------------------------------------------------------
# Invoices, payments and statements


def as_dicts(lines: list[LineInput]) -> list[dict]:
    keys = ("description", "quantity", "unit_price_minor", "tax_rate_bp")
    return [{k: getattr(ln, k) for k in keys} for ln in lines]


@pytest.mark.parametrize("lines", INVOICE_TOO_LARGE.values(), ids=INVOICE_TOO_LARGE.keys())
def test_too_large_invoice_is_refused_before_the_database(session, two, lines):
    t, _ = two
    with pytest.raises(ValidationFailed):
        invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(lines))
    session.rollback()
    assert count(session, Invoice) == 0


@pytest.mark.parametrize("lines", INVOICE_TOO_LARGE.values(), ids=INVOICE_TOO_LARGE.keys())
def test_refused_invoice_edit_leaves_the_draft_as_it_was(session, two, lines):
    t, _ = two
    inv = invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(OK), customer_notes="Hi")
    with pytest.raises(ValidationFailed):
        invoices.update_draft_invoice(session, t.finance, inv.id, lines=as_dicts(lines), customer_notes="Bye")
    session.commit()
    session.expire_all()
    assert invoices.get_invoice(session, t.owner, inv.id) == inv


def test_largest_invoice_can_be_paid_and_stated(session, two):
    t, _ = two
    draft = invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(LARGEST))
    inv = invoices.issue_invoice(session, t.finance, draft.id, issue_date=days(0))
    second = invoices.issue_invoice(
        session,
        t.finance,
        invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(LARGEST)).id,
        issue_date=days(0),
    )
    assert inv.total_minor == second.total_minor == MAX_TOTAL_MINOR
    invoices.record_payment(
        session, t.finance, inv.id, amount_minor=MAX_TOTAL_MINOR, currency="USD", received_on=days(1)
    )
    session.expire_all()
    paid = invoices.get_invoice(session, t.owner, inv.id)
    assert paid.status is InvoiceStatus.PAID and paid.amount_paid_minor == MAX_TOTAL_MINOR
    statement = compute_statement(session, t.finance, t.account.id, period_start=days(-1), period_end=days(2))
    assert statement.closing_balance_minor == MAX_TOTAL_MINOR
    assert max(ln.balance_minor for ln in statement.lines) == 2 * MAX_TOTAL_MINOR


@pytest.mark.parametrize("amount", [MAX_TOTAL_MINOR + 1, 2**63 - 1, 2**63, 2**80])
def test_payment_above_the_balance_is_refused_and_nothing_changes(session, two, amount):
    t, _ = two
    draft = invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(LARGEST))
    inv = invoices.issue_invoice(session, t.finance, draft.id, issue_date=days(0))
    with pytest.raises(ValidationFailed, match="exceeds the balance"):
        invoices.record_payment(
            session, t.finance, inv.id, amount_minor=amount, currency="USD", received_on=days(1)
        )
    session.rollback()
    assert count(session, Payment) == 0
    assert invoices.get_invoice(session, t.owner, inv.id).amount_paid_minor == 0


def send_proof(session: Session, contact, invoice_id: int, amount: int):
    return intake.submit_payment_proof(
        session,
        contact,
        invoice_id,
        filename="receipt.pdf",
        data=PDF,
        claimed_amount_minor=amount,
        claimed_paid_on=days(1),
        idempotency_key=key(),
    )


@pytest.mark.parametrize("amount", [2**63, 2**80])
def test_payment_proof_amounts_beyond_64_bits_are_refused(session, two, storage_dir: Path, amount):
    t, _ = two
    draft = invoices.create_invoice(session, t.finance, t.account.id, lines=as_dicts(OK))
    inv = invoices.issue_invoice(session, t.finance, draft.id, issue_date=days(0))
    with pytest.raises(ValidationFailed):
        send_proof(session, t.billing_contact, inv.id, amount)
    session.rollback()
    assert count(session, IntakeFile) == 0
    # A proof with a sane claim, accepted with an absurd reviewed amount: refused, still awaiting review.
    up = send_proof(session, t.billing_contact, inv.id, 1_000)
    with pytest.raises(ValidationFailed):
        intake.review_intake(session, t.finance, up.id, accept=True, amount_minor=amount)
    session.rollback()
    session.expire_all()
    assert session.get(IntakeFile, up.id).status is IntakeStatus.AWAITING_REVIEW
    assert count(session, Payment) == 0
