"""Statement pages without a browser: the staff statement (forged accounts, who may share, bad periods, the same
numbers as the service), the contact's statement (their own account only) and the portal home's invoices due.

Each state is built for one tab whose websocket carried the session cookie, with the page's route and query string
(the ``account`` query parameter and handler arguments are browser input, so tests forge them). Data is committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import Contact, Payment, SessionKind, StatementSnapshot  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.formatting import balance, money  # noqa: E402
from portal_app.services import identity, invoices, sessions, statements  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state import statements as statement_state  # noqa: E402
from state.portal import PortalHomeState  # noqa: E402
from state.portal_statements import PortalStatementsState  # noqa: E402
from state.statements import StatementsState, preset_period  # noqa: E402
from tests.factories import Tenant, make_contact, make_tenant  # noqa: E402

S = TypeVar("S", bound=rx.State)

JAN_FEB = {"start": "2026-01-01", "end": "2026-02-28"}


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def tab(cls: type[S], token: str | None, path: str, **query: str) -> S:
    """A fresh state tree for one tab on ``path`` with ``query`` as its query string."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    search = "&".join(f"{k}={v}" for k, v in query.items())
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"{COOKIE_NAME}={token}" if token else ""},
            "pathname": path,
            "asPath": path + (f"?{search}" if search else ""),
            "query": dict(query),
            "token": "t",
        }
    )
    object.__setattr__(root, "router", router)
    current: Any = state
    while current is not None:
        current.router = router
        current = current.parent_state
    return state  # type: ignore[return-value]


def call(state: rx.State, handler: str, *args: Any) -> Any:
    return getattr(type(state), handler).fn(state, *args)


def staff_token(db: Session, actor: Any) -> str:
    issued = sessions.create_session(
        db, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
    )
    db.commit()
    return issued.token


def contact_token(db: Session, actor: Any) -> str:
    db.expire_all()  # the pages wrote meanwhile (the audit chain's head): read it afresh
    issued = identity.start_contact_session(
        db, db.get(Contact, actor.contact_id), actor.account_id, via="test"
    )
    db.commit()
    return issued.token


def staff_tab(db: Session, actor: Any, **query: str) -> StatementsState:
    state = tab(StatementsState, staff_token(db, actor), routes.STAFF_STATEMENTS, **query)
    call(state, "load")
    return state


def portal_tab(db: Session, actor: Any) -> PortalStatementsState:
    state = tab(PortalStatementsState, contact_token(db, actor), routes.PORTAL_STATEMENTS)
    call(state, "load")
    return state


def issue(
    db: Session, t: Tenant, amount: int, on: date, *, due: date | None = None, account: Any = None
) -> Any:
    lines = [{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}]
    inv = invoices.create_invoice(db, t.finance, (account or t.account).id, lines=lines)
    return invoices.issue_invoice(db, t.finance, inv.id, issue_date=on, due_date=due)


def pay(db: Session, t: Tenant, inv: Any, amount: int, on: date) -> None:
    invoices.record_payment(db, t.finance, inv.id, amount_minor=amount, currency=inv.currency, received_on=on)


@pytest.fixture()
def booked(db: Session) -> tuple[Tenant, Tenant]:
    t, other = make_tenant(db), make_tenant(db)
    t.account.name = "Contoso Retail"
    db.add(t.account)
    db.commit()
    first = issue(db, t, 10_000, date(2025, 12, 20))  # before the period: opening balance
    pay(db, t, first, 4_000, date(2026, 1, 10))
    second = issue(db, t, 5_500, date(2026, 2, 3))
    pay(db, t, second, 5_500, date(2026, 2, 20))
    issue(db, t, 777, date(2026, 1, 15), account=t.other_account)
    issue(db, other, 123_456, date(2026, 1, 5))
    return t, other


def computed(db: Session, actor: Any, account_id: int, *, period_start: date, period_end: date) -> Any:
    """The service's statement, read in the test's session, which then lets go of SQLite (the pages write)."""
    try:
        return statements.compute_statement(
            db, actor, account_id, period_start=period_start, period_end=period_end
        )
    finally:
        db.commit()  # ends the read (SQLite: BEGIN IMMEDIATE holds the write lock); commit keeps objects loaded


def snapshot_count(db: Session) -> int:
    count = len(db.exec(select(StatementSnapshot)).all())
    db.commit()  # let go of SQLite (BEGIN IMMEDIATE): the pages write; a rollback would expire the tenant's rows
    return count


# -- staff --------------------------------------------------------------------------------------------------------


def test_another_workspaces_account_is_ignored_in_the_query_and_the_select(db: Session, booked: Any) -> None:
    t, other = booked
    state = staff_tab(db, t.finance, account=str(other.account.id))
    assert state.gate == "ready"
    assert state.account_id == "" and state.has_statement is False and state.opening == ""
    assert {c.label for c in state.account_choices} == {"Contoso Retail", t.other_account.name}
    call(state, "choose_account", str(other.account.id))
    assert state.account_id == "" and state.activity == [] and state.snapshots == []
    for forged in ("abc", "-1", 12, None, "0"):
        call(state, "choose_account", forged)
        assert state.account_id == ""
    # Other staff see their own workspace only, whatever the query says.
    theirs = staff_tab(db, other.owner, account=str(t.account.id))
    assert theirs.account_id == "" and all(c.label != "Contoso Retail" for c in theirs.account_choices)


def test_totals_are_the_services_formatted(db: Session, booked: Any) -> None:
    t, _ = booked
    state = staff_tab(db, t.finance, account=str(t.account.id))
    assert state.account_id == str(t.account.id) and state.account_name == "Contoso Retail"
    call(state, "apply_dates", JAN_FEB)
    assert state.errors == {} and state.period == "custom" and state.has_statement
    st = computed(db, t.finance, t.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 2, 28))
    assert state.opening == balance(st.opening_balance_minor, "USD") == "$100.00"
    assert state.closing == balance(st.closing_balance_minor, "USD")
    assert [(r.reference, r.debit, r.credit, r.balance) for r in state.activity] == [
        (
            ln.reference,
            money(ln.debit_minor, "USD") if ln.debit_minor else "",
            money(ln.credit_minor, "USD") if ln.credit_minor else "",
            balance(ln.balance_minor, "USD"),
        )
        for ln in st.lines
    ]
    assert [a.amount for a in state.aging] == [
        money(v, "USD")
        for v in (
            st.aging.current,
            st.aging.days_1_30,
            st.aging.days_31_60,
            st.aging.days_61_90,
            st.aging.days_90_plus,
        )
    ]
    assert state.aging_total == money(st.aging.total, "USD")
    assert state.pdf_href.endswith(f"/files/statements/{t.account.id}.pdf?start=2026-01-01&end=2026-02-28")
    assert state.csv_href.endswith(f"/files/statements/{t.account.id}.csv?start=2026-01-01&end=2026-02-28")
    # Another account through the select: its own numbers.
    call(state, "choose_account", str(t.other_account.id))
    assert [r.debit for r in state.activity] == ["$7.77"] and state.opening == "$0.00"


def test_a_credit_balance_says_credit(db: Session) -> None:
    t = make_tenant(db)
    inv = issue(db, t, 10_000, date(2026, 2, 1))
    # Paid in advance (the services refuse a payment dated before the invoice, so the row is written directly):
    # January ends with a credit.
    db.add(
        Payment(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            invoice_id=inv.id,
            amount_minor=10_000,
            currency="USD",
            received_on=date(2026, 1, 20),
        )
    )
    db.commit()
    state = staff_tab(db, t.finance, account=str(t.account.id))
    call(state, "apply_dates", {"start": "2026-01-01", "end": "2026-01-31"})
    assert state.opening == "$0.00" and state.closing == "$100.00 credit"
    assert state.activity[0].credit == "$100.00" and state.activity[0].balance == "$100.00 credit"


def test_presets_and_forged_periods(db: Session, booked: Any) -> None:
    t, _ = booked
    state = staff_tab(db, t.finance, account=str(t.account.id))
    assert state.period == "this_month" and state.has_statement
    start, end = preset_period("this_month", invoices.today())  # type: ignore[misc]
    assert state.start == start.isoformat() and state.end == end.isoformat()
    call(state, "choose_period", "last_quarter")
    assert state.period == "last_quarter" and state.has_statement
    call(state, "choose_period", "last_3_months")  # a portal preset: not offered here
    call(state, "choose_period", {"x": 1})
    assert state.period == "last_quarter"


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "on or after"),
        ({"start": "2020-01-01", "end": "2025-01-02"}, "end", "5 years"),
        ({"start": "01/02/2026", "end": "2026-02-01"}, "start", "like 2027-03-12"),
        ({"start": "", "end": "2026-02-01"}, "start", "Enter the start date"),
        ({"start": "2026-01-01"}, "end", "Enter the end date"),
        ({"start": ["x"], "end": 5}, "start", "Enter the start date"),
    ],
)
def test_bad_periods_give_field_errors(db: Session, booked: Any, form: dict, field: str, words: str) -> None:
    t, _ = booked
    state = staff_tab(db, t.finance, account=str(t.account.id))
    call(state, "apply_dates", form)
    assert words in state.errors[field]
    assert state.has_statement is False and state.activity == [] and state.pdf_href == ""
    call(state, "share")  # nothing shown: nothing to share
    assert snapshot_count(db) == 0
    call(state, "apply_dates", JAN_FEB)
    assert state.errors == {} and state.has_statement


def test_team_lead_sees_but_cannot_share(db: Session, booked: Any) -> None:
    t, _ = booked
    state = staff_tab(db, t.team_lead, account=str(t.account.id))
    assert state.gate == "ready" and state.has_statement and state.can_share is False
    result = call(state, "share")
    assert snapshot_count(db) == 0 and result is not None  # refused with a toast


def test_share_creates_one_snapshot_listed_with_its_files(db: Session, booked: Any) -> None:
    t, _ = booked
    state = staff_tab(db, t.finance, account=str(t.account.id))
    call(state, "apply_dates", JAN_FEB)
    assert state.can_share and state.share_label == "Share with Contoso Retail"
    state._shown_account = 10**6  # noqa: SLF001  (backend vars cannot be set by the browser; even so: scoped)
    call(state, "share")
    assert snapshot_count(db) == 0
    call(state, "apply_dates", JAN_FEB)
    call(state, "share")
    assert snapshot_count(db) == 1
    call(state, "share")  # the same statement again: no duplicate
    assert snapshot_count(db) == 1
    snap = db.exec(select(StatementSnapshot)).one()
    db.commit()
    assert snap.account_id == t.account.id and snap.workspace_id == t.ws.id
    assert (snap.period_start, snap.period_end) == (date(2026, 1, 1), date(2026, 2, 28))
    assert [s.id for s in state.snapshots] == [snap.id] and state.snapshots_total == 1
    row = state.snapshots[0]
    assert row.closing == state.closing and row.period == "1 Jan 2026 – 28 Feb 2026"
    assert row.pdf_href.endswith(f"/files/statement-snapshots/{snap.id}.pdf")
    assert row.csv_href.endswith(f"/files/statement-snapshots/{snap.id}.csv")
    # The other account lists none.
    call(state, "choose_account", str(t.other_account.id))
    assert state.snapshots == []


def test_signed_out_and_contacts_get_no_staff_statement(db: Session, booked: Any) -> None:
    t, _ = booked
    out = tab(StatementsState, None, routes.STAFF_STATEMENTS, account=str(t.account.id))
    call(out, "load")
    assert out.gate == "signed_out" and out.account_choices == [] and out.opening == ""
    contact = tab(StatementsState, contact_token(db, t.billing_contact), routes.STAFF_STATEMENTS)
    call(contact, "load")
    assert contact.gate == "no_access" and contact.account_choices == []
    call(contact, "share")
    assert snapshot_count(db) == 0


# -- contacts -----------------------------------------------------------------------------------------------------


def test_contact_sees_only_their_own_account(db: Session, booked: Any) -> None:
    t, _ = booked
    state = portal_tab(db, t.billing_contact)
    assert state.gate == "ready" and state.period == "last_3_months" and state.has_statement
    call(state, "apply_dates", JAN_FEB)
    st = computed(
        db, t.billing_contact, t.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 2, 28)
    )
    assert state.closing == balance(st.closing_balance_minor, "USD")
    assert len(state.activity) == len(st.lines) and all(r.debit != "$7.77" for r in state.activity)
    assert f"/files/statements/{t.account.id}.pdf" in state.pdf_href
    other = portal_tab(db, t.other_contact)
    call(other, "apply_dates", JAN_FEB)
    assert [r.debit for r in other.activity] == ["$7.77"]
    assert f"/files/statements/{t.other_account.id}.csv" in other.csv_href


def test_contact_without_billing_gets_not_found(db: Session, booked: Any) -> None:
    t, _ = booked
    no_billing = make_contact(db, t.account, billing=False)
    db.commit()
    state = portal_tab(db, no_billing)
    assert state.gate == "not_found" and state.opening == "" and state.activity == [] and state.shared == []
    call(state, "apply_dates", JAN_FEB)
    assert state.activity == [] and state.pdf_href == ""
    staff = tab(PortalStatementsState, staff_token(db, t.owner), routes.PORTAL_STATEMENTS)
    call(staff, "load")
    assert staff.gate == "no_access" and staff.opening == ""


def test_contact_sees_the_statements_shared_with_their_account(db: Session, booked: Any) -> None:
    t, _ = booked
    staff = staff_tab(db, t.finance, account=str(t.account.id))
    call(staff, "apply_dates", JAN_FEB)
    call(staff, "share")
    call(staff, "choose_account", str(t.other_account.id))
    call(staff, "share")
    assert snapshot_count(db) == 2
    mine = portal_tab(db, t.billing_contact)
    assert mine.shared_total == 1 and mine.shared[0].closing == staff_closing(db, t)
    assert mine.shared[0].shared_by  # a name, never an e-mail address
    theirs = portal_tab(db, t.other_contact)
    assert theirs.shared_total == 1 and theirs.shared[0].id != mine.shared[0].id


def staff_closing(db: Session, t: Tenant) -> str:
    st = computed(db, t.finance, t.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 2, 28))
    return balance(st.closing_balance_minor, st.currency)


# -- portal home ----------------------------------------------------------------------------------------------------


def test_home_shows_invoices_due_with_balances_per_currency(db: Session) -> None:
    t = make_tenant(db)
    today = invoices.today()
    late = issue(db, t, 10_000, today - timedelta(days=40), due=today - timedelta(days=5))
    pay(db, t, late, 2_500, today - timedelta(days=2))
    soon = issue(db, t, 3_000, today, due=today + timedelta(days=10))
    t.account.currency = "EUR"
    db.add(t.account)
    db.commit()
    euro = issue(db, t, 1_250, today, due=today + timedelta(days=30))
    issue(db, t, 999, today, account=t.other_account)

    home = tab(PortalHomeState, contact_token(db, t.billing_contact), routes.PORTAL)
    call(home, "load")
    assert home.gate == "ready" and home.billing and not home.operations
    assert home.invoices_due == 3 and home.invoices_overdue == 1
    assert [(b.currency, b.amount) for b in home.balances] == [("EUR", "€12.50"), ("USD", "$105.00")]
    assert home.balances[1].detail == "2 open invoices, 1 overdue"
    assert [r.href for r in home.due_rows] == [
        routes.record_url(routes.PORTAL_INVOICES, i.id) for i in (late, soon, euro)
    ]
    first = home.due_rows[0]
    assert first.overdue and first.due == "Overdue by 5 days" and first.balance == "$75.00"
    assert home.due_rows[2].balance == "€12.50" and not home.due_rows[2].overdue

    no_billing = make_contact(db, t.account, billing=False)
    db.commit()
    other = tab(PortalHomeState, contact_token(db, no_billing), routes.PORTAL)
    call(other, "load")
    assert other.gate == "ready" and other.billing is False
    assert other.due_rows == [] and other.balances == [] and other.invoices_due == 0


def test_statement_module_exports() -> None:
    assert statement_state.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert preset_period("last_month", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert preset_period("last_quarter", date(2026, 2, 15)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset_period("this_quarter", date(2026, 5, 15)) == (date(2026, 4, 1), date(2026, 5, 15))
    assert preset_period("last_12_months", date(2026, 5, 15)) == (date(2025, 5, 16), date(2026, 5, 15))
    assert preset_period("last_3_months", date(2026, 1, 31)) == (date(2025, 11, 1), date(2026, 1, 31))
    assert preset_period("nonsense", date(2026, 1, 31)) is None


# -- estimate PDF links -----------------------------------------------------------------------------------------------


def test_estimate_pages_link_their_pdf(db: Session) -> None:
    from portal_app.services import estimates
    from portal_app.services.lines import LineInput
    from state.estimates import EstimateDetailState
    from state.portal_estimates import PortalEstimateState

    t = make_tenant(db)
    est = estimates.create_estimate(
        db,
        t.team_lead,
        t.account.id,
        title="Signage",
        lines=[LineInput("Sign", quantity=1, unit_price_minor=900)],
    )
    estimates.share_estimate(db, t.team_lead, est.id)
    pattern = routes.record_pattern(routes.STAFF_ESTIMATES)
    staff = tab(EstimateDetailState, staff_token(db, t.finance), pattern, id=str(est.id))
    call(staff, "load")
    assert staff.gate == "ready" and staff.pdf_href.endswith(f"/files/estimates/{est.id}.pdf")
    portal_pattern = routes.record_pattern(routes.PORTAL_ESTIMATES)
    mine = tab(PortalEstimateState, contact_token(db, t.contact), portal_pattern, id=str(est.id))
    call(mine, "load")
    assert mine.gate == "ready" and mine.pdf_href.endswith(f"/files/estimates/{est.id}.pdf")
    theirs = tab(PortalEstimateState, contact_token(db, t.other_contact), portal_pattern, id=str(est.id))
    call(theirs, "load")
    assert theirs.gate == "not_found" and theirs.pdf_href == ""
