"""Staff invoice views: list search (scoped, literal, bounded), overdue first, the account filter, account names
and the detail with payments and the payment proofs sent for it; a draft's own due date."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import IntakeStatus, InvoiceStatus
from portal_app.services import intake, invoices
from portal_app.services.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import days, make_tenant

WORK = [{"description": "Work", "quantity": 1, "unit_price_minor": 10_000, "tax_rate_bp": 0}]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _draft(session: Session, t: Any, account: Any = None, **kw: Any) -> Any:
    return invoices.create_invoice(session, t.finance, (account or t.account).id, lines=WORK, **kw)


def _issued(session: Session, t: Any, *, account: Any = None, on: Any = None, due: Any = None) -> Any:
    inv = _draft(session, t, account)
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=on, due_date=due)


def _ids(page: Any) -> list[int]:
    return [i.id for i in page.items]


def test_search_matches_number_and_account_name_within_the_workspace(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    t.account.name, t.other_account.name = "Contoso Retail", "Fabrikam 100%_Logistics"
    other.account.name = "Contoso Retail"
    session.add_all([t.account, t.other_account, other.account])
    session.commit()
    a = _draft(session, t)
    b = _draft(session, t, t.other_account)
    _draft(session, other)

    def found(text: str) -> set[int]:
        page = invoices.list_invoices(session, t.owner, search=text)
        assert page.total == len(page.items)
        return set(_ids(page))

    assert found("contoso") == {a.id}  # the other workspace's "Contoso Retail" stays out
    assert found("  CONTOSO   retail ") == {a.id}
    assert found(b.number.lower()) == {b.id}
    assert found("inv-") == {a.id, b.id}
    assert (
        found("100%_") == {b.id} and found("%") == {b.id} and found("_") == {b.id}
    )  # literal, not wildcards
    assert found("x" * 5000) == set()  # bounded: a huge search is cut, and matches nothing
    assert found("   ") == {a.id, b.id}


def test_account_and_status_filters_combine_with_search(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    a = _draft(session, t)
    b = _issued(session, t, account=t.other_account)
    assert _ids(invoices.list_invoices(session, t.owner, account_id=t.other_account.id)) == [b.id]
    assert _ids(invoices.list_invoices(session, t.owner, status=InvoiceStatus.DRAFT)) == [a.id]
    assert _ids(invoices.list_invoices(session, t.owner, account_id=other.account.id)) == []
    assert _ids(invoices.list_invoices(session, other.owner, account_id=t.account.id)) == []
    assert _ids(invoices.list_invoices(session, t.owner, account_id=t.account.id, search=b.number)) == []


def test_overdue_first_puts_the_longest_overdue_first_then_the_rest_newest_first(session: Session) -> None:
    t = make_tenant(session)
    today = invoices.today()
    draft = _draft(session, t)
    late_10 = _issued(session, t, on=today - timedelta(days=40), due=today - timedelta(days=10))
    not_due = _issued(session, t, on=today, due=today + timedelta(days=30))
    late_30 = _issued(session, t, on=today - timedelta(days=60), due=today - timedelta(days=30))
    partly = _issued(session, t, on=today - timedelta(days=50), due=today - timedelta(days=20))
    invoices.record_payment(
        session, t.finance, partly.id, amount_minor=2_500, currency="USD", received_on=today
    )
    paid_late = _issued(session, t, on=today - timedelta(days=90), due=today - timedelta(days=60))
    invoices.record_payment(
        session, t.finance, paid_late.id, amount_minor=10_000, currency="USD", received_on=today
    )
    due_today = _issued(session, t, on=today, due=today)

    newest = _ids(invoices.list_invoices(session, t.finance))
    assert newest == [due_today.id, paid_late.id, partly.id, late_30.id, not_due.id, late_10.id, draft.id]
    ordered = _ids(invoices.list_invoices(session, t.finance, overdue_first=True))
    assert ordered[:3] == [late_30.id, partly.id, late_10.id]  # paid and due-today invoices are not overdue
    assert ordered[3:] == [due_today.id, paid_late.id, not_due.id, draft.id]
    page = invoices.list_invoices(session, t.finance, overdue_first=True, offset=2, limit=2)
    assert _ids(page) == [late_10.id, due_today.id] and page.total == 7
    only_open = invoices.list_invoices(
        session, t.finance, overdue_first=True, status=InvoiceStatus.OPEN, search="inv"
    )
    assert _ids(only_open) == [late_30.id, late_10.id, due_today.id, not_due.id]


def test_account_names_are_scoped_and_bounded(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    mine, theirs = int(t.account.id or 0), int(other.account.id or 0)
    names = invoices.account_names(session, t.finance, [mine, theirs, mine, True])
    assert names == {mine: t.account.name}
    assert invoices.account_names(session, t.finance, []) == {}
    with pytest.raises(NotFound):
        invoices.account_names(session, other.contact, [theirs])


def test_detail_has_lines_payments_proofs_and_the_account(session: Session, storage_dir: Any) -> None:
    t, other = make_tenant(session), make_tenant(session)
    inv = _issued(session, t, on=days(0))
    invoices.record_payment(
        session, t.finance, inv.id, amount_minor=1_000, currency="USD", received_on=days(2)
    )
    first = intake.submit_payment_proof(
        session,
        t.billing_contact,
        inv.id,
        filename="receipt.pdf",
        data=PDF,
        claimed_amount_minor=4_000,
        claimed_paid_on=days(3),
        idempotency_key=uuid.uuid4().hex,
    )
    intake.review_intake(session, t.finance, first.id, accept=False, reason="The amount is not legible.")
    second = intake.submit_payment_proof(
        session,
        t.billing_contact,
        inv.id,
        filename="receipt-2.pdf",
        data=PDF,
        claimed_amount_minor=4_000,
        claimed_paid_on=days(4),
        idempotency_key=uuid.uuid4().hex,
    )
    elsewhere = _issued(session, t, on=days(0))  # another invoice's proof stays on that invoice
    intake.submit_payment_proof(
        session,
        t.billing_contact,
        elsewhere.id,
        filename="other.pdf",
        data=PDF,
        claimed_amount_minor=100,
        idempotency_key=uuid.uuid4().hex,
    )

    detail = invoices.get_invoice_detail(session, t.team_lead, inv.id)  # invoices:read is enough
    assert detail.account_name == t.account.name and detail.payment_terms_days == t.account.payment_terms_days
    assert [ln.description for ln in detail.invoice.lines] == ["Work"]
    assert [(p.amount_minor, p.received_on) for p in detail.payments] == [(1_000, days(2))]
    assert [(p.id, p.status, p.original_name) for p in detail.proofs] == [
        (second.id, IntakeStatus.AWAITING_REVIEW, "receipt-2.pdf"),
        (first.id, IntakeStatus.REJECTED, "receipt.pdf"),
    ]
    rejected = detail.proofs[1]
    assert rejected.review_reason == "The amount is not legible." and rejected.claimed_amount_minor == 4_000
    assert rejected.claimed_paid_on == days(3) and rejected.sniffed_type == "application/pdf"
    assert rejected.size_bytes == len(PDF)

    for actor, invoice_id in ((other.owner, inv.id), (t.owner, 10**9), (t.contact, inv.id)):
        with pytest.raises((NotFound, Forbidden)):
            invoices.get_invoice_detail(session, actor, invoice_id)


def test_detail_queries_do_not_grow_with_payments_and_proofs(session: Session, storage_dir: Any) -> None:
    t = make_tenant(session)
    small, big = _issued(session, t, on=days(0)), _issued(session, t, on=days(0))
    for i in range(5):
        invoices.record_payment(
            session, t.finance, big.id, amount_minor=100, currency="USD", received_on=days(1)
        )
        intake.submit_payment_proof(
            session,
            t.billing_contact,
            big.id,
            filename=f"r{i}.pdf",
            data=PDF,
            claimed_amount_minor=100,
            idempotency_key=uuid.uuid4().hex,
        )

    def count(invoice_id: int) -> int:
        seen: list[str] = []

        def hook(*args: Any) -> None:
            seen.append(args[2])

        engine = session.get_bind()
        sa.event.listen(engine, "before_cursor_execute", hook)
        try:
            session.expire_all()
            detail = invoices.get_invoice_detail(session, t.finance, invoice_id)
        finally:
            sa.event.remove(engine, "before_cursor_execute", hook)
        assert detail.invoice.id == invoice_id
        return len(seen)

    queries = count(small.id)
    assert queries >= 4 and count(big.id) == queries


def test_a_draft_keeps_its_due_date_and_issue_uses_it(session: Session) -> None:
    t = make_tenant(session)
    today = invoices.today()
    inv = _draft(session, t, due_date=today + timedelta(days=14))
    assert inv.due_date == today + timedelta(days=14)
    kept = invoices.update_draft_invoice(session, t.finance, inv.id, lines=WORK)
    assert kept.due_date == today + timedelta(days=14)
    issued = invoices.issue_invoice(session, t.finance, inv.id)
    assert (issued.issue_date, issued.due_date) == (today, today + timedelta(days=14))

    cleared = _draft(session, t, due_date=today + timedelta(days=3))
    cleared = invoices.update_draft_invoice(session, t.finance, cleared.id, lines=WORK, due_date=None)
    assert cleared.due_date is None
    terms = invoices.issue_invoice(session, t.finance, cleared.id)
    assert terms.due_date == today + timedelta(days=t.account.payment_terms_days)

    stale = _draft(session, t, due_date=today - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="edit the draft"):
        invoices.issue_invoice(session, t.finance, stale.id)
    explicit = invoices.issue_invoice(session, t.finance, stale.id, due_date=today + timedelta(days=5))
    assert explicit.due_date == today + timedelta(days=5)
    with pytest.raises(ValidationFailed):
        _draft(session, t, due_date="2030-01-01")  # type: ignore[arg-type]
