"""Account statements: opening balance, the period's invoices and payments with a running balance, and aging.

A fixed number of queries whatever the data size: two aggregates for the opening balance, the period's
invoices and payments (bounded by the period, at most five years), and one aggregate for the aging buckets.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col

from models import CustomerAccount, Invoice, InvoiceStatus, Payment
from models.schemas import AgingBuckets, StatementLine, StatementRead
from portal_app.formatting import day
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.aging import aging_buckets, aging_sums
from portal_app.services.errors import NotFound, ValidationFailed
from portal_app.services.invoices import PAYABLE, today
from portal_app.services.permissions import ContactPermission, Permission

MAX_PERIOD_YEARS = 5
# Invoices that count towards what the customer owes: issued and not void.
COUNTED = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _account_for(session: Session, actor: Actor, account_id: int) -> CustomerAccount:
    if isinstance(actor, StaffActor):
        staff = require_staff(actor, Permission.STATEMENTS_READ)
        return get_scoped(session, staff, CustomerAccount, account_id)
    if isinstance(actor, ContactActor):
        contact = require_contact(actor, ContactPermission.BILLING)
        # The contact scope limits accounts to the contact's own: any other id is logged and NotFound.
        account = get_scoped(session, contact, CustomerAccount, account_id)
        if account.id != contact.account_id:
            raise NotFound()
        return account
    require_staff(actor, Permission.STATEMENTS_READ)  # operators: NotFound
    raise NotFound()


def _invoice_scope(account: CustomerAccount, *, any_currency: bool = False) -> list[Any]:
    scope = [
        col(Invoice.workspace_id) == account.workspace_id,
        col(Invoice.account_id) == account.id,
        col(Invoice.status).in_(COUNTED),
    ]
    return scope if any_currency else [*scope, col(Invoice.currency) == account.currency]


def _payment_scope(account: CustomerAccount) -> list[Any]:
    # Joined to a counted invoice so that a payment can never outlive a void invoice on the statement.
    return [
        col(Payment.workspace_id) == account.workspace_id,
        col(Payment.account_id) == account.id,
        col(Payment.currency) == account.currency,
        *_invoice_scope(account),
    ]


def _aging(session: Session, account: CustomerAccount, as_of: date) -> AgingBuckets:
    return _aging_by_currency(session, account, as_of, any_currency=False).get(
        account.currency, AgingBuckets()
    )


def _aging_by_currency(
    session: Session, account: CustomerAccount, as_of: date, *, any_currency: bool
) -> dict[str, AgingBuckets]:
    """Aging buckets per invoice currency (only the account's own unless ``any_currency``): one query."""
    params: dict[str, Any] = {"workspace_id": account.workspace_id, "account_id": account.id}
    if not any_currency:
        params["currency"] = account.currency
    rows = session.execute(_aging_query(as_of, any_currency), params).all()  # type: ignore[deprecated]
    return {currency: aging_buckets(sums) for currency, *sums in rows}


@functools.lru_cache(maxsize=16)
def _aging_query(as_of: date, any_currency: bool) -> Any:
    """The aging statement for one day, built once and bound per account (building it cost more than running it)."""
    workspace_id: Any = sa.bindparam("workspace_id")
    account_id: Any = sa.bindparam("account_id")
    paid = (
        sa.select(
            col(Payment.invoice_id).label("invoice_id"), sa.func.sum(Payment.amount_minor).label("paid")
        )
        .where(
            col(Payment.workspace_id) == workspace_id,
            col(Payment.account_id) == account_id,
            col(Payment.received_on) <= as_of,
        )
        .group_by(col(Payment.invoice_id))
        .subquery()
    )
    outstanding = col(Invoice.total_minor) - sa.func.coalesce(paid.c.paid, 0)
    due = sa.func.coalesce(col(Invoice.due_date), col(Invoice.issue_date))
    scope = [
        col(Invoice.workspace_id) == workspace_id,
        col(Invoice.account_id) == account_id,
        col(Invoice.status).in_(COUNTED),
        col(Invoice.issue_date) <= as_of,
    ]
    if not any_currency:
        scope.append(col(Invoice.currency) == sa.bindparam("currency"))
    return (
        sa.select(col(Invoice.currency), *aging_sums(due, as_of, outstanding))
        .select_from(Invoice)
        .outerjoin(paid, paid.c.invoice_id == Invoice.id)
        .where(*scope)
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
    )


class CurrencyAging(BaseModel):
    model_config = ConfigDict(frozen=True)

    currency: str
    aging: AgingBuckets

    @property
    def balance_minor(self) -> int:
        """What is left to pay in this currency (negative: the customer is owed money)."""
        return self.aging.total


def account_aging(
    session: Session, actor: Actor, account_id: int, *, as_of: date | None = None
) -> list[CurrencyAging]:
    """Per invoice currency (by code), what the account's issued, non-void invoices leave to pay as of ``as_of``
    (default today), in aging buckets by days past due; currencies with no counted invoice are left out.

    Scoped like :func:`compute_statement` (staff with ``statements:read``; a contact with ``billing`` for their
    own account); anything else raises ``NotFound``. Two queries (the account, the aggregate).
    """
    account = _account_for(session, actor, account_id)
    found = _aging_by_currency(session, account, as_of or today(), any_currency=True)
    return [CurrencyAging(currency=c, aging=a) for c, a in found.items()]


def compute_statement(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    period_start: date,
    period_end: date,
    as_of: date | None = None,
) -> StatementRead:
    """The account's statement for ``[period_start, period_end]`` in the account's currency, with aging as of
    ``as_of`` (default: the period's end). Drafts and void invoices are left out.

    Scoped: staff with ``statements:read`` for any account of their workspace; a contact with ``billing`` for
    their own account only. Anything else raises ``NotFound``. ``ValidationFailed`` for a period that ends
    before it starts or spans more than five years.
    """
    for value, label in ((period_start, "start"), (period_end, "end")):
        if not isinstance(value, date):
            raise ValidationFailed(f"The statement period needs a {label} date.")
    if period_end < period_start:
        raise ValidationFailed("The statement period must end on or after its start.")
    if period_end > _add_years(period_start, MAX_PERIOD_YEARS):
        raise ValidationFailed(f"A statement can cover at most {MAX_PERIOD_YEARS} years.")
    as_of = as_of or period_end
    account = _account_for(session, actor, account_id)
    assert account.id is not None

    invoiced_before, paid_before = session.execute(  # type: ignore[deprecated]
        sa.select(
            sa.select(sa.func.coalesce(sa.func.sum(Invoice.total_minor), 0))
            .where(*_invoice_scope(account), col(Invoice.issue_date) < period_start)
            .scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_minor), 0))
            .select_from(Payment)
            .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
            .where(*_payment_scope(account), col(Payment.received_on) < period_start)
            .scalar_subquery(),
        )
    ).one()
    opening = int(invoiced_before or 0) - int(paid_before or 0)

    invoices = session.execute(
        sa.select(
            col(Invoice.id),
            col(Invoice.number),
            col(Invoice.issue_date),
            col(Invoice.due_date),
            col(Invoice.total_minor),
        )
        .where(
            *_invoice_scope(account),
            col(Invoice.issue_date) >= period_start,
            col(Invoice.issue_date) <= period_end,
        )
        .order_by(col(Invoice.issue_date), col(Invoice.id))
    ).all()
    payments = session.execute(
        sa.select(
            col(Payment.id),
            col(Payment.received_on),
            col(Payment.amount_minor),
            col(Payment.reference),
            col(Invoice.number),
        )
        .select_from(Payment)
        .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
        .where(
            *_payment_scope(account),
            col(Payment.received_on) >= period_start,
            col(Payment.received_on) <= period_end,
        )
        .order_by(col(Payment.received_on), col(Payment.id))
    ).all()

    # (date, invoices before payments on the same day, id) keeps the order stable and explainable.
    entries: list[tuple[tuple[date, int, int], dict[str, Any]]] = []
    for inv in invoices:
        due = f", due {day(inv.due_date)}" if inv.due_date else ""
        entries.append(
            (
                (inv.issue_date, 0, inv.id),
                {
                    "on": inv.issue_date,
                    "kind": "invoice",
                    "reference": inv.number,
                    "description": f"Invoice {inv.number}{due}",
                    "debit_minor": int(inv.total_minor),
                    "credit_minor": 0,
                },
            )
        )
    for pay in payments:
        ref = f" ({pay.reference})" if pay.reference else ""
        entries.append(
            (
                (pay.received_on, 1, pay.id),
                {
                    "on": pay.received_on,
                    "kind": "payment",
                    "reference": pay.number,
                    "description": f"Payment for {pay.number}{ref}",
                    "debit_minor": 0,
                    "credit_minor": int(pay.amount_minor),
                },
            )
        )
    entries.sort(key=lambda e: e[0])

    balance = opening
    lines: list[StatementLine] = []
    for _, entry in entries:
        balance += entry["debit_minor"] - entry["credit_minor"]
        lines.append(StatementLine(**entry, balance_minor=balance))

    return StatementRead(
        account_id=account.id,
        account_name=account.name,
        currency=account.currency,
        period_start=period_start,
        period_end=period_end,
        opening_balance_minor=opening,
        closing_balance_minor=balance,
        lines=lines,
        aging=_aging(session, account, as_of),
    )


# ---------------------------------------------------------------------------------------------------------------
# The portal home's billing summary (contacts with billing, their own account)

# How many of the due invoices the summary lists (the most overdue first); the totals cover all of them.
DUE_SHOWN = 5


class _PortalView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DueInvoice(_PortalView):
    """An issued invoice with something left to pay: only what the contact already sees on the invoice."""

    id: int
    number: str
    currency: str
    issue_date: date | None
    due_date: date | None
    total_minor: int
    balance_minor: int
    overdue: bool


class CurrencyBalance(_PortalView):
    currency: str
    balance_minor: int  # what is left to pay on the open and partly paid invoices
    open_count: int
    overdue_count: int
    overdue_minor: int


class BillingSummary(_PortalView):
    as_of: date
    balances: list[CurrencyBalance]  # by currency code
    due: list[DueInvoice]  # the first ``DUE_SHOWN``, the most overdue first
    open_count: int
    overdue_count: int


def billing_summary(
    session: Session, actor: Actor, *, as_of: date | None = None, limit: int = DUE_SHOWN
) -> BillingSummary:
    """What the contact's account owes: per currency, the balance left on the open and partly paid invoices and
    how many are overdue (due before ``as_of``, default today), plus the first ``limit`` of those invoices, the
    most overdue first.

    Scoped: a contact with ``billing`` on their own account (drafts and void invoices never count); anyone else
    gets ``NotFound``. Two queries whatever the data size.
    """
    contact = require_contact(actor, ContactPermission.BILLING)
    as_of = as_of or today()
    limit = max(1, min(int(limit), 50))
    open_invoices = scoped_select(contact, Invoice).where(col(Invoice.status).in_(PAYABLE))
    left = col(Invoice.total_minor) - col(Invoice.amount_paid_minor)
    late = sa.and_(col(Invoice.due_date).is_not(None), col(Invoice.due_date) < as_of)
    # The same rows, aggregated in place (no subquery to build on every call).
    grouped = session.execute(  # type: ignore[deprecated]
        open_invoices.with_only_columns(
            col(Invoice.currency),
            sa.func.coalesce(sa.func.sum(left), 0),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((late, left), else_=0)), 0),
        )
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
    ).all()
    balances = [
        CurrencyBalance(
            currency=currency,
            balance_minor=int(owed),
            open_count=int(count),
            overdue_count=int(overdue),
            overdue_minor=int(overdue_owed),
        )
        for currency, owed, count, overdue, overdue_owed in grouped
    ]
    # Due date first (no due date: the issue date), so what is most overdue leads and what falls due next follows.
    due_on = sa.func.coalesce(col(Invoice.due_date), col(Invoice.issue_date))
    first = session.exec(open_invoices.order_by(due_on, col(Invoice.id)).limit(limit)).all()
    due = [
        DueInvoice(
            id=inv.id,
            number=inv.number,
            currency=inv.currency,
            issue_date=inv.issue_date,
            due_date=inv.due_date,
            total_minor=inv.total_minor,
            balance_minor=inv.total_minor - inv.amount_paid_minor,
            overdue=inv.due_date is not None and inv.due_date < as_of,
        )
        for inv in first
    ]
    return BillingSummary(
        as_of=as_of,
        balances=balances,
        due=due,
        open_count=sum(b.open_count for b in balances),
        overdue_count=sum(b.overdue_count for b in balances),
    )
