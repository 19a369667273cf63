"""The owner's command center (``/app``): the workspace's signals in one read, each with its figure a week earlier.

``command_center(session, actor)`` is for owners and managers (``workspace:manage``) and answers a
``CommandCenter`` of plain numbers, dates and amounts in minor units; the page's state words and links them. Every
signal is an aggregate (conditional sums) held by an index that starts with ``workspace_id``. The one-row
aggregates share one statement (``signals_work.one_row``); the invoices per currency, the tasks per assignee and the
last 30 days' decision times take one each: five statements whatever the data size, built once a day and bound to
the workspace and the moment per call. The median time to a decision is computed here from the decisions of the
last 30 days (no portable SQL median); nothing else reads rows one by one.

"Today" is the UTC date, like the lists' "overdue" filters, so a signal and the list behind it agree. "A week ago"
is rebuilt from timestamps: e.g. an invoice counted overdue then if it was issued and past due by then and is still
owed, or was paid or voided only since.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Estimate, EstimateStatus, IntakeKind, Invoice, InvoiceStatus, Workspace
from portal_app.services.access import Actor, require_staff
from portal_app.services.aging import aging_buckets, aging_sums
from portal_app.services.estimates import DECIDED_STATUSES as DECIDED
from portal_app.services.invoices import DUE_SOON_DAYS, PAYABLE
from portal_app.services.permissions import Permission
from portal_app.services.signals_work import (
    WEEK,
    Binds,
    DeliverySignal,
    DocumentSignal,
    MessageSignal,
    ReviewKindSignal,
    TaskSignal,
    count_if,
    delivery_part,
    document_part,
    message_part,
    number,
    one_row,
    read_delivery,
    read_document,
    read_message,
    read_review,
    read_tasks,
    review_parts,
    sum_if,
    task_statements,
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
    built = _statements(now.date())
    params = built.binds.values(staff.workspace_id, now)
    row = session.execute(built.one_row, params).one()  # type: ignore[deprecated]
    part = [row[at] for at in built.slices]
    durations = [
        (decided - shared).total_seconds()
        for shared, decided in session.execute(built.durations, params).all()  # type: ignore[deprecated]
        if shared is not None and decided is not None and decided >= shared
    ]
    return CommandCenter(
        now=now,
        default_currency=currency,
        estimates=_read_estimates(now, part[0], part[1], durations),
        invoices=_read_invoices(
            session.execute(built.invoices, params).all(),  # type: ignore[deprecated]
            part[2],
            default_currency=currency,
        ),
        review=read_review(part[3], part[4]),
        messages=read_message(part[5]),
        documents=read_document(part[6]),
        deliveries=read_delivery(part[7]),
        tasks=read_tasks(session.execute(built.tasks, params).all(), part[8]),  # type: ignore[deprecated]
    )


@dataclass(frozen=True)
class _Statements:
    binds: Binds
    one_row: Any  # every one-row aggregate, joined
    slices: list[slice]  # each part's columns in it
    durations: Any
    invoices: Any
    tasks: Any


@functools.lru_cache(maxsize=2)
def _statements(today: date) -> _Statements:
    """The command center's statements for one day, built once (building them cost as much as running them)."""
    b = Binds()
    awaiting, decisions, durations = _estimate_statements(b)
    invoices, settled = _invoice_statements(b, today)
    waiting, reviewed = review_parts(b)
    tasks, done = task_statements(b)
    joined, slices = one_row(
        [
            awaiting,
            decisions,
            settled,
            waiting,
            reviewed,
            message_part(b),
            document_part(b, today),
            delivery_part(b, today),
            done,
        ]
    )
    return _Statements(
        binds=b, one_row=joined, slices=slices, durations=durations, invoices=invoices, tasks=tasks
    )


# -- estimates ---------------------------------------------------------------------------------------------------


def _estimate_statements(b: Binds) -> tuple[Any, Any, Any]:
    """What waits (and waited a week ago); decisions per status in the last 30 days and per week (a column group
    per status in ``DECIDED``'s order); the last 30 days' decision times."""
    ws = col(Estimate.workspace_id) == b.ws
    shared_at, decided_at, status = col(Estimate.shared_at), col(Estimate.decided_at), col(Estimate.status)
    # Waiting a week ago: shared by then, and decided or expired only since (an expiry stamps updated_at).
    decided_since = (
        sa.select(sa.func.count()).where(ws, decided_at > b.then, shared_at <= b.then).scalar_subquery()
    )
    expired_since = (
        sa.select(sa.func.count())
        .where(
            ws,
            status == EstimateStatus.EXPIRED,
            col(Estimate.updated_at) > b.then,
            shared_at <= b.then,
        )
        .scalar_subquery()
    )
    awaiting = sa.select(
        sa.func.count(), sa.func.min(shared_at), count_if(shared_at <= b.then), decided_since, expired_since
    ).where(ws, status == EstimateStatus.SHARED)

    # Week i (newest first) is the 7 days that end WEEK * i before now.
    bounds = [b.ago(WEEK * i) for i in range(WEEKS_SHOWN + 1)]
    month = b.ago(timedelta(days=30))
    per_status = []
    for each in DECIDED:
        mine = status == each
        per_status.append(count_if(sa.and_(mine, decided_at > month)))
        per_status += [
            count_if(sa.and_(mine, decided_at > bounds[i + 1], decided_at <= bounds[i]))
            for i in range(WEEKS_SHOWN)
        ]
    decisions = sa.select(*per_status).where(
        ws, decided_at > bounds[-1], decided_at <= b.now, status.in_(DECIDED)
    )
    durations = sa.select(shared_at, decided_at).where(
        ws, decided_at > month, decided_at <= b.now, status.in_(DECIDED), shared_at.is_not(None)
    )
    return awaiting, decisions, durations


def _read_estimates(
    now: datetime, awaiting_row: Sequence[Any], decisions: Sequence[Any], durations: list[float]
) -> EstimateSignals:
    awaiting, oldest, waiting_then, decided, expired = awaiting_row
    width = WEEKS_SHOWN + 1
    per_status = {
        status: [number(v) for v in decisions[i * width : (i + 1) * width]]
        for i, status in enumerate(DECIDED)
    }
    approved = per_status[EstimateStatus.APPROVED]
    declined = per_status[EstimateStatus.DECLINED]
    changes = per_status[EstimateStatus.CHANGES_REQUESTED]
    starts = [now - WEEK * (i + 1) for i in range(WEEKS_SHOWN)]  # newest week first
    weeks = tuple(
        WeekDecisions(
            start=starts[i].date(),
            approved=approved[i + 1],
            declined=declined[i + 1],
            changes_requested=changes[i + 1],
        )
        for i in reversed(range(WEEKS_SHOWN))
    )
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


def _invoice_statements(b: Binds, today: date) -> tuple[Any, Any]:
    """Overdue and due-soon invoices with what is owed per currency, and the receivables' aging (one statement
    over the open and partly paid invoices), and the one-row part of those paid or voided in the last week (owed a
    week ago)."""
    before = today - WEEK
    due, issued = col(Invoice.due_date), col(Invoice.issue_date)
    owed = col(Invoice.total_minor) - col(Invoice.amount_paid_minor)
    overdue = sa.and_(due.is_not(None), due < today)
    soon = sa.and_(due >= today, due <= today + timedelta(days=DUE_SOON_DAYS))
    overdue_then = sa.and_(issued <= before, due < before)
    soon_then = sa.and_(issued <= before, due >= before, due <= before + timedelta(days=DUE_SOON_DAYS))
    ws = col(Invoice.workspace_id) == b.ws
    per_currency = (
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
    )
    # Paid (a payment stamps updated_at) or voided since a week ago: still owed then. Two index ranges, summed.
    paid, void = (
        sa.select(count_if(overdue_then).label("late"), count_if(soon_then).label("soon"))
        .where(ws, col(Invoice.status) == status, stamp > b.then, issued <= before)
        .subquery()
        for status, stamp in (
            (InvoiceStatus.PAID, col(Invoice.updated_at)),
            (InvoiceStatus.VOID, col(Invoice.voided_at)),
        )
    )
    settled = sa.select(
        sa.func.coalesce(paid.c.late, 0) + sa.func.coalesce(void.c.late, 0),
        sa.func.coalesce(paid.c.soon, 0) + sa.func.coalesce(void.c.soon, 0),
    ).select_from(paid.join(void, sa.true()))
    return per_currency, settled


def _read_invoices(rows: Sequence[Any], settled: Sequence[Any], *, default_currency: str) -> InvoiceSignals:
    late_then, soon_before = settled

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
