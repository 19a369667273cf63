"""Invoices: totals, numbering, the draft → open → partially paid → paid / void state machine, scoping."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select

from models import AuditEvent, Invoice, InvoiceStatus, Payment
from models.portal import PortalInvoice
from portal_app.services import invoices
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from tests.factories import days, make_contact, make_tenant, operator

WORK = [{"description": "Work", "quantity": 1, "unit_price_minor": 10_000, "tax_rate_bp": 0}]


@pytest.fixture()
def two(session: Session):
    a = make_tenant(session)
    b = make_tenant(session)
    session.commit()
    return a, b


def draft(session, t, *, lines=WORK, account=None, internal_notes="margin 40%, do not share"):
    return invoices.create_invoice(
        session,
        t.finance,
        (account or t.account).id,
        lines=lines,
        customer_notes="Thanks for your business",
        internal_notes=internal_notes,
    )


def issued(session, t, *, lines=WORK, account=None, on=None):
    inv = draft(session, t, lines=lines, account=account)
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=on or days(0))


def pay(session, t, invoice_id, amount, *, currency="USD", on=None):
    return invoices.record_payment(
        session, t.finance, invoice_id, amount_minor=amount, currency=currency, received_on=on or days(10)
    )


def audit_actions(session, ws_id):
    return [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.workspace_id == ws_id)).all()]


# ----------------------------------------------------------------------------------------------------
# Drafts


def test_create_computes_totals_server_side_with_half_up_tax(session, two):
    t, _ = two
    inv = draft(
        session,
        t,
        lines=[
            {
                "description": "Design",
                "quantity": 3,
                "unit_price_minor": 1999,
                "tax_rate_bp": 2000,
            },  # 5997 + 1199.4
            LineInput(description="Stamp", quantity=1, unit_price_minor=5, tax_rate_bp=1000),  # 5 + 0.5 → 1
            {
                "description": "Fee",
                "quantity": 1,
                "unit_price_minor": 25,
                "tax_rate_bp": 1000,
            },  # 25 + 2.5 → 3
        ],
    )
    assert inv.status is InvoiceStatus.DRAFT
    assert inv.currency == t.account.currency
    assert [ln.total_minor for ln in inv.lines] == [5997, 5, 25]
    assert inv.subtotal_minor == 6027
    assert inv.tax_minor == 1199 + 1 + 3
    assert inv.total_minor == 6027 + 1203
    assert inv.amount_paid_minor == 0
    assert "invoice.created" in audit_actions(session, t.ws.id)


def test_amounts_and_status_cannot_be_injected_through_lines(session, two):
    t, _ = two
    inv = draft(
        session,
        t,
        lines=[
            {"description": "X", "quantity": 2, "unit_price_minor": 100, "total_minor": 1, "status": "paid"}
        ],
    )
    assert inv.total_minor == 200
    assert inv.status is InvoiceStatus.DRAFT


def test_numbers_are_sequential_per_workspace(session, two):
    a, b = two
    assert draft(session, a).number == "INV-0001"
    assert draft(session, a, account=a.other_account).number == "INV-0002"
    assert draft(session, b).number == "INV-0001"


@pytest.mark.parametrize(
    "line",
    [
        {"description": "x", "quantity": 0, "unit_price_minor": 1},
        {"description": "x", "quantity": -1, "unit_price_minor": 1},
        {"description": "x", "quantity": 1, "unit_price_minor": -1},
        {"description": "x", "quantity": 1, "unit_price_minor": 1, "tax_rate_bp": 10_001},
        {"description": "x", "quantity": 1, "unit_price_minor": 1, "tax_rate_bp": -1},
        {"description": "", "quantity": 1, "unit_price_minor": 1},
        {"quantity": 1, "unit_price_minor": 1},
        {"description": "x", "quantity": 1.5, "unit_price_minor": 1},
        {"description": "x", "quantity": 1, "unit_price_minor": 10**14},
        {"description": "x", "quantity": 1_000_000, "unit_price_minor": 10**13},
    ],
)
def test_bad_lines_are_refused(session, two, line):
    t, _ = two
    with pytest.raises(ValidationFailed):
        draft(session, t, lines=[line])
    assert session.exec(select(func.count()).select_from(Invoice)).one() == 0


def test_no_lines_refused(session, two):
    t, _ = two
    with pytest.raises(ValidationFailed):
        draft(session, t, lines=[])


def test_tax_rate_bounds_inclusive(session, two):
    t, _ = two
    inv = draft(
        session,
        t,
        lines=[{"description": "x", "quantity": 1, "unit_price_minor": 100, "tax_rate_bp": 10_000}],
    )
    assert inv.total_minor == 200


def test_account_must_be_in_the_workspace(session, two):
    a, b = two
    with pytest.raises(NotFound):
        invoices.create_invoice(session, a.finance, b.account.id, lines=WORK)


@pytest.mark.parametrize("who", ["team_lead", "contact", "operator"])
def test_create_refused_for_non_invoice_managers(session, two, who):
    t, _ = two
    actor = operator() if who == "operator" else getattr(t, who)
    with pytest.raises(Forbidden if who == "team_lead" else NotFound):
        invoices.create_invoice(session, actor, t.account.id, lines=WORK)


@pytest.mark.parametrize("role", ["owner", "manager", "finance"])
def test_create_allowed_for_invoice_managers(session, two, role):
    t, _ = two
    inv = invoices.create_invoice(session, getattr(t, role), t.account.id, lines=WORK)
    assert inv.status is InvoiceStatus.DRAFT


def test_update_draft_replaces_lines(session, two):
    t, _ = two
    inv = draft(session, t)
    updated = invoices.update_draft_invoice(
        session,
        t.finance,
        inv.id,
        lines=[
            {"description": "A", "quantity": 2, "unit_price_minor": 300, "tax_rate_bp": 0},
            {"description": "B", "quantity": 1, "unit_price_minor": 50, "tax_rate_bp": 0},
        ],
        internal_notes="changed",
    )
    assert [(ln.position, ln.description) for ln in updated.lines] == [(1, "A"), (2, "B")]
    assert updated.total_minor == 650
    assert updated.internal_notes == "changed"
    assert invoices.get_invoice(session, t.owner, inv.id).lines == updated.lines


def test_update_refused_once_issued_and_for_other_workspace(session, two):
    a, b = two
    inv = issued(session, a)
    with pytest.raises(Conflict, match="already issued"):
        invoices.update_draft_invoice(session, a.finance, inv.id, lines=WORK)
    other = draft(session, b)
    with pytest.raises(NotFound):
        invoices.update_draft_invoice(session, a.finance, other.id, lines=WORK)


# ----------------------------------------------------------------------------------------------------
# Issue


def test_issue_sets_dates_from_payment_terms(session, two):
    t, _ = two
    inv = issued(session, t, on=days(5))
    assert inv.status is InvoiceStatus.OPEN
    assert inv.issue_date == days(5)
    assert inv.due_date == days(5 + t.account.payment_terms_days)


def test_issue_with_explicit_due_date_and_refusals(session, two):
    t, _ = two
    inv = draft(session, t)
    with pytest.raises(ValidationFailed, match="due date"):
        invoices.issue_invoice(session, t.finance, inv.id, issue_date=days(10), due_date=days(9))
    out = invoices.issue_invoice(session, t.finance, inv.id, issue_date=days(10), due_date=days(12))
    assert out.due_date == days(12)
    with pytest.raises(Conflict, match="already issued"):
        invoices.issue_invoice(session, t.finance, inv.id)


def test_zero_total_cannot_be_issued(session, two):
    t, _ = two
    inv = draft(session, t, lines=[{"description": "free", "quantity": 1, "unit_price_minor": 0}])
    with pytest.raises(ValidationFailed, match="zero"):
        invoices.issue_invoice(session, t.finance, inv.id)


# ----------------------------------------------------------------------------------------------------
# Payments


def test_payment_refused_on_draft(session, two):
    t, _ = two
    inv = draft(session, t)
    with pytest.raises(Conflict, match="draft"):
        pay(session, t, inv.id, 100)


def test_open_to_partially_paid_to_paid(session, two):
    t, _ = two
    inv = issued(session, t)
    p1 = pay(session, t, inv.id, 4000)
    assert p1.amount_minor == 4000 and p1.currency == "USD"
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.status is InvoiceStatus.PARTIALLY_PAID
    assert after.amount_paid_minor == 4000 and after.balance_minor == 6000
    pay(session, t, inv.id, 6000)
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.status is InvoiceStatus.PAID and after.balance_minor == 0
    with pytest.raises(Conflict, match="already paid"):
        pay(session, t, inv.id, 1)
    assert audit_actions(session, t.ws.id).count("invoice.payment_recorded") == 2


def test_open_straight_to_paid(session, two):
    t, _ = two
    inv = issued(session, t)
    pay(session, t, inv.id, 10_000)
    assert invoices.get_invoice(session, t.finance, inv.id).status is InvoiceStatus.PAID


def test_overpayment_refused_and_nothing_changes(session, two):
    t, _ = two
    inv = issued(session, t)
    pay(session, t, inv.id, 9000)
    with pytest.raises(ValidationFailed, match="exceeds the balance"):
        pay(session, t, inv.id, 1001)
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.amount_paid_minor == 9000 and after.status is InvoiceStatus.PARTIALLY_PAID
    assert session.exec(select(func.count()).select_from(Payment)).one() == 1


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_payment_refused(session, two, amount):
    t, _ = two
    inv = issued(session, t)
    with pytest.raises(ValidationFailed):
        pay(session, t, inv.id, amount)


def test_currency_mismatch_refused(session, two):
    t, _ = two
    inv = issued(session, t)
    with pytest.raises(ValidationFailed, match="currency"):
        pay(session, t, inv.id, 100, currency="EUR")


def test_payment_before_issue_date_refused(session, two):
    t, _ = two
    inv = issued(session, t, on=days(20))
    with pytest.raises(ValidationFailed, match="before"):
        pay(session, t, inv.id, 100, on=days(19))


def test_payment_needs_payments_permission_and_workspace(session, two):
    a, b = two
    inv = issued(session, a)
    with pytest.raises(Forbidden):
        invoices.record_payment(
            session, a.team_lead, inv.id, amount_minor=100, currency="USD", received_on=days(3)
        )
    with pytest.raises(NotFound):
        invoices.record_payment(
            session, b.finance, inv.id, amount_minor=100, currency="USD", received_on=days(3)
        )
    with pytest.raises(NotFound):
        invoices.record_payment(
            session, a.contact, inv.id, amount_minor=100, currency="USD", received_on=days(3)
        )
    assert invoices.get_invoice(session, a.finance, inv.id).amount_paid_minor == 0


# ----------------------------------------------------------------------------------------------------
# Void


def test_void_draft_and_open(session, two):
    t, _ = two
    d = draft(session, t)
    o = issued(session, t)
    assert invoices.void_invoice(session, t.finance, d.id, reason="duplicate").status is InvoiceStatus.VOID
    v = invoices.void_invoice(session, t.finance, o.id, reason="  wrong   customer ")
    assert v.status is InvoiceStatus.VOID
    row = session.get(Invoice, o.id)
    assert row.void_reason == "wrong customer" and row.voided_at is not None


def test_void_needs_reason(session, two):
    t, _ = two
    inv = issued(session, t)
    with pytest.raises(ValidationFailed, match="reason"):
        invoices.void_invoice(session, t.finance, inv.id, reason="   ")


def test_void_refused_with_payments_or_twice(session, two):
    t, _ = two
    part = issued(session, t)
    pay(session, t, part.id, 1)
    with pytest.raises(Conflict, match="payments"):
        invoices.void_invoice(session, t.finance, part.id, reason="x")
    full = issued(session, t)
    pay(session, t, full.id, 10_000)
    with pytest.raises(Conflict, match="paid in full"):
        invoices.void_invoice(session, t.finance, full.id, reason="x")
    gone = issued(session, t)
    invoices.void_invoice(session, t.finance, gone.id, reason="x")
    with pytest.raises(Conflict, match="is void"):
        invoices.void_invoice(session, t.finance, gone.id, reason="x")
    with pytest.raises(Conflict, match="void"):
        pay(session, t, gone.id, 100)
    with pytest.raises(Conflict, match="void"):
        invoices.issue_invoice(session, t.finance, gone.id)
    with pytest.raises(Conflict, match="void"):
        invoices.update_draft_invoice(session, t.finance, gone.id, lines=WORK)


def test_void_refused_for_team_lead_and_other_workspace(session, two):
    a, b = two
    inv = issued(session, a)
    with pytest.raises(Forbidden):
        invoices.void_invoice(session, a.team_lead, inv.id, reason="x")
    with pytest.raises(NotFound):
        invoices.void_invoice(session, b.owner, inv.id, reason="x")
    assert invoices.get_invoice(session, a.owner, inv.id).status is InvoiceStatus.OPEN


# ----------------------------------------------------------------------------------------------------
# Reads and the portal projection


def test_staff_list_filters_and_is_scoped(session, two):
    a, b = two
    d = draft(session, a)
    o = issued(session, a, account=a.other_account)
    draft(session, b)
    page = invoices.list_invoices(session, a.team_lead)
    assert {i.id for i in page.items} == {d.id, o.id} and page.total == 2
    assert [i.id for i in invoices.list_invoices(session, a.owner, account_id=a.other_account.id).items] == [
        o.id
    ]
    assert [i.id for i in invoices.list_invoices(session, a.owner, status=InvoiceStatus.DRAFT).items] == [
        d.id
    ]
    assert invoices.list_invoices(session, a.owner, account_id=b.account.id).total == 0
    small = invoices.list_invoices(session, a.owner, limit=1)
    assert len(small.items) == 1 and small.has_more
    with pytest.raises(NotFound):
        invoices.get_invoice(session, b.owner, d.id)
    with pytest.raises(NotFound):
        invoices.list_invoices(session, a.contact)


def test_contact_sees_no_drafts_and_no_internal_fields(session, two):
    t, _ = two
    d = draft(session, t)
    o = issued(session, t)
    page = invoices.portal_list_invoices(session, t.billing_contact)
    assert [i.id for i in page.items] == [o.id]
    with pytest.raises(NotFound):
        invoices.portal_get_invoice(session, t.billing_contact, d.id)
    inv = invoices.portal_get_invoice(session, t.contact, o.id)
    assert isinstance(inv, PortalInvoice)
    assert inv.lines and inv.lines[0].description == "Work"
    dumped = inv.model_dump()
    assert "internal_notes" not in dumped and not hasattr(inv, "internal_notes")
    assert "margin" not in repr(dumped)
    assert "created_by_user_id" not in dumped and "void_reason" not in dumped


def test_contact_scoping(session, two):
    a, b = two
    mine = issued(session, a)
    other = issued(session, a, account=a.other_account)
    foreign = issued(session, b)
    no_billing = make_contact(session, a.account, billing=False)
    session.commit()
    for invoice_id in (other.id, foreign.id):
        with pytest.raises(NotFound):
            invoices.portal_get_invoice(session, a.contact, invoice_id)
    with pytest.raises(NotFound):
        invoices.portal_get_invoice(session, no_billing, mine.id)
    with pytest.raises(NotFound):
        invoices.portal_list_invoices(session, no_billing)
    with pytest.raises(NotFound):
        invoices.portal_get_invoice(session, a.owner, mine.id)  # staff use the staff reads
    assert [i.id for i in invoices.portal_list_invoices(session, a.other_contact).items] == [other.id]


def test_portal_payments_are_scoped(session, two):
    a, b = two
    mine = issued(session, a)
    pay(session, a, mine.id, 2500)
    other = issued(session, a, account=a.other_account)
    pay(session, a, other.id, 100)
    foreign = issued(session, b)
    pay(session, b, foreign.id, 300)
    page = invoices.portal_list_payments(session, a.billing_contact)
    assert [(p.invoice_id, p.amount_minor) for p in page.items] == [(mine.id, 2500)]
    assert invoices.portal_list_payments(session, a.contact, invoice_id=other.id).total == 0
    assert invoices.list_payments(session, a.finance).total == 2


# ----------------------------------------------------------------------------------------------------
# Concurrency: payments cannot overpay even when they race


def test_concurrent_payments_cannot_overpay(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        inv = issued(s, t)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        with Session(committed_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                invoices.record_payment(
                    s, t.finance, inv.id, amount_minor=4000, currency="USD", received_on=days(3)
                )
                results.append("ok")
            except (Conflict, ValidationFailed):
                s.rollback()
                results.append("refused")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results.count("ok") == 2
    with Session(committed_engine) as s:
        row = s.get(Invoice, inv.id)
        assert row.amount_paid_minor == 8000 and row.status is InvoiceStatus.PARTIALLY_PAID
        assert s.exec(select(func.sum(Payment.amount_minor))).one() == 8000
