"""Follow-up tasks: created by customer actions, worked by the team."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    ApprovalRequest,
    AuditEvent,
    Delivery,
    DocumentRequest,
    Estimate,
    FollowUpTask,
    IntakeFile,
    Invoice,
    Membership,
    MessageThread,
    Role,
    TaskStatus,
    User,
    utcnow,
)
from models.schemas import Page, ReadModel, TaskRead
from portal_app.services import audit, notify
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    account_names,
    get_scoped,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.permissions import Permission

# Which role a customer action's follow-up goes to, and how soon it is due.
TRIGGER_ROUTING: dict[str, tuple[Role, timedelta]] = {
    "estimate.approved": (Role.TEAM_LEAD, timedelta(days=1)),
    "estimate.declined": (Role.TEAM_LEAD, timedelta(days=2)),
    "estimate.changes_requested": (Role.TEAM_LEAD, timedelta(days=1)),
    "approval.approved": (Role.TEAM_LEAD, timedelta(days=1)),
    "approval.declined": (Role.TEAM_LEAD, timedelta(days=2)),
    "approval.changes_requested": (Role.TEAM_LEAD, timedelta(days=1)),
    "message.posted": (Role.TEAM_LEAD, timedelta(days=1)),
    "intake.document": (Role.FINANCE_REVIEWER, timedelta(days=2)),
    "intake.payment_proof": (Role.FINANCE_REVIEWER, timedelta(days=1)),
    "intake.attachment": (Role.FINANCE_REVIEWER, timedelta(days=2)),  # a file attached to a message
}

_ALLOWED: dict[TaskStatus, set[TaskStatus]] = {
    TaskStatus.OPEN: {TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED},
    TaskStatus.IN_PROGRESS: {TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED},
    TaskStatus.DONE: {TaskStatus.OPEN},
    TaskStatus.CANCELLED: {TaskStatus.OPEN},
}


def open_follow_up(
    session: Session,
    actor: ContactActor,
    *,
    trigger: str,
    source_type: str,
    source_id: int,
    title: str,
    detail: str = "",
) -> FollowUpTask:
    """Add the follow-up task for a customer action to the caller's transaction (the caller commits).

    Every customer action's task is opened here, so this is where the account's owner hears of it (a queued mail in
    the same transaction: it leaves only if the action is stored)."""
    role, due_in = TRIGGER_ROUTING[trigger]
    task = FollowUpTask(
        workspace_id=actor.workspace_id,
        account_id=actor.account_id,
        title=title[:200],
        detail=detail[:2000],
        source_type=source_type,
        source_id=source_id,
        trigger=trigger,
        assignee_role=role,
        created_by_contact_id=actor.contact_id,
        due_at=utcnow() + due_in,
    )
    session.add(task)
    session.flush()
    assert task.id is not None
    notify.customer_action(
        session, workspace_id=actor.workspace_id, account_id=actor.account_id, task_id=task.id
    )
    return task


OPEN_STATUSES: tuple[TaskStatus, ...] = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
COMMENT_MAX = 1000
AUDIT_TEXT_MAX = 7000  # the audit event's data column holds 8000 characters


class TaskView(TaskRead):
    """A task as staff pages show it: the names behind its ids, looked up in the same workspace."""

    account_name: str = ""
    assignee_name: str = ""  # the member's name or e-mail; "" when only a role (or nobody) is assigned
    source_label: str = ""  # "EST-0007 Website redesign", the approval's title; "" for other kinds


class TaskActivity(ReadModel):
    """One entry of a task's audit trail: an assignment, a status or due-date change, a comment."""

    id: int
    at: datetime
    actor_name: str
    action: str  # the audit action, e.g. "task.commented", "task.assigned", "task.done"
    comment: str = ""
    assignee_name: str = ""
    due_on: date | None = None


def list_tasks(
    session: Session,
    actor: Actor,
    *,
    statuses: tuple[TaskStatus, ...] = OPEN_STATUSES,
    mine: bool = False,
    role: Role | None = None,
    account_id: int | None = None,
    overdue: bool = False,
    source_type: str | None = None,
    source_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[TaskView]:
    """One page of the workspace's tasks, soonest due first (``tasks:read``), with account, assignee and source
    names.

    ``mine`` = assigned to me or to my role; ``account_id`` only narrows within the workspace (another
    workspace's id gives an empty page); ``overdue`` keeps tasks whose due time has passed. Filtering and paging
    happen in the database; the names cost a constant number of queries per page.
    """
    staff = require_staff(actor, Permission.TASKS_READ)
    query = scoped_select(staff, FollowUpTask).where(FollowUpTask.status.in_(statuses))  # type: ignore[attr-defined]
    if account_id is not None:
        query = query.where(FollowUpTask.account_id == account_id)
    if overdue:
        query = query.where(col(FollowUpTask.due_at).is_not(None), col(FollowUpTask.due_at) < utcnow())
    if mine:
        query = query.where(
            sa.or_(
                col(FollowUpTask.assignee_user_id) == staff.user_id,
                col(FollowUpTask.assignee_role) == staff.role,
            )
        )
    if role is not None:
        query = query.where(FollowUpTask.assignee_role == role)
    if source_type is not None:
        query = query.where(FollowUpTask.source_type == source_type)
        if source_id is not None:
            query = query.where(FollowUpTask.source_id == source_id)
    page = Page.fetch(
        session,
        query.order_by(FollowUpTask.due_at, FollowUpTask.id),  # type: ignore[arg-type]
        TaskRead,
        offset=offset,
        limit=limit,
        small=account_id is not None,
    )
    return Page[TaskView](
        items=_describe(session, staff, page.items), total=page.total, offset=page.offset, limit=page.limit
    )


def get_task(session: Session, actor: Actor, task_id: int) -> TaskView:
    """One task of the staff member's workspace with its names (``tasks:read``); ``NotFound`` otherwise."""
    staff = require_staff(actor, Permission.TASKS_READ)
    task = TaskRead.model_validate(get_scoped(session, staff, FollowUpTask, task_id))
    return _describe(session, staff, [task])[0]


def member_names(session: Session, staff: StaffActor, user_ids: Sequence[int]) -> dict[int, str]:
    """Names (or e-mails) of the given users that are members of the staff member's workspace."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    rows = session.exec(
        select(User.id, User.name, User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == staff.workspace_id, col(User.id).in_(ids))
    ).all()
    return {int(uid): name or email for uid, name, email in rows if uid is not None}


# What a task's other sources are called where a person reads them: (model, the column that names it).
_SOURCE_NAMES: dict[str, tuple[type[Any], str]] = {
    "message_thread": (MessageThread, "subject"),
    "document_request": (DocumentRequest, "title"),
    "delivery": (Delivery, "reference"),
    "invoice": (Invoice, "number"),
    "intake_file": (IntakeFile, "original_name"),
}


def _describe(session: Session, staff: StaffActor, tasks: Sequence[TaskRead]) -> list[TaskView]:
    """The names behind a page of tasks: one query per kind of name, all scoped to the workspace."""
    accounts = account_names(session, staff.workspace_id, {t.account_id for t in tasks if t.account_id})
    people = member_names(session, staff, [t.assignee_user_id for t in tasks if t.assignee_user_id])
    sources: dict[tuple[str, int], str] = {}
    estimate_ids = {t.source_id for t in tasks if t.source_type == "estimate"}
    if estimate_ids:
        for est in session.exec(scoped_select(staff, Estimate).where(col(Estimate.id).in_(estimate_ids))):
            sources[("estimate", est.id or 0)] = f"{est.number} {est.title}"
    approval_ids = {t.source_id for t in tasks if t.source_type == "approval"}
    if approval_ids:
        query = scoped_select(staff, ApprovalRequest).where(col(ApprovalRequest.id).in_(approval_ids))
        for appr in session.exec(query):
            sources[("approval", appr.id or 0)] = appr.title
    for kind, (model, name) in _SOURCE_NAMES.items():
        ids = {t.source_id for t in tasks if t.source_type == kind}
        if ids:
            query = scoped_select(staff, model).where(col(model.id).in_(ids))  # type: ignore[attr-defined]
            for row in session.exec(query):
                sources[(kind, row.id or 0)] = str(getattr(row, name))
    return [
        TaskView(
            **t.model_dump(),
            account_name=accounts.get(t.account_id, "") if t.account_id else "",
            assignee_name=people.get(t.assignee_user_id, "") if t.assignee_user_id else "",
            source_label=sources.get((t.source_type, t.source_id), ""),
        )
        for t in tasks
    ]


def assign_task(session: Session, actor: Actor, task_id: int, *, assignee_user_id: int | None) -> TaskRead:
    """Assign to a member of the same workspace (or unassign). Raises ``NotFound`` for a foreign task or member."""
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True)
    if assignee_user_id is not None:
        member = session.exec(
            select(Membership).where(
                Membership.workspace_id == staff.workspace_id, Membership.user_id == assignee_user_id
            )
        ).first()
        if member is None:
            raise NotFound("That member was not found.")
    previous = task.assignee_user_id
    task.assignee_user_id = assignee_user_id
    session.add(task)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="task.assigned",
        target_type="task",
        target_id=task.id,
        data={"assignee_user_id": assignee_user_id},
        account_id=task.account_id,
    )
    if assignee_user_id is not None and assignee_user_id != previous and task.id is not None:
        notify.task_assigned(
            session,
            workspace_id=staff.workspace_id,
            task_id=task.id,
            assignee_user_id=assignee_user_id,
            assigned_by_user_id=staff.user_id,
        )
    session.commit()
    return TaskRead.model_validate(task)


def set_task_status(session: Session, actor: Actor, task_id: int, *, status: TaskStatus) -> TaskRead:
    """Move a task along open → in progress → done / cancelled (and back to open)."""
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True, lock=True)
    if status not in _ALLOWED[task.status]:
        raise Conflict(f"A task that is {task.status.value.replace('_', ' ')} cannot become {status.value}.")
    previous = task.status
    task.status = status
    if status is TaskStatus.DONE:
        task.completed_at = utcnow()
        task.completed_by_user_id = staff.user_id
    elif status is TaskStatus.OPEN:
        task.completed_at = None
        task.completed_by_user_id = None
    session.add(task)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action=f"task.{status.value}",
        target_type="task",
        target_id=task.id,
        data={"from": previous.value},
        account_id=task.account_id,
    )
    session.commit()
    return TaskRead.model_validate(task)


def due_moment(due_on: date) -> datetime:
    """A due date as the stored due time: the end of that day (UTC), so a task due today is not yet overdue."""
    return datetime.combine(due_on, time(23, 59, 59), tzinfo=UTC)


def set_task_due(session: Session, actor: Actor, task_id: int, *, due_on: date | None) -> TaskRead:
    """Change (or clear) a task's due date (``tasks:manage``), audited. ``NotFound`` for a task not in the
    staff member's workspace."""
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True, lock=True)
    previous = task.due_at
    task.due_at = due_moment(due_on) if due_on is not None else None
    session.add(task)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="task.due_changed",
        target_type="task",
        target_id=task.id,
        data={
            "from": previous.date().isoformat() if previous else None,
            "to": due_on.isoformat() if due_on else None,
        },
        account_id=task.account_id,
    )
    session.commit()
    return TaskRead.model_validate(task)


def comment_on_task(session: Session, actor: Actor, task_id: int, *, text: str) -> TaskActivity:
    """Add a staff comment to a task (``tasks:manage``).

    Tasks have no comment table: a comment is an audit event on the task (``task.commented``, the text in its
    data), so it is append-only and part of the workspace's hash chain; :func:`task_activity` lists it. Raises
    ``NotFound`` (task not in the workspace) or ``ValidationFailed`` (empty or longer than ``COMMENT_MAX``).
    """
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Write a comment first.")
    # The audit row holds the text as escaped JSON: bound that too, whatever characters the comment uses.
    if len(text) > COMMENT_MAX or len(json.dumps({"text": text})) > AUDIT_TEXT_MAX:
        raise ValidationFailed(f"Keep the comment to {COMMENT_MAX} characters or fewer.")
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True)
    event = audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="task.commented",
        target_type="task",
        target_id=task.id,
        data={"text": text},
        account_id=task.account_id,
    )
    session.commit()
    names = member_names(session, staff, [staff.user_id])
    assert event.id is not None
    return TaskActivity(
        id=event.id,
        at=event.created_at,
        actor_name=names.get(staff.user_id, ""),
        action=event.action,
        comment=text,
    )


def task_activity(session: Session, actor: Actor, task_id: int, *, limit: int = 50) -> list[TaskActivity]:
    """A task's audit trail, newest first (``tasks:read``): comments, assignments, status and due-date changes.

    Scoped to a task of the staff member's workspace (``NotFound`` otherwise) and to that task's events.
    """
    staff = require_staff(actor, Permission.TASKS_READ)
    task = get_scoped(session, staff, FollowUpTask, task_id)
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.workspace_id == staff.workspace_id,
            AuditEvent.target_type == "task",
            AuditEvent.target_id == task.id,
        )
        .order_by(col(AuditEvent.seq).desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    datas = [json.loads(e.data or "{}") for e in events]
    user_ids = [e.actor_id for e in events if e.actor_kind == "staff" and e.actor_id]
    user_ids += [d.get("assignee_user_id") for d in datas if isinstance(d.get("assignee_user_id"), int)]
    names = member_names(session, staff, user_ids)
    out = []
    for e, d in zip(events, datas, strict=True):
        due_to = d.get("to") if e.action == "task.due_changed" else None
        assignee = d.get("assignee_user_id")
        out.append(
            TaskActivity(
                id=e.id or 0,
                at=e.created_at,
                actor_name=(names.get(e.actor_id, "A former member") if e.actor_id else "The system")
                if e.actor_kind == "staff"
                else "The customer",
                action=e.action,
                comment=str(d.get("text", "")) if e.action == "task.commented" else "",
                assignee_name=names.get(assignee, "A former member") if isinstance(assignee, int) else "",
                due_on=date.fromisoformat(due_to) if isinstance(due_to, str) else None,
            )
        )
    return out


def validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationFailed("A title is required.")
    return title[:200]


def my_open_count(session: Session, actor: Actor) -> int:
    """Open tasks waiting for this member (assigned to them or to their role): the navigation's badge; one query.
    Scoped: staff with ``tasks:read``."""
    return int(session.scalar(my_open_count_query(actor)) or 0)


def my_open_count_query(actor: Actor) -> Any:
    """``my_open_count`` as a statement (the staff navigation asks for all its badges in one)."""
    staff = require_staff(actor, Permission.TASKS_READ)
    return (
        sa.select(sa.func.count())
        .select_from(FollowUpTask)
        .where(
            col(FollowUpTask.workspace_id) == staff.workspace_id,
            col(FollowUpTask.status).in_(OPEN_STATUSES),
            sa.or_(
                col(FollowUpTask.assignee_user_id) == staff.user_id,
                col(FollowUpTask.assignee_role) == staff.role,
            ),
        )
    )
