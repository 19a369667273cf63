"""The command center's queues: files to review, unanswered messages, document requests past due, delivery
exceptions and follow-up tasks (``services/signals.py`` gathers them with the estimate and invoice signals).

Each queue is an aggregate (conditional sums) over the workspace's rows, held by an index on ``workspace_id`` plus
the column the signal turns on. A ``*_part`` builds the aggregate as a one-row SELECT and its ``read_*`` turns that
row into the signal: ``signals.py`` joins every one-row part into a single statement, built once a day with bind
parameters for the workspace and the moment (``Binds``), so the page pays for one round trip and no statement
building instead of one per signal. "A week ago" is reconstructed from timestamps: a row counts then when it
existed then and had not yet left the queue (reviewed, answered, fulfilled, done) by then. Callers have checked the
actor already (``workspace:manage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from models import (
    Delivery,
    DeliveryStatus,
    DocumentRequest,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Membership,
    Message,
    Role,
    TaskStatus,
    User,
)
from portal_app.services.deliveries import MOVING, delayed_clause
from portal_app.services.document_requests import CLOSED_STATUSES as CLOSED_REQUESTS
from portal_app.services.document_requests import OPEN_STATUSES as OPEN_REQUESTS
from portal_app.services.tasks import OPEN_STATUSES as OPEN_TASKS

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


class Binds:
    """Bind parameters for a statement built once and run for any workspace at any moment: ``ws`` is the
    workspace's id, ``ago(delta)`` the moment ``delta`` before now (``ago(0)`` is now). Dates stay literal: the
    statements are built once per day."""

    def __init__(self) -> None:
        self.ws: Any = sa.bindparam("ws")
        self._ago: dict[str, timedelta] = {}

    def ago(self, delta: timedelta) -> Any:
        name = f"ago_{int(delta.total_seconds())}"
        self._ago[name] = delta
        return sa.bindparam(name)

    @property
    def now(self) -> Any:
        return self.ago(timedelta(0))

    @property
    def then(self) -> Any:
        return self.ago(WEEK)

    def values(self, workspace_id: int, now: datetime) -> dict[str, Any]:
        return {"ws": workspace_id, **{name: now - delta for name, delta in self._ago.items()}}


def one_row(parts: Sequence[Any]) -> tuple[Any, list[slice]]:
    """One statement of several one-row aggregates (each always answers exactly one row, so joining them on TRUE
    answers one row), and where each part's columns sit in it."""
    subs = [part.subquery(f"part_{i}") for i, part in enumerate(parts)]
    columns: list[Any] = []
    slices: list[slice] = []
    for sub in subs:
        slices.append(slice(len(columns), len(columns) + len(sub.c)))
        columns.extend(sub.c)
    joined = subs[0]
    for sub in subs[1:]:
        joined = joined.join(sub, sa.true())
    return sa.select(*columns).select_from(joined), slices


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


_REVIEW_COLUMNS = 3 + len(REVIEW_AGES)  # waiting, oldest, waiting then, one per age


def review_parts(b: Binds) -> tuple[Any, Any]:
    """The waiting files per kind with their oldest and their ages, and the files reviewed since a week ago (which
    were waiting then) per kind: two one-row parts, a column group per kind in ``IntakeKind``'s order."""
    created, kind = col(IntakeFile.created_at), col(IntakeFile.kind)
    waiting: list[Any] = []
    reviewed: list[Any] = []
    for each in IntakeKind:
        mine = kind == each
        waiting += [
            count_if(mine),
            sa.func.min(sa.case((mine, created))),
            count_if(sa.and_(mine, created <= b.then)),
        ]
        for _label, young, old in REVIEW_AGES:
            clause = [mine]
            if young is not None:
                clause.append(created <= b.ago(young))
            if old is not None:
                clause.append(created > b.ago(old))
            waiting.append(count_if(sa.and_(*clause)))
        reviewed.append(count_if(mine))
    ws = col(IntakeFile.workspace_id) == b.ws
    return (
        sa.select(*waiting).where(ws, col(IntakeFile.status) == IntakeStatus.AWAITING_REVIEW),
        sa.select(*reviewed).where(ws, col(IntakeFile.reviewed_at) > b.then, created <= b.then),
    )


def read_review(waiting: Sequence[Any], reviewed: Sequence[Any]) -> dict[IntakeKind, ReviewKindSignal]:
    out = {}
    for i, kind in enumerate(IntakeKind):
        count, oldest, then_waiting, *ages = waiting[i * _REVIEW_COLUMNS : (i + 1) * _REVIEW_COLUMNS]
        out[kind] = ReviewKindSignal(
            kind=kind,
            waiting=number(count),
            week_ago=number(then_waiting) + number(reviewed[i]),
            oldest_at=oldest if number(count) else None,
            by_age=tuple(number(a) for a in ages),
        )
    return out


# -- messages ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageSignal:
    unanswered: int  # threads whose newest customer-visible message is a contact's
    week_ago: int
    oldest_at: datetime | None  # when the longest-waiting of them was written


def _waiting_threads(ws: Any, until: Any | None) -> Any:
    """Each thread's newest customer-visible message (as of ``until``) when a contact wrote it."""
    newest = sa.select(col(Message.thread_id), sa.func.max(col(Message.id)).label("newest")).where(
        col(Message.workspace_id) == ws, col(Message.internal).is_(False)
    )
    if until is not None:
        newest = newest.where(col(Message.created_at) <= until)
    latest = newest.group_by(col(Message.thread_id)).subquery()
    return (
        sa.select(col(Message.created_at))
        .select_from(latest)
        .join(Message, col(Message.id) == latest.c.newest)
        # The workspace again: without it PostgreSQL hash-joins every workspace's messages (30 ms at 100 workspaces).
        .where(col(Message.workspace_id) == ws, col(Message.author_contact_id).is_not(None))
        .subquery()
    )


def message_part(b: Binds) -> Any:
    """Unanswered conversations now and a week ago, and the oldest waiting message (the same reading as
    ``messages.unanswered_count``, the navigation's badge). Measured: two plain passes over the messages cost less
    than one pass that works out both moments."""
    current, earlier = _waiting_threads(b.ws, None), _waiting_threads(b.ws, b.then)
    return sa.select(
        sa.func.count(),
        sa.func.min(current.c.created_at),
        sa.select(sa.func.count()).select_from(earlier).scalar_subquery(),
    ).select_from(current)


def read_message(values: Sequence[Any]) -> MessageSignal:
    count, oldest, before = values
    return MessageSignal(unanswered=number(count), week_ago=number(before), oldest_at=oldest)


# -- document requests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSignal:
    past_due: int  # open or submitted, due before today
    week_ago: int
    oldest_due_on: date | None


def document_part(b: Binds, today: date) -> Any:
    """Requests past their due date now and a week ago: the open ones, plus those closed since a week ago that
    were past due then."""
    week_ago = today - WEEK
    due, created = col(DocumentRequest.due_on), col(DocumentRequest.created_at)
    ws = col(DocumentRequest.workspace_id) == b.ws
    closed_since = (
        sa.select(sa.func.count())
        .where(
            ws,
            col(DocumentRequest.status).in_(CLOSED_REQUESTS),
            due < week_ago,
            created <= b.then,
            col(DocumentRequest.updated_at) > b.then,
        )
        .scalar_subquery()
    )
    return sa.select(
        sa.func.count(),
        sa.func.min(due),
        count_if(sa.and_(due < week_ago, created <= b.then)),
        closed_since,
    ).where(ws, col(DocumentRequest.status).in_(OPEN_REQUESTS), due.is_not(None), due < today)


def read_document(values: Sequence[Any]) -> DocumentSignal:
    count, oldest, before, closed = values
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


def delivery_part(b: Binds, today: date) -> Any:
    """Deliveries with a problem or late (the list's "exceptions" filter). A delivery's past statuses live in its
    events, so the week-ago figure is the part that is new this week instead."""
    problem = col(Delivery.status) == DeliveryStatus.EXCEPTION
    late = delayed_clause(today)
    return sa.select(
        count_if(problem),
        count_if(late),
        count_if(sa.and_(problem, col(Delivery.updated_at) > b.then)),
        count_if(sa.and_(late, col(Delivery.expected_on) >= today - WEEK)),
    ).where(
        col(Delivery.workspace_id) == b.ws,
        col(Delivery.status).in_((DeliveryStatus.EXCEPTION, *MOVING)),  # the open ones: an index range
    )


def read_delivery(values: Sequence[Any]) -> DeliverySignal:
    problems, lates, new_problems, new_lates = values
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


def task_statements(b: Binds) -> tuple[Any, Any]:
    """The open tasks grouped by assignee with the member's name (none for someone who is no longer a member),
    and the one-row part of the tasks done since a week ago (open then)."""
    due, created = col(FollowUpTask.due_at), col(FollowUpTask.created_at)
    late_then = sa.and_(due.is_not(None), due < b.then)
    grouped = (
        sa.select(
            col(FollowUpTask.assignee_user_id).label("user_id"),
            col(FollowUpTask.assignee_role).label("role"),
            sa.func.count().label("open"),
            count_if(sa.and_(due.is_not(None), due < b.now)).label("late"),
            count_if(created <= b.then).label("open_then"),
            count_if(sa.and_(created <= b.then, late_then)).label("late_then"),
        )
        .where(col(FollowUpTask.workspace_id) == b.ws, col(FollowUpTask.status).in_(OPEN_TASKS))
        .group_by(col(FollowUpTask.assignee_user_id), col(FollowUpTask.assignee_role))
        .subquery()
    )
    members = (
        sa.select(
            col(Membership.user_id).label("user_id"),
            sa.func.coalesce(sa.func.nullif(col(User.name), ""), col(User.email)).label("name"),
        )
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.workspace_id) == b.ws)
        .subquery()
    )
    by_assignee = sa.select(
        grouped.c.user_id,
        grouped.c.role,
        members.c.name,
        grouped.c.open,
        grouped.c.late,
        grouped.c.open_then,
        grouped.c.late_then,
    ).select_from(grouped.outerjoin(members, members.c.user_id == grouped.c.user_id))
    done = sa.select(sa.func.count(), count_if(late_then)).where(
        col(FollowUpTask.workspace_id) == b.ws,
        col(FollowUpTask.status) == TaskStatus.DONE,
        col(FollowUpTask.completed_at) > b.then,
        created <= b.then,
    )
    return by_assignee, done


def read_tasks(rows: Sequence[Any], done: Sequence[Any]) -> TaskSignal:
    done_open, done_late = done
    merged: dict[tuple[int | None, Role | None], list[int]] = {}
    names: dict[int, str] = {}
    total = [0, 0, 0, 0]
    for user_id, role, name, *counts in rows:
        # A task assigned to a member who has left reads as their role's (or nobody's).
        if user_id is not None and name is not None:
            key: tuple[int | None, Role | None] = (int(user_id), None)
            names[int(user_id)] = str(name)
        else:
            key = (None, Role(role) if role is not None else None)
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
