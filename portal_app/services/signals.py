"""The owner's command center (``/app``): the workspace's signals in one read, each with its figure a week earlier.

``command_center(session, actor)`` is for owners and managers (``workspace:manage``) and answers a
``CommandCenter`` of plain numbers, dates and amounts in minor units; the page's state words and links them. Every
signal is one aggregate statement (conditional sums, GROUP BY) held by an index that starts with ``workspace_id``,
so the page costs the same dozen statements whatever the data size. The median time to a decision is computed here
from the decisions of the last 30 days (no portable SQL median); nothing else reads rows one by one.

"Today" is the UTC date, like the lists' "overdue" filters, so a signal and the list behind it agree. "A week ago"
is rebuilt from timestamps: e.g. an invoice counted overdue then if it was issued and past due by then and is still
owed, or was paid or voided only since.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Estimate, EstimateStatus, IntakeKind, Invoice, InvoiceStatus, Workspace
from portal_app.services.access import Actor, StaffActor, require_staff
from portal_app.services.aging import aging_buckets, aging_sums
from portal_app.services.estimates import DECIDED_STATUSES as DECIDED
from portal_app.services.invoices import DUE_SOON_DAYS, PAYABLE
from portal_app.services.permissions import Permission
from portal_app.services.signals_work import (
    WEEK,
    DeliverySignal,
    DocumentSignal,
    MessageSignal,
    ReviewKindSignal,
    TaskSignal,
    count_if,
    delivery_signal,
    document_signal,
    message_signal,
    number,
    review_signals,
    sum_if,
    task_signal,
)
from portal_app.services.statements import CurrencyAging

WEEKS_SHOWN = 8


@dataclass(frozen=True)
class Amount:
    currency: str
    minor: int


@dataclass(frozen=True)
class WeekDecisions:
    """Decisions in one of the last weeks (rolling: the 7 days that end ``start + 7 days``)."""

    start: date
    approved: int
    declined: int
    changes_requested: int


@dataclass(frozen=True)
class EstimateSignals:
    awaiting: int  # shared, waiting for the customer's decision
    awaiting_week_ago: int
    oldest_shared_at: datetime | None
    decided_7: int  # decided in the last 7 days
    decided_prev_7: int  # and in the 7 before
    decided_30: int
    approved_30: int
    median_to_decision: timedelta | None  # shared → decided, over the last 30 days' decisions
    weeks: tuple[WeekDecisions, ...]  # WEEKS_SHOWN of them, oldest first

    @property
    def approval_rate(self) -> float | None:
        return self.approved_30 / self.decided_30 if self.decided_30 else None


@dataclass(frozen=True)
class InvoiceSignals:
    overdue: int
    overdue_week_ago: int
    overdue_totals: tuple[Amount, ...]  # what is still owed on them, per currency
    due_soon: int  # due today or in the next DUE_SOON_DAYS days
    due_soon_week_ago: int
    due_soon_totals: tuple[Amount, ...]
    # What is left to pay per currency by days past due (services/aging.py), the workspace's default currency first.
    aging: tuple[CurrencyAging, ...]


@dataclass(frozen=True)
class CommandCenter:
    now: datetime
    default_currency: str
    estimates: EstimateSignals
    invoices: InvoiceSignals
    review: dict[IntakeKind, ReviewKindSignal]
    messages: MessageSignal
    documents: DocumentSignal
    deliveries: DeliverySignal
    tasks: TaskSignal


def command_center(session: Session, actor: Actor, *, now: datetime | None = None) -> CommandCenter:
    """Every signal of the actor's workspace. Owners and managers only (``workspace:manage``: ``Forbidden`` for
    other roles, ``NotFound`` for contacts and operators); every statement is scoped to the workspace."""
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    now = now or datetime.now(UTC)
    ws = session.get(Workspace, staff.workspace_id)
    currency = ws.default_currency if ws is not None else "USD"
    return CommandCenter(
        now=now,
        default_currency=currency,
        estimates=estimate_signals(session, staff, now),
        invoices=invoice_signals(session, staff, now, default_currency=currency),
        review=review_signals(session, staff, now),
        messages=message_signal(session, staff, now),
        documents=document_signal(session, staff, now),
        deliveries=delivery_signal(session, staff, now),
        tasks=task_signal(session, staff, now),
    )


# -- estimates ---------------------------------------------------------------------------------------------------


def estimate_signals(session: Session, staff: StaffActor, now: datetime) -> EstimateSignals:
    """Three statements: what waits (and waited a week ago), decisions per week, the last 30 days' decision times."""
    then = now - WEEK
    ws = col(Estimate.workspace_id) == staff.workspace_id
    shared_at, decided_at = col(Estimate.shared_at), col(Estimate.decided_at)
    # Waiting a week ago: shared by then, and decided or expired only since (an expiry stamps updated_at).
    decided_since = (
        sa.select(sa.func.count()).where(ws, decided_at > then, shared_at <= then).scalar_subquery()
    )
    expired_since = (
        sa.select(sa.func.count())
        .where(
            ws,
            col(Estimate.status) == EstimateStatus.EXPIRED,
            col(Estimate.updated_at) > then,
            shared_at <= then,
        )
        .scalar_subquery()
    )
    awaiting, oldest, waiting_then, decided, expired = session.execute(
        sa.select(
            sa.func.count(), sa.func.min(shared_at), count_if(shared_at <= then), decided_since, expired_since
        ).where(ws, col(Estimate.status) == EstimateStatus.SHARED)
    ).one()

    starts = [now - WEEK * (i + 1) for i in range(WEEKS_SHOWN)]  # newest week first
    weekly = [count_if(sa.and_(decided_at > start, decided_at <= start + WEEK)) for start in starts]
    rows = session.execute(
        sa.select(col(Estimate.status), count_if(decided_at > now - timedelta(days=30)), *weekly)
        .where(ws, decided_at > starts[-1], decided_at <= now, col(Estimate.status).in_(DECIDED))
        .group_by(col(Estimate.status))
    ).all()
    per_status = {status: [number(v) for v in values] for status, *values in rows}
    empty = [0] * (WEEKS_SHOWN + 1)
    approved = per_status.get(EstimateStatus.APPROVED, empty)
    declined = per_status.get(EstimateStatus.DECLINED, empty)
    changes = per_status.get(EstimateStatus.CHANGES_REQUESTED, empty)
    weeks = tuple(
        WeekDecisions(
            start=starts[i].date(),
            approved=approved[i + 1],
            declined=declined[i + 1],
            changes_requested=changes[i + 1],
        )
        for i in reversed(range(WEEKS_SHOWN))
    )

    durations = [
        (decided - shared).total_seconds()
        for shared, decided in session.execute(
            sa.select(shared_at, decided_at).where(
                ws,
                decided_at > now - timedelta(days=30),
                decided_at <= now,
                col(Estimate.status).in_(DECIDED),
                shared_at.is_not(None),
            )
        ).all()
        if shared is not None and decided is not None and decided >= shared
    ]
    return EstimateSignals(
        awaiting=number(awaiting),
        awaiting_week_ago=number(waiting_then) + number(decided) + number(expired),
        oldest_shared_at=oldest,
        decided_7=weeks[-1].approved + weeks[-1].declined + weeks[-1].changes_requested,
        decided_prev_7=weeks[-2].approved + weeks[-2].declined + weeks[-2].changes_requested,
        decided_30=sum(v[0] for v in per_status.values()),
        approved_30=approved[0],
        median_to_decision=timedelta(seconds=statistics.median(durations)) if durations else None,
        weeks=weeks,
    )


# -- invoices ----------------------------------------------------------------------------------------------------


def invoice_signals(
    session: Session, staff: StaffActor, now: datetime, *, default_currency: str = "USD"
) -> InvoiceSignals:
    """Overdue and due-soon invoices with what is owed per currency, and the receivables' aging: one statement
    over the open and partly paid invoices, and one for those paid or voided in the last week (owed a week ago)."""
    today, then = now.date(), (now - WEEK)
    before = then.date()
    due, issued = col(Invoice.due_date), col(Invoice.issue_date)
    owed = col(Invoice.total_minor) - col(Invoice.amount_paid_minor)
    overdue = sa.and_(due.is_not(None), due < today)
    soon = sa.and_(due >= today, due <= today + timedelta(days=DUE_SOON_DAYS))
    overdue_then = sa.and_(issued <= before, due < before)
    soon_then = sa.and_(issued <= before, due >= before, due <= before + timedelta(days=DUE_SOON_DAYS))
    ws = col(Invoice.workspace_id) == staff.workspace_id
    rows = session.execute(
        sa.select(
            col(Invoice.currency),
            count_if(overdue),
            sum_if(overdue, owed),
            count_if(soon),
            sum_if(soon, owed),
            count_if(overdue_then),
            count_if(soon_then),
            *aging_sums(due, today, owed),
        )
        .where(ws, col(Invoice.status).in_(PAYABLE))
        .group_by(col(Invoice.currency))
    ).all()
    # Paid (a payment stamps updated_at) or voided since a week ago: still owed then. Two index ranges, summed.
    settled = [
        sa.select(count_if(overdue_then).label("late"), count_if(soon_then).label("soon"))
        .where(ws, col(Invoice.status) == status, stamp > then, issued <= before)
        .subquery()
        for status, stamp in (
            (InvoiceStatus.PAID, col(Invoice.updated_at)),
            (InvoiceStatus.VOID, col(Invoice.voided_at)),
        )
    ]
    paid, void = settled
    late_then, soon_before = session.execute(
        sa.select(
            sa.func.coalesce(paid.c.late, 0) + sa.func.coalesce(void.c.late, 0),
            sa.func.coalesce(paid.c.soon, 0) + sa.func.coalesce(void.c.soon, 0),
        ).select_from(paid.join(void, sa.true()))
    ).one()

    def first(currency: str) -> tuple[bool, str]:
        return currency != default_currency, currency

    rows = sorted(rows, key=lambda r: first(r[0]))
    return InvoiceSignals(
        overdue=sum(number(r[1]) for r in rows),
        overdue_week_ago=sum(number(r[5]) for r in rows) + number(late_then),
        overdue_totals=tuple(Amount(r[0], number(r[2])) for r in rows if number(r[1])),
        due_soon=sum(number(r[3]) for r in rows),
        due_soon_week_ago=sum(number(r[6]) for r in rows) + number(soon_before),
        due_soon_totals=tuple(Amount(r[0], number(r[4])) for r in rows if number(r[3])),
        aging=tuple(CurrencyAging(currency=r[0], aging=aging_buckets(r[7:])) for r in rows),
    )
