"""The command center's queues: files to review, unanswered messages, document requests past due, delivery
exceptions and follow-up tasks (``services/signals.py`` gathers them with the estimate and invoice signals).

Each function is one aggregate statement (GROUP BY and conditional sums) over the workspace's rows, held by an
index on ``workspace_id`` plus the column the signal turns on; the few statements never grow with the data. "A week
ago" is reconstructed from timestamps: a row counts then when it existed then and had not yet left the queue
(reviewed, answered, fulfilled, done) by then. Callers have checked the actor already (``workspace:manage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import (
    Delivery,
    DeliveryStatus,
    DocumentRequest,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Message,
    Role,
    TaskStatus,
)
from portal_app.services.access import StaffActor
from portal_app.services.deliveries import MOVING, delayed_clause
from portal_app.services.document_requests import CLOSED_STATUSES as CLOSED_REQUESTS
from portal_app.services.document_requests import OPEN_STATUSES as OPEN_REQUESTS
from portal_app.services.tasks import OPEN_STATUSES as OPEN_TASKS
from portal_app.services.tasks import member_names

WEEK = timedelta(days=7)
# The review queue's age buckets: (label, youngest age, oldest age) with None for no bound.
REVIEW_AGES: tuple[tuple[str, timedelta | None, timedelta | None], ...] = (
    ("Under 1 day", None, timedelta(days=1)),
    ("1-3 days", timedelta(days=1), timedelta(days=3)),
    ("3-7 days", timedelta(days=3), timedelta(days=7)),
    ("Over 7 days", timedelta(days=7), None),
)


def count_if(condition: Any) -> Any:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: a conditional count that works on every engine."""
    return sa.func.sum(sa.case((condition, 1), else_=0))


def sum_if(condition: Any, value: Any) -> Any:
    return sa.func.sum(sa.case((condition, value), else_=0))


def number(value: Any) -> int:
    """An aggregate as an int (``SUM`` is NULL over no rows, a Decimal on PostgreSQL)."""
    return int(value or 0)


# -- review queue ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewKindSignal:
    """Files of one kind waiting for a reviewer."""

    kind: IntakeKind
    waiting: int
    week_ago: int
    oldest_at: datetime | None
    by_age: tuple[int, ...]  # one count per REVIEW_AGES bucket


def review_signals(session: Session, staff: StaffActor, now: datetime) -> dict[IntakeKind, ReviewKindSignal]:
    """Waiting files per kind with their oldest and their ages (two statements: the queue, and the files reviewed
    since a week ago, which were waiting then)."""
    created = col(IntakeFile.created_at)
    then = now - WEEK
    buckets = []
    for _label, young, old in REVIEW_AGES:
        clause = []
        if young is not None:
            clause.append(created <= now - young)
        if old is not None:
            clause.append(created > now - old)
        buckets.append(count_if(sa.and_(*clause)))
    rows = session.execute(
        sa.select(
            col(IntakeFile.kind), sa.func.count(), sa.func.min(created), count_if(created <= then), *buckets
        )
        .where(
            col(IntakeFile.workspace_id) == staff.workspace_id,
            col(IntakeFile.status) == IntakeStatus.AWAITING_REVIEW,
        )
        .group_by(col(IntakeFile.kind))
    ).all()
    reviewed = dict(
        session.execute(  # type: ignore[arg-type]
            sa.select(col(IntakeFile.kind), sa.func.count())
            .where(
                col(IntakeFile.workspace_id) == staff.workspace_id,
                col(IntakeFile.reviewed_at) > then,
                created <= then,
            )
            .group_by(col(IntakeFile.kind))
        ).all()
    )
    out = {
        kind: ReviewKindSignal(
            kind=kind, waiting=0, week_ago=number(reviewed.get(kind)), oldest_at=None, by_age=(0,) * 4
        )
        for kind in IntakeKind
    }
    for kind, waiting, oldest, then_waiting, *ages in rows:
        out[kind] = ReviewKindSignal(
            kind=kind,
            waiting=number(waiting),
            week_ago=number(then_waiting) + number(reviewed.get(kind)),
            oldest_at=oldest,
            by_age=tuple(number(a) for a in ages),
        )
    return out


# -- messages ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageSignal:
    unanswered: int  # threads whose newest customer-visible message is a contact's
    week_ago: int
    oldest_at: datetime | None  # when the longest-waiting of them was written


def _waiting_threads(staff: StaffActor, until: datetime | None) -> Any:
    """Each thread's newest customer-visible message (as of ``until``) when a contact wrote it."""
    newest = sa.select(col(Message.thread_id), sa.func.max(col(Message.id)).label("newest")).where(
        col(Message.workspace_id) == staff.workspace_id, col(Message.internal).is_(False)
    )
    if until is not None:
        newest = newest.where(col(Message.created_at) <= until)
    latest = newest.group_by(col(Message.thread_id)).subquery()
    return (
        sa.select(col(Message.created_at))
        .select_from(latest)
        .join(Message, col(Message.id) == latest.c.newest)
        # The workspace again: without it PostgreSQL hash-joins every workspace's messages (30 ms at 100 workspaces).
        .where(col(Message.workspace_id) == staff.workspace_id, col(Message.author_contact_id).is_not(None))
        .subquery()
    )


def message_signal(session: Session, staff: StaffActor, now: datetime) -> MessageSignal:
    """Unanswered conversations now and a week ago, and the oldest waiting message: one statement (the same
    reading as ``messages.unanswered_count``, the navigation's badge). Measured: two plain passes over the
    messages cost less than one pass that works out both moments."""
    current, earlier = _waiting_threads(staff, None), _waiting_threads(staff, now - WEEK)
    count, oldest, before = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.min(current.c.created_at),
            sa.select(sa.func.count()).select_from(earlier).scalar_subquery(),
        ).select_from(current)
    ).one()
    return MessageSignal(unanswered=number(count), week_ago=number(before), oldest_at=oldest)


# -- document requests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSignal:
    past_due: int  # open or submitted, due before today
    week_ago: int
    oldest_due_on: date | None


def document_signal(session: Session, staff: StaffActor, now: datetime) -> DocumentSignal:
    """Requests past their due date now and a week ago (one statement: the open ones, plus those closed since a
    week ago that were past due then)."""
    today, then = now.date(), now - WEEK
    due, created = col(DocumentRequest.due_on), col(DocumentRequest.created_at)
    ws = col(DocumentRequest.workspace_id) == staff.workspace_id
    closed_since = (
        sa.select(sa.func.count())
        .where(
            ws,
            col(DocumentRequest.status).in_(CLOSED_REQUESTS),
            due < then.date(),
            created <= then,
            col(DocumentRequest.updated_at) > then,
        )
        .scalar_subquery()
    )
    count, oldest, before, closed = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.min(due),
            count_if(sa.and_(due < then.date(), created <= then)),
            closed_since,
        ).where(ws, col(DocumentRequest.status).in_(OPEN_REQUESTS), due.is_not(None), due < today)
    ).one()
    return DocumentSignal(
        past_due=number(count), week_ago=number(before) + number(closed), oldest_due_on=oldest
    )


# -- deliveries --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliverySignal:
    problems: int  # status "exception"
    late: int  # scheduled or in transit, expected date passed
    new_this_week: int  # of those: flagged in the last 7 days, or whose expected date passed in them

    @property
    def exceptions(self) -> int:
        return self.problems + self.late


def delivery_signal(session: Session, staff: StaffActor, now: datetime) -> DeliverySignal:
    """Deliveries with a problem or late (the list's "exceptions" filter), one statement. A delivery's past
    statuses live in its events, so the week-ago figure is the part that is new this week instead."""
    today, then = now.date(), now - WEEK
    problem = col(Delivery.status) == DeliveryStatus.EXCEPTION
    late = delayed_clause(today)
    problems, lates, new_problems, new_lates = session.execute(
        sa.select(
            count_if(problem),
            count_if(late),
            count_if(sa.and_(problem, col(Delivery.updated_at) > then)),
            count_if(sa.and_(late, col(Delivery.expected_on) >= then.date())),
        ).where(
            col(Delivery.workspace_id) == staff.workspace_id,
            col(Delivery.status).in_((DeliveryStatus.EXCEPTION, *MOVING)),  # the open ones: an index range
        )
    ).one()
    return DeliverySignal(
        problems=number(problems), late=number(lates), new_this_week=number(new_problems) + number(new_lates)
    )


# -- follow-up tasks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssigneeTasks:
    """Open tasks of one assignee: a member (``user_id``), else a whole role, else nobody."""

    user_id: int | None
    role: Role | None
    name: str  # the member's name or e-mail; "" for a role or nobody
    open: int
    overdue: int


@dataclass(frozen=True)
class TaskSignal:
    open: int
    overdue: int
    open_week_ago: int
    overdue_week_ago: int
    by_assignee: tuple[AssigneeTasks, ...]  # most open first


def task_signal(session: Session, staff: StaffActor, now: datetime) -> TaskSignal:
    """Open and overdue follow-ups by assignee, now and a week ago: three statements (the open tasks grouped by
    assignee, the tasks done since a week ago, the assignees' names)."""
    then = now - WEEK
    due, created = col(FollowUpTask.due_at), col(FollowUpTask.created_at)
    late = sa.and_(due.is_not(None), due < now)
    late_then = sa.and_(due.is_not(None), due < then)
    rows = session.execute(
        sa.select(
            col(FollowUpTask.assignee_user_id),
            col(FollowUpTask.assignee_role),
            sa.func.count(),
            count_if(late),
            count_if(created <= then),
            count_if(sa.and_(created <= then, late_then)),
        )
        .where(
            col(FollowUpTask.workspace_id) == staff.workspace_id,
            col(FollowUpTask.status).in_(OPEN_TASKS),
        )
        .group_by(col(FollowUpTask.assignee_user_id), col(FollowUpTask.assignee_role))
    ).all()
    done_open, done_late = session.execute(
        sa.select(sa.func.count(), count_if(late_then)).where(
            col(FollowUpTask.workspace_id) == staff.workspace_id,
            col(FollowUpTask.status) == TaskStatus.DONE,
            col(FollowUpTask.completed_at) > then,
            created <= then,
        )
    ).one()
    names = member_names(session, staff, [int(r[0]) for r in rows if r[0] is not None])
    merged: dict[tuple[int | None, Role | None], list[int]] = {}
    total = [0, 0, 0, 0]
    for user_id, role, *counts in rows:
        # A task assigned to a member who has left reads as their role's (or nobody's).
        key = (user_id, None) if user_id is not None and user_id in names else (None, role)
        into = merged.setdefault(key, [0, 0])
        into[0] += number(counts[0])
        into[1] += number(counts[1])
        for i, value in enumerate(counts):
            total[i] += number(value)
    people = [
        AssigneeTasks(
            user_id=user_id,
            role=role,
            name=names.get(user_id, "") if user_id is not None else "",
            open=n_open,
            overdue=n_late,
        )
        for (user_id, role), (n_open, n_late) in merged.items()
    ]
    people.sort(key=lambda a: (-a.open, -a.overdue, a.name or (a.role.value if a.role else "~")))
    return TaskSignal(
        open=total[0],
        overdue=total[1],
        open_week_ago=total[2] + number(done_open),
        overdue_week_ago=total[3] + number(done_late),
        by_assignee=tuple(people),
    )
