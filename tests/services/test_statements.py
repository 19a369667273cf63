"""Statements: hand-computed balances, running balance, aging boundaries, scoping and query count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.schemas import AgingBuckets
from portal_app.services import invoices
from portal_app.services.errors import NotFound, ValidationFailed
from portal_app.services.statements import compute_statement
from tests.factories import days, make_contact, make_tenant, operator


def line(amount: int, tax_bp: int = 0) -> list[dict]:
    return [{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": tax_bp}]


def issue(session, t, amount, on: date, *, due: date | None = None, tax_bp: int = 0, account=None):
    inv = invoices.create_invoice(session, t.finance, (account or t.account).id, lines=line(amount, tax_bp))
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=on, due_date=due)


def pay(session, t, invoice_id, amount, on: date):
    return invoices.record_payment(
        session, t.finance, invoice_id, amount_minor=amount, currency="USD", received_on=on
    )


@pytest.fixture()
def two(session: Session):
    a = make_tenant(session)
    b = make_tenant(session)
    session.commit()
    return a, b


@pytest.fixture()
def booked(session, two):
    """Account A of tenant a, payment terms 30 days:

    INV A  issued 2026-01-05, 10 000, due 2026-02-04; paid 4 000 on 01-20 and 1 000 on 02-15
    INV B  issued 2026-02-10, 5 000 + 10 % tax = 5 500; paid 5 500 on 02-25
    INV C  issued 2026-02-12, 7 000, then voided (never counts)
    INV D  draft, 9 999 (never counts)
    plus noise on the other account and in the other workspace.
    """
    a, b = two
    inv_a = issue(session, a, 10_000, date(2026, 1, 5))
    pay(session, a, inv_a.id, 4_000, date(2026, 1, 20))
    pay(session, a, inv_a.id, 1_000, date(2026, 2, 15))
    inv_b = issue(session, a, 5_000, date(2026, 2, 10), tax_bp=1000)
    assert inv_b.total_minor == 5_500
    pay(session, a, inv_b.id, 5_500, date(2026, 2, 25))
    inv_c = issue(session, a, 7_000, date(2026, 2, 12))
    invoices.void_invoice(session, a.finance, inv_c.id, reason="sent twice")
    invoices.create_invoice(session, a.finance, a.account.id, lines=line(9_999))
    noise = issue(session, a, 123_456, date(2026, 1, 2), account=a.other_account)
    pay(session, a, noise.id, 456, date(2026, 2, 3))
    issue(session, b, 777_777, date(2026, 1, 3))
    return a, b, inv_a, inv_b


def test_hand_computed_statement(session, booked):
    a, _, inv_a, inv_b = booked
    st = compute_statement(
        session, a.finance, a.account.id, period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)
    )
    assert st.account_id == a.account.id and st.currency == "USD"
    # Opening: 10 000 invoiced before February − 4 000 paid before February.
    assert st.opening_balance_minor == 6_000
    assert [
        (ln.on, ln.kind, ln.reference, ln.debit_minor, ln.credit_minor, ln.balance_minor) for ln in st.lines
    ] == [
        (date(2026, 2, 10), "invoice", inv_b.number, 5_500, 0, 11_500),
        (date(2026, 2, 15), "payment", inv_a.number, 0, 1_000, 10_500),
        (date(2026, 2, 25), "payment", inv_b.number, 0, 5_500, 5_000),
    ]
    assert st.closing_balance_minor == 6_000 + 5_500 - 6_500 == 5_000
    # As of 02-28: INV A has 5 000 outstanding, due 02-04 → 24 days past due; INV B is paid.
    assert st.aging == AgingBuckets(days_1_30=5_000)
    assert st.aging.total == st.closing_balance_minor


def test_opening_balance_from_earlier_periods_and_first_period(session, booked):
    a, _, inv_a, _ = booked
    jan = compute_statement(
        session, a.owner, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)
    )
    assert jan.opening_balance_minor == 0
    assert [(ln.kind, ln.debit_minor, ln.credit_minor, ln.balance_minor) for ln in jan.lines] == [
        ("invoice", 10_000, 0, 10_000),
        ("payment", 0, 4_000, 6_000),
    ]
    assert jan.closing_balance_minor == 6_000
    # As of 01-31 INV A is not yet due (due 02-04): all current.
    assert jan.aging == AgingBuckets(current=6_000)
    march = compute_statement(
        session, a.owner, a.account.id, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
    )
    assert march.opening_balance_minor == 5_000 and march.lines == [] and march.closing_balance_minor == 5_000
    # As of 03-31 INV A is 55 days past due.
    assert march.aging == AgingBuckets(days_31_60=5_000)


def test_aging_as_of_ignores_later_payments(session, booked):
    a, _, inv_a, _ = booked
    st = compute_statement(
        session,
        a.owner,
        a.account.id,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        as_of=date(2026, 2, 10),
    )
    # As of 02-10: INV A 10 000 − 4 000 (the 02-15 payment is later) = 6 000, 6 days past due;
    # INV B issued that day, 5 500 current (its payment is later too).
    assert st.aging == AgingBuckets(current=5_500, days_1_30=6_000)


def test_void_and_drafts_never_count(session, two):
    a, _ = two
    inv = issue(session, a, 8_000, date(2026, 3, 1))
    invoices.void_invoice(session, a.finance, inv.id, reason="cancelled order")
    invoices.create_invoice(session, a.finance, a.account.id, lines=line(50))
    st = compute_statement(
        session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    assert st.lines == [] and st.opening_balance_minor == 0 and st.closing_balance_minor == 0
    assert st.aging.total == 0


def test_aging_boundaries(session, two):
    a, _ = two
    as_of = days(200)
    past_due = [-5, 0, 1, 30, 31, 60, 61, 90, 91]
    amounts = {d: 100 * (i + 1) for i, d in enumerate(past_due)}
    for d in past_due:
        due = as_of - timedelta(days=d)
        issue(session, a, amounts[d], min(due, as_of), due=due)
    # Issued after as_of: not in the aging at all.
    issue(session, a, 99_999, as_of + timedelta(days=1))
    # Part-paid before as_of reduces the outstanding amount; paid after as_of does not.
    part = issue(session, a, 1_000_000, as_of - timedelta(days=45), due=as_of - timedelta(days=45))
    pay(session, a, part.id, 400_000, as_of - timedelta(days=1))
    pay(session, a, part.id, 100_000, as_of + timedelta(days=2))
    st = compute_statement(
        session, a.finance, a.account.id, period_start=days(0), period_end=days(210), as_of=as_of
    )
    assert st.aging == AgingBuckets(
        current=amounts[-5] + amounts[0],
        days_1_30=amounts[1] + amounts[30],
        days_31_60=amounts[31] + amounts[60] + 600_000,
        days_61_90=amounts[61] + amounts[90],
        days_90_plus=amounts[91],
    )


def test_contact_with_billing_sees_own_statement_only(session, booked):
    a, b, _, _ = booked
    st = compute_statement(
        session, a.billing_contact, a.account.id, period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)
    )
    assert st.closing_balance_minor == 5_000
    no_billing = make_contact(session, a.account, billing=False)
    session.commit()
    refused = [
        (a.other_contact, a.account.id),  # contact of another account
        (a.contact, a.other_account.id),  # own contact, other account of the workspace
        (a.contact, b.account.id),  # other workspace
        (no_billing, a.account.id),  # no billing permission
        (b.owner, a.account.id),  # staff of another workspace
        (operator(), a.account.id),
    ]
    for actor, account_id in refused:
        with pytest.raises(NotFound):
            compute_statement(
                session, actor, account_id, period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)
            )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 2, 1), date(2026, 1, 31)),
        (date(2020, 1, 1), date(2025, 1, 2)),
    ],
)
def test_period_validation(session, two, start, end):
    a, _ = two
    with pytest.raises(ValidationFailed):
        compute_statement(session, a.finance, a.account.id, period_start=start, period_end=end)


def test_five_years_exactly_and_single_day_allowed(session, two):
    a, _ = two
    compute_statement(
        session, a.finance, a.account.id, period_start=date(2020, 1, 1), period_end=date(2025, 1, 1)
    )
    compute_statement(
        session, a.finance, a.account.id, period_start=date(2024, 2, 29), period_end=date(2029, 2, 28)
    )
    one = compute_statement(
        session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 1, 1)
    )
    assert one.lines == []


def _count_queries(session, fn) -> int:
    engine = session.get_bind()
    count = 0

    def before(_conn, _cursor, statement, *_args):
        nonlocal count
        if statement.lstrip().upper().startswith("SELECT"):  # not the test harness's SAVEPOINTs
            count += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return count


def test_query_count_is_constant_in_data_size(session, two):
    a, _ = two
    issue(session, a, 1_000, date(2026, 1, 10))

    def run():
        compute_statement(
            session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )

    small = _count_queries(session, run)
    for k in range(15):
        inv = issue(session, a, 1_000 + k, date(2026, 2, 1) + timedelta(days=k))
        pay(session, a, inv.id, 500, date(2026, 3, 1) + timedelta(days=k))
    large = _count_queries(session, run)
    assert small == large == 5  # account, opening balance, invoices, payments, aging
