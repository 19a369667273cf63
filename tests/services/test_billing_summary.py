"""The portal home's billing summary: balances per currency, overdue counts, the first due invoices, scoping and
a query count that does not grow with the data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from portal_app.services import invoices
from portal_app.services.errors import NotFound
from portal_app.services.statements import billing_summary
from tests.factories import make_contact, make_tenant, operator

AS_OF = date(2026, 3, 1)


def line(amount: int) -> list[dict]:
    return [{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}]


def issue(session, t, amount, due: date, *, account=None, on: date | None = None):
    inv = invoices.create_invoice(session, t.finance, (account or t.account).id, lines=line(amount))
    on = on or min(due, date(2026, 1, 1))
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=on, due_date=due)


def pay(session, t, inv, amount):
    return invoices.record_payment(
        session, t.finance, inv.id, amount_minor=amount, currency=inv.currency, received_on=date(2026, 1, 15)
    )


@pytest.fixture()
def two(session: Session):
    a = make_tenant(session)
    b = make_tenant(session)
    session.commit()
    return a, b


@pytest.fixture()
def booked(session, two):
    """Tenant a's account: USD invoices overdue (partly paid), due later, paid, void and draft; one in EUR; noise on
    the other account and in the other workspace."""
    a, b = two
    late = issue(session, a, 10_000, date(2026, 2, 10))  # overdue by 19 days
    pay(session, a, late, 2_500)
    later = issue(session, a, 3_000, date(2026, 3, 20))  # not due yet
    today_due = issue(session, a, 1_000, AS_OF)  # due today: not overdue
    paid = issue(session, a, 4_000, date(2026, 1, 20))
    pay(session, a, paid, 4_000)
    void = issue(session, a, 7_000, date(2026, 1, 25))
    invoices.void_invoice(session, a.finance, void.id, reason="sent twice")
    invoices.create_invoice(session, a.finance, a.account.id, lines=line(9_999))  # draft
    a.account.currency = "EUR"
    session.add(a.account)
    session.commit()
    eur = issue(session, a, 50_000, date(2026, 2, 1))  # overdue, EUR
    issue(session, a, 123_456, date(2026, 1, 5), account=a.other_account)
    issue(session, b, 777_777, date(2026, 1, 5))
    return a, b, late, later, today_due, eur


def test_balances_per_currency_and_overdue_first(session, booked):
    a, _, late, later, today_due, eur = booked
    summary = billing_summary(session, a.billing_contact, as_of=AS_OF)
    by_currency = {b.currency: b for b in summary.balances}
    assert [b.currency for b in summary.balances] == ["EUR", "USD"]
    usd = by_currency["USD"]
    assert (usd.balance_minor, usd.open_count, usd.overdue_count, usd.overdue_minor) == (11_500, 3, 1, 7_500)
    euro = by_currency["EUR"]
    assert (euro.balance_minor, euro.open_count, euro.overdue_count, euro.overdue_minor) == (
        50_000,
        1,
        1,
        50_000,
    )
    assert summary.open_count == 4 and summary.overdue_count == 2
    # The most overdue first, then what falls due next; paid, void, drafts and other accounts never show.
    assert [d.id for d in summary.due] == [eur.id, late.id, today_due.id, later.id]
    first, second = summary.due[0], summary.due[1]
    assert first.overdue and first.currency == "EUR" and first.balance_minor == 50_000
    assert second.overdue and second.balance_minor == 7_500 and second.total_minor == 10_000
    assert not summary.due[2].overdue and not summary.due[3].overdue


def test_limit_bounds_the_list_not_the_totals(session, booked):
    a, *_ = booked
    summary = billing_summary(session, a.contact, as_of=AS_OF, limit=2)
    assert len(summary.due) == 2 and summary.open_count == 4


def test_other_account_sees_only_its_own(session, booked):
    a, b, *_ = booked
    other = billing_summary(session, a.other_contact, as_of=AS_OF)
    assert [(x.currency, x.balance_minor) for x in other.balances] == [("USD", 123_456)]
    empty = billing_summary(session, make_contact(session, b.other_account), as_of=AS_OF)
    assert empty.balances == [] and empty.due == [] and empty.open_count == 0


def test_refused_without_billing_and_for_staff_and_operators(session, booked):
    a, *_ = booked
    no_billing = make_contact(session, a.account, billing=False)
    for actor in (no_billing, a.owner, a.finance, operator()):
        with pytest.raises(NotFound):
            billing_summary(session, actor, as_of=AS_OF)


def _count_selects(session, fn) -> int:
    engine = session.get_bind()
    count = 0

    def before(_conn, _cursor, statement, *_args):
        nonlocal count
        if statement.lstrip().upper().startswith("SELECT"):
            count += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return count


def test_query_count_is_constant_in_data_size(session, two):
    a, _ = two
    issue(session, a, 1_000, date(2026, 2, 1))

    def run():
        billing_summary(session, a.billing_contact, as_of=AS_OF)

    small = _count_selects(session, run)
    for k in range(12):
        issue(session, a, 1_000 + k, date(2026, 2, 1) + timedelta(days=k))
    large = _count_selects(session, run)
    assert small == large == 2
