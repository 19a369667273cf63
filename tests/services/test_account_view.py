"""The account view's overview: scoped to one account of the actor's workspace (nothing of the other account or the
other workspace), the same number of queries however many records the account has, areas left out by role, and
the balance with aging per currency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from models import CustomerAccount, Invoice, Role
from portal_app.services import (
    account_view,
    approvals,
    deliveries,
    document_requests,
    estimates,
    invoices,
    messages,
    permissions,
)
from portal_app.services.errors import NotFound
from portal_app.services.lines import LineInput
from portal_app.services.permissions import Permission
from tests.factories import Tenant, make_account, make_task, make_tenant, operator
from tests.services.test_deliveries import count_queries

AS_OF = date(2026, 6, 30)


@pytest.fixture()
def tenants(session: Session) -> tuple[Tenant, Tenant]:
    return make_tenant(session), make_tenant(session)


def one_of_each(session: Session, t: Tenant, account: CustomerAccount, tag: str) -> None:
    """An estimate, an approval request, an invoice, a document request, a delivery, a conversation and a task."""
    assert account.id is not None
    estimates.create_estimate(
        session, t.team_lead, account.id, title=f"Estimate {tag}", lines=[LineInput("Work", 1, 1_000)]
    )
    approvals.create_approval_request(session, t.team_lead, account.id, title=f"Approval {tag}")
    invoices.create_invoice(
        session,
        t.finance,
        account.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": 2_000, "tax_rate_bp": 0}],
    )
    document_requests.create_document_request(session, t.team_lead, account.id, title=f"Documents {tag}")
    deliveries.create_delivery(session, t.team_lead, account.id, reference=f"PO-{tag}")
    messages.start_thread(session, t.team_lead, account.id, subject=f"Subject {tag}", body="Hello")
    make_task(session, t.ws, account=account, title=f"Task {tag}")
    session.commit()


def _areas(view: account_view.AccountOverview) -> dict[str, object]:
    return {
        "estimates": view.estimates,
        "approvals": view.approvals,
        "invoices": view.invoices,
        "document_requests": view.document_requests,
        "deliveries": view.deliveries,
        "conversations": view.conversations,
        "open_tasks": view.open_tasks,
    }


def test_overview_shows_only_this_account(session: Session, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    one_of_each(session, a, a.account, "mine")
    one_of_each(session, a, a.other_account, "other account")
    one_of_each(session, b, b.account, "other workspace")

    view = account_view.account_overview(session, a.owner, a.account.id)
    assert view.account.id == a.account.id and view.account.name == a.account.name
    assert {c.id for c, _ in view.contacts} == {a.contact.contact_id, a.billing_contact.contact_id}
    for name, page in _areas(view).items():
        assert page is not None, name
        assert page.total == 1, name  # type: ignore[attr-defined]
        assert [i.account_id for i in page.items] == [a.account.id], name  # type: ignore[attr-defined]
    assert view.estimates and view.estimates.items[0].title == "Estimate mine"
    assert view.conversations and view.conversations.items[0].subject == "Subject mine"
    assert view.open_tasks and view.open_tasks.items[0].title == "Task mine"
    text = repr(view)
    assert "other account" not in text and "other workspace" not in text
    assert view.balances == []  # a draft invoice owes nothing


def test_forged_or_foreign_account_is_not_found(session: Session, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    for forged in (b.account.id, b.other_account.id, 10**9):
        with pytest.raises(NotFound):
            account_view.account_overview(session, a.owner, forged)
    # Contacts and platform operators have no account view, even of their own account.
    for actor in (a.contact, operator()):
        with pytest.raises(NotFound):
            account_view.account_overview(session, actor, a.account.id)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_overview(session: Session, tenants: tuple[Tenant, Tenant], role: Role) -> None:
    a, _ = tenants
    view = account_view.account_overview(session, a.staff[role], a.account.id)
    assert all(page is not None for page in _areas(view).values()) and view.balances == []


def test_an_area_the_role_may_not_read_is_left_out(
    session: Session, tenants: tuple[Tenant, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = tenants
    one_of_each(session, a, a.account, "x")
    narrowed = permissions.ROLE_PERMISSIONS[Role.TEAM_LEAD] - {
        Permission.INVOICES_READ,
        Permission.STATEMENTS_READ,
        Permission.MESSAGES_READ,
    }
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.TEAM_LEAD, narrowed)
    view = account_view.account_overview(session, a.team_lead, a.account.id)
    assert view.invoices is None and view.balances is None and view.conversations is None
    assert view.estimates is not None and view.estimates.total == 1
    assert view.open_tasks is not None and view.open_tasks.total == 1


def test_query_count_is_constant_as_records_grow(session: Session, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    one_of_each(session, a, a.account, "first")
    _issue(session, a, 5_000, date(2026, 5, 1), due=date(2026, 5, 31))

    def run() -> tuple[int, account_view.AccountOverview]:
        session.expire_all()
        with count_queries(session) as seen:
            view = account_view.account_overview(session, a.owner, a.account.id, as_of=AS_OF)
        return len(seen), view

    before, small = run()
    for i in range(8):
        one_of_each(session, a, a.account, f"more {i}")
        _issue(session, a, 1_000 + i, date(2026, 4, 1) + timedelta(days=i))
    after, big = run()
    assert after == before, (before, after)
    assert before > 10  # every area ran
    assert small.estimates and small.estimates.total == 1
    assert big.estimates and big.estimates.total == 9 and len(big.estimates.items) == account_view.SHORT_LIST
    assert (
        big.open_tasks and big.open_tasks.total == 9 and len(big.open_tasks.items) == account_view.SHORT_LIST
    )


def test_limit_is_bounded(session: Session, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    for i in range(3):
        one_of_each(session, a, a.account, str(i))
    view = account_view.account_overview(session, a.owner, a.account.id, limit=-5)
    assert view.estimates and len(view.estimates.items) == 1 and view.estimates.total == 3
    view = account_view.account_overview(session, a.owner, a.account.id, limit=10**6)
    assert view.estimates and len(view.estimates.items) == 3


# -- balance and aging ---------------------------------------------------------------------------------------------


def _issue(session: Session, t: Tenant, amount: int, on: date, *, due: date | None = None, account=None):
    acct = account or t.account
    inv = invoices.create_invoice(
        session,
        t.finance,
        acct.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}],
    )
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=on, due_date=due)


def test_balance_and_aging_per_currency(session: Session, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    due = AS_OF
    _issue(session, a, 1_000, date(2026, 6, 1), due=due)  # due today: current
    late_10 = _issue(session, a, 2_000, date(2026, 5, 1), due=due - timedelta(days=10))  # 1-30
    invoices.record_payment(
        session, a.finance, late_10.id, amount_minor=500, currency="USD", received_on=date(2026, 6, 20)
    )
    _issue(session, a, 3_000, date(2026, 4, 1), due=due - timedelta(days=45))  # 31-60
    _issue(session, a, 4_000, date(2026, 3, 1), due=due - timedelta(days=75))  # 61-90
    _issue(session, a, 5_000, date(2026, 1, 1), due=due - timedelta(days=91))  # 90+
    paid = _issue(session, a, 9_000, date(2026, 2, 1), due=due - timedelta(days=100))
    invoices.record_payment(
        session, a.finance, paid.id, amount_minor=9_000, currency="USD", received_on=date(2026, 3, 1)
    )
    void = _issue(session, a, 7_000, date(2026, 2, 1), due=due - timedelta(days=100))
    invoices.void_invoice(session, a.finance, void.id, reason="sent twice")
    invoices.create_invoice(  # a draft never counts
        session,
        a.finance,
        a.account.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": 8_888, "tax_rate_bp": 0}],
    )
    _issue(session, a, 6_000, date(2026, 7, 5), due=date(2026, 8, 1))  # issued after as_of: not yet
    # A second currency on the same account (its currency changed after an invoice was issued).
    euro = _issue(session, a, 700, date(2026, 6, 1), due=due - timedelta(days=5))
    row = session.get(Invoice, euro.id)
    assert row is not None
    row.currency = "EUR"
    session.add(row)
    session.commit()
    # Noise: the other account and the other workspace.
    _issue(session, a, 111_111, date(2025, 11, 1), due=due - timedelta(days=200), account=a.other_account)
    _issue(session, b, 222_222, date(2025, 11, 1), due=due - timedelta(days=200))
    other_ws = make_account(session, b.ws, currency="EUR")
    _issue(session, b, 333, date(2026, 6, 1), account=other_ws)
    session.commit()

    view = account_view.account_overview(session, a.finance, a.account.id, as_of=AS_OF)
    assert view.balances is not None
    by = {c.currency: c for c in view.balances}
    assert list(by) == ["EUR", "USD"]
    usd = by["USD"].aging
    assert (usd.current, usd.days_1_30, usd.days_31_60, usd.days_61_90, usd.days_90_plus) == (
        1_000,
        1_500,
        3_000,
        4_000,
        5_000,
    )
    assert by["USD"].balance_minor == 14_500
    eur = by["EUR"].aging
    assert (eur.days_1_30, eur.total) == (700, 700) and by["EUR"].balance_minor == 700


def test_statement_aging_is_unchanged_by_other_currencies(
    session: Session, tenants: tuple[Tenant, Tenant]
) -> None:
    """The statement keeps counting the account's own currency only (the per-currency helper is shared)."""
    from portal_app.services.statements import compute_statement

    a, _ = tenants
    _issue(session, a, 1_000, date(2026, 6, 1), due=AS_OF - timedelta(days=3))
    euro = _issue(session, a, 700, date(2026, 6, 1), due=AS_OF - timedelta(days=3))
    row = session.get(Invoice, euro.id)
    assert row is not None
    row.currency = "EUR"
    session.add(row)
    session.commit()
    st = compute_statement(
        session, a.finance, a.account.id, period_start=date(2026, 6, 1), period_end=AS_OF, as_of=AS_OF
    )
    assert st.aging.days_1_30 == 1_000 and st.aging.total == 1_000
